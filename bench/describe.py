#!/usr/bin/env python3
"""describe-images benchmark: cold `amiq describe-images` processes on a store of a
million images, against the same predicates as hand-written SQL (a cold process of
`examples/sql.rs` on the same file).

    python3 bench/describe.py [--images 1000000] [--repeat 7] [--db PATH] [--amiq PATH]
    python3 bench/describe.py --db PATH --compare old=/tmp/amiq-old new=target/release/amiq
    python3 bench/describe.py --store-build /tmp/amiq-old --compare old=/tmp/amiq-old new=...
    python3 bench/describe.py --outputs [--timeout 300] [--sql PATH] [--compare old=PATH new=PATH]

With --outputs the questions are the answer-size ones instead: one account's whole view
(a filter nearly every image passes) as json, text and table, and through --query;
each timed with its peak RSS and output size, beside plain SQL that writes the same
rows (or, with --compare, build against build). A process that runs past --timeout
seconds or fails is reported in its cell, and the run goes on.

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
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import NamedTuple

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


def sample(db, exe, sql):
    out = subprocess.run([exe, db, sql], capture_output=True, text=True, check=True)
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


class Cold(NamedTuple):
    """One cold process of --outputs: wall time, peak RSS (MiB), output size (bytes) and
    what `rows` made of the output; or, instead, why there is none."""
    seconds: float = None
    rss: float = None
    size: int = None
    rows: object = None
    error: str = None  # "timeout", "failed (rc)"
    stderr: str = ""


def cold(args, timeout, rows=None):
    """timed() for --outputs: a process that fails or runs past `timeout` seconds is
    returned as such instead of ending the run, since the older builds may be killed for
    their memory or be very slow on these questions. It runs in its own session, so that
    a timeout kills the process under /usr/bin/time too. The output stays in the file:
    it can be gigabytes, so it is not decoded; `rows(file)`, if given, reads what it needs."""
    with tempfile.TemporaryFile() as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", *args], stdout=sink,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return Cold(error="timeout")
        seconds = time.perf_counter() - start
        err = err.decode(errors="replace").strip()
        if proc.returncode not in (0, 5):
            # The process's last words: not /usr/bin/time's RSS and exit status lines.
            said = [line for line in err.splitlines()[:-1] if not line.startswith(("Command exited", "Command terminated"))]
            return Cold(error=f"failed ({proc.returncode})", stderr="\n".join(said[-3:]))
        rss = int(err.splitlines()[-1]) / 1024
        size = os.fstat(sink.fileno()).st_size
        sink.seek(0)
        return Cold(seconds, rss, size, rows(sink) if rows else None)


def count(needle):
    """Rows as the occurrences of `needle` in an output file, read in chunks (a table can
    be gigabytes). For a needle that starts a line ("\nIMAGES\t"), the file is read as if
    it began with a newline, so that the first line is found too."""
    def rows(f):
        n, tail = 0, b"\n" if needle.startswith(b"\n") and len(needle) > 1 else b""
        while chunk := f.read(64 << 20):
            buf = tail + chunk
            n += buf.count(needle)
            tail = buf[-(len(needle) - 1):] if len(needle) > 1 else b""
        return n
    return rows


def value(f):
    """A one-value answer as text, JSON strings unquoted: what it is, not how many."""
    text = f.read().decode().strip()
    return json.loads(text) if text.startswith('"') else text


# The --outputs questions' plain SQL: the rows of one account's view in one region as
# DescribeImages has them, without amiq's machinery. The view is the account's own
# sightings (owned and shared listings) plus the region's catalog sightings, whichever
# account fetched the catalog (sql/describe/answer.sql); current rows only; no
# deprecation test (--include-deprecated); disabled images left out as amiq does. No
# deduplication: amiq keeps one view per image where the account saw it under several
# scopes, which the fake endpoint's stores never have (a note below says when the
# counts differ).
VIEW = """
FROM image_sightings g
JOIN image_versions v ON v.region = g.region AND v.image_id = g.image_id
WHERE g.valid_to IS NULL AND v.valid_to IS NULL AND g.region = '{region}'
  AND (g.viewer_account_id = '{account}'
       OR g.scope IN (SELECT scope FROM sync_partitions WHERE catalog AND region = '{region}'))
  AND v.state IS DISTINCT FROM 'disabled'
  AND v.state = 'available' AND v.root_device_type = 'ebs'
