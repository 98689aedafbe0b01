"""The soak: ~10 tickets/s with 30 operators calling, random faults injected from the
list, then a full reconciliation of database, topics, boards and sent SMS.

60 s in `make test`, 30 minutes in `make chaos` (CHAOS_SOAK_S overrides either).

Operators: the demo site has 16 counters, so the 30 calling operators share them (two
consoles on most counters, which call-next's counter lock must serialise).
Faults drawn at random: kill -9 of ticketing, notifier or display (restarted at once),
SIGTERM of the notifier, a second notifier joining and leaving the group (rebalance),
and the SMS gateway answering 500 or slowly for a while. Not drawn: a broker restart,
because the embedded broker loses its memory and with it events already acknowledged
but not yet consumed (test_infra_faults covers it separately, after consumers caught up).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.chaos.cluster import (
    LONG,
    Load,
    reconcile,
    say,
    site_counters,
    wait_quiet,
)
from tests.chaos.conftest import MakeCluster

SOAK_S = float(os.environ.get("CHAOS_SOAK_S", 1800 if LONG else 60))
FAULTS = (
    "kill ticketing",
    "kill notifier",
    "kill display",
    "sigterm notifier",
    "rebalance",
    "gateway 500",
    "gateway slow",
)
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(int(SOAK_S) + 600)]


async def test_soak_with_random_faults(make_cluster: MakeCluster) -> None:
    cluster = await make_cluster(
        SMS_LEASE_S="5", SMS_BACKOFF_BASE_S="0.5", SMS_BACKOFF_MAX_S="5", SMS_MAX_ATTEMPTS="12"
    )
    ticketing, display = cluster.url("ticketing"), cluster.url("display")
    counters = await site_counters(ticketing)
    load = Load([ticketing], counters, kiosks=11, callers=30, issue_every_s=1.0, call_every_s=2.0)
    gateway_mode = {"mode": "ok"}

    async def behaviour(_sms: dict[str, Any]) -> int:
        if gateway_mode["mode"] == "500" and random.random() < 0.7:
            return 500
        if gateway_mode["mode"] == "slow":
            await asyncio.sleep(random.uniform(0.2, 1.5))
        return 200

    cluster.gateway.behaviour = behaviour
    faults: Counter[str] = Counter()
    max_lag = 0.0
    stop = asyncio.Event()

    async def watch_lag() -> None:
        nonlocal max_lag
        async with httpx.AsyncClient(timeout=5) as client:
            while not stop.is_set():
                try:
                    body = (await client.get(f"{ticketing}/health")).json()
                    max_lag = max(max_lag, body.get("outbox", {}).get("oldest_pending_s", 0.0))
                except (httpx.HTTPError, ValueError):
                    pass
                await asyncio.sleep(0.5)

    async def inject() -> None:
        name = random.choice(FAULTS)
        faults[name] += 1
        say(f"{time.strftime('%X')} fault: {name}")
        if name.startswith("kill "):
            victim = name.split()[1]
            await cluster.kill(victim)
            await cluster.restart(victim)
        elif name == "sigterm notifier":
            await cluster.kill("notifier", signal.SIGTERM)
            await cluster.restart("notifier")
        elif name == "rebalance":
            await cluster.start("notifier-2")
            await asyncio.sleep(random.uniform(2, 6))
            await cluster.kill("notifier-2", signal.SIGTERM)
        else:
            gateway_mode["mode"] = name.split()[1]
            await asyncio.sleep(random.uniform(3, 8))
            gateway_mode["mode"] = "ok"

    started = time.monotonic()
    lag = asyncio.create_task(watch_lag())
    running = asyncio.create_task(load.run(stop))
    while time.monotonic() - started < SOAK_S:
        await asyncio.sleep(random.uniform(3, 10))
        if time.monotonic() - started < SOAK_S - 5:
            await inject()
    stop.set()
    await running
    await lag
    took = time.monotonic() - started
    # The table is printed even when the system does not settle: the figures of an
    # unsettled end state (then partly a snapshot in flight) say more than no figures.
    unsettled: AssertionError | None = None
    try:
        await wait_quiet(cluster, [display], timeout=300)
    except AssertionError as exc:
        unsettled = exc
    result = await reconcile(cluster, load, [display])
    operations = len(load.issued) + len(load.calls)
    table = {
        "operations (201 tickets + 200 calls)": operations,
        "faults injected": sum(faults.values()),
        "tickets lost": result.figures["tickets lost"],
        "double calls": result.figures["double calls"],
        "duplicate SMS": result.figures["duplicate SMS"],
        "SMS lost": result.figures["SMS lost"],
        "board mismatches": result.figures["board mismatches"],
        "max outbox lag (s)": round(max_lag, 2),
        "settled": "yes" if unsettled is None else f"NO: {unsettled}",
    }
    width = max(map(len, table))
    say(
        f"SOAK {took:.0f}s, {len(load.issued) / took:.1f} tickets/s, 30 operators on "
        f"{len(counters)} counters; faults {dict(faults)}\n"
        + "\n".join(f"  {k:<{width}}  {v}" for k, v in table.items())
    )
    say(result.table("soak: full reconciliation"))
    if unsettled is not None:
        raise unsettled
    assert sum(faults.values()) > 0
    assert result.problems == []
    for figure in ("tickets lost", "double calls", "duplicate SMS", "SMS lost"):
        assert table[figure] == 0, figure
    assert table["board mismatches"] == 0
