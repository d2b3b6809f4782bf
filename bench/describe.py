#!/usr/bin/env python3
"""describe-images benchmark: cold `amiq describe-images` processes on a store of a
million images, against the same predicates as hand-written SQL (a cold process of
`examples/sql.rs` on the same file).

    python3 bench/describe.py [--images 1000000] [--repeat 7] [--db PATH] [--amiq PATH]
    python3 bench/describe.py --db PATH --compare old=/tmp/amiq-old new=target/release/amiq
    python3 bench/describe.py --store-build /tmp/amiq-old --compare old=/tmp/amiq-old new=...

With --compare each build answers from its own copy of the store, opened once before
the clock starts: a build with a newer schema upgrades its copy then, and an older build
can still read the store it synced (--store-build: the build that syncs it).

The store is built first by syncing `amiq fake-ec2` (4 accounts of owned images plus
an amazon catalog); with --db an existing store is reused. Build first:
cargo build --release --bins --examples.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import ACCOUNT_IDS, AMIQ, TARGET, Fake, named_builds, run_amiq_sync

SQL = os.path.join(TARGET, "release", "examples", "sql")
REGION = "us-east-1"


def build_store(db, images, accounts, amiq=AMIQ):
    per = (images - 20_000) // accounts
    fake = Fake(accounts=accounts, regions=REGION, owned=per, amazon=20_000, marketplace=0)
    try:
        config = db + ".toml"
        lines = [
            f'db = "{db}"', f'regions = ["{REGION}"]', 'scopes = ["owned", "shared", "amazon"]',
            f'endpoint_url = "{fake.url}"', f"concurrency = {accounts}",
        ]
        for a in ACCOUNT_IDS[:accounts]:
            lines += ["[[accounts]]", f'role_arn = "arn:aws:iam::{a}:role/Inventory"']
        with open(config, "w") as f:
            f.write("\n".join(lines) + "\n")
        run = run_amiq_sync(config, amiq)
        print(f"store: {images:,} images synced in {run.seconds:.1f} s", flush=True)
    finally:
        fake.stop()


def sample(db, sql):
    out = subprocess.run([SQL, db, sql], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[0]


def timed(args, rss=None):
    """Runs one cold process with its output going to a file, as `> out.json` would:
    the clock then stops when the process does, not when this script has read and
    decoded tens of megabytes from a pipe. The output is read back after the clock
    stops. With `rss` (a list), the process's peak RSS in MiB is appended to it."""
    if rss is not None:
        args = ["/usr/bin/time", "-f", "%M", *args]
    with tempfile.TemporaryFile() as sink:
        start = time.perf_counter()
        out = subprocess.run(args, stdout=sink, stderr=subprocess.PIPE)
        seconds = time.perf_counter() - start
        if out.returncode not in (0, 5):
            sys.exit(f"{args} failed ({out.returncode}): {out.stderr[-2000:].decode(errors='replace')}")
        if rss is not None:
            rss.append(int(out.stderr.decode().strip().splitlines()[-1]) / 1024)
        sink.seek(0)
        return seconds, sink.read().decode()


