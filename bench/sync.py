#!/usr/bin/env python3
"""Sync benchmarks: throughput, a boto3 + DuckDB baseline, history growth, latency, and
syncs of many small partitions.

Runs the release binary against `amiq fake-ec2` on 127.0.0.1 and prints its figures.
Each part can run alone:

    python3 bench/sync.py throughput [--images 1000000]   # images/s and peak RSS, amiq vs boto3
    python3 bench/sync.py history [--images 1000000 --runs 30 --churn 0.01]
    python3 bench/sync.py latency [--latency-ms 200 --rounds 5] [old=/tmp/amiq-old new=target/release/amiq]
    python3 bench/sync.py compare old=/tmp/amiq-old new=target/release/amiq [--rounds 3] [--fake /tmp/amiq-old]
    python3 bench/sync.py partitions [--owned 20] [old=/tmp/amiq-old new=target/release/amiq]
    python3 bench/sync.py datasets [--images 1000000 --instances 100000 --launch-templates 2000]
    python3 bench/sync.py organization [--accounts 1000 --latency-ms 50 --concurrency 64] [old=/tmp/amiq-old new=target/release/amiq --rounds 2]

Build first: cargo build --release (the binary is target/release/amiq, or under
CARGO_TARGET_DIR when it is set).
The baseline needs boto3 and duckdb from PyPI (installed if missing).
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from common import ACCOUNT_IDS, AMIQ, Fake, alternating, named_builds, run_amiq_sync, write_config  # noqa: E402


BASELINE = r'''
import json, sys, time, boto3, duckdb
url, out_json, db, *accounts = sys.argv[1:]
start = time.perf_counter()
with open(out_json, "w") as f:
    for account in accounts:
        sts = boto3.client("sts", region_name="us-east-1", endpoint_url=url,
                           aws_access_key_id="bench", aws_secret_access_key="bench")
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/Inventory",
                            RoleSessionName="baseline")["Credentials"]
        ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=url,
                           aws_access_key_id=c["AccessKeyId"],
                           aws_secret_access_key=c["SecretAccessKey"],
                           aws_session_token=c["SessionToken"])
        for page in ec2.get_paginator("describe_images").paginate(
                Owners=["self"], IncludeDeprecated=True, IncludeDisabled=True,
                PaginationConfig={"PageSize": 1000}):
            for image in page["Images"]:
                image["ViewerAccountId"] = account
                f.write(json.dumps(image, default=str))
                f.write("\n")
fetched = time.perf_counter()
con = duckdb.connect(db)
con.execute("CREATE TABLE images AS SELECT * FROM read_json_auto(?, format='newline_delimited')", [out_json])
n = con.execute("SELECT count(*) FROM images").fetchone()[0]
con.close()
print(json.dumps({"fetch_s": fetched - start, "load_s": time.perf_counter() - fetched, "rows": n}))
'''


def ensure_baseline_deps():
    try:
        import boto3  # noqa: F401
        import duckdb  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "boto3", "duckdb"], check=True)


def throughput(args):
    accounts = ACCOUNT_IDS[: args.accounts]
    per = args.images // len(accounts)
    fake = Fake(accounts=len(accounts), regions="us-east-1", owned=per, amazon=0, marketplace=0)
    results = []  # (run, the endpoint's CPU seconds during it)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for rep in range(args.repeat):
                db = os.path.join(tmp, f"t{rep}.duckdb")
                config = os.path.join(tmp, "bench.toml")
                write_config(config, fake.url, db, accounts, ["us-east-1"], ["owned"], args.concurrency or len(accounts))
                fake_cpu = fake.cpu_seconds()
                run = run_amiq_sync(config)
                fake_cpu = fake.cpu_seconds() - fake_cpu
                # Each run starts on a machine as the first found it, without the
                # earlier runs' stores.
                os.remove(db)
                results.append((run, fake_cpu))
                print(f"amiq run {rep + 1}: {run.seconds:.1f} s, {per * len(accounts) / run.seconds:,.0f} images/s, "
                      f"peak RSS {run.rss_mb:.0f} MB; CPU {run.cpu_seconds:.1f} s, endpoint {fake_cpu:.1f} s", flush=True)
            base = None
            if not args.skip_baseline:
                ensure_baseline_deps()
                fake_cpu = fake.cpu_seconds()
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                out = subprocess.run(
                    [sys.executable, "-c", BASELINE, fake.url, os.path.join(tmp, "images.jsonl"),
                     os.path.join(tmp, "baseline.duckdb"), *accounts],
                    capture_output=True, text=True,
                )
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if out.returncode != 0:
                    sys.exit(out.stderr[-3000:])
                base = json.loads(out.stdout.strip().splitlines()[-1])
                base["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                base["fake_cpu_s"] = fake.cpu_seconds() - fake_cpu
    finally:
        fake.stop()
    total = per * len(accounts)
    med = statistics.median(r.seconds for r, _ in results)
    cpu = statistics.median(r.cpu_seconds for r, _ in results)
    fake_cpu = statistics.median(f for _, f in results)
    print(f"\nthroughput: {total:,} images, median {med:.1f} s over {len(results)} runs = {total / med:,.0f} images/s; "
          f"peak RSS max {max(r.rss_mb for r, _ in results):.0f} MB; median CPU {cpu:.1f} s (endpoint {fake_cpu:.1f} s)")
    if base:
        b = base["fetch_s"] + base["load_s"]
        print(f"baseline boto3 paginator -> JSON -> duckdb: {b:.1f} s (fetch {base['fetch_s']:.1f} s, load {base['load_s']:.1f} s, {base['rows']:,} rows) "
              f"= {total / b:,.0f} images/s; CPU {base['cpu_s']:.1f} s (endpoint {base['fake_cpu_s']:.1f} s); "
              f"amiq is {b / med:.1f}x faster and uses {base['cpu_s'] / cpu:.1f}x less CPU")


def compare(args):
    """Two builds side by side: alternating fresh syncs of one fake endpoint, so that
    the machine's drift falls on both alike (use an even number of rounds)."""
    builds = named_builds(args.builds)
    accounts = ACCOUNT_IDS[: args.accounts]
    per = args.images // len(accounts)
    # `--fake OLD` serves both builds the XML the old release's endpoint writes: the
    # same input, where a newer endpoint returns members the old build does not read.
    fake = Fake(amiq=args.fake or AMIQ, accounts=len(accounts), regions="us-east-1", owned=per,
                amazon=0, marketplace=0)
    results = {name: [] for name, _ in builds}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for rnd, (name, path) in alternating(builds, args.rounds):
                db = os.path.join(tmp, f"{name}-{rnd}.duckdb")
                config = os.path.join(tmp, "bench.toml")
                write_config(config, fake.url, db, accounts, ["us-east-1"], ["owned"], len(accounts))
                run = run_amiq_sync(config, path)
                os.remove(db)
                results[name].append(run)
                print(f"round {rnd + 1} {name}: {run.seconds:.1f} s, peak RSS {run.rss_mb:.0f} MB, "
                      f"CPU {run.cpu_seconds:.1f} s", flush=True)
    finally:
        fake.stop()
    # CPU time tells a change that saves work from one that only runs the same work
    # more in parallel.
    first = statistics.median(r.seconds for r in results[builds[0][0]])
    first_cpu = statistics.median(r.cpu_seconds for r in results[builds[0][0]])
    for name, runs in results.items():
        med = statistics.median(r.seconds for r in runs)
        cpu = statistics.median(r.cpu_seconds for r in runs)
        ratio = "" if name == builds[0][0] else (
            f"; {builds[0][0]} takes {first / med:.2f}x as long and {first_cpu / cpu:.2f}x the CPU")
        print(f"{name}: median {med:.1f} s, CPU {cpu:.1f} s, "
              f"peak RSS {min(r.rss_mb for r in runs):.0f}-{max(r.rss_mb for r in runs):.0f} MB{ratio}")


