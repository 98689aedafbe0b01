"""Issue 17 item 2, end to end with the real broker and PostgreSQL: a citizen books an
appointment through ticketing's API; its appointment-booked event leaves through the outbox
and the relay, and the notifier texts exactly one `appointment` SMS with the code and the
check-in window on the site's clock (uji: WIT) to the SMS gateway. The same event delivered
again sends nothing more."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from shared import links, topics
from shared.embedded import EmbeddedBroker, free_port
from shared.events import AppointmentBooked
from shared.kafka import ensure_topics
from tests.integration.notifier.conftest import (
    SITE,
    Gateway,
    Ticketing,
    new_phone,
    notifier_settings,
    running,
)

WIT = ZoneInfo("Asia/Jayapura")


async def proven(api: httpx.AsyncClient, gateway: Gateway, phone: str) -> str:
    """The phone proven as a citizen does: the code read from its `verification` SMS."""
    started = await api.post(f"/api/sites/{SITE}/phone-verifications", json={"phone": phone})
    assert started.status_code == 202, started.text
    await gateway.wait_for(lambda: bool(gateway.to(phone)), what="verification SMS")
    (sms,) = gateway.to(phone)
    assert sms["kind"] == "verification"
    match = re.search(r"\b(\d{6})\b", sms["text"])
    assert match is not None, sms
    confirmed = await api.post(
        f"/api/phone-verifications/{started.json()['verification_id']}/confirm",
        json={"code": match.group(1)},
    )
    assert confirmed.status_code == 200, confirmed.text
    return str(confirmed.json()["verification_token"])


async def outbox_payload(database_url: str, appointment_id: str) -> bytes:
    conn = await asyncpg.connect(database_url)
    try:
        payload = await conn.fetchval(
            """SELECT payload FROM ticketing.outbox WHERE topic = $1
                AND payload::jsonb->>'appointment_id' = $2""",
            topics.APPOINTMENT_BOOKED,
            appointment_id,
        )
    finally:
        await conn.close()
    assert payload is not None
    return payload.encode() if isinstance(payload, str) else bytes(payload)


@pytest.fixture
async def kafka_topics() -> AsyncIterator[str]:
    """A broker of this test's own: the booking publishes the site's phone codes, which a
    later test's notifier, reading the shared broker from its start, would send again and
    count (tests/integration/notifier/test_staff_api.py counts the site's codes)."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    broker = EmbeddedBroker(free_port()).start()
    try:
        await ensure_topics(broker.bootstrap_servers)
        yield broker.bootstrap_servers
    finally:
        broker.stop()


async def test_a_booking_sends_one_appointment_sms_with_its_code_and_window(
    kafka_topics: str,
    database_url: str,
    ticketing_db: str,
    gateway: Gateway,
    producer: AIOKafkaProducer,
    ticketing: Ticketing,
) -> None:
    phone = new_phone()
    settings = notifier_settings(
        kafka_topics, database_url, gateway.url, ticketing_url=ticketing.url
    )
    async with (
        running(settings) as (app, _client),
        httpx.AsyncClient(base_url=ticketing.url) as api,
    ):
        token = await proven(api, gateway, phone)
        tomorrow = (datetime.now(WIT) + timedelta(days=1)).date()
        booked = await api.post(
            f"/api/sites/{SITE}/appointments",
            json={
                "service_id": "kk",
                "date": str(tomorrow),
                "time": "09:00",
                "phone": phone,
                "verification_token": token,
            },
        )
        assert booked.status_code == 201, booked.text
        appointment = booked.json()
        code = appointment["code"]

        def appointment_sms() -> list[dict[str, str]]:
            return [m for m in gateway.to(phone) if m["kind"] == "appointment"]

        await gateway.wait_for(lambda: bool(appointment_sms()), what="appointment SMS")
        (sms,) = appointment_sms()
        text = sms["text"]
        assert f"kode {code[:4]}-{code[4:]}." in text
        # the window of the booking answer, on the lobby's clock: 08.30 until 09.30 WIT
        opens = datetime.fromisoformat(appointment["check_in_from"]).astimezone(WIT)
        closes = datetime.fromisoformat(appointment["check_in_until"]).astimezone(WIT)
        assert f"Lapor hadir {opens:%H.%M}-{closes:%H.%M}." in text
        assert "Lapor hadir 08.30-09.30." in text and " 09.00 WIT," in text
        assert text.endswith(links.appointment_link("http://127.0.0.1:8001", SITE, code))
        assert len(text) <= 160

        # The same event delivered again (a relay that died before marking it published),
        # then another booking's event behind it on the site's partition: only that one's
        # SMS goes out, so the repeat was read and dropped.
        raw = await outbox_payload(ticketing_db, appointment["id"])
        await producer.send_and_wait(topics.APPOINTMENT_BOOKED, raw, key=SITE.encode())
        other = AppointmentBooked.model_validate_json(raw).model_copy(
            update={"event_id": uuid4(), "appointment_id": uuid4(), "phone": new_phone()}
        )
        await producer.send_and_wait(other.topic, other.to_json(), key=SITE.encode())
        await gateway.wait_for(lambda: bool(gateway.to(other.phone)), what="the later SMS")
        assert app.state.consumption.outcomes["duplicate"] >= 1
    assert len(appointment_sms()) == 1
    assert [r["kind"] for r in gateway.requests if r["to"] == phone] == [
        "verification",
        "appointment",
    ]
