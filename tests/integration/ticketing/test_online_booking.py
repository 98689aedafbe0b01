"""Online booking without calo, against real PostgreSQL: a phone proven by a one-time SMS
code, one active online ticket per phone per service per day, rate limits with Retry-After,
and appointments for a slot that enter the queue on check-in."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import orjson

from services.ticketing.settings import TicketingSettings
from tests.integration.ticketing.conftest import Login, enrol_kiosk, holder, issue, kiosk_headers

SITE = "uji"
PHONE = "081377778888"


async def code_sent(settings: TicketingSettings, verification_id: str) -> str:
    """The code as the notifier would text it: from the event in the outbox."""
    conn = await asyncpg.connect(settings.database_url)
    try:
        code = await conn.fetchval(
            """SELECT payload::jsonb->>'code' FROM ticketing.outbox
                WHERE topic = 'phone-verification-requested'
                  AND payload::jsonb->>'verification_id' = $1""",
            verification_id,
        )
    finally:
        await conn.close()
    assert code is not None
    return str(code)


async def prove(api: httpx.AsyncClient, settings: TicketingSettings, phone: str = PHONE) -> str:
    started = await api.post(f"/api/sites/{SITE}/phone-verifications", json={"phone": phone})
    assert started.status_code == 202, started.text
    assert "7778888" not in started.text[:-1] or started.json()["phone"].count("*") > 0
    vid = started.json()["verification_id"]
    confirmed = await api.post(
        f"/api/phone-verifications/{vid}/confirm", json={"code": await code_sent(settings, vid)}
    )
    assert confirmed.status_code == 200, confirmed.text
    return str(confirmed.json()["verification_token"])


async def test_online_ticket_needs_a_phone_proven_by_sms_code(
    api: httpx.AsyncClient, ticketing_settings: TicketingSettings
) -> None:
    body = {"service_id": "ktp-el", "channel": "online", "phone": PHONE}
    no_proof = await api.post(f"/api/sites/{SITE}/tickets", json=body)
    assert no_proof.status_code == 422
    assert "verification_token" in str(no_proof.json()["detail"])
    no_phone = await api.post(
        f"/api/sites/{SITE}/tickets", json={"service_id": "ktp-el", "channel": "online"}
    )
    assert no_phone.status_code == 422

    started = await api.post(f"/api/sites/{SITE}/phone-verifications", json={"phone": PHONE})
    vid = started.json()["verification_id"]
    wrong = await api.post(
        f"/api/phone-verifications/{vid}/confirm",
        json={
            "code": "000000" if (await code_sent(ticketing_settings, vid)) != "000000" else "111111"
        },
    )
    assert wrong.status_code == 422
    token = (
        await api.post(
            f"/api/phone-verifications/{vid}/confirm",
            json={"code": await code_sent(ticketing_settings, vid)},
        )
    ).json()["verification_token"]

    other_phone = await api.post(
        f"/api/sites/{SITE}/tickets",
        json={**body, "phone": "081299990000", "verification_token": token},
    )
    assert other_phone.status_code == 422  # the proof is for another number
    ticket = await api.post(
        f"/api/sites/{SITE}/tickets", json={**body, "verification_token": token}
    )
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["channel"] == "online"
    # one active online ticket per phone per service per day
    again = await api.post(f"/api/sites/{SITE}/tickets", json={**body, "verification_token": token})
    assert again.status_code == 409 and ticket.json()["number"] in again.json()["detail"]
    other_service = await api.post(
        f"/api/sites/{SITE}/tickets", json={**body, "service_id": "kk", "verification_token": token}
    )
    assert other_service.status_code == 201
    # once the first is cancelled, the phone may book that service again
    await api.delete(f"/api/tickets/{ticket.json()['id']}", headers=holder(ticket.json()))
    assert (
        await api.post(f"/api/sites/{SITE}/tickets", json={**body, "verification_token": token})
    ).status_code == 201
    # the kiosk is not subject to any of this
    await issue(api, SITE, "ktp-el", phone=PHONE)
    await issue(api, SITE, "ktp-el", phone=PHONE)


async def test_codes_are_rate_limited_per_phone_with_retry_after(api: httpx.AsyncClient) -> None:
    statuses = []
    for _ in range(6):  # the site allows 5 per phone per hour
        r = await api.post(f"/api/sites/{SITE}/phone-verifications", json={"phone": "081255556666"})
        statuses.append(r.status_code)
    assert statuses == [202] * 5 + [429]
    assert int(r.headers["Retry-After"]) > 0
    bad = await api.post(f"/api/sites/{SITE}/phone-verifications", json={"phone": "12"})
    assert bad.status_code == 422


async def test_a_code_can_be_guessed_five_times_at_most(
    api: httpx.AsyncClient, ticketing_settings: TicketingSettings
) -> None:
    started = await api.post(
        f"/api/sites/{SITE}/phone-verifications", json={"phone": "081244443333"}
    )
    vid = started.json()["verification_id"]
    real = await code_sent(ticketing_settings, vid)
    wrong = "123456" if real != "123456" else "654321"
    for _ in range(5):
        assert (
            await api.post(f"/api/phone-verifications/{vid}/confirm", json={"code": wrong})
        ).status_code == 422
    assert (
        await api.post(f"/api/phone-verifications/{vid}/confirm", json={"code": real})
    ).status_code == 429
    assert (
        await api.post(f"/api/phone-verifications/{uuid.uuid4()}/confirm", json={"code": real})
    ).status_code == 404


async def test_appointment_booking_and_check_in_at_its_slot(
    api: httpx.AsyncClient, ticketing_settings: TicketingSettings, login: Login
) -> None:
    token = await prove(api, ticketing_settings)
    site = (await api.get(f"/api/sites/{SITE}")).json()
    assert site["timezone"] == "Asia/Jayapura"
    conn = await asyncpg.connect(ticketing_settings.database_url)
    try:
        today = await conn.fetchval("SELECT (now() AT TIME ZONE 'Asia/Jayapura')::date")
    finally:
        await conn.close()
    tomorrow = today + timedelta(days=1)
    free = (
        await api.get(f"/api/sites/{SITE}/services/kk/slots", params={"date": str(tomorrow)})
    ).json()
    assert free[0]["time"] == "08.00" and free[0]["capacity"] == 2 and len(free) == 16
    assert (
        await api.get(f"/api/sites/{SITE}/services/ktp-el/slots", params={"date": str(tomorrow)})
    ).json() == []

    body = {
        "service_id": "kk",
        "date": str(tomorrow),
        "time": "09:00",
        "phone": PHONE,
        "verification_token": token,
    }
    booked = await api.post(f"/api/sites/{SITE}/appointments", json=body)
    assert booked.status_code == 201, booked.text
    appointment = booked.json()
    assert len(appointment["code"]) == 8 and appointment["status"] == "booked"
    holder = {"Phone-Last4": PHONE[-4:]}
    assert "7778888" not in appointment["phone"][:-3]
    assert (
        await api.post(f"/api/sites/{SITE}/appointments", json=body)
    ).status_code == 409  # one per phone
    nine = next(
        s
        for s in (
            await api.get(f"/api/sites/{SITE}/services/kk/slots", params={"date": str(tomorrow)})
        ).json()
        if s["time"] == "09.00"
    )
    assert nine["free"] == 1
    assert (
        await api.post(f"/api/sites/{SITE}/appointments", json={**body, "time": "09:10"})
    ).status_code == 422
    assert (
        await api.post(
            f"/api/sites/{SITE}/appointments",
            json={**body, "date": str(today + timedelta(days=40))},
        )
    ).status_code == 422
    assert (
        await api.post(f"/api/sites/{SITE}/appointments", json={**body, "service_id": "ktp-el"})
    ).status_code == 409
    kiosk = await kiosk_headers(api, SITE)
    early = await api.post(
        f"/api/sites/{SITE}/appointments/{appointment['code']}/check-in", headers=kiosk
    )
    assert early.status_code == 409 and "Lapor hadir dibuka" in early.json()["detail"]
    # on the lobby's clock (WIT): 30 minutes before the 09.00 slot, not the UTC 23.30
    assert "pukul 08.30" in early.json()["detail"]
    # the answer carries the same window the kiosk's refusal names: 08.30 until 09.30 WIT
    wit = ZoneInfo("Asia/Jayapura")
    opens = datetime.fromisoformat(appointment["check_in_from"]).astimezone(wit)
    closes = datetime.fromisoformat(appointment["check_in_until"]).astimezone(wit)
    assert (f"{opens:%H.%M}", f"{closes:%H.%M}") == ("08.30", "09.30")
    assert closes == datetime.fromisoformat(appointment["slot_end"])
    assert (await api.get(f"/api/appointments/{appointment['code']}", headers=holder)).json()[
        "status"
    ] == "booked"

    # a booking whose slot started five minutes ago checks in and goes ahead of later walk-ins
    conn = await asyncpg.connect(ticketing_settings.database_url)
    try:
        code = "TESTQ2"
        await conn.execute(
            """INSERT INTO ticketing.appointments (id, code, site_id, service_id, phone, day, slot_start, slot_end)
               VALUES ($1, $2, 'uji', 'kk', '+6281300001111', $3, now() - interval '5 minutes', now() + interval '25 minutes')""",
            uuid.uuid4(),
            code,
            today,
        )
    finally:
        await conn.close()
    walk_in = await issue(api, SITE, "kk")  # came after the slot started
    checked = await api.post(f"/api/sites/{SITE}/appointments/{code}/check-in", headers=kiosk)
    assert checked.status_code == 201, checked.text
    assert checked.json()["channel"] == "online" and checked.json()["waiting_ahead"] == 0
    again = await api.post(f"/api/sites/{SITE}/appointments/{code}/check-in", headers=kiosk)
    assert again.status_code == 200 and again.json()["id"] == checked.json()["id"]  # a replay
    other_kiosk = {"Authorization": f"Bearer {await enrol_kiosk(api, SITE, 'Lain')}"}
    assert (
        await api.post(f"/api/sites/{SITE}/appointments/{code}/check-in", headers=other_kiosk)
    ).status_code == 409
    desk = await login("uji-loket-01")
    first = (
        await api.post(f"/api/sites/{SITE}/counters/uji-loket-01/call-next", headers=desk)
    ).json()
    assert first["id"] == checked.json()["id"]
    second = (
        await api.post(f"/api/sites/{SITE}/counters/uji-loket-01/call-next", headers=desk)
    ).json()
    assert second["id"] == walk_in["id"]
    cancelled = await api.delete(
        f"/api/appointments/{appointment['code']}",
        headers={"Appointment-Key": appointment["appointment_key"]},
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_a_booking_records_its_appointment_booked_event_with_it(
    api: httpx.AsyncClient, ticketing_settings: TicketingSettings
) -> None:
    """The SMS's facts, in the booking's own transaction: the window is the answer's (one
    rule), the link is on PUBLIC_BASE_URL with the code in its fragment; a refused booking
    records nothing."""
    token = await prove(api, ticketing_settings, "081366665555")
    tomorrow = (datetime.now(ZoneInfo("Asia/Jayapura")) + timedelta(days=1)).date()
    body = {
        "service_id": "kk",
        "date": str(tomorrow),
        "time": "10:00",
        "phone": "081366665555",
        "verification_token": token,
    }
    booked = await api.post(f"/api/sites/{SITE}/appointments", json=body)
    assert booked.status_code == 201, booked.text
    assert (await api.post(f"/api/sites/{SITE}/appointments", json=body)).status_code == 409
    answer = booked.json()
    conn = await asyncpg.connect(ticketing_settings.database_url)
    try:
        rows = await conn.fetch(
            "SELECT event_id, payload::jsonb AS e FROM ticketing.outbox WHERE topic = $1",
            "appointment-booked",
        )
    finally:
        await conn.close()
    assert len(rows) == 1
    event = orjson.loads(rows[0]["e"]) if isinstance(rows[0]["e"], str) else rows[0]["e"]
    assert event["appointment_id"] == answer["id"] and event["code"] == answer["code"]
    assert event["phone"] == "+6281366665555" and event["timezone"] == "Asia/Jayapura"
    assert event["service_name"] and event["site_name"] and event["schema_version"] == 1
    for field in ("slot_start", "slot_end", "check_in_from", "check_in_until"):
        assert datetime.fromisoformat(event[field]) == datetime.fromisoformat(answer[field])
        assert event[field].endswith("Z")
    assert event["link"] == f"http://127.0.0.1:8001/booking/{SITE}#{answer['code']}"
    assert event["event_id"] == str(rows[0]["event_id"]) and event["sequence"] >= 1