def history(args):
    accounts = ACCOUNT_IDS[: args.accounts]
    per = args.images // len(accounts)
    fake = Fake(accounts=len(accounts), regions="us-east-1", owned=per, amazon=0, marketplace=0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = args.keep or os.path.join(tmp, "history.duckdb")
            config = os.path.join(tmp, "bench.toml")
            write_config(config, fake.url, db, accounts, ["us-east-1"], ["owned"], len(accounts))
            sizes = []
            for run in range(1, args.runs + 1):
                if run > 1:
                    fake.mutate(args.churn, run)
                seconds, rss, _ = run_amiq_sync(config)
                size = os.path.getsize(db) + (os.path.getsize(db + ".wal") if os.path.exists(db + ".wal") else 0)
                sizes.append(size)
                print(f"run {run}: {seconds:.1f} s, peak RSS {rss:.0f} MB, database {size / 2**20:.1f} MiB", flush=True)
    finally:
        fake.stop()
    if args.keep:
        print(f"the store is kept at {args.keep}")
    print(f"\nhistory: {args.runs} runs over {per * len(accounts):,} images at {args.churn:.0%} churn per run: "
          f"{sizes[0] / 2**20:.1f} MiB after 1 run, {sizes[-1] / 2**20:.1f} MiB after {args.runs} = {sizes[-1] / sizes[0]:.2f}x")
    if len(sizes) > 2:
        # The first run writes into an empty file; from the second on, DuckDB reuses the
        # blocks that checkpoints free, so the steady growth shows from run 2 on.
        step = (sizes[-1] - sizes[1]) / (len(sizes) - 2)
        print(f"from run 2 ({sizes[1] / 2**20:.1f} MiB) to run {args.runs}: {step / 2**20:+.2f} MiB a run")


def latency(args):
    """16 partitions of `--per-partition` images at `--latency-ms` a page, against the
    longest partition's pages times the latency. Several rounds (the machine is noisy),
    of one build or of several alternating, each against one fake endpoint kept warm by
    a first run that is not counted."""
    builds = named_builds(args.builds) or [["amiq", AMIQ]]
    accounts = ACCOUNT_IDS[:4]
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"]
    fake = Fake(accounts=4, regions=",".join(regions), owned=args.per_partition, amazon=0,
                marketplace=0, latency_ms=args.latency_ms)
    pages = -(-args.per_partition // args.page_size)
    floor = pages * args.latency_ms / 1000
    results = {name: [] for name, _ in builds}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = os.path.join(tmp, "bench.toml")
            db = os.path.join(tmp, "latency.duckdb")
            write_config(config, fake.url, db, accounts, regions, ["owned"], 16, args.page_size)
            # The endpoint builds each account's images on its first call: not counted.
            run_amiq_sync(config, builds[0][1])
            for rnd, (name, path) in alternating(builds, args.rounds):
                os.remove(db)
                run = run_amiq_sync(config, path)
                results[name].append(run)
                print(f"round {rnd + 1} {name}: {run.seconds:.2f} s ({run.seconds / floor:.2f}x), "
                      f"peak RSS {run.rss_mb:.0f} MB", flush=True)
    finally:
        fake.stop()
    for name, runs in results.items():
        med = statistics.median(r.seconds for r in runs)
        print(f"latency {name}: 4 accounts x 4 regions, {args.per_partition} images ({pages} pages) per partition, "
              f"{args.latency_ms} ms per page: median wall {med:.2f} s over {len(runs)} runs vs longest partition "
              f"{pages} pages x {args.latency_ms} ms = {floor:.2f} s ({med / floor:.2f}x); "
              f"peak RSS {max(r.rss_mb for r in runs):.0f} MB")


def partitions(args):
    """Many small partitions, as a sync of many accounts and regions has: 8 accounts x
    16 regions x (owned, shared), each listing `--owned` images per account and region
    (0: every listing empty). Two runs into one store: the first stores everything, the
    second finds every listing as it was. With several builds, they alternate."""
    builds = named_builds(args.builds) or [["amiq", AMIQ]]
    accounts = ACCOUNT_IDS[:8]
    regions = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2",
               "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1",
               "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ca-central-1", "sa-east-1"]
    fake = Fake(accounts=len(accounts), regions=",".join(regions), owned=args.owned, amazon=0,
                marketplace=0)
    results = {name: ([], []) for name, _ in builds}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for rnd, (name, path) in alternating(builds, args.rounds):
                db = os.path.join(tmp, f"{name}-{rnd}.duckdb")
                config = os.path.join(tmp, "bench.toml")
                write_config(config, fake.url, db, accounts, regions, ["owned", "shared"], 16)
                first = run_amiq_sync(config, path).seconds
                second = run_amiq_sync(config, path).seconds
                os.remove(db)
                results[name][0].append(first)
                results[name][1].append(second)
                print(f"round {rnd + 1} {name}: first run {first:.1f} s, second run {second:.1f} s", flush=True)
    finally:
        fake.stop()
    print(f"\n{len(accounts) * len(regions) * 2} partitions of {args.owned} owned images per account and region:")
    for name, (firsts, seconds) in results.items():
        print(f"{name}: median first run {statistics.median(firsts):.2f} s, "
              f"second run {statistics.median(seconds):.2f} s")


SEVENTEEN_REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2",
                     "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1",
                     "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
                     "ca-central-1", "sa-east-1"]


