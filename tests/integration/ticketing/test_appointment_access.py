"""Appointment codes cannot be guessed or used by someone else (CONTRACT.md "Appointments",
"Cost and abuse limits"): reading or cancelling needs the booking phone's last 4 digits or
the holder's key; 10 misses from one address in 10 minutes give 429; a refused request
writes nothing but its miss count. Real app, real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import httpx

from services.ticketing.settings import TicketingSettings
from tests.integration.ticketing.test_online_booking import PHONE, SITE, prove
from tests.integration.ticketing.test_security import from_address


async def booked(api: httpx.AsyncClient, settings: TicketingSettings) -> dict[str, str]:
    token = await prove(api, settings)
    conn = await asyncpg.connect(settings.database_url)
    try:
        today = await conn.fetchval("SELECT (now() AT TIME ZONE 'Asia/Jayapura')::date")
    finally:
        await conn.close()
    body = {
        "service_id": "kk",
        "date": str(today + timedelta(days=1)),
        "time": "10:00",
        "phone": PHONE,
        "verification_token": token,
    }
    answer = await api.post(f"/api/sites/{SITE}/appointments", json=body)
    assert answer.status_code == 201, answer.text
    appointment: dict[str, str] = answer.json()
    return appointment


async def status_of(settings: TicketingSettings, code: str) -> str:
    conn = await asyncpg.connect(settings.database_url)
    try:
        return str(
            await conn.fetchval("SELECT status FROM ticketing.appointments WHERE code = $1", code)
        )
    finally:
        await conn.close()


async def test_only_the_holder_reads_or_cancels_an_appointment(
    api: httpx.AsyncClient, ticketing_settings: TicketingSettings
) -> None:
    appt = await booked(api, ticketing_settings)
    code = appt["code"]
    assert len(code) == 8 and len(appt["appointment_key"]) >= 22  # 128 bits, base64url
    url = f"/api/appointments/{code}"
    bare = await api.delete(url)
    assert bare.status_code == 401 and "Phone-Last4" in bare.json()["detail"]
    assert (await api.get(url)).status_code == 401
    assert (await api.delete(url, headers={"Phone-Last4": "0000"})).status_code == 403
    assert (await api.delete(url, headers={"Appointment-Key": "x" * 22})).status_code == 403
    assert await status_of(ticketing_settings, code) == "booked"  # nothing written
    # the key is not in what a reader sees, and the code is read as typed
    seen = await api.get(
        f"/api/appointments/{code[:4]}-{code[4:].lower()}", headers={"Phone-Last4": PHONE[-4:]}
    )
    assert seen.status_code == 200 and "appointment_key" not in seen.json()
    cancelled = await api.delete(url, headers={"Appointment-Key": appt["appointment_key"]})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_guessing_codes_gets_429_after_ten_misses_per_address(
    api: httpx.AsyncClient, ticketing_settings: TicketingSettings
) -> None:
    appt = await booked(api, ticketing_settings)
    guesser = from_address(api, "10.1.2.3")
    async with guesser:
        statuses = []
        for _ in range(12):
            guess = uuid.uuid4().hex[:8].upper()
            r = await guesser.delete(f"/api/appointments/{guess}", headers={"Phone-Last4": "8888"})
            statuses.append(r.status_code)
        assert statuses == [404] * 10 + [429] * 2
        # even the right code with the right digits, from the guesser's address, until later
        right = await guesser.get(
            f"/api/appointments/{appt['code']}", headers={"Phone-Last4": PHONE[-4:]}
        )
        assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0
        # wrong digits on a real code are misses too
    async with from_address(api, "10.1.2.4") as other:
        for _ in range(10):
            r = await other.get(
                f"/api/appointments/{appt['code']}", headers={"Phone-Last4": "1234"}
            )
            assert r.status_code == 403
        assert (
            await other.get(
                f"/api/appointments/{appt['code']}", headers={"Phone-Last4": PHONE[-4:]}
            )
        ).status_code == 429
    # the holder, from their own phone's address, is not affected
    mine = await api.get(f"/api/appointments/{appt['code']}", headers={"Phone-Last4": PHONE[-4:]})
    assert mine.status_code == 200 and mine.json()["status"] == "booked"
    assert await status_of(ticketing_settings, appt["code"]) == "booked"
