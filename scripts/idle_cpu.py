"""`python -m scripts.idle_cpu`: the idle CPU of each process of `make run`.

Starts `python -m scripts.run` (what `make run` runs) on free ports with a fresh data dir,
waits until every service's /health answers 200 and then `--settle` seconds more, then
reads each process's CPU time (utime + stime, /proc/<pid>/stat; Linux only) at the start
and the end of a `--seconds` window in which nothing is asked of the system, and prints
the share of one core each part used: the broker (Tansu), PostgreSQL (the postmaster and
every backend and worker of it), the three services and `scripts.run` itself (the
supervisor). Then stops it all (SIGTERM, as Ctrl-C does).

    .venv/bin/python -m scripts.idle_cpu --seconds 60
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from scripts.embedded_infra import postmaster_pid
from scripts.run_settings import REPO
from shared.embedded import free_port

SERVICES = ("ticketing", "notifier", "display")
PARTS = ("broker", "postgres", *SERVICES, "run")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds so far) of a process; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def processes(run_pid: int, pgdata: Path) -> dict[int, str]:
    """Every process of the run, by the part it belongs to: `run_pid`'s descendants, and
    PostgreSQL's (its postmaster is a daemon, not a child of the run)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = stat[0]
    roots = {run_pid: "run"}
    if (postmaster := postmaster_pid(pgdata)) is not None:
        roots[postmaster] = "postgres"
    parts: dict[int, str] = {}
    for pid in parents:
        ancestor = pid
        while ancestor not in roots and ancestor in parents and ancestor > 1:
            ancestor = parents[ancestor]
        if ancestor in roots:
            parts[pid] = _part(pid, roots[ancestor])
    return parts


def _part(pid: int, root: str) -> str:
    if root == "postgres":
        return root
    command = _cmdline(pid)
    for service in SERVICES:
        if f"services.{service}" in command:
            return service
    if "broker" in command and "scripts.run" not in command:
        return "broker"
    return "run"


def cpu_by_part(parts: dict[int, str]) -> dict[str, float]:
    totals = dict.fromkeys(PARTS, 0.0)
    for pid, part in parts.items():
        if (stat := _stat(pid)) is not None:
            totals[part] += stat[1]
    return totals


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
            return int(resp.status) == 200
    except (OSError, ValueError):
        return False


def start(data_dir: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    ports = {s: free_port() for s in SERVICES}
    env = {
        **os.environ,
        "MPP_DATA_DIR": str(data_dir),
        "EMBEDDED_KAFKA_PORT": str(free_port()),
        **{f"{s.upper()}_PORT": str(p) for s, p in ports.items()},
    }
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.pop("DATABASE_URL", None)
    log = open(data_dir / "run.log", "ab")  # noqa: SIM115 — closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.run", "--no-colour"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return proc, {s: f"http://127.0.0.1:{p}" for s, p in ports.items()}


def measure(seconds: float, settle: float, data_dir: Path) -> dict[str, float]:
    """% of a core per part over `seconds` of idling, once everything has settled."""
    proc, urls = start(data_dir)
    try:
        deadline = time.monotonic() + 180
        while not all(healthy(u) for u in urls.values()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"make run did not come up; see {data_dir / 'run.log'}")
            time.sleep(0.5)
        time.sleep(settle)
        parts = processes(proc.pid, data_dir / "postgres")
        before, started = cpu_by_part(parts), time.monotonic()
        time.sleep(seconds)
        after, elapsed = cpu_by_part(parts), time.monotonic() - started
        return {p: 100 * (after[p] - before[p]) / elapsed for p in PARTS}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="the idle window")
    parser.add_argument("--settle", type=float, default=15.0, help="wait after healthy")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="antrian-idle-"))
    shares = measure(args.seconds, args.settle, data_dir)
    print(f"idle CPU over {args.seconds:.0f} s, % of one core (logs: {data_dir / 'run.log'})")
    for part in PARTS:
        print(f"  {part:<10} {shares[part]:5.1f} %")
    print(f"  {'total':<10} {sum(shares.values()):5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