def fake_account_ids(n):
    """The account ids `amiq fake-ec2 --accounts n` configures (src/cmd/fake_ec2.rs)."""
    return [str(111111111111 * (i + 1)) if i < 9 else f"{100_000_000_000 + i:012d}" for i in range(n)]


def organization(args):
    """Every account of an organization: `--accounts` members discovered through
    Organizations, each in 17 regions, owned and shared listings of about `--owned`
    images, plus the amazon catalog once per region. A first run into an empty store,
    an unchanged second run, then (with `--latency-ms`) a run against the bound that
    latency and concurrency set: every call's latency spread over the concurrent slots.
    With several builds, they alternate over `--rounds` against the same endpoints."""
    builds = named_builds(args.builds) or [["amiq", AMIQ]]
    regions = SEVENTEEN_REGIONS
    with tempfile.TemporaryDirectory() as tmp:
        def config_for(url, db, concurrency):
            path = os.path.join(tmp, "org.toml")
            with open(path, "w") as f:
                f.write("\n".join([
                    f'db = "{db}"', f"regions = {json.dumps(regions)}",
                    'scopes = ["owned", "shared", "amazon"]', f'endpoint_url = "{url}"',
                    f"concurrency = {concurrency}", "max_attempts = 20",
                    "[organization]", 'role_name = "Inventory"']) + "\n")
            return path

        def ledger(db):
            out = subprocess.run(
                [AMIQ, "query", "--db", db, "--format", "csv",
                 "SELECT run_id, count(*) AS partitions, sum(pages) AS pages, sum(images) AS images, "
                 "count(*) FILTER (WHERE status = 'failed') AS failed FROM sync_partitions GROUP BY 1 ORDER BY 1"],
                check=True, stdout=subprocess.PIPE, text=True).stdout
            return out.strip()

        # Each image is shared with each other account at this rate: a shared listing
        # then holds about `--shared` images whatever the number of accounts.
        share_rate = min(0.1, args.shared / max(1, (args.accounts - 1) * args.owned))
        fake = Fake(accounts=args.accounts, regions=",".join(regions), owned=args.owned,
                    amazon=args.amazon, marketplace=0, share_rate=share_rate)
        try:
            for rnd, (name, path) in alternating(builds, args.rounds):
                db = os.path.join(tmp, "org.duckdb")
                config = config_for(fake.url, db, args.concurrency)
                first = run_amiq_sync(config, path)
                print(f"{name}: {args.accounts} accounts x {len(regions)} regions, first run: "
                      f"{first.seconds:.1f} s, peak RSS {first.rss_mb:.0f} MB, CPU {first.cpu_seconds:.1f} s",
                      flush=True)
                second = run_amiq_sync(config, path)
                print(f"{name}: second run (unchanged): {second.seconds:.1f} s, peak RSS "
                      f"{second.rss_mb:.0f} MB, CPU {second.cpu_seconds:.1f} s", flush=True)
                if rnd == 0:
                    print(ledger(db))
                    print(f"store: {os.path.getsize(db) / 2**20:.0f} MiB")
                os.remove(db)
        finally:
            fake.stop()
        if args.latency_ms:
            fake = Fake(accounts=args.accounts, regions=",".join(regions), owned=args.owned,
                        amazon=args.amazon, marketplace=0, latency_ms=args.latency_ms,
                        share_rate=share_rate)
            try:
                for _, (name, path) in alternating(builds, args.rounds):
                    db = os.path.join(tmp, "latency.duckdb")
                    config = config_for(fake.url, db, args.concurrency)
                    run = run_amiq_sync(config, path)
                    pages = int(ledger(db).splitlines()[1].split(",")[2])
                    os.remove(db)
                    bound = pages * args.latency_ms / 1000 / args.concurrency
                    print(f"{name}: {args.latency_ms} ms per page, concurrency {args.concurrency}: "
                          f"{run.seconds:.1f} s, peak RSS {run.rss_mb:.0f} MB; bound {pages} pages x "
                          f"{args.latency_ms} ms / {args.concurrency} = {bound:.1f} s: "
                          f"{run.seconds / bound:.2f}x", flush=True)
            finally:
                fake.stop()


