"""MESSAGE_CHANNELS=whatsapp,sms against Meta's Cloud API stand-in (graph_api.py), the real
broker and PostgreSQL: templates in `id`, statuses per message, SMS only after WhatsApp
reported a failure (or no `sent` in time), at most once per (event_id, kind)."""

from __future__ import annotations

import asyncio
import functools
import statistics
import time
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from tests.integration.notifier import graph_api
from tests.integration.notifier.conftest import (
    SITE,
    Gateway,
    Site,
    Ticketing,
    new_phone,
    notifier_settings,
    publish,
    running,
    whatsapp_overrides,
)


async def post_webhook(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    return await client.post("/webhooks/whatsapp", content=body, headers=graph_api.signed(body))


async def report(
    client: httpx.AsyncClient, request: dict[str, Any], state: str, error: int | None = None
) -> None:
    body = graph_api.webhook_body(
        statuses=[graph_api.status(request["wamid"], state, request["to"], error)]
    )
    answer = await post_webhook(client, body)
    assert answer.status_code == 200, answer.text


async def messages_of(client: httpx.AsyncClient, ticket_id: object) -> list[dict[str, Any]]:
    answer = await client.get("/api/messages", params={"ticket_id": str(ticket_id)})
    assert answer.status_code == 200, answer.text
    listed: list[dict[str, Any]] = answer.json()["messages"]
    return listed


async def until(
    client: httpx.AsyncClient, ticket_id: object, status: str, timeout_s: float = 10.0
) -> list[dict[str, Any]]:
    """The ticket's messages once the first is `status` (the API's answer is recorded a
    moment after the stand-in saw the request)."""
    deadline = time.monotonic() + timeout_s
    while True:
        listed = await messages_of(client, ticket_id)
        if listed and listed[0]["status"] == status:
            return listed
        assert time.monotonic() < deadline, listed
        await asyncio.sleep(0.05)


async def test_whatsapp_first_and_sms_only_after_a_reported_failure(
    kafka_topics: str,
    database_url: str,
    gateway: Gateway,
    meta: graph_api.Provider,
    producer: AIOKafkaProducer,
    ticketing: Ticketing,
    supervisor: dict[str, str],
) -> None:
    site = Site(id=SITE)
    settings = notifier_settings(
        kafka_topics,
        database_url,
        gateway.url,
        ticketing_url=ticketing.url,
        **whatsapp_overrides(meta),
    )
    async with running(settings, headers=supervisor) as (_app, client):
        citizen, unreachable = new_phone(), new_phone()
        ticket = site.issued(citizen, waiting_ahead=2)
        await publish(producer, ticket)
        await meta.wait_for(lambda: bool(meta.to(citizen)), timeout_s=30, what="issued")
        sent = meta.to(citizen)[0]
        template = sent["body"]["template"]
        assert sent["body"]["type"] == "template" and template["language"] == {"code": "id"}
        assert template["name"] == "antrian_diambil"
        values = [p["text"] for p in template["components"][0]["parameters"]]
        assert values[1:3] == [ticket.ticket_number, "Perekaman KTP-el"]
        assert values[4] == f"http://mpp.test/t/{ticket.ticket_id}"
        assert "2 orang di depan Anda, perkiraan 10 menit" in values[3]

        listed = await until(client, ticket.ticket_id, "accepted")
        assert listed[0]["channel"] == "whatsapp" and listed[0]["channels"] == ["whatsapp", "sms"]
        await report(client, sent, "sent")
        await report(client, sent, "delivered")
        await report(client, sent, "read")
        await report(client, sent, "sent")  # a late, repeated webhook changes nothing
        listed = await messages_of(client, ticket.ticket_id)
        assert listed[0]["status"] == "sent" and listed[0]["delivery_status"] == "read"
        assert [d["status"] for d in listed[0]["deliveries"]] == ["read"]

        await publish(producer, site.called(ticket))
        await meta.wait_for(lambda: len(meta.to(citizen)) == 2, what="called")
        called = meta.to(citizen)[1]["body"]["template"]
        assert called["name"] == "antrian_dipanggil"
        assert [p["text"] for p in called["components"][0]["parameters"]][1:] == [
            ticket.ticket_number,
            "Loket 3",
        ]

        # WhatsApp takes it, then reports it undeliverable: the SMS goes, once
        other = site.issued(unreachable)
        await publish(producer, other)
        await meta.wait_for(lambda: bool(meta.to(unreachable)), what="second issued")
        started = time.monotonic()
        await report(client, meta.to(unreachable)[0], "failed", 131026)
        await gateway.wait_for(lambda: bool(gateway.to(unreachable)), what="SMS fallback")
        fallback_s = time.monotonic() - started
        await report(client, meta.to(unreachable)[0], "failed", 131026)  # replayed
        await asyncio.sleep(1.0)
        assert len(gateway.to(unreachable)) == 1 and len(meta.tried(unreachable)) == 1
        assert other.ticket_number in gateway.to(unreachable)[0]["text"]
        listed = await messages_of(client, other.ticket_id)
        assert listed[0]["status"] == "sent" and listed[0]["channel"] == "sms"
        assert [(d["channel"], d["status"]) for d in listed[0]["deliveries"]] == [
            ("whatsapp", "failed"),
            ("sms", "sent"),
        ]
        assert "131026" in (listed[0]["deliveries"][0]["error"] or "")
        assert not gateway.to(citizen), "an SMS went to a citizen WhatsApp reached"

        stats = (await client.get("/api/stats")).json()
        assert stats["by_channel"]["whatsapp"]["failed"] >= 1
        metrics = (await client.get("/metrics")).text
        assert 'mpp_channel_statuses_total{channel="whatsapp",status="failed"}' in metrics
        assert 'mpp_channel_fallbacks_total{from_channel="whatsapp",to_channel="sms"}' in metrics
        print(f"\nfallback delay (failed webhook → SMS request): {fallback_s * 1000:.0f} ms")


def arrived(meta: graph_api.Provider, phone: str) -> bool:
    return bool(meta.to(phone))


async def test_event_to_whatsapp_request_latency(
    kafka_topics: str,
    database_url: str,
    meta: graph_api.Provider,
    producer: AIOKafkaProducer,
) -> None:
    """Measured, and bounded loosely (a shared 2-core machine): p50/p99 from the event's
    publication to the Cloud API's request."""
    site = Site()
    settings = notifier_settings(kafka_topics, database_url, None, **whatsapp_overrides(meta))
    async with running(settings):
        warm_up = new_phone()
        await publish(producer, site.issued(warm_up))
        await meta.wait_for(lambda: bool(meta.to(warm_up)), timeout_s=30, what="warm-up")
        latencies = []
        for _ in range(30):
            phone = new_phone()
            published = time.time()
            await publish(producer, site.issued(phone))
            await meta.wait_for(functools.partial(arrived, meta, phone), what="issued")
            latencies.append(meta.to(phone)[0]["at"] - published)
        latencies.sort()
        p50 = statistics.median(latencies)
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(f"\nevent → WhatsApp request: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
        assert p50 < 2.0, latencies


async def test_api_outages_retry_or_fall_back_and_unanswered_messages_time_out(
    kafka_topics: str,
    database_url: str,
    gateway: Gateway,
    meta: graph_api.Provider,
    producer: AIOKafkaProducer,
) -> None:
    site = Site()
    limited, refused, down, silent = (new_phone() for _ in range(4))
    meta.script[limited.lstrip("+")] = [(429, 130429), 500]  # then accepted
    meta.script[refused.lstrip("+")] = [(400, 131026)]  # not a WhatsApp user
    meta.script[down.lstrip("+")] = [503, 503, 503]
    settings = notifier_settings(
        kafka_topics,
        database_url,
        gateway.url,
        **whatsapp_overrides(meta),
        whatsapp_status_timeout_s=1.5,
        channel_max_attempts=3,
    )
    async with running(settings) as (_app, client):
        for phone in (limited, refused, down, silent):
            await publish(producer, site.issued(phone))
        await meta.wait_for(lambda: bool(meta.to(limited)), timeout_s=30, what="after 429, 500")
        assert len(meta.tried(limited)) == 3
        await gateway.wait_for(lambda: bool(gateway.to(refused)), what="SMS after 131026")
        assert len(meta.tried(refused)) == 1
        await gateway.wait_for(lambda: bool(gateway.to(down)), what="SMS after 3 outages")
        assert len(meta.tried(down)) == 3
        # nobody reports `sent` for `limited` or `silent`: after 1.5 s the SMS goes
        await gateway.wait_for(lambda: bool(gateway.to(silent)), what="SMS after the timeout")
        await report(client, meta.to(silent)[0], "sent")  # too late: already gone by SMS
        await asyncio.sleep(0.5)
        assert len(gateway.to(silent)) == 1 and len(meta.tried(silent)) == 1


async def test_a_restart_keeps_each_hand_over_and_sends_nothing_twice(
    kafka_topics: str,
    database_url: str,
    gateway: Gateway,
    meta: graph_api.Provider,
    producer: AIOKafkaProducer,
) -> None:
    site = Site()
    phone = new_phone()
    ticket = site.issued(phone)
    settings = notifier_settings(
        kafka_topics, database_url, gateway.url, **whatsapp_overrides(meta)
    )
    async with running(settings) as (_app, client):
        await publish(producer, ticket)
        await meta.wait_for(lambda: bool(meta.to(phone)), timeout_s=30, what="issued")
        handed = meta.to(phone)[0]
        await asyncio.sleep(0.5)  # the API's answer recorded: 'accepted'
    await publish(producer, ticket)  # redelivered while the notifier was down
    async with running(settings) as (_app, client):
        await report(client, handed, "failed", 131026)  # reported to the new process
        await gateway.wait_for(lambda: bool(gateway.to(phone)), what="SMS after restart")
        await asyncio.sleep(1.0)
    assert len(meta.tried(phone)) == 1 and len(gateway.to(phone)) == 1
