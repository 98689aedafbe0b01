"""Twenty counters pressing "call next" at the same moment never get the same ticket."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg
import httpx
import pytest

from services.ticketing.settings import TicketingSettings
from tests.integration.ticketing.conftest import Login, issue

SITE = "uji"
COUNTERS = [f"uji-loket-{i:02d}" for i in range(1, 21)]


@pytest.fixture
def ticketing_settings(ticketing_settings: TicketingSettings) -> TicketingSettings:
    # one connection per counter, so the calls really run in parallel in PostgreSQL
    return ticketing_settings.model_copy(update={"database_pool_size": 24})


async def test_twenty_counters_calling_at_once_get_distinct_tickets(
    api: httpx.AsyncClient, login: Login, ticketing_settings: TicketingSettings
) -> None:
    issued = [await issue(api, SITE, "ktp-el" if i % 3 else "kk") for i in range(50)]
    auth = {c: await login(c) for c in COUNTERS}

    async def call(counter: str) -> httpx.Response:
        return await api.post(
            f"/api/sites/{SITE}/counters/{counter}/call-next", headers=auth[counter]
        )

    called: list[str] = []
    for _round in range(3):  # 60 calls for 50 tickets: the last round partly finds nobody
        responses = await asyncio.gather(*(call(c) for c in COUNTERS))
        assert {r.status_code for r in responses} <= {200, 204}
        called += [r.json()["id"] for r in responses if r.status_code == 200]
    assert len(called) == 50
    assert Counter(called).most_common(1)[0][1] == 1, "a ticket was called twice"
    assert set(called) == {t["id"] for t in issued}

    conn = await asyncpg.connect(ticketing_settings.database_url)
    try:
        # every called ticket produced exactly one ticket-called event in the outbox
        calls = await conn.fetch(
            """SELECT payload::jsonb->>'ticket_id' AS ticket_id FROM ticketing.outbox
                WHERE topic = 'ticket-called'"""
        )
        assert sorted(r["ticket_id"] for r in calls) == sorted(called)
        # and at most one ticket is open per counter
        open_per_counter = await conn.fetchval(
            """SELECT max(n) FROM (SELECT count(*) AS n FROM ticketing.tickets
                WHERE status = 'called' GROUP BY counter_id) c"""
        )
        assert open_per_counter == 1
    finally:
        await conn.close()
