#!/usr/bin/env python3
"""Report and export benchmark on a store with history (build one with
`python3 bench/sync.py history --images 1000000 --runs 30 --keep STORE`).

    python3 bench/reports.py --db STORE [--repeat 5]

Prints the median whole-process time of each report (cold `amiq report` processes),
then the export's throughput and size per million rows next to DuckDB's own
`COPY ... TO ... (FORMAT parquet)` of the same rows (run by examples/sql.rs on a
copy of the store, as DuckDB's CLI would). Build first:
cargo build --release --bins --examples.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import AMIQ, TARGET

SQL = os.path.join(TARGET, "release", "examples", "sql")


def timed(args, **kw):
    start = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True, **kw)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"{args} failed ({out.returncode}): {out.stderr[-2000:]}")
    return seconds, out.stdout


def size_of(path):
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", required=True)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    for exe in (AMIQ, SQL):
        if not os.path.exists(exe):
            sys.exit(f"{exe} is missing: run cargo build --release --bins --examples first")
    runs = int(timed([SQL, args.db, "SELECT max(run_id)::VARCHAR FROM sync_runs"])[1].strip())
    images = int(timed([SQL, args.db, "SELECT count(*)::VARCHAR FROM images"])[1].strip())
    print(f"store {args.db}: {images:,} current images, {runs} runs")

    reports = [
        ("summary", []),
        ("deprecation", ["--within", "30d"]),
        ("last-launched", ["--older-than", "90d"]),
        ("changes (last run)", ["--since", str(runs - 1), "--until", str(runs)]),
        ("changes (30 runs)", ["--since", "1", "--until", str(runs)]),
    ]
    print(f"\nreports, {args.repeat} cold runs each, median (csv to /dev/null: every row is computed and written):")
    for label, extra in reports:
        name = label.split(" ")[0]
        times = []
        for _ in range(args.repeat):
            s, _ = timed([AMIQ, "report", name, "--db", args.db, "--format", "csv", *extra])
            times.append(s)
        print(f"  {label:22} {statistics.median(times) * 1000:8.0f} ms  (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})", flush=True)

    print(f"\nexport vs DuckDB's COPY, {args.repeat} runs each, median:")
    with tempfile.TemporaryDirectory() as tmp:
        copy_db = os.path.join(tmp, "copy.duckdb")
        shutil.copy(args.db, copy_db)
        for what, view in (("current", "images"), ("history", "image_history")):
            rows = int(timed([SQL, args.db, f"SELECT count(*)::VARCHAR FROM {view}"])[1].strip())
            amiq_t, copy_t = [], []
            amiq_size = copy_size = 0
            for i in range(args.repeat):
                lake = os.path.join(tmp, f"lake{i}")
                s, _ = timed([AMIQ, "export", "--db", args.db, "--to", lake, "--what", what,
                              "--partition-by", "region,account"])
                amiq_t.append(s)
                amiq_size = size_of(os.path.join(lake, what))
                shutil.rmtree(lake)
                out = os.path.join(tmp, f"copy{i}")
                sql = (f"COPY (SELECT owner_id AS account, * FROM {view}) TO '{out}' "
                       f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (region, account))")
                s, _ = timed([SQL, copy_db, sql])
                copy_t.append(s)
                copy_size = size_of(out)
                shutil.rmtree(out)
            a, c = statistics.median(amiq_t), statistics.median(copy_t)
            per_m = 1_000_000 / rows
            print(f"  {what:8} {rows:>10,} rows: amiq export {a:6.2f} s ({rows / a:,.0f} rows/s, "
                  f"{amiq_size * per_m / 2**20:.1f} MiB per million rows) | DuckDB COPY {c:6.2f} s "
                  f"({rows / c:,.0f} rows/s, {copy_size * per_m / 2**20:.1f} MiB per million rows) | ratio {a / c:.2f}x",
                  flush=True)


if __name__ == "__main__":
    main()
