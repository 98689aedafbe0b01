"""What every bench figure is measured with: open-loop load, percentiles, waiting for what
the bench only observes, and the few API calls every phase needs first."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.client import HttpPool
from bench.system import RunningSystem

SITE = "balangan"
WALL = time.time() - time.perf_counter()  # perf_counter → wall clock (events carry wall time)


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary_ms(values_s: list[float]) -> dict[str, float]:
    return {
        "n": len(values_s),
        "p50_ms": pct(values_s, 50) * 1000,
        "p99_ms": pct(values_s, 99) * 1000,
        "max_ms": (max(values_s) * 1000) if values_s else float("nan"),
    }


def raise_fd_limit() -> int:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 1 << 20
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def open_loop(
    rate: float, seconds: float, send: Callable[[int, float], Coroutine[Any, Any, None]]
) -> None:
    """Start `send(i, intended_time)` at fixed times, never waiting for earlier ones."""
    n = max(1, int(rate * seconds))
    start = time.perf_counter() + 0.05
    tasks: list[asyncio.Task[None]] = []
    for i in range(n):
        at = start + i / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(i, at)))
    failures = [r for r in await asyncio.gather(*tasks, return_exceptions=True) if r is not None]
    if failures:
        log(f"{len(failures)} of {n} requests failed, first: {failures[0]!r}")


async def wait_until(done: Callable[[], bool], timeout_s: float, poll_s: float) -> None:
    """Until `done()` or `timeout_s` passed, checking every `poll_s`."""
    deadline = time.monotonic() + timeout_s
    # ASYNC110: polling is how the bench waits for events it only observes (SSE, the gateway)
    while time.monotonic() < deadline and not done():  # noqa: ASYNC110
        await asyncio.sleep(poll_s)


def epoch(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def services_of(api: HttpPool, site: str) -> dict[str, Any]:
    status, body = await api.json("GET", f"/api/sites/{site}")
    assert status == 200, (status, body)
    return dict(body)


async def operator_tokens(
    api: HttpPool, system: RunningSystem, counters: list[str]
) -> dict[str, str]:
    tokens = {}
    for cid in counters:
        status, body = await api.json(
            "POST", "/api/auth/token", form={"username": cid, "password": system.password}
        )
        assert status == 200, (status, body)
        tokens[cid] = body["access_token"]
    return tokens