"""

# The text output's IMAGES line: the Image's scalar members in the AWS CLI's (sorted)
# order, empty where NULL. "g.": the sighting's column, not the version's; "?": a
# boolean, written True/False as the AWS CLI does.
TEXT_COLUMNS = [
    "architecture", "boot_mode", "creation_date", "deprecation_time",
    "deregistration_protection", "description", "ena_support?", "free_tier_eligible?",
    "hypervisor", "g.image_allowed?", "image_id", "image_location", "image_owner_alias",
    "image_type", "imds_support", "kernel_id", "g.last_launched_time", "name", "owner_id",
    "platform", "platform_details", "public?", "public_ssm_parameter_name", "ramdisk_id",
    "root_device_name", "root_device_type", "source_image_id", "source_image_region",
    "source_instance_id", "sriov_net_support", "state", "tpm_support", "usage_operation",
    "virtualization_type",
]


def text_line():
    """The SQL of TEXT_COLUMNS' line, tab-separated (concat_ws would skip a NULL and
    shift the fields after it, hence the coalesce)."""
    cols = []
    for c in TEXT_COLUMNS:
        col = c.rstrip("?") if "." in c else "v." + c.rstrip("?")
        if c.endswith("?"):
            cols.append(f"CASE {col} WHEN true THEN 'True' WHEN false THEN 'False' ELSE '' END")
        else:
            cols.append(f"coalesce({col}, '')")
    return "concat_ws(chr(9), 'IMAGES', " + ", ".join(cols) + ")"


def output_cases(account):
    """The answer-size questions: (label, amiq flags, plain SQL, counting the rows of
    amiq's output, of the SQL's). Each SQL line is one of amiq's rows."""
    view = VIEW.format(account=account, region=REGION)
    lines = count(b"\n")
    columns = "v.* EXCLUDE (valid_from, valid_to, valid_from_run, valid_to_run, content_hash), g.tags, g.last_launched_time, g.image_allowed"
    return [
        # Every column as JSON, NULLs and all, as the default mode's hand-written side.
        ("json", ["--output", "json"],
         f"SELECT to_json(x)::VARCHAR FROM (SELECT {columns} {view} ORDER BY v.image_id) x",
         count(b'"ImageId": '), lines),
        # The text and table outputs' counterpart is the same: each image's IMAGES line
        # alone (amiq also writes the nested lists' lines; a table has no SQL of its own).
        ("text", ["--output", "text"],
         f"SELECT {text_line()} {view} ORDER BY v.image_id", count(b"\nIMAGES\t"), lines),
        ("table", ["--output", "table"],
         f"SELECT {text_line()} {view} ORDER BY v.image_id", count(b"\n||  ImageId "), lines),
        # The AWS CLI writes a list of strings as one line, tab-separated.
        ("Images[].ImageId, text", ["--query", "Images[].ImageId", "--output", "text"],
         f"SELECT v.image_id {view} ORDER BY v.image_id", count(b"ami-"), lines),
        ("Images[?Public].[ImageId,Name]", ["--query", "Images[?Public].[ImageId,Name]"],
         f"SELECT to_json([v.image_id, v.name])::VARCHAR {view} AND v.public ORDER BY v.image_id",
         lambda f: len(json.load(f)), lines),
        ("length(Images)", ["--query", "length(Images)"],
         f"SELECT count(*)::VARCHAR {view}", value, value),
        # sort_by is stable: of the images created last, the last in image id order.
        ("sort_by(CreationDate)[-1]", ["--query", "sort_by(Images,&CreationDate)[-1].ImageId"],
         f"SELECT v.image_id {view} ORDER BY v.creation_date DESC, v.image_id DESC LIMIT 1",
         value, value),
    ]


def cell(runs, rss, size, error):
    """A side's median, max peak RSS and output size, or why it has none."""
    if error:
        return f"{error:>29}"
    return f"{statistics.median(runs) * 1000:7.0f}ms {max(rss):5.0f}MiB {size / 2**20:7.1f}MiB"


def shown(rows):
    """The rows column: a count, or 1 for a one-value answer."""
    return rows if isinstance(rows, int) else 1