# The hand-written side: the current inventory of one account in one region, the same
# predicates, every column as JSON.
HAND = """
SELECT to_json(x)::VARCHAR FROM (
    SELECT v.* EXCLUDE (valid_from, valid_to, valid_from_run, valid_to_run, content_hash),
           g.tags, g.last_launched_time, g.image_allowed
    FROM image_sightings g
    JOIN image_versions v ON v.region = g.region AND v.image_id = g.image_id
    WHERE g.valid_to IS NULL AND v.valid_to IS NULL
      AND g.viewer_account_id = '{account}' AND g.region = '{region}'
      AND v.state IS DISTINCT FROM 'disabled' AND {where}
    ORDER BY v.image_id
    {limit}
) x
"""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", type=int, default=1_000_000)
    p.add_argument("--accounts", type=int, default=4)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--db")
    p.add_argument("--amiq", default=AMIQ, help="the amiq binary to time (default: the release build)")
    p.add_argument("--store-build", default=AMIQ, help="the amiq binary that syncs the store (default: the release build)")
    p.add_argument("--compare", nargs="+", metavar="NAME=PATH",
                   help="time these amiq builds against each other, runs alternating, instead of amiq against SQL")
    args = p.parse_args()
    builds = dict(named_builds(args.compare or []))
    for exe in (args.amiq, SQL):
        if not os.path.exists(exe):
            sys.exit(f"{exe} is missing: run cargo build --release --bins --examples first")
    tmp = tempfile.TemporaryDirectory()
    db = args.db or os.path.join(tmp.name, "describe.duckdb")
    if not os.path.exists(db):
        build_store(db, args.images, args.accounts, args.store_build)
    account = ACCOUNT_IDS[0]
    name = sample(db, f"SELECT name FROM image_versions WHERE owner_id = '{account}' AND name IS NOT NULL LIMIT 1")
    prefix = name[: max(4, len(name) // 2)]
    image_ids = sample(db, f"SELECT string_agg(image_id, ' ') FROM (SELECT image_id FROM image_versions WHERE owner_id = '{account}' LIMIT 3)").split()
    tag_key, tag_value = json.loads(sample(db, f"""
        SELECT to_json([t.key, t.value]) FROM image_sightings, unnest(tags) AS u(t)
        WHERE viewer_account_id = '{account}' AND t.key IS NOT NULL AND t.value IS NOT NULL
          AND t.key SIMILAR TO '[a-z]+' LIMIT 1"""))
    esc = lambda s: s.replace("'", "''")  # noqa: E731
    cases = [
        ("owned, name prefix", ["--owners", "self", "--filters", f"Name=name,Values={prefix}*"],
         f"v.owner_id = '{account}' AND v.name LIKE '{esc(prefix)}%'"),
        ("owned, arm64 and available", ["--owners", "self", "--filters", "Name=architecture,Values=arm64", "Name=state,Values=available"],
         f"v.owner_id = '{account}' AND v.architecture = 'arm64' AND v.state = 'available'"),
        # The catalog's images are not the caller's: deprecated ones are left out.
        ("amazon catalog, al2023", ["--owners", "amazon", "--filters", "Name=name,Values=al2023-ami-*"],
         "v.image_owner_alias = 'amazon' AND v.name LIKE 'al2023-ami-%'"
         " AND (v.deprecation_time_ts IS NULL OR v.deprecation_time_ts > now())"),
        ("one image id", ["--image-ids", image_ids[0]], f"v.image_id = '{image_ids[0]}'"),
        ("three image ids", ["--image-ids", *image_ids],
         "v.image_id IN (" + ", ".join(f"'{i}'" for i in image_ids) + ")"),
        ("owned, tag value", ["--owners", "self", "--filters", f"Name=tag:{tag_key},Values={tag_value}"],
         f"v.owner_id = '{account}' AND list_contains(list_transform(list_filter(g.tags, lambda tag: tag.key = '{esc(tag_key)}'), lambda tag: tag.value), '{esc(tag_value)}')"),
        ("owned, first page of 100", ["--owners", "self", "--max-results", "100"],
         f"v.owner_id = '{account}'", "LIMIT 100"),
        # A filter nearly every image passes: the versions are joined before the views
        # are grouped (query::Grouping) even though that saves nothing here.
        ("owned, available, page of 100", ["--owners", "self", "--filters", "Name=state,Values=available", "--max-results", "100"],
         f"v.owner_id = '{account}' AND v.state = 'available'", "LIMIT 100"),
    ]
    if builds:
        compare(db, account, cases, builds, args.repeat)
        return
    print(f"\ndescribe-images on {db} ({args.repeat} cold runs each, median):")
    print(f"{'case':32} {'amiq':>9} {'hand SQL':>9} {'ratio':>6} {'images':>7} {'output':>9}")
    for label, flags, where, *limit in cases:
        cmd = [args.amiq, "describe-images", "--db", db, "--account", account, "--region", REGION, *flags]
        sql = HAND.format(account=account, region=REGION, where=where, limit=" ".join(limit)) if where else None
        # The two sides alternate, so that the machine's drift weighs on both alike.
        runs, hruns = [], []
        for _ in range(args.repeat):
            s, out = timed(cmd)
            runs.append(s)
            if sql is not None:
                s, hout = timed([SQL, db, sql])
                hruns.append(s)
        n = len(json.loads(out)["Images"])
        med = statistics.median(runs)
        hand = ""
        ratio = ""
        if sql is not None:
            hmed = statistics.median(hruns)
            hn = len(hout.splitlines())
            if hn != n:
                print(f"  note: hand-written SQL returned {hn} rows, amiq {n}")
            hand = f"{hmed * 1000:7.0f}ms"
            ratio = f"{med / hmed:5.2f}x"
        size = f"{len(out.encode()) / 2**20:6.1f}MiB"
        print(f"{label:32} {med * 1000:7.0f}ms {hand:>9} {ratio:>6} {n:7} {size:>9}", flush=True)


def compare(db, account, cases, builds, repeat):
    """Each question on every build, the builds' runs alternating; the last column is
    each later build's median over the first's."""
    names = list(builds)
    stores = {}
    for n in names:
        stores[n] = f"{db}.{n}"
        shutil.copyfile(db, stores[n])
        # Untimed: a build of a newer schema upgrades its copy here.
        timed([builds[n], "describe-images", "--db", stores[n], "--max-results", "5"])
    print(f"\ndescribe-images on {db} ({repeat} cold runs of each build, alternating, median; peak RSS):")
    print(f"{'case':32} " + " ".join(f"{n:>17}" for n in names) + "  ratio")
    for label, flags, *_ in cases:
        runs = {n: [] for n in names}
        rss = {n: [] for n in names}
        for _ in range(repeat):
            for n in names:
                cmd = [builds[n], "describe-images", "--db", stores[n], "--account", account, "--region", REGION, *flags]
                runs[n].append(timed(cmd, rss[n])[0])
        meds = [statistics.median(runs[n]) for n in names]
        ratios = " ".join(f"{m / meds[0]:5.2f}x" for m in meds[1:])
        cells = " ".join(f"{m * 1000:6.0f}ms {max(rss[n]):5.0f}MiB" for m, n in zip(meds, names))
        print(f"{label:32} {cells}  {ratios}", flush=True)
    for n in names:
        os.remove(stores[n])


if __name__ == "__main__":
    main()
