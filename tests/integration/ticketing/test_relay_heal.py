"""The outbox is the log of record (services/ticketing/heal.py): a broker that comes back
without what it acknowledged — the embedded Tansu restarted with empty memory — gets today's
events again, in their commit order, with their original event_ids and bytes; a broker that
kept its log never does."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import httpx
import orjson
from prometheus_client import REGISTRY

from scripts.embedded_infra import BrokerWatch, create_topics
from services.ticketing.app import create_app
from shared.embedded import EmbeddedBroker, free_port
from shared.kafka import ensure_topics
from tests.integration.ticketing.conftest import issue, settings_for
from tests.integration.ticketing.test_outbox_relay import consume_until, wait_healthy

SITE = "uji"


def counted(name: str) -> float:
    """A ticketing counter's value in the process's default registry (0 before its first)."""
    return REGISTRY.get_sample_value(name, {"service": "ticketing"}) or 0.0


async def all_published(database_url: str, timeout: float = 15.0) -> list[str]:
    """The outbox's event ids in commit order, once the relay published every row."""
    conn = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + timeout
        while await conn.fetchval(
            "SELECT count(*) FROM ticketing.outbox WHERE published_at IS NULL"
        ):
            assert time.monotonic() < deadline, "the relay never published the outbox"
            await asyncio.sleep(0.1)
        rows = await conn.fetch(
            "SELECT event_id, payload FROM ticketing.outbox WHERE site_id = $1 ORDER BY id", SITE
        )
    finally:
        await conn.close()
    return [str(r["event_id"]) for r in rows]


def ids_of(records: list[object]) -> list[str]:
    """The site's event ids in the order they first appear: what a consumer that drops
    duplicates by event_id sees (aiokafka may resend a batch it held when the broker went
    away, so a new log can hold a record twice)."""
    out: dict[str, None] = {}
    for r in records:
        data = orjson.loads(r.value)  # type: ignore[attr-defined]
        if data.get("site_id") == SITE:
            out.setdefault(data["event_id"], None)
    return list(out)


async def test_a_broker_that_lost_its_log_gets_todays_events_again(
    ticketing_db: str, sites_dir: Path, tmp_path: Path
) -> None:
    broker = EmbeddedBroker(free_port(), log_path=tmp_path / "tansu.log").start()
    bootstrap = broker.bootstrap_servers
    await ensure_topics(bootstrap)
    settings = settings_for(ticketing_db, bootstrap, sites_dir, relay_log_check_s=0.3)
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            await wait_healthy(api)
            for _ in range(4):
                await issue(api, SITE, "kk")
            recorded = await all_published(ticketing_db)
            assert len(recorded) == 4
            # a broker that keeps its log is never healed: 10 checks or more, no false alarm
            await asyncio.sleep(3.5)
            relay = app.state.relay
            assert relay.marks.heals == 0 and relay.marks.marks
            heals, republished = (
                counted("mpp_outbox_heals_total"),
                counted("mpp_outbox_events_republished_total"),
            )
            # the embedded broker's crash or nightly rotation: same port, empty topics
            lost_at = time.monotonic()
            await asyncio.to_thread(
                BrokerWatch(broker, lambda: create_topics(bootstrap, 3)).restart
            )
            again = await consume_until(bootstrap, lambda rs: len(ids_of(rs)) >= 4, timeout=30)
            healed_in = time.monotonic() - lost_at
            # commit order per site (one partition: the site id is the key), same event ids
            assert ids_of(again) == recorded
            assert relay.marks.heals == 1
            assert counted("mpp_outbox_heals_total") == heals + 1
            assert counted("mpp_outbox_events_republished_total") >= republished + 4
            print(f"broker restart → today's events published again in {healed_in:.2f} s")
            # and the day goes on: a new ticket is published once, after them
            await issue(api, SITE, "kk")
            after = await all_published(ticketing_db)
            more = await consume_until(bootstrap, lambda rs: len(ids_of(rs)) >= 5, timeout=15)
            assert ids_of(more) == after
            await asyncio.sleep(1.0)
            assert relay.marks.heals == 1
    finally:
        broker.stop()


async def test_a_relay_that_starts_on_an_empty_broker_publishes_today_again(
    ticketing_db: str, sites_dir: Path, tmp_path: Path
) -> None:
    """`make run` started again (the embedded broker is new and empty) or ticketing back
    after the broker crashed while it was down: nothing was acknowledged to this relay, and
    every event topic is empty, so today's events go out again before anything new."""
    broker = EmbeddedBroker(free_port(), log_path=tmp_path / "tansu.log").start()
    bootstrap = broker.bootstrap_servers
    await ensure_topics(bootstrap)
    settings = settings_for(ticketing_db, bootstrap, sites_dir, relay_log_check_s=0.3)
    try:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            await wait_healthy(api)
            for _ in range(3):
                await issue(api, SITE, "kk")
            recorded = await all_published(ticketing_db)
        await asyncio.to_thread(BrokerWatch(broker, lambda: create_topics(bootstrap, 3)).restart)
        again = create_app(settings)
        async with again.router.lifespan_context(again):
            records = await consume_until(bootstrap, lambda rs: len(ids_of(rs)) >= 3, timeout=30)
            assert ids_of(records) == recorded
            assert again.state.relay.marks.heals == 1
    finally:
        broker.stop()
