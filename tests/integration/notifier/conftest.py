"""A real SMS gateway stand-in, a real notifier app (lifespan in-process), the real ticketing
app on a real port (the notifier checks staff tokens with it) and event builders."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import orjson
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from fastapi import FastAPI

from services.notifier import offsets
from services.notifier.app import MIGRATIONS, create_app
from services.notifier.repository import SCHEMA
from services.notifier.settings import NotifierSettings
from services.ticketing.app import create_app as create_ticketing_app
from shared import topics
from shared.database import apply_migrations
from shared.embedded import free_port
from shared.events import (
    AnyEvent,
    Contact,
    PhoneVerificationRequested,
    QueuePosition,
    ServiceCompleted,
    TicketCalled,
    TicketIssued,
)
from tests.integration.notifier import graph_api
from tests.integration.ticketing import conftest as ticketing_fixtures
from tests.integration.ticketing.conftest import DEMO_PASSWORD, settings_for

# ticketing's database (a copy of its template with the test sites loaded), for `ticketing`
sites_dir = ticketing_fixtures.sites_dir
ticketing_template = ticketing_fixtures.ticketing_template
ticketing_db = ticketing_fixtures.ticketing_db


@dataclass
class Gateway:
    """An HTTP server playing the SMS gateway: records every POST, answers as told.

    `script[phone]` is a list of behaviours consumed one per request to that phone:
    an int status, or "hang" (answer nothing for a long time); when empty, 200.
    """

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    script: dict[str, list[int | str]] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def to(self, phone: str) -> list[dict[str, Any]]:
        return [r for r in self.delivered if r["to"] == phone]

    async def wait_for(
        self, predicate: Callable[[], bool], timeout_s: float = 20.0, what: str = ""
    ) -> None:
        await graph_api.wait_until(self.changed, predicate, timeout_s, f"{what}: {self.delivered}")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                body = orjson.loads(await reader.readexactly(length))
                self.requests.append(body)
                steps = self.script.get(body["to"], [])
                step = steps.pop(0) if steps else 200
                if step == "hang":
                    await asyncio.sleep(8)
                    return
                status = int(step)
                if 200 <= status < 300:
                    self.delivered.append(body)
                self.changed.set()
                payload = b'{"ok": true}' if status < 300 else b'{"error": "busy"}'
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # client went away, or the server closes at the end of the test
        finally:
            writer.close()


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    gw = Gateway()
    server = await asyncio.start_server(gw._serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    gw.url = f"http://127.0.0.1:{port}/sms"
    try:
        yield gw
    finally:
        server.close()


@pytest.fixture
async def meta() -> AsyncIterator[graph_api.Provider]:
    """Meta's Cloud API stand-in (tests/integration/notifier/graph_api.py)."""
    provider = graph_api.Provider()
    async with graph_api.serving(graph_api.meta_app(provider), provider, "/v21.0"):
        yield provider


@pytest.fixture
async def fonnte() -> AsyncIterator[graph_api.Provider]:
    """Fonnte's API stand-in."""
    provider = graph_api.Provider()
    async with graph_api.serving(graph_api.fonnte_app(provider), provider, ""):
        yield provider


def whatsapp_overrides(meta: graph_api.Provider, channels: str = "whatsapp,sms") -> dict[str, Any]:
    """notifier_settings(...) overrides: WhatsApp first, through the stand-in."""
    return {
        "message_channels": channels,
        "whatsapp_api_url": meta.url,
        "whatsapp_phone_number_id": graph_api.PHONE_NUMBER_ID,
        "whatsapp_token": graph_api.TOKEN,
        "whatsapp_app_secret": graph_api.APP_SECRET,
        "whatsapp_verify_token": graph_api.VERIFY_TOKEN,
        "whatsapp_timeout_s": 2.0,
    }


_phones = itertools.count(1)


def new_phone() -> str:
    """A unique Indonesian mobile number per call (tests share topics, not phones)."""
    return f"+62812{uuid4().int % 10**4:04d}{next(_phones) % 10**3:03d}"


async def topic_ends(kafka: str) -> dict[tuple[str, int], int]:
    """The end offset of every partition the notifier reads, now."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # metadata
        parts = [
            TopicPartition(t, p)
            for t in (
                *topics.EVENT_TOPICS,
                topics.PHONE_VERIFICATION_REQUESTED,
                topics.APPOINTMENT_BOOKED,
            )
            for p in sorted(consumer.partitions_for_topic(t) or ())
        ]
        ends = await consumer.end_offsets(parts)
    finally:
        await consumer.stop()
    return {(tp.topic, tp.partition): end for tp, end in ends.items()}


async def start_at(database_url: str, nexts: dict[tuple[str, int], int]) -> None:
    """Store `nexts` as where the notifier of `database_url` reads from (its schema is
    migrated first, as the notifier does on start)."""
    conn = await asyncpg.connect(database_url)
    try:
        await apply_migrations(conn, SCHEMA, MIGRATIONS)
        await offsets.start_at(conn, nexts)
    finally:
        await conn.close()


@pytest.fixture(autouse=True)
async def notifier_start(kafka_topics: str, database_url: str) -> dict[tuple[str, int], int]:
    """The topics' end offsets as of the test's start, stored as where the test's notifier
    reads from: it reads what the test publishes, not every event the session's earlier
    tests left on the shared topics (late in `make test` that backlog took the
    log-provider test's notifier more than 30 s)."""
    ends = await topic_ends(kafka_topics)
    await start_at(database_url, ends)
    return ends


def notifier_settings(
    kafka: str, database_url: str, gateway_url: str | None, **overrides: Any
) -> NotifierSettings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": kafka,
        "database_url": database_url,
        "sms_provider": "webhook" if gateway_url else "log",
        "sms_webhook_url": gateway_url or "",
        "sms_timeout_s": 2.0,
        "sms_backoff_base_s": 0.2,
        "sms_backoff_max_s": 1.0,
        "sms_poll_s": 0.5,
        "public_base_url": "http://mpp.test",
    }
    values.update(overrides)
    return NotifierSettings(_env_file=None, **values)


