"""A restarted display serves complete boards within 5 s of its spawn, with a full day's
log behind it (issue 15).

The broker holds a busy day of the three configured sites (2,000 tickets each: issued,
called, recalled, completed; ~16,000 events, each its own one-record batch, as the relay
publishes live events: tests/chaos/day_log.py). The display is started as a process
(`python -m services.display`), then killed with SIGKILL and started again, three times
in all; each time, from the spawn until the board JSON of every site (GET
/api/sites/<site>/board) equals what the day left: each counter's ticket, the last ten
calls, the waiting counts and the last sequence. Then a live recall reaches the board
within a second: the subscriber took over where the start-up read left the log.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from shared.events import TicketCalled
from shared.sites import load_sites
from tests.chaos.cluster import LONG, Cluster, say
from tests.chaos.conftest import MakeCluster
from tests.chaos.day_log import SiteDay, publish_day, simulate, view

TICKETS_PER_SITE = 2000
STARTS = 5 if LONG else 3
BUDGET_S = 5.0
LIVE_BUDGET_S = 1.0


async def boards_complete(cluster: Cluster, days: list[SiteDay], timeout: float = 60) -> float:
    """When (time.monotonic) every site's board first equalled its day's truth."""
    pending = {d.config.site.id: d.truth() for d in days}
    last: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=cluster.url("display"), timeout=2) as client:
        while time.monotonic() < deadline:
            for site_id, truth in list(pending.items()):
                try:
                    r = await client.get(f"/api/sites/{site_id}/board")
                except httpx.HTTPError:
                    continue  # not listening yet
                if r.status_code == 200:
                    last[site_id] = view(r.json())
                    if last[site_id] == truth:
                        del pending[site_id]
            if not pending:
                return time.monotonic()
            await asyncio.sleep(0.02)
    raise AssertionError(
        f"boards of {sorted(pending)} never complete; last seen {last}\n"
        f"{cluster.log_tail('display')}"
    )


async def recall_live(cluster: Cluster, day: SiteDay) -> float:
    """Recall the site's last call, as a live event; seconds until the board shows it."""
    last_call = next(e for e in reversed(day.events) if isinstance(e, TicketCalled))
    recall = last_call.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "occurred_at": datetime.now(UTC),
            "sequence": (day.events[-1].sequence or 0) + 1,
            "call_count": last_call.call_count + 1,
            "waiting": {},  # a call without counts leaves them as they are
        }
    )
    day.events.append(recall)
    day.calls.append(str(recall.event_id))
    producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        sent = time.monotonic()
        await producer.send_and_wait(recall.topic, recall.to_json(), key=recall.site_id.encode())
    finally:
        await producer.stop()
    return await boards_complete(cluster, [day], timeout=10) - sent


async def test_a_restarted_display_serves_a_full_days_boards_within_5s(
    make_cluster: MakeCluster,
) -> None:
    cluster = await make_cluster(services=())
    now = datetime.now(UTC)
    days = [simulate(s.config, TICKETS_PER_SITE, now) for s in load_sites().values()]
    filled = time.monotonic()
    events = await publish_day(cluster.bootstrap, days)
    say(f"broker filled: {events} events of {len(days)} sites in {time.monotonic() - filled:.1f} s")

    rebuilds: list[float] = []
    for start in range(STARTS):
        if start:
            await cluster.kill("display", signal.SIGKILL)
        spawned = time.monotonic()
        cluster.spawn("display")
        rebuilds.append(await boards_complete(cluster, days) - spawned)
        say(
            f"start {start + 1} ({'kill -9, ' if start else ''}spawn → every board complete): "
            f"{rebuilds[-1]:.2f} s"
        )
    await cluster.healthy("display")
    live = await recall_live(cluster, days[0])
    say(f"a live recall after the rebuild: on the board in {live * 1000:.0f} ms")

    assert max(rebuilds) < BUDGET_S, rebuilds
    assert live < LIVE_BUDGET_S
