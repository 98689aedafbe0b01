"""Observability against the real broker and PostgreSQL: the documents the services serve
(OpenAPI, AsyncAPI) checked against CONTRACT.md, `GET /metrics` of each service after
one ticket, and one trace following that ticket from the kiosk request through the
outbox and Kafka into the notifier's and the display's consumers."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from services.display.app import create_app as create_display
from services.notifier.app import create_app as create_notifier
from services.ticketing.app import create_app as create_ticketing
from services.ticketing.settings import TicketingSettings
from shared.logcontext import ContextFilter
from tests.integration.display.conftest import display_settings
from tests.integration.notifier.conftest import notifier_settings
from tests.integration.ticketing import conftest as ticketing_conftest
from tests.integration.ticketing.conftest import settings_for

# ticketing's fixtures (a database copied from a template with the sites loaded), here too
sites_dir = ticketing_conftest.sites_dir
ticketing_template = ticketing_conftest.ticketing_template
ticketing_db = ticketing_conftest.ticketing_db

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "CONTRACT.md"
TOPICS = ("ticket-issued", "ticket-called", "service-completed")


# -- CONTRACT.md -----------------------------------------------------------------------


def contract_section(title: str) -> str:
    if not CONTRACT.is_file():
        pytest.skip(f"CONTRACT.md not found at {CONTRACT}")
    text = CONTRACT.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def contract_calls(title: str) -> list[tuple[str, str]]:
    """(method, path) of each row of the section's HTTP table."""
    return re.findall(
        r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`", contract_section(title), re.M
    )


def contract_event_fields() -> tuple[set[str], dict[str, set[str]]]:
    """The envelope's fields, and each event type's own fields, as CONTRACT.md lists them."""
    section = contract_section("Events")
    envelope: set[str] = set()
    for first_cell in re.findall(r"^\| ([^|]+) \|", section, re.M):
        if first_cell.strip() in ("field", "---"):
            continue
        envelope |= {name.strip() for name in first_cell.split(",")}
    per_type: dict[str, set[str]] = {}
    for topic, rest in re.findall(r"^- ([a-z-]+): (.+?)(?=^- |\Z)", section, re.M | re.S):
        while re.search(r"\([^()]*\)", rest):  # what a field means, in parentheses
            rest = re.sub(r"\([^()]*\)", "", rest)
        per_type[topic] = set(re.findall(r"`([a-z_]+)`", rest))
    return envelope, per_type


def test_the_contract_parses_as_expected() -> None:
    envelope, per_type = contract_event_fields()
    assert {"event_id", "event_type", "site_id", "site_name", "agency_name"} <= envelope
    assert set(per_type) == set(TOPICS)
    assert per_type["ticket-called"] == {"counter_id", "counter_name", "call_count"}
    assert ("POST", "/api/sites/{site_id}/tickets") in contract_calls("Ticketing HTTP API")


# -- the documents -----------------------------------------------------------------------


async def get_json(app: FastAPI, path: str) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        response = await client.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def all_apps() -> dict[str, FastAPI]:
    return {
        "ticketing": create_ticketing(TicketingSettings(_env_file=None)),
        "notifier": create_notifier(notifier_settings("127.0.0.1:1", "postgresql://x/y", None)),
        "display": create_display(display_settings("127.0.0.1:1")),
    }


async def test_ticketing_openapi_has_every_call_of_the_contract() -> None:
    doc = await get_json(all_apps()["ticketing"], "/openapi.json")
    calls = contract_calls("Ticketing HTTP API")
    assert len(calls) == 11
    for method, path in calls:
        assert path in doc["paths"], f"{path} not in the OpenAPI document"
        assert method.lower() in doc["paths"][path], f"{method} {path} not in the OpenAPI"


async def test_display_openapi_has_the_board_calls() -> None:
    doc = await get_json(all_apps()["display"], "/openapi.json")
    calls = contract_calls("Display (port 8003)")
    assert ("GET", "/boards/{site_id}") in calls
    # the lobby page itself is HTML for browsers, left out of the API document on purpose
    for method, path in [c for c in calls if c[1].startswith("/api/")]:
        assert method.lower() in doc["paths"].get(path, {}), f"{method} {path} not in OpenAPI"
    assert len([c for c in calls if c[1].startswith("/api/")]) == 2


def payload_schema(doc: dict[str, Any], topic: str) -> dict[str, Any]:
    """The payload schema of the (first) message of the channel with address `topic`."""
    channels = [c for c in doc["channels"].values() if c["address"] == topic]
    assert channels, f"no channel {topic} in {list(doc['channels'])}"
    components = doc["components"]
    for channel in channels:
        for ref in channel["messages"].values():
            message = components["messages"][ref["$ref"].rsplit("/", 1)[-1]]
            schema_ref = message["payload"]["$ref"]
            schema: dict[str, Any] = components["schemas"][schema_ref.rsplit("/", 1)[-1]]
            return schema
    raise AssertionError(f"no message on {topic}")


@pytest.mark.parametrize("service", ["ticketing", "notifier", "display"])
async def test_asyncapi_has_the_three_topics_with_the_contracts_fields(service: str) -> None:
    doc = await get_json(all_apps()[service], "/asyncapi.json")
    assert doc["asyncapi"].startswith("3.")
    envelope, per_type = contract_event_fields()
    action = "send" if service == "ticketing" else "receive"
    addresses = {
        doc["channels"][op["channel"]["$ref"].rsplit("/", 1)[-1]]["address"]
        for op in doc["operations"].values()
        if op["action"] == action
    }
    assert set(TOPICS) <= addresses
    for topic in TOPICS:
        schema = payload_schema(doc, topic)
        properties = set(schema["properties"])
        assert envelope <= properties, f"{topic}: envelope misses {envelope - properties}"
        own = per_type[topic]
        assert own <= properties, f"{topic}: misses {own - properties}"
        assert schema["properties"]["event_type"]["const"] == topic
        assert {"event_id", "ticket_id", "site_id"} <= set(schema["required"])


# -- metrics and traces of one ticket ----------------------------------------------------


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """Spans of this module's tests, in memory (the process's one SDK TracerProvider)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()  # stores nothing more; the processor stays, harmless


@asynccontextmanager
async def serving(app: FastAPI, name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}") as client:
            deadline = asyncio.get_running_loop().time() + 30
            while (await client.get("/health")).status_code != 200:
                assert asyncio.get_running_loop().time() < deadline, f"{name} never healthy"
                await asyncio.sleep(0.1)
            yield client


@pytest.fixture
async def system(
    ticketing_db: str, kafka_topics: str, sites_dir: Path
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Ticketing, notifier (log provider) and display, in this process, on one database."""
    async with AsyncExitStack() as stack:
        clients = {
            "ticketing": await stack.enter_async_context(
                serving(create_ticketing(settings_for(ticketing_db, kafka_topics, sites_dir)), "t")
            ),
            "notifier": await stack.enter_async_context(
                serving(create_notifier(notifier_settings(kafka_topics, ticketing_db, None)), "n")
            ),
            "display": await stack.enter_async_context(
                serving(create_display(display_settings(kafka_topics)), "d")
            ),
        }
        yield clients


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout_s: float = 60) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


def sample(text: str, name: str, **labels: str) -> float | None:
    """Sum of the samples `name` whose labels include `labels`; None when there is none."""
    values = [
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and labels.items() <= s.labels.items()
    ]
    return sum(values) if values else None


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_metrics_of_one_ticket(system: dict[str, httpx.AsyncClient]) -> None:
    ticketing, notifier, display = system["ticketing"], system["notifier"], system["display"]
    sms = {"provider": "log", "kind": "issued"}  # counters are the process's: count from here
    sms_before = sample(await scrape(notifier), "mpp_sms_sent_total", **sms) or 0
    issued = {"service": "ticketing", "method": "POST", "status": "201"}
    route = "/api/sites/{site_id}/tickets"
    count = "mpp_http_request_duration_seconds_count"
    # the registry is the process's: other tests in this session issued tickets too
    issued_before = sample(await scrape(ticketing), count, route=route, **issued) or 0
    response = await ticketing.post(
        "/api/sites/balangan/tickets", json={"service_id": "ktp-el", "phone": "081234567890"}
    )
    assert response.status_code == 201, response.text
    ticket_id = response.json()["id"]
    assert (await ticketing.get(f"/api/tickets/{ticket_id}")).status_code == 200

    text = await scrape(ticketing)
    assert ticket_id not in text  # routes are labels, never raw paths
    assert sample(text, count, route=route, **issued) == issued_before + 1
    assert sample(text, "mpp_http_request_duration_seconds_count", route="/api/tickets/{ticket_id}")
    assert sample(text, "mpp_outbox_depth", service="ticketing") is not None

    async def relayed() -> str | None:
        text = await scrape(ticketing)
        published = sample(text, "mpp_events_published_total", topic="ticket-issued")
        depth = sample(text, "mpp_outbox_depth", service="ticketing")
        return text if published and depth == 0 else None

    text = await eventually(relayed, "the relay to publish the outbox")
    assert sample(text, "mpp_outbox_oldest_unpublished_age_seconds", service="ticketing") == 0
    assert sample(
        text, "faststream_published_messages_total", app_name="ticketing", status="success"
    )

    async def consumed(client: httpx.AsyncClient, service: str, outcome: str) -> str | None:
        text = await scrape(client)
        labels = {"service": service, "topic": "ticket-issued", "outcome": outcome}
        return text if sample(text, "mpp_events_consumed_total", **labels) else None

    text = await eventually(lambda: consumed(notifier, "notifier", "handled"), "the notifier")
    assert sample(text, "faststream_received_messages_total", app_name="notifier")
    text = await eventually(lambda: consumed(display, "display", "applied"), "the display")
    assert sample(text, "faststream_received_messages_total", app_name="display")

    # consumer lag: a gauge per assigned partition of each consumer, 0 once all is consumed
    async def caught_up(client: httpx.AsyncClient, service: str) -> str | None:
        text = await scrape(client)
        lag = sample(text, "mpp_kafka_consumer_lag", service=service, topic="ticket-issued")
        return text if lag == 0 else None

    for client, service in ((notifier, "notifier"), (display, "display")):
        text = await eventually(functools.partial(caught_up, client, service), f"{service} lag")
        partitions = {
            (s.labels["topic"], s.labels["partition"])
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == "mpp_kafka_consumer_lag" and s.labels["service"] == service
        }
        assert {topic for topic, _ in partitions} >= set(TOPICS)

    async def sms_sent() -> bool:
        sent = sample(await scrape(notifier), "mpp_sms_sent_total", **sms)
        return (sent or 0) > sms_before

    # the notifier's new group reads the topics from the start: this ticket comes last
    await eventually(sms_sent, "the issued SMS to be counted", timeout_s=120)


def spans_of(exporter: InMemorySpanExporter, trace_id: int) -> list[ReadableSpan]:
    return [
        s
        for s in exporter.get_finished_spans()
        if s.context is not None and s.context.trace_id == trace_id
    ]


async def test_one_trace_follows_a_ticket_from_the_kiosk_to_display_and_notifier(
    spans: InMemorySpanExporter,
    system: dict[str, httpx.AsyncClient],
    ticketing_db: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="notifier")
    caplog.handler.addFilter(ContextFilter())  # as shared/logging.py's handler has it
    response = await system["ticketing"].post(
        "/api/sites/balangan/tickets", json={"service_id": "ktp-el", "phone": "081234567890"}
    )
    assert response.status_code == 201, response.text
    ticket_id = response.json()["id"]

    server = [
        s
        for s in spans.get_finished_spans()
        if s.name == "POST /api/sites/{site_id}/tickets"
        and s.kind is trace.SpanKind.SERVER
        and s.attributes is not None
        and s.attributes.get("http.response.status_code") == 201
    ]
    assert server, [s.name for s in spans.get_finished_spans()]
    request = server[-1]
    assert request.context is not None
    trace_id = request.context.trace_id

    # the outbox row keeps the request's trace for the relay
    conn = await asyncpg.connect(ticketing_db)
    try:
        traceparent = await conn.fetchval(
            """SELECT traceparent FROM ticketing.outbox
                WHERE topic = 'ticket-issued' AND payload::jsonb->>'ticket_id' = $1""",
            ticket_id,
        )
    finally:
        await conn.close()
    assert traceparent is not None
    assert traceparent.split("-")[1] == format(trace_id, "032x")

    def consumers() -> dict[str, ReadableSpan]:
        found = {}
        for s in spans_of(spans, trace_id):
            attributes = s.attributes or {}
            if s.name == "ticket-issued process" and s.kind is trace.SpanKind.CONSUMER:
                found[str(attributes.get("mpp.service"))] = s
        return found

    async def both() -> dict[str, ReadableSpan] | None:
        found = consumers()
        return found if {"notifier", "display"} <= set(found) else None

    found = await eventually(both, "consumer spans of the notifier and the display")
    for service in ("notifier", "display"):
        attributes = found[service].attributes or {}
        assert attributes.get("mpp.ticket_id") == ticket_id

    # the notifier queued the issued SMS in that trace, and its sender logs in it
    conn = await asyncpg.connect(ticketing_db)
    try:
        queued = await eventually(
            functools.partial(
                conn.fetchval,
                """SELECT traceparent FROM notifier.messages
                    WHERE ticket_id = $1::uuid AND kind = 'issued'""",
                ticket_id,
            ),
            "the issued SMS queued with its trace",
        )
    finally:
        await conn.close()
    assert queued.split("-")[1] == format(trace_id, "032x")

    def sent_line() -> logging.LogRecord | None:
        return next(
            (
                r
                for r in caplog.records
                if r.name.startswith("notifier")
                and r.getMessage().startswith("sent issued")
                and f"ticket {ticket_id}" in r.getMessage()  # not an earlier test's ticket
            ),
            None,
        )

    async def logged() -> logging.LogRecord | None:
        return sent_line()

    record = await eventually(logged, "the sender's 'sent issued' line")
    assert getattr(record, "trace_id", None) == format(trace_id, "032x"), record.__dict__

    names = {s.name for s in spans_of(spans, trace_id)}
    assert "ticket-issued publish" in names  # the relay's producer span
    # every span of the ticket's journey hangs under the kiosk request's span
    assert all(s.parent is None or s.parent.trace_id == trace_id for s in spans_of(spans, trace_id))


async def test_an_operator_sees_the_day_in_metrics(system: dict[str, httpx.AsyncClient]) -> None:
    """Waiting tickets per service, citizens' waits and service times, and every SMS kind's
    failure series from the start (issue 16 item 9)."""
    ticketing, notifier = system["ticketing"], system["notifier"]
    text = await scrape(notifier)
    for kind in ("issued", "near_turn", "called", "survey", "verification"):
        assert sample(text, "mpp_sms_failed_total", provider="log", kind=kind) is not None
    line = {"site_id": "balangan", "service_id": "kia"}
    waits_before = sample(await scrape(ticketing), "mpp_ticket_wait_seconds_count", **line) or 0
    served_before = sample(await scrape(ticketing), "mpp_service_time_seconds_count", **line) or 0
    ticket = await ticketing.post("/api/sites/balangan/tickets", json={"service_id": "kia"})
    assert ticket.status_code == 201, ticket.text
    waiting = sample(await scrape(ticketing), "mpp_tickets_waiting", **line)
    assert waiting is not None and waiting >= 1
    assert sample(await scrape(ticketing), "mpp_tickets_waiting", service_id="ktp-el") is not None

    token = await ticketing.post(
        "/api/auth/token",
        data={"username": "balangan-loket-01", "password": ticketing_conftest.DEMO_PASSWORD},
    )
    desk = {"Authorization": f"Bearer {token.json()['access_token']}"}
    called = await ticketing.post(
        "/api/sites/balangan/counters/balangan-loket-01/call-next", headers=desk
    )
    assert called.status_code == 200, called.text
    done = await ticketing.post(f"/api/tickets/{called.json()['id']}/complete", headers=desk)
    assert done.status_code == 200, done.text
    served_line = {"site_id": "balangan", "service_id": called.json()["service_id"]}

    async def observed() -> str | None:
        text = await scrape(ticketing)
        served = sample(text, "mpp_service_time_seconds_count", **served_line) or 0
        return text if served > (served_before if served_line == line else 0) else None

    text = await eventually(observed, "the completion to be observed")
    assert (sample(text, "mpp_ticket_wait_seconds_count", **served_line) or 0) > (
        waits_before if served_line == line else 0
    )
    assert sample(text, "mpp_ticket_wait_seconds_bucket", le="7200.0", **served_line)
