"""`make bench`: the system's throughput and latency, beside the raw ceilings underneath.

Starts the system as `make run` does (`python -m scripts.run`: embedded broker and
PostgreSQL on free ports in a temporary data dir, unless KAFKA_BOOTSTRAP_SERVERS /
DATABASE_URL are set), then measures in one run:

1. issuance: tickets/s through HTTP at saturation (closed loop), p50/p99 at 25/50/75 %
   of it with open-loop load (latency from the intended send time); ceiling: the same
   writes (daily number + ticket + outbox row + NOTIFY) by asyncpg directly;
2. call to board: call-next sent → ticket-called SSE event at a board client, open
   loop at 10 and 100 calls/s; ceiling: a bare aiokafka producer → group-less consumer
   on the same broker, with the display's fetch_max_wait_ms;
3. fan-out: 100 / 1,000 / 5,000 board SSE clients on one display; per client, call
   sent → ticket-called received; ceiling: a bare asyncio server writing one frame to
   as many sockets, read by the same clients;
4. notifier: ticket issued (its issued_at) → SMS POST at a local gateway, and SMS/s
   draining a backlog; ceiling: the gateway's own requests/s from a bare client;
5. footprint: RSS of each service idle and at peak (VmHWM), `make run` time to healthy;
6. many sites: a second `make run` with N generated sites × 15 counters and a
   compressed busy morning; issuance, call-to-board, notifier latency and consumer lag.

Prints a Markdown table and writes JSON under bench/results/. `--quick`: a few seconds
per figure, fewer clients and sites.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.board import bench_bare_kafka, bench_call_to_board
from bench.client import Gateway
from bench.fanout import bench_fanout
from bench.issuance import bench_issuance, bench_raw_issuance
from bench.many_sites import bench_many_sites
from bench.measure import cpu_s, log, raise_fd_limit
from bench.notifier import bench_notifier
from bench.report import build_rows, print_report, targets
from bench.sites import generate
from bench.system import RunningSystem, start_system
from shared.embedded import free_port

RESULTS = Path(__file__).parent / "results"


@dataclass
class Modes:
    issue_s: float
    open_s: float
    concurrency: int
    board_s: float
    fanout: list[int]
    fanout_rounds: int
    sms_rate: float
    sms_s: float
    sms_backlog: int
    sites: int
    morning_s: float


QUICK = Modes(3, 3, 32, 3, [100, 1000], 3, 20, 3, 300, 30, 10)
FULL = Modes(10, 8, 32, 10, [100, 1000, 5000], 5, 20, 10, 1000, 300, 30)


@contextlib.asynccontextmanager
async def profiled(system: RunningSystem, phase: str, out_dir: Path | None) -> AsyncIterator[None]:
    """With --profile: py-spy records every service during the phase (collapsed stacks,
    `<tmp>/profile-<phase>-<service>.txt`; py-spy must be installed)."""
    if out_dir is None:
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    procs = [
        await asyncio.create_subprocess_exec(
            spy,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "--output",
            str(out_dir / f"profile-{phase}-{name}.txt"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for name, pid in system.pids.items()
    ]
    await asyncio.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGINT)
        await asyncio.gather(*(p.wait() for p in procs))


async def rss_sampler(system: RunningSystem, peak: dict[str, float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for s in system.pids:
            with contextlib.suppress(OSError, KeyError):
                peak[s] = max(peak.get(s, 0.0), system.rss_mb(s))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory": mem,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }


@dataclass
class Plan:
    """What this run measures, how long, and whether py-spy records it."""

    mode: Modes
    only: list[str] | None
    profiles: Path | None
    display_wait_ms: int  # the display's fetch_max_wait_ms: the bare consumer's too

    def wants(self, phase: str) -> bool:
        return not self.only or phase in self.only


async def measure_phases(
    system: RunningSystem,
    gateway: Gateway,
    plan: Plan,
    result: dict[str, Any],
) -> None:
    """Figures 1-4 on the demo sites, each phase into `result`."""
    mode, prof = plan.mode, plan.profiles
    if plan.wants("issuance"):
        async with profiled(system, "issuance", prof):
            result["issuance"] = await bench_issuance(
                system, mode.issue_s, mode.concurrency, mode.open_s
            )
        result["raw_issuance"] = await bench_raw_issuance(system.database_url, mode.issue_s, 10)
    rates = [10.0, 100.0]
    if plan.wants("board"):
        result["call_to_board"] = await bench_call_to_board(system, rates, mode.board_s)
        result["bare_kafka"] = await bench_bare_kafka(
            system.kafka, rates, mode.board_s, plan.display_wait_ms
        )
    if plan.wants("fanout"):
        async with profiled(system, "fanout", prof):
            result["fanout"] = await bench_fanout(system, mode.fanout, mode.fanout_rounds)
    if plan.wants("notifier"):
        async with profiled(system, "notifier", prof):
            result["notifier"] = await bench_notifier(
                system, gateway, mode.sms_rate, mode.sms_s, mode.sms_backlog
            )


async def measure_one_site(
    system: RunningSystem,
    gateway: Gateway,
    plan: Plan,
    result: dict[str, Any],
) -> None:
    """Figure 5 (footprint: idle, then peak while figures 1-4 are measured)."""
    log(f"healthy after {system.startup_s:.1f}s; idle for 5 s")
    before = {s: cpu_s(p) for s, p in system.pids.items()}
    await asyncio.sleep(5)
    idle_cpu = {s: (cpu_s(p) - before[s]) / 5 for s, p in system.pids.items()}
    idle = {s: system.rss_mb(s) for s in system.pids}
    peak: dict[str, float] = {}
    stop = asyncio.Event()
    sampler = asyncio.create_task(rss_sampler(system, peak, stop))
    try:
        await measure_phases(system, gateway, plan, result)
    finally:
        stop.set()
        await sampler
    result["restarted"] = system.restarted()
    if result["restarted"]:
        log(f"WARNING: {result['restarted']} restarted during the run: figures disturbed")
    result["footprint"] = {
        "startup_s": system.startup_s,
        "idle_mb": idle,
        "idle_cpu_share": idle_cpu,
        "peak_mb": peak,
        "high_water_mb": {s: system.rss_mb(s, "VmHWM") for s in system.pids},
    }


async def measure_many_sites(
    tmp: Path,
    env: dict[str, str],
    gateway: Gateway,
    plan: Plan,
    morning_rate: float | None,
    result: dict[str, Any],
) -> dict[str, Any]:
    """Figure 6, on a second system with `plan.mode.sites` generated sites."""
    mode = plan.mode
    sites = generate(tmp / "many", mode.sites)
    env2 = {**env, "SITES_DIR": str(tmp / "many")}
    log(f"starting the system with {mode.sites} generated sites …")
    async with start_system(tmp / "data-many", env2, timeout_s=1800) as system:
        log(f"healthy after {system.startup_s:.1f}s")
        rate = morning_rate or 0.5 * result.get("issuance", {}).get("tickets_per_s", 200.0)
        peak2: dict[str, float] = {}
        stop2 = asyncio.Event()
        sampler2 = asyncio.create_task(rss_sampler(system, peak2, stop2))
        try:
            many = await bench_many_sites(system, gateway, sites, rate, mode.morning_s)
        finally:
            stop2.set()
            await sampler2
        many["restarted"] = system.restarted()
        many["startup_s"] = system.startup_s
        many["peak_mb"] = peak2
        many["high_water_mb"] = {s: system.rss_mb(s, "VmHWM") for s in system.pids}
        return many


async def run(args: argparse.Namespace) -> dict[str, Any]:
    mode = QUICK if args.quick else FULL
    if args.sites is not None:
        mode.sites = args.sites
    fds = raise_fd_limit()

    prof = Path(tempfile.mkdtemp(prefix="antrian-bench-profiles-")) if args.profile else None
    if prof is not None:
        log(f"py-spy profiles go to {prof}")

    result: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "machine": machine(),
        "loadavg_start": os.getloadavg(),
        "fd_limit": fds,
    }
    log(f"mode {result['mode']}, load average at start {result['loadavg_start']}")
    gateway = Gateway(free_port())
    await gateway.start()
    tmp = Path(tempfile.mkdtemp(prefix="antrian-bench-"))
    from services.display.settings import DisplaySettings

    display_wait = DisplaySettings().kafka_fetch_max_wait_ms  # what the display will use
    plan = Plan(mode, args.only, prof, display_wait)
    env = {
        "SMS_PROVIDER": "webhook",
        "SMS_WEBHOOK_URL": gateway.url,
        "SITES_DIR": str(tmp / "sites"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    generate(tmp / "sites", 1)  # the demo sites + bench-001, the raw ceiling's site
    try:
        log("starting the system (make run) …")
        async with start_system(tmp / "data", env) as system:
            await measure_one_site(system, gateway, plan, result)
        RESULTS.mkdir(exist_ok=True)  # what we have so far, should the many-sites part not end
        (RESULTS / "bench-partial.json").write_text(json.dumps(result, indent=2, default=str))
        if mode.sites and plan.wants("sites"):
            result["many_sites"] = await measure_many_sites(
                tmp, env, gateway, plan, args.morning_rate, result
            )
    finally:
        await gateway.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    result["loadavg_end"] = os.getloadavg()
    return result


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds per figure")
    parser.add_argument("--sites", type=int, default=None, help="generated sites (0: skip)")
    parser.add_argument(
        "--only",
        action="append",
        choices=("issuance", "board", "fanout", "notifier", "sites"),
        help="run only this part (repeatable; partial runs print what they measured)",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy every service per part")
    parser.add_argument(
        "--morning-rate",
        type=float,
        default=None,
        help="tickets/s of the many-sites morning (default: half the measured saturation)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    import logging

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # Tansu's admin answers are noisy
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    result = asyncio.run(run(args))
    if args.only:
        print(
            json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2, default=str)
        )
        return
    result["rows"] = build_rows(result)
    result["targets"] = [{"target": t, "met": met, "value": v} for t, met, v in targets(result)]
    print_report(result)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = RESULTS / f"bench-{result['mode']}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nwritten {path}")


if __name__ == "__main__":
    main()
