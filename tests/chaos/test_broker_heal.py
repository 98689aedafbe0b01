"""The outbox is the log of record (services/ticketing/heal.py): the broker comes back
empty (memory storage), then the display is killed and rebuilds its board by reading the
topics — the relay's heal put today's events back, so the board's recent calls are whole."""

from __future__ import annotations

import signal
import time

import pytest

from shared import topics
from tests.chaos.cluster import (
    LONG,
    Load,
    board,
    database_view,
    eventually,
    read_topic,
    run_load_for,
    say,
    site_counters,
    wait_quiet,
)
from tests.chaos.conftest import MakeCluster

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900 if LONG else 300)]


async def test_broker_lost_its_log_then_display_killed_board_comes_back_whole(
    make_cluster: MakeCluster,
) -> None:
    cluster = await make_cluster(RELAY_LOG_CHECK_S="1")
    counters = (await site_counters(cluster.url("ticketing")))[:4]
    load = Load([cluster.url("ticketing")], counters, kiosks=3, callers=3, issue_every_s=0.5)
    await run_load_for(load, 8)
    display = cluster.url("display")
    await wait_quiet(cluster, [display])
    before = await board(display)
    recent = [c["event_id"] for c in before["recent_calls"]]
    assert recent, "no calls on the board before the broker restart"
    view = await database_view(cluster.database_url)
    called = [e["event_id"] for e in view["outbox"] if e["topic"] == topics.TICKET_CALLED]

    cluster.stop_broker()
    lost_at = time.monotonic()
    await cluster.restart_broker()

    async def healed() -> bool:
        records = await read_topic(cluster.bootstrap, topics.TICKET_CALLED)
        return set(called) <= {r.event()["event_id"] for r in records}

    await eventually(healed, 60, "today's ticket-called events published again")
    healed_in = time.monotonic() - lost_at
    say(f"broker restart → {len(called)} ticket-called events published again in {healed_in:.1f} s")

    await cluster.kill("display", signal.SIGKILL)
    await cluster.restart("display")

    async def whole() -> bool:
        b = await board(display)
        return [c["event_id"] for c in b["recent_calls"]] == recent

    await eventually(whole, 60, "the rebuilt board's recent calls equal the ones before")
    assert "outbox relay: the broker lost events" in cluster.log_tail("ticketing", 400)
