"""The ticketing process: FastAPI for the kiosk and operator HTTP API, FastStream's Kafka
broker for publishing, in one event loop. The lifespan migrates the schema, loads the site
files, and runs the outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from services.ticketing.api import (
    auth,
    booking,
    complaints,
    counters,
    errors,
    health,
    kiosks,
    ledger,
    pages,
    reports,
    service_calls,
    sites,
    supervision,
    survey,
    tickets,
)
from services.ticketing.heal import Acks, BrokerLogEnds, LogEnds, LogMarks
from services.ticketing.metrics import counting_published, outbox_hook, waiting_hook
from services.ticketing.relay import OutboxRelay, PendingEvent, Publish
from services.ticketing.settings import TicketingSettings
from services.ticketing.site_loader import load_all_sites
from shared import api_docs, topics
from shared.database import apply_migrations, create_pool, wait_for_database
from shared.http import harden
from shared.kafka import connect_kafka, new_broker
from shared.observability import instrument
from shared.tracecontext import outgoing_event

log = logging.getLogger("ticketing")

MIGRATIONS = Path(__file__).parent / "migrations"
SCHEMA = "ticketing"


def kafka_publish(broker: KafkaBroker) -> Publish:
    """Publish outbox events with the site id as key; wait for every acknowledgement."""
    to_topic = {
        topics.TICKET_ISSUED: broker.publisher(
            topics.TICKET_ISSUED, description="A citizen took a ticket"
        ),
        topics.TICKET_CALLED: broker.publisher(
            topics.TICKET_CALLED, description="A counter called (or recalled) a ticket"
        ),
        topics.SERVICE_COMPLETED: broker.publisher(
            topics.SERVICE_COMPLETED, description="A ticket left its service's queue"
        ),
        topics.SITE_STATUS_CHANGED: broker.publisher(
            topics.SITE_STATUS_CHANGED,
            description="A counter paused or resumed, a service closed or opened, a quota or a "
            "counter's services changed",
        ),
        topics.PHONE_VERIFICATION_REQUESTED: broker.publisher(
            topics.PHONE_VERIFICATION_REQUESTED,
            description="A citizen booking online asked for a one-time SMS code",
        ),
        topics.APPOINTMENT_BOOKED: broker.publisher(
            topics.APPOINTMENT_BOOKED,
            description="A citizen booked an online appointment (its code goes by SMS)",
        ),
    }

    async def publish(events: list[PendingEvent]) -> Acks:
        acks = []
        for e in events:
            with outgoing_event(e.payload, e.traceparent):  # the issuing request's trace
                acks.append(
                    await to_topic[e.topic].publish(
                        e.payload,
                        key=e.site_id.encode(),
                        headers={"content-type": "application/json"},
                        no_confirm=True,
                    )
                )
        firsts: Acks = {}
        for meta in await asyncio.gather(*acks):
            offset = getattr(meta, "offset", None)
            if isinstance(offset, int) and offset >= 0:
                tp = (meta.topic, meta.partition)
                firsts[tp] = min(firsts.get(tp, offset), offset)
        return firsts

    return publish


async def _reload_sites(app: FastAPI, settings: TicketingSettings, stop: asyncio.Event) -> None:
    """Pick up changed or added site files without a restart."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.sites_reload_s)
        if stop.is_set():
            return
        try:
            async with app.state.pool.acquire() as conn:
                await load_all_sites(conn, settings)
        except Exception as exc:
            log.error("site reload failed: %s", exc)


def outbox_relay(
    settings: TicketingSettings, broker: KafkaBroker, log_ends: LogEnds
) -> OutboxRelay:
    """The relay from the outbox to the broker, checking that the broker keeps what it
    acknowledged (services/ticketing/heal.py)."""
    return OutboxRelay(
        settings.database_url,
        counting_published(kafka_publish(broker)),
        poll_s=settings.relay_poll_s,
        batch=settings.relay_batch,
        marks=LogMarks(
            log_ends,
            check_s=settings.relay_log_check_s,
            expected=[
                (topic, p)
                for topic in topics.EVENT_TOPICS
                for p in range(settings.kafka_topic_partitions)
            ],
        ),
        republish=kafka_publish(broker),  # a heal's events are not counted a second time
    )


def create_app(settings: TicketingSettings | None = None) -> FastAPI:
    settings = settings or TicketingSettings()
    broker = new_broker(settings, "ticketing")
    log_ends = BrokerLogEnds(settings.kafka_bootstrap_servers)
    relay = outbox_relay(settings, broker, log_ends)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        await wait_for_database(settings.database_url, "ticketing")
        # requests keep no session state (transaction locks, SET LOCAL): no reset trip
        pool = await create_pool(
            settings.database_url, max_size=settings.database_pool_size, reset_sessions=False
        )
        async with pool.acquire() as conn:
            await apply_migrations(conn, SCHEMA, MIGRATIONS)
            await load_all_sites(conn, settings)
        app.state.pool = pool
        kafka = connect_kafka(broker, "ticketing", stop, settings, logger=log)
        background = [asyncio.create_task(kafka, name="kafka")]
        # the relay publishes once the broker has started; until then it waits in the outbox
        background.append(asyncio.create_task(relay.run(stop), name="outbox-relay"))
        if settings.sites_reload_s > 0:
            background.append(
                asyncio.create_task(_reload_sites(app, settings, stop), name="site-reload")
            )
        log.info("ticketing up on port %d", settings.ticketing_port)
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*background, return_exceptions=True)
            await log_ends.close()
            await broker.stop()
            await pool.close()

    app = FastAPI(
        title="Antrian MPP ticketing",
        description="Kiosk and operator API of the Mal Pelayanan Publik queue",
        lifespan=lifespan,
        **api_docs.NO_BUILTIN_DOCS,
    )
    app.state.settings = settings
    app.state.pool = None
    app.state.broker = broker
    app.state.relay = relay
    errors.install(app)
    errors.document_common_answers(app)
    harden(app, max_body_bytes=settings.max_body_bytes, cors_origins=settings.cors_origins)
    for module in (
        health,
        sites,
        tickets,
        counters,
        auth,
        supervision,
        kiosks,
        booking,
        ledger,
        pages,
        reports,
        survey,
        complaints,
        service_calls,
    ):
        app.include_router(module.router)
    api_docs.install(app, settings)
    metrics = instrument(app, broker, "ticketing", settings)
    metrics.hooks["outbox"] = outbox_hook(app, metrics)
    metrics.hooks["waiting"] = waiting_hook(app, metrics)
    return app
