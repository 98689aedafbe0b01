"""Gateway failures, slow gateways, events out of order and the log provider."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from shared.phone import mask_phone
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


async def test_retries_until_delivered_and_a_stuck_gateway_call_blocks_no_one(
    kafka_topics: str,
    database_url: str,
    gateway: Gateway,
    producer: AIOKafkaProducer,
    ticketing: Ticketing,
    supervisor: dict[str, str],
) -> None:
    site = Site(id=SITE)  # its supervisor reads the messages
    flaky, stuck, fine = new_phone(), new_phone(), new_phone()
    gateway.script[flaky] = [500, 500]  # then 200
    gateway.script[stuck] = ["hang", "hang"]  # each attempt times out (3 s)
    settings = notifier_settings(
        kafka_topics, database_url, gateway.url, ticketing_url=ticketing.url, sms_timeout_s=3.0
    )
    async with running(settings, headers=supervisor) as (_app, client):
        warm_up = new_phone()  # the consumer has joined its group once this arrives
        await publish(producer, site.issued(warm_up))
        await gateway.wait_for(lambda: bool(gateway.to(warm_up)), what="first SMS")
        stuck_ticket = site.issued(stuck, waiting_ahead=1)
        await publish(producer, stuck_ticket)
        await publish(producer, site.issued(flaky, waiting_ahead=2))
        await publish(producer, site.issued(fine, waiting_ahead=3))
        loop = asyncio.get_running_loop()
        started = loop.time()
        await gateway.wait_for(lambda: bool(gateway.to(fine)), what="SMS behind a stuck one")
        assert loop.time() - started < 2.5, "a hanging gateway call held back another SMS"
        await gateway.wait_for(lambda: bool(gateway.to(flaky)), what="SMS after two 500s")
        assert len([r for r in gateway.requests if r["to"] == flaky]) == 3
        assert len(gateway.to(flaky)) == 1

        listed = (
            await client.get("/api/messages", params={"ticket_id": str(stuck_ticket.ticket_id)})
        ).json()["messages"]
        assert listed[0]["status"] in ("sending", "pending")
        await gateway.wait_for(lambda: bool(gateway.to(stuck)), timeout_s=40, what="stuck SMS")
        await asyncio.sleep(0.5)
        assert len(gateway.to(stuck)) == 1
        listed = (
            await client.get("/api/messages", params={"ticket_id": str(stuck_ticket.ticket_id)})
        ).json()["messages"]
        assert listed[0]["status"] == "sent"
        assert listed[0]["attempts"] == 3
        assert "ReadTimeout" in (listed[0]["last_error"] or "ReadTimeout")


async def test_gives_up_after_max_attempts(
    kafka_topics: str,
    database_url: str,
    gateway: Gateway,
    producer: AIOKafkaProducer,
    ticketing: Ticketing,
    supervisor: dict[str, str],
) -> None:
    site = Site(id=SITE)  # its supervisor reads the messages
    refused = new_phone()
    gateway.script[refused] = [400] * 10
    settings = notifier_settings(
        kafka_topics, database_url, gateway.url, ticketing_url=ticketing.url, sms_max_attempts=3
    )
    async with running(settings, headers=supervisor) as (_app, client):
        ticket = site.issued(refused, waiting_ahead=1)
        await publish(producer, ticket)
        await gateway.wait_for(
            lambda: len([r for r in gateway.requests if r["to"] == refused]) >= 3,
            what="three attempts",
        )
        for _ in range(50):
            listed = (
                await client.get("/api/messages", params={"ticket_id": str(ticket.ticket_id)})
            ).json()["messages"]
            if listed[0]["status"] == "failed":
                break
            await asyncio.sleep(0.1)
        assert listed[0]["status"] == "failed"
        assert listed[0]["attempts"] == 3
        assert "400" in listed[0]["last_error"]
        assert refused not in str(listed)
        await asyncio.sleep(1.0)
        assert len([r for r in gateway.requests if r["to"] == refused]) == 3


async def test_calls_consumed_before_their_ticket_issued_still_text_in_order(
    kafka_topics: str, database_url: str, gateway: Gateway, producer: AIOKafkaProducer
) -> None:
    """The three topics are separate partitions: nothing orders them for the consumer."""
    site = Site()
    early_phone, late_phone = new_phone(), new_phone()
    early = site.issued(early_phone, waiting_ahead=0)
    late = site.issued(late_phone, waiting_ahead=4)
    settings = notifier_settings(kafka_topics, database_url, gateway.url)
    async with running(settings):
        # `late` is seen 2 ahead before its ticket-issued; `early` is called and served first.
        await publish(producer, site.called(early, [late], first_ahead=2))
        served = site.completed(early, "served")
        await publish(producer, served)
        conn = await asyncpg.connect(database_url)
        try:
            for _ in range(200):  # both handled (kept for later) before the ticket-issued
                kept = await conn.fetchval(
                    "SELECT count(*) FROM notifier.early_events WHERE ticket_id = $1",
                    early.ticket_id,
                )
                seen = await conn.fetchval(
                    "SELECT count(*) FROM notifier.early_near_turns WHERE ticket_id = $1",
                    late.ticket_id,
                )
                if kept == 2 and seen == 1:
                    break
                await asyncio.sleep(0.1)
            assert (kept, seen) == (2, 1)
        finally:
            await conn.close()
        await publish(producer, early)
        await publish(producer, late)
        await gateway.wait_for(
            lambda: len(gateway.to(early_phone)) == 3 and len(gateway.to(late_phone)) == 2,
            what="replayed SMS",
        )
        assert [m["kind"] for m in gateway.to(early_phone)] == ["issued", "called", "survey"]
        assert [m["kind"] for m in gateway.to(late_phone)] == ["issued", "near_turn"]
        assert "2 orang lagi" in gateway.to(late_phone)[1]["text"]

        # A call older than the service, consumed after it, is over: no SMS. The next call on
        # the same topic and key (same partition) shows the consumer went past it.
        stale = site.called(early).model_copy(
            update={"event_id": uuid4(), "occurred_at": served.occurred_at - timedelta(seconds=30)}
        )
        await publish(producer, stale)
        await publish(producer, site.called(late))
        await gateway.wait_for(lambda: len(gateway.to(late_phone)) == 3, what="late called")
        assert [m["kind"] for m in gateway.to(early_phone)] == ["issued", "called", "survey"]


async def test_log_provider_writes_masked_sms(
    kafka_topics: str,
    database_url: str,
    producer: AIOKafkaProducer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    site = Site()
    phone = new_phone()
    settings = notifier_settings(kafka_topics, database_url, None)
    async with running(settings):
        ticket = site.issued(phone, waiting_ahead=2)
        await publish(producer, ticket)
        await publish(producer, site.called(ticket))
        # polled: joining the group takes seconds when the machine is busy
        deadline = asyncio.get_running_loop().time() + 30
        while asyncio.get_running_loop().time() < deadline:
            if f"[called] MPP Kab. Balangan: Nomor {ticket.ticket_number}" in caplog.text:
                break
            await asyncio.sleep(0.1)
    masked = mask_phone(phone)
    assert masked.startswith("+62812*")
    assert f"SMS to {masked} [issued] MPP Kab. Balangan: Antrean {ticket.ticket_number}" in (
        caplog.text
    )
    assert f"SMS to {masked} [called]" in caplog.text
    assert phone not in caplog.text
