"""Figure 3, fan-out: 100 / 1,000 / 5,000 board SSE clients on one display; per client,
call sent → ticket-called received; ceiling: a bare asyncio server (bench.bare_fanout)
writing one frame to as many sockets, read by the same clients."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.client import HttpPool, SseClient
from bench.measure import SITE, cpu_s, log, operator_tokens, services_of, summary_ms, wait_until
from bench.system import RunningSystem
from shared.embedded import free_port

CALLED = b"event: ticket-called\n"


async def connect_clients(base: str, path: str, n: int) -> list[SseClient]:
    clients = [SseClient(base, path) for _ in range(n)]
    for i in range(0, n, 200):
        batch = clients[i : i + 200]
        await asyncio.gather(*(c.connect() for c in batch))
        await asyncio.wait_for(asyncio.gather(*(c.snapshot.wait() for c in batch)), 60)
    return clients


async def measure_fanout(
    clients: list[SseClient], trigger: Callable[[], Awaitable[None]], rounds: int
) -> list[float]:
    delays: list[float] = []
    for _ in range(rounds):
        for c in clients:
            c.seen.clear()
            c.watched = {CALLED}
        t0 = time.perf_counter()
        await trigger()
        await wait_until(lambda: all(CALLED in c.seen for c in clients), 10, 0.01)
        delays += [c.seen[CALLED] - t0 for c in clients if CALLED in c.seen]
        delays += [float("inf")] * sum(CALLED not in c.seen for c in clients)
        await asyncio.sleep(0.5)
    return delays


async def fanout_of(
    system: RunningSystem, n: int, call: Callable[[], Awaitable[None]], rounds: int
) -> dict[str, Any]:
    """`n` board clients on the display, then the same on the bare server."""
    clients = await connect_clients(system.display, f"/api/sites/{SITE}/board/stream", n)
    cpu0 = cpu_s(system.pids["display"])
    delays = await measure_fanout(clients, call, rounds)
    # less sensitive to a busy machine than latency: the display's CPU per delivery
    # (rounds include 0.5 s idle each and the call's other events)
    cpu_us = (cpu_s(system.pids["display"]) - cpu0) / (rounds * n) * 1e6
    await asyncio.gather(*(c.close() for c in clients))
    # the ceiling in a child process (as the display is one): same clients, same frame
    bare = await bare_fanout_ceiling(n, rounds)
    figure = {
        "clients": n,
        "display": summary_ms(delays),
        "display_cpu_us_per_client_per_call": cpu_us,
        "bare_asyncio": bare,
        "dropped_or_late": sum(d == float("inf") for d in delays),
    }
    log(f"fan-out {n}: display {figure['display']} bare {bare} cpu/client {cpu_us:.0f} µs")
    return figure


async def bench_fanout(system: RunningSystem, sizes: list[int], rounds: int) -> dict[str, Any]:
    api = HttpPool(system.ticketing)
    site = await services_of(api, SITE)
    cid = site["counters"][0]["id"]
    token = (await operator_tokens(api, system, [cid]))[cid]
    for _ in range(rounds * len(sizes) + 4):
        await api.request(
            "POST",
            f"/api/sites/{SITE}/tickets",
            {"service_id": site["counters"][0]["service_ids"][0]},
        )

    async def call() -> None:
        status, _ = await api.request(
            "POST",
            f"/api/sites/{SITE}/counters/{cid}/call-next",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert status == 200, status

    out: dict[str, Any] = {}
    for n in sizes:
        out[str(n)] = await fanout_of(system, n, call, rounds)
        await asyncio.sleep(1.0)
    await api.close()
    return out


async def bare_fanout_ceiling(n: int, rounds: int) -> dict[str, float]:
    """Run BareFanout in a child process (so it has its own core, as the display does)
    and measure it with the same clients."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.bare_fanout",
        str(port),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    await proc.stdout.readline()  # "ready"
    clients = await connect_clients(f"http://127.0.0.1:{port}", "/", n)

    async def fire() -> None:
        assert proc.stdin is not None
        proc.stdin.write(b"fire\n")
        await proc.stdin.drain()

    delays = await measure_fanout(clients, fire, rounds)
    await asyncio.gather(*(c.close() for c in clients))
    proc.stdin.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(proc.wait(), 5)
    if proc.returncode is None:
        proc.kill()
    return summary_ms(delays)
