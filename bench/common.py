"""What the benchmarks share: the release binary, `amiq fake-ec2` in its own process,
configs and timed `amiq sync` runs."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from typing import NamedTuple

# Where `cargo build --release` puts the binary: ./target unless CARGO_TARGET_DIR says.
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "target"))
AMIQ = os.path.join(TARGET, "release", "amiq")
ACCOUNT_IDS = [str(111111111111 * (i + 1)) for i in range(9)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Fake:
    """`amiq fake-ec2` in its own process, so its CPU is not counted as amiq's RSS."""

    def __init__(self, amiq=AMIQ, **flags):
        self.port = free_port()
        args = [amiq, "fake-ec2", "--listen", f"127.0.0.1:{self.port}"]
        for k, v in flags.items():
            args += [f"--{k.replace('_', '-')}", str(v)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("fake-ec2 did not start")
                time.sleep(0.1)

    def cpu_seconds(self):
        """CPU time (user + system) the endpoint has used so far: what it takes from the
        two cores that amiq or the baseline also need."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            # The fields after the command name, which is in parentheses: utime and
            # stime are fields 14 and 15 of the whole line.
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def mutate(self, churn, seed):
        body = f"Action=AmiqMutate&Churn={churn}&Seed={seed}".encode()
        req = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        urllib.request.urlopen(req).read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def write_config(path, url, db, accounts, regions, scopes, concurrency, max_results=1000, datasets=None):
    lines = [
        f'db = "{db}"',
        f"regions = {json.dumps(regions)}",
        f"scopes = {json.dumps(scopes)}",
        f"datasets = {json.dumps(datasets or ['images'])}",
        f'endpoint_url = "{url}"',
        f"concurrency = {concurrency}",
        "max_attempts = 20",
        f"max_results = {max_results}",
    ]
    for a in accounts:
        lines += ["[[accounts]]", f'role_arn = "arn:aws:iam::{a}:role/Inventory"']
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class SyncRun(NamedTuple):
    """One timed `amiq sync`."""
    seconds: float
    rss_mb: float
    cpu_seconds: float  # user + system of the amiq process


def run_amiq_sync(config, amiq=AMIQ):
    """Runs one `amiq sync` (of the `amiq` binary given) and times it."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               AWS_EC2_METADATA_DISABLED="true")
    start = time.perf_counter()
    out = subprocess.run(
        ["/usr/bin/time", "-f", "%M %U %S", amiq, "sync", "--config", config, "--log-format", "json"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"amiq sync failed ({out.returncode}):\n{out.stderr[-3000:]}")
    rss_kb, user, system = out.stderr.strip().splitlines()[-1].split()
    return SyncRun(seconds, int(rss_kb) / 1024, float(user) + float(system))


def alternating(items, rounds):
    """(round, item) for each round, each round in the reverse order of the one before:
    whichever runs first in a round was measured faster or slower by a steady margin,
    so it falls on all alike."""
    for rnd in range(rounds):
        for item in (items if rnd % 2 == 0 else items[::-1]):
            yield rnd, item


def named_builds(specs):
    """NAME=PATH arguments as [name, path] pairs; exits naming a path that is missing."""
    builds = [spec.split("=", 1) for spec in specs]
    for build in builds:
        if len(build) != 2:
            sys.exit(f"{build[0]}: give builds as NAME=PATH, e.g. old=/tmp/amiq-old")
        if not os.path.exists(build[1]):
            sys.exit(f"{build[0]}: {build[1]} does not exist")
    return builds
