"""SMS pumping: one phone gets at most `messages.issued_per_phone_per_day` `issued` SMS per
site per site-local day (CONTRACT.md "Cost and abuse limits"). Its further tickets are
followed as usual; only their `issued` SMS is recorded as skipped, with the reason."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from services.notifier.app import MIGRATIONS
from services.notifier.notifications import handle_event
from services.notifier.repository import SCHEMA
from services.notifier.site_rules import SiteRules
from shared.database import apply_migrations, connect, create_pool
from shared.events import TicketIssued
from tests.integration.notifier.conftest import (
    SITE,
    Gateway,
    Site,
    Ticketing,
    new_phone,
    notifier_settings,
    publish,
    running,
)


def skipped_total() -> float:
    value = REGISTRY.get_sample_value(
        "mpp_sms_skipped_total", {"kind": "issued", "reason": "issued_cap"}
    )
    return value or 0.0


async def test_the_sixth_ticket_of_a_phone_gets_no_issued_sms_but_is_followed(
    kafka_topics: str,
    database_url: str,
    gateway: Gateway,
    producer: AIOKafkaProducer,
    sites_dir: Path,
    supervisor: dict[str, str],
    ticketing: Ticketing,
) -> None:
    site = Site(id=SITE)  # uji: no sandbox, the default cap of 5
    phone, other = new_phone(), new_phone()
    settings = notifier_settings(
        kafka_topics,
        database_url,
        gateway.url,
        sites_dir=sites_dir,
        ticketing_url=ticketing.url,
    )
    before = skipped_total()
    async with running(settings, headers=supervisor) as (_app, client):
        tickets = [site.issued(phone, waiting_ahead=i) for i in range(7)]
        for ticket in tickets:
            await publish(producer, ticket)
        await publish(producer, site.issued(other))  # another phone is not held back
        await gateway.wait_for(lambda: bool(gateway.to(other)), what="the other phone's SMS")
        await publish(producer, site.called(tickets[6]))  # the 7th is followed as usual
        await gateway.wait_for(lambda: len(gateway.to(phone)) == 6, what="5 issued + called")
        await asyncio.sleep(1.0)  # nothing else arrives
        assert [m["kind"] for m in gateway.to(phone)] == ["issued"] * 5 + ["called"]
        assert {m["event_id"] for m in gateway.to(phone)[:5]} == {
            str(t.event_id) for t in tickets[:5]
        }
        assert skipped_total() - before == 2

        listed = await client.get("/api/messages", params={"ticket_id": str(tickets[5].ticket_id)})
        [issued] = listed.json()["messages"]
        assert issued["kind"] == "issued" and issued["status"] == "skipped"
        assert "5 SMS" in issued["skipped_reason"]
        stats = (await client.get("/api/stats")).json()
        assert stats["messages"]["skipped"] == 2
        assert stats["by_kind"]["issued"] == {"sent": 6, "skipped": 2}


def at_local(zone: str, day: datetime, hour: int, minute: int) -> datetime:
    return datetime.combine(day.date(), time(hour, minute), ZoneInfo(zone))


@pytest.mark.parametrize(
    ("site_id", "zone"),
    [("lahat", "Asia/Jakarta"), ("tabanan", "Asia/Makassar"), ("uji", "Asia/Jayapura")],
)
async def test_the_cap_is_counted_by_the_sites_own_day(
    database_url: str, sites_dir: Path, site_id: str, zone: str
) -> None:
    """At 23:30 local the day is the site's, not UTC's (WIB/WITA/WIT are 7/8/9 hours ahead:
    the UTC date is the same at 23:30 local and the day before at 00:30 local)."""
    conn = await connect(database_url)
    await apply_migrations(conn, SCHEMA, MIGRATIONS)
    rules = SiteRules(sites_dir, "development")
    assert str(rules.cap_of(site_id).zone) == zone
    site, phone = Site(id=site_id), new_phone()
    evening = datetime(2026, 3, 10)

    async def issue(at: datetime) -> int:
        event = site.issued(phone).model_copy(update={"occurred_at": at})
        handled = await handle_event(conn, event, "http://mpp.test", cap_of=rules.cap_of)
        assert handled is not None
        return handled.queued

    try:
        late = [await issue(at_local(zone, evening, 23, 30)) for _ in range(5)]
        assert late == [1] * 5
        assert await issue(at_local(zone, evening, 23, 59)) == 0  # 6th of 10 March
        next_day = evening + timedelta(days=1)
        assert await issue(at_local(zone, next_day, 0, 30)) == 1  # 11 March: a new day
        # the UTC date of 00:30 local is still 10 March: counting by it would refuse this
        assert at_local(zone, next_day, 0, 30).astimezone(ZoneInfo("UTC")).day == 10
    finally:
        await conn.close()


async def test_the_cap_holds_under_concurrency_and_across_restarts(
    database_url: str, sites_dir: Path
) -> None:
    """Twenty ticket-issued events of one phone handled at once, on twenty connections (as
    replicas would), then more after a "restart" (a new pool): five SMS in all."""
    conn = await connect(database_url)
    try:
        await apply_migrations(conn, SCHEMA, MIGRATIONS)
    finally:
        await conn.close()
    rules = SiteRules(sites_dir, "development")
    site, phone = Site(id=SITE), new_phone()

    async def handle_all(events: list[TicketIssued]) -> int:
        pool = await create_pool(database_url, max_size=len(events))
        try:

            async def one(event: TicketIssued) -> int:
                async with pool.acquire() as c:
                    handled = await handle_event(c, event, "http://mpp.test", cap_of=rules.cap_of)
                assert handled is not None
                return handled.queued

            return sum(await asyncio.gather(*(one(e) for e in events)))
        finally:
            await pool.close()

    assert await handle_all([site.issued(phone) for _ in range(3)]) == 3
    assert await handle_all([site.issued(phone) for _ in range(20)]) == 2  # restarted
    conn = await connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT status, count(*) AS n FROM notifier.messages GROUP BY status"
        )
    finally:
        await conn.close()
    assert {r["status"]: r["n"] for r in rows} == {"pending": 5, "skipped": 18}