# Every dataset but launch-permissions (one DescribeImageAttribute per owned image, a
# million calls a run here); usage reports are read, not created.
DATASETS = ["images", "references", "instances", "snapshots", "recycle-bin", "settings", "lineage",
            "usage-reports"]


def peak(cmd, **kw):
    """Runs `cmd` under /usr/bin/time: (seconds, peak RSS in MB, stdout bytes)."""
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, **kw)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({out.returncode}):\n{out.stderr.decode()[-3000:]}")
    return seconds, int(out.stderr.decode().strip().splitlines()[-1]) / 1024, len(out.stdout)


def datasets(args):
    """The million-image sync with every dataset beside it, against images only,
    alternating (so the machine's drift falls on both), then `report cleanup` on the
    last store in cold processes."""
    accounts = ACCOUNT_IDS[: args.accounts]
    per = args.images // len(accounts)
    fake = Fake(accounts=len(accounts), regions="us-east-1", owned=per, amazon=0, marketplace=0,
                instances=args.instances // len(accounts),
                launch_templates=args.launch_templates // len(accounts),
                ssm_parameters=args.launch_templates // len(accounts),
                recipes=max(1, args.launch_templates // len(accounts) // 10),
                orphan_snapshots=args.orphan_snapshots // len(accounts))
    # A first run fills an empty store; a second, of an unchanged world, is what a
    # scheduled job does most (lineage asks only about new copies).
    results = {"images": [], "all": [], "images, second run": [], "all, second run": []}
    with tempfile.TemporaryDirectory() as tmp:
        kept = os.path.join(tmp, "all-kept.duckdb")
        try:
            for rnd, name in alternating(["images", "all"], args.rounds):
                db = os.path.join(tmp, f"{name}-{rnd}.duckdb")
                config = os.path.join(tmp, "bench.toml")
                write_config(config, fake.url, db, accounts, ["us-east-1"], ["owned", "shared"], len(accounts),
                             datasets=["images"] if name == "images" else DATASETS)
                for key in (name, f"{name}, second run"):
                    run = run_amiq_sync(config)
                    results[key].append(run)
                    print(f"round {rnd + 1} {key}: {run.seconds:.1f} s, peak RSS {run.rss_mb:.0f} MB, "
                          f"CPU {run.cpu_seconds:.1f} s", flush=True)
                if name == "all":
                    if os.path.exists(kept):
                        os.remove(kept)
                    os.rename(db, kept)
                else:
                    os.remove(db)
        finally:
            fake.stop()
        med = {k: statistics.median(r.seconds for r in v) for k, v in results.items()}
        for name, runs in results.items():
            print(f"{name}: median {med[name]:.1f} s, CPU {statistics.median(r.cpu_seconds for r in runs):.1f} s, "
                  f"peak RSS {min(r.rss_mb for r in runs):.0f}-{max(r.rss_mb for r in runs):.0f} MB")
        print(f"every dataset takes {med['all'] / med['images']:.2f}x the time of images only; "
              f"second runs: {med['all, second run'] / med['images, second run']:.2f}x")
        calls = subprocess.run(
            [AMIQ, "query", "--db", kept, "--format", "csv",
             "SELECT run_id AS run, scope AS listing, sum(pages) AS calls, sum(images) AS items, "
             "count(*) AS partitions FROM sync_partitions GROUP BY ALL ORDER BY run, listing"],
            check=True, stdout=subprocess.PIPE, text=True).stdout
        print("calls per dataset (pages; a references call asks about ten images):")
        print(calls.strip())
        times = []
        for _ in range(args.repeat):
            seconds, rss, size = peak([AMIQ, "report", "cleanup", "--db", kept, "--format", "csv"])
            times.append((seconds, rss))
            print(f"report cleanup: {seconds * 1000:.0f} ms, peak RSS {rss:.0f} MB, {size / 2**20:.1f} MiB of CSV",
                  flush=True)
        print(f"report cleanup: median {statistics.median(t for t, _ in times) * 1000:.0f} ms, "
              f"peak RSS {max(r for _, r in times):.0f} MB")
        if args.keep:
            os.replace(kept, args.keep)
            print(f"the store with every dataset is kept at {args.keep}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--images", type=int, default=1_000_000)
    t.add_argument("--accounts", type=int, default=4)
    t.add_argument("--repeat", type=int, default=3)
    t.add_argument("--skip-baseline", action="store_true")
    t.add_argument("--concurrency", type=int, help="partitions fetched at once (default: one per account)")
    h = sub.add_parser("history")
    h.add_argument("--images", type=int, default=1_000_000)
    h.add_argument("--accounts", type=int, default=4)
    h.add_argument("--runs", type=int, default=30)
    h.add_argument("--churn", type=float, default=0.01)
    h.add_argument("--keep", help="build the store at this path and keep it (for bench/describe.py and bench/reports.py)")
    c = sub.add_parser("compare", help="two or more builds side by side")
    c.add_argument("builds", nargs="+", metavar="NAME=PATH", help="an amiq binary and a name for it")
    c.add_argument("--images", type=int, default=1_000_000)
    c.add_argument("--accounts", type=int, default=4)
    c.add_argument("--rounds", type=int, default=3)
    c.add_argument("--fake", metavar="PATH", help="the amiq binary whose fake-ec2 serves both (default: this build)")
    lat = sub.add_parser("latency")
    lat.add_argument("builds", nargs="*", metavar="NAME=PATH", help="amiq binaries to alternate (default: this build)")
    lat.add_argument("--rounds", type=int, default=5)
    lat.add_argument("--latency-ms", type=int, default=200)
    lat.add_argument("--per-partition", type=int, default=1_000)
    lat.add_argument("--page-size", type=int, default=100)
    pa = sub.add_parser("partitions", help="many small partitions, first and second run")
    pa.add_argument("builds", nargs="*", metavar="NAME=PATH", help="amiq binaries to alternate (default: this build)")
    pa.add_argument("--owned", type=int, default=20)
    pa.add_argument("--rounds", type=int, default=3)
    o = sub.add_parser("organization", help="every account of an organization: 1,000 accounts x 17 regions")
    o.add_argument("builds", nargs="*", metavar="NAME=PATH", help="amiq binaries to alternate (default: this build)")
    o.add_argument("--rounds", type=int, default=1)
    o.add_argument("--accounts", type=int, default=1000)
    o.add_argument("--owned", type=int, default=20, help="images each account owns per region")
    o.add_argument("--shared", type=float, default=20, help="images shared into each account per region, on average")
    o.add_argument("--amazon", type=int, default=200)
    o.add_argument("--concurrency", type=int, default=64)
    o.add_argument("--latency-ms", type=int, default=50, help="0: no run with latency")
    d = sub.add_parser("datasets", help="every dataset against images only, and report cleanup")
    d.add_argument("--images", type=int, default=1_000_000)
    d.add_argument("--accounts", type=int, default=4)
    d.add_argument("--instances", type=int, default=100_000)
    d.add_argument("--launch-templates", type=int, default=2_000)
    d.add_argument("--orphan-snapshots", type=int, default=4_000)
    d.add_argument("--rounds", type=int, default=2)
    d.add_argument("--repeat", type=int, default=3)
    d.add_argument("--keep", help="keep the last store with every dataset at this path")
    args = p.parse_args()
    if not os.path.exists(AMIQ):
        sys.exit(f"{AMIQ} is missing: run cargo build --release first")
    {"throughput": throughput, "history": history, "latency": latency, "compare": compare,
     "organization": organization,
     "partitions": partitions, "datasets": datasets}[args.what](args)


if __name__ == "__main__":
    main()
