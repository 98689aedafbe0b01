"""The notifier process: FastAPI app whose lifespan runs the database pool, the Kafka
consumer (FastStream, same event loop) and the sender of messages (WhatsApp, Fonnte, SMS),
and serves the channels' webhooks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from fastapi import FastAPI

from services.notifier import offsets
from services.notifier.api import health, messages, webhooks
from services.notifier.api.access import StaffOnly
from services.notifier.channels import Channel
from services.notifier.channels.setup import build_channels
from services.notifier.consumer import Notifications, seek_to_stored, subscribe
from services.notifier.metrics import CountingProvider
from services.notifier.providers import new_provider
from services.notifier.replies import Replies, TicketingCalls
from services.notifier.repository import SCHEMA
from services.notifier.sender import Sender
from services.notifier.settings import NotifierSettings
from services.notifier.site_rules import SiteRules
from services.notifier.staff import StaffDirectory
from shared import api_docs
from shared.consuming import Consumption
from shared.database import apply_migrations, create_pool, wait_for_database
from shared.http import RefuseBadText
from shared.kafka import connect_kafka, finish_task, new_broker
from shared.observability import instrument

log = logging.getLogger("notifier")

MIGRATIONS = Path(__file__).parent / "migrations"


def _sender(
    app: FastAPI, settings: NotifierSettings, pool: asyncpg.Pool
) -> tuple[dict[str, Channel], Sender]:
    """The message channels (the SMS provider counted) and the sender that uses them."""
    provider = CountingProvider(
        new_provider(settings.sms_provider, settings.sms_webhook_url, settings.sms_timeout_s),
        settings.sms_provider,
    )
    channels = build_channels(settings, provider)
    site_rules = app.state.notifications.site_rules
    sender = Sender(
        pool,
        channels,
        settings,
        lambda site_id: site_rules.channels_of(site_id, settings.channels),
    )
    app.state.sender = sender
    return channels, sender


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        await wait_for_database(settings.database_url, "notifier")
        pool = await create_pool(settings.database_url, max_size=max(4, settings.sms_concurrency))
        async with pool.acquire() as conn:
            await apply_migrations(conn, SCHEMA, MIGRATIONS)
            # read before the consumers start: what they read before the seek is older
            nexts = await offsets.stored(conn)
        app.state.pool = pool
        app.state.notifications.pool = pool
        app.state.replies.pool = pool
        channels, sender = _sender(app, settings, pool)
        sender_task = asyncio.create_task(sender.run(stop), name="notifier-sender")
        kafka_task = asyncio.create_task(
            connect_kafka(
                app.state.broker,
                "notifier",
                stop,
                settings,
                logger=log,
                consumes=True,
                on_started=lambda: seek_to_stored(app.state.broker, nexts),
            ),
            name="notifier-kafka",
        )
        log.info(
            "notifier up: channels %s, SMS provider %s, partitions %s (replica %d of %d)",
            ",".join(settings.channels),
            settings.sms_provider,
            ",".join(map(str, settings.assigned_partitions())),
            settings.notifier_replica,
            settings.notifier_replicas,
        )
        try:
            yield
        finally:
            stop.set()
            await finish_task(kafka_task)  # a Kafka still unreachable must not hold up a stop
            await app.state.broker.stop()  # waits for the handler in progress (graceful)
            await asyncio.gather(sender_task, return_exceptions=True)
            for channel in channels.values():
                await channel.close()  # the sms channel closes the SMS provider
            await ticketing_calls.close()
            await staff.close()
            await pool.close()

    app = FastAPI(title="Antrian MPP notifier", lifespan=lifespan, **api_docs.NO_BUILTIN_DOCS)
    app.state.settings = settings
    app.state.pool = None
    app.state.notifications = Notifications(
        settings, SiteRules(settings.sites_dir, settings.environment)
    )
    ticketing_calls = TicketingCalls(settings.ticketing_url, settings.token_secret)
    app.state.replies = Replies(ticketing_calls, app.state.notifications.site_rules)
    staff = StaffDirectory(settings.ticketing_url)
    app.state.staff = staff
    app.state.broker = new_broker(settings, "notifier")
    app.state.consumption = Consumption("notifier", app.state.broker, rewind_failed=True)
    app.state.consumption.install()
    subscribe(app.state.broker, app.state.notifications)
    app.include_router(health.router)
    app.include_router(messages.router)
    app.include_router(webhooks.router)
    api_docs.install(app, settings)
    app.add_middleware(StaffOnly, directory=staff)  # inside instrument's: refusals are measured
    app.add_middleware(RefuseBadText)  # outside the staff check: bad text is a 422 for anyone
    instrument(app, app.state.broker, "notifier", settings)
    return app