def outputs(db, account, sides, repeat, timeout, sql=None):
    """The answer-size questions on each side, the sides' runs alternating: `sides` maps a
    name to the command before the question's flags; `sql`, the SQL example to run each
    question's plain SQL on `db` too, as the last side. A side that fails or times out
    on a question is not run again on it. The ratio is each later side's median over the
    first's (against SQL: amiq's over SQL's)."""
    names = list(sides) + (["SQL"] if sql else [])
    print(f"\ndescribe-images --account {account} --region {REGION} --include-deprecated"
          f" --filters Name=state,Values=available Name=root-device-type,Values=ebs\non {db}"
          f" ({repeat} cold runs each, alternating, median; max peak RSS; output size):")
    print(f"{'question':32} " + " ".join(f"{n:>29}" for n in names) + "   ratio    rows")
    filters = ["--include-deprecated", "--filters", "Name=state,Values=available",
               "Name=root-device-type,Values=ebs"]
    for label, flags, plain, amiq_rows, sql_rows in output_cases(account):
        cmds = {n: [*sides[n], "--account", account, "--region", REGION, *filters, *flags] for n in sides}
        if sql:
            cmds["SQL"] = [sql, db, plain]
        counters = {n: amiq_rows for n in sides} | {"SQL": sql_rows}
        runs, rss = {n: [] for n in names}, {n: [] for n in names}
        size, rows, error = {}, {}, {}
        for _ in range(repeat):
            for n in names:
                if n in error:
                    continue
                # The rows are counted once: the output is the same each time.
                c = cold(cmds[n], timeout, None if n in rows else counters[n])
                if c.error:
                    error[n] = c.error
                    why = f": {c.stderr.splitlines()[-1]}" if c.stderr else ""
                    print(f"  note: {label}: {n} {c.error}{why}")
                    continue
                runs[n].append(c.seconds)
                rss[n].append(c.rss)
                size[n] = c.size
                if n not in rows:
                    rows[n] = c.rows
        for n in names[1:]:
            if n in rows and names[0] in rows and rows[n] != rows[names[0]]:
                print(f"  note: {n} wrote {rows[n]}, {names[0]} {rows[names[0]]}")
        cells = " ".join(cell(runs[n], rss[n], size.get(n), error.get(n)) for n in names)
        meds = {n: statistics.median(runs[n]) for n in names if runs[n]}
        if sql:
            pairs = [(names[0], "SQL")]
        else:
            pairs = [(n, names[0]) for n in names[1:]]
        ratio = " ".join(f"{meds[a] / meds[b]:6.2f}x" if a in meds and b in meds else "      -"
                         for a, b in pairs)
        n_rows = next((shown(rows[n]) for n in names if n in rows), "-")
        print(f"{label:32} {cells}  {ratio} {n_rows:>7}", flush=True)


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
    p.add_argument("--sql", default=SQL, help="the SQL example binary (default: the release build's)")
    p.add_argument("--outputs", action="store_true",
                   help="time the answer-size questions (json, text, table, --query) instead")
    p.add_argument("--timeout", type=float, default=300,
                   help="with --outputs: seconds a process may run before it is killed and reported as such")
    args = p.parse_args()
    builds = dict(named_builds(args.compare or []))
    # With --outputs --compare, only the builds run: named_builds has checked them.
    for exe in ([] if args.outputs and builds else [args.amiq, args.sql]):
        if not os.path.exists(exe):
            sys.exit(f"{exe} is missing: run cargo build --release --bins --examples first")
    tmp = tempfile.TemporaryDirectory()
    db = args.db or os.path.join(tmp.name, "describe.duckdb")
    if not os.path.exists(db):
        build_store(db, args.images, args.accounts, args.store_build)
    account = ACCOUNT_IDS[0]
    if args.outputs:
        if builds:
            stores = copy_stores(db, builds)
            sides = {n: [builds[n], "describe-images", "--db", stores[n]] for n in builds}
            outputs(db, account, sides, args.repeat, args.timeout)
            for n in builds:
                os.remove(stores[n])
        else:
            sides = {"amiq": [args.amiq, "describe-images", "--db", db]}
            outputs(db, account, sides, args.repeat, args.timeout, args.sql)
        return
    name = sample(db, args.sql, f"SELECT name FROM image_versions WHERE owner_id = '{account}' AND name IS NOT NULL LIMIT 1")
    prefix = name[: max(4, len(name) // 2)]
    image_ids = sample(db, args.sql, f"SELECT string_agg(image_id, ' ') FROM (SELECT image_id FROM image_versions WHERE owner_id = '{account}' LIMIT 3)").split()
    tag_key, tag_value = json.loads(sample(db, args.sql, f"""
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
                s, hout = timed([args.sql, db, sql])
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


def copy_stores(db, builds):
    """A copy of the store for each build, opened once: untimed, a build of a newer
    schema upgrades its copy here."""
    stores = {}
    for n in builds:
        stores[n] = f"{db}.{n}"
        shutil.copyfile(db, stores[n])
        timed([builds[n], "describe-images", "--db", stores[n], "--max-results", "5"])
    return stores


def compare(db, account, cases, builds, repeat):
    """Each question on every build, the builds' runs alternating; the last column is
    each later build's median over the first's."""
    names = list(builds)
    stores = copy_stores(db, builds)
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