@asynccontextmanager
async def running(
    settings: NotifierSettings, headers: dict[str, str] | None = None
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The notifier app with its lifespan running, and an HTTP client on it (sending
    `headers`, e.g. a supervisor's Authorization, with every request)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://notifier", headers=headers
        ) as client:
            deadline = asyncio.get_running_loop().time() + 30
            while (await client.get("/health")).status_code != 200:
                assert asyncio.get_running_loop().time() < deadline, "notifier never healthy"
                await asyncio.sleep(0.1)
            yield app, client


@dataclass
class Ticketing:
    """The real ticketing app serving on a loopback port, with the test sites loaded."""

    url: str

    async def login(self, username: str) -> dict[str, str]:
        """The Authorization header of a staff member (password: the demo password)."""
        async with httpx.AsyncClient(base_url=self.url) as client:
            r = await client.post(
                "/api/auth/token", data={"username": username, "password": DEMO_PASSWORD}
            )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
async def ticketing(
    ticketing_db: str, kafka_topics: str, sites_dir: Path
) -> AsyncIterator[Ticketing]:
    """Ticketing under uvicorn in this process (lifespan on), on a free port."""
    app = create_ticketing_app(settings_for(ticketing_db, kafka_topics, sites_dir))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    deadline = asyncio.get_running_loop().time() + 60
    while not server.started:
        assert not serving.done(), "ticketing did not start"
        assert asyncio.get_running_loop().time() < deadline, "ticketing never started"
        await asyncio.sleep(0.05)
    try:
        yield Ticketing(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await serving


SITE = "uji"
"""The test site whose staff read the notifier's API in these tests (WIT, cap 5)."""


@pytest.fixture
async def supervisor(ticketing: Ticketing) -> dict[str, str]:
    """uji's supervisor: may read uji's messages."""
    return await ticketing.login("uji-supervisor")


@pytest.fixture
async def producer(kafka_topics: str) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=kafka_topics, max_request_size=2 * 1024 * 1024)
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


async def publish(producer: AIOKafkaProducer, event: AnyEvent | PhoneVerificationRequested) -> None:
    await producer.send_and_wait(event.topic, event.to_json(), key=event.site_id.encode())


@dataclass
class Site:
    """Builds events of one test-only site (its own id isolates it on shared topics)."""

    id: str = field(default_factory=lambda: f"t-{uuid4().hex[:8]}")
    name: str = "MPP Kabupaten Balangan"
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _envelope(self, ticket_id: UUID, number: str) -> dict[str, Any]:
        return {
            "event_id": uuid4(),
            "occurred_at": datetime.now(UTC),
            "site_id": self.id,
            "site_name": self.name,
            "ticket_id": ticket_id,
            "ticket_number": number,
            "service_id": "ktp",
            "service_name": "Perekaman KTP-el",
            "agency_id": "disdukcapil",
            "agency_name": "Disdukcapil",
        }

    def issued(self, phone: str | None, waiting_ahead: int = 0) -> TicketIssued:
        number = f"A-{next(self.numbers):03d}"
        return TicketIssued(
            **self._envelope(uuid4(), number),
            priority="regular",
            channel="kiosk",
            waiting_ahead=waiting_ahead,
            estimated_wait_s=waiting_ahead * 300 if waiting_ahead else None,
            contact=Contact(phone=phone) if phone else None,
        )

    def verification(self, phone: str, code: str) -> PhoneVerificationRequested:
        now = datetime.now(UTC)
        return PhoneVerificationRequested(
            event_id=uuid4(),
            occurred_at=now,
            site_id=self.id,
            site_name=self.name,
            verification_id=uuid4(),
            phone=phone,
            code=code,
            expires_at=now + timedelta(minutes=10),
        )

    def called(
        self,
        ticket: TicketIssued,
        queue: Sequence[TicketIssued] = (),
        call_count: int = 1,
        first_ahead: int = 0,
    ) -> TicketCalled:
        return TicketCalled(
            **self._envelope(ticket.ticket_id, ticket.ticket_number),
            counter_id="loket-3",
            counter_name="Loket 3",
            call_count=call_count,
            queue_head=_head(queue, first_ahead),
        )

    def completed(
        self, ticket: TicketIssued, outcome: str = "served", queue: Sequence[TicketIssued] = ()
    ) -> ServiceCompleted:
        return ServiceCompleted(
            **self._envelope(ticket.ticket_id, ticket.ticket_number),
            counter_id="loket-3",
            outcome=outcome,
            wait_s=60,
            service_s=120 if outcome == "served" else None,
            transferred_to_service_id=None,
            queue_head=_head(queue, 0),
        )


def _head(queue: Any, first_ahead: int) -> list[QueuePosition]:
    return [
        QueuePosition(
            ticket_id=t.ticket_id, ticket_number=t.ticket_number, waiting_ahead=first_ahead + i
        )
        for i, t in enumerate(queue)
    ]
