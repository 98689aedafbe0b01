"""Issue 13, findings 5–8, replayed against the three services as processes:

5. an admin demoted to operator kept admin rights with the old token and made a new admin;
6. an admin named in balangan's file administered every site;
7. 15 wrong passwords from the lobby Wi-Fi locked the clerk of balangan-loket-15 out;
8. appointment codes could be guessed at ~550/s with no 429 and cancelled with the code.

The attacker's client is bound to 127.0.0.2, the clerk's and citizen's to 127.0.0.1."""

from __future__ import annotations

import time
from datetime import timedelta

import asyncpg
import httpx
import pytest

from tests.e2e.conftest import System

pytestmark = pytest.mark.e2e


def client(base: str, address: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=base, transport=transport, timeout=10)


async def login(api: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    r = await api.post("/api/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_a_demoted_admin_loses_admin_rights_with_the_old_token(system: System) -> None:
    password = system.env["MPP_DEMO_PASSWORD"]
    async with client(system.ticketing, "127.0.0.1") as api:
        root = await login(api, "mpp-admin", password)
        made = await api.post(
            "/api/admin/staff",
            json={
                "username": "uji-admin-x",
                "site_id": "uji",
                "role": "admin",
                "password": "sandi-admin-x-12",
            },
            headers=root,
        )
        assert made.status_code == 201, made.text
        old = await login(api, "uji-admin-x", "sandi-admin-x-12")
        demote = await api.put(
            "/api/admin/staff/uji-admin-x", json={"role": "operator"}, headers=root
        )
        assert demote.status_code == 200
        attempt = await api.post(
            "/api/admin/staff",
            json={
                "username": "uji-admin-y",
                "site_id": "uji",
                "role": "admin",
                "password": "sandi-admin-y-12",
            },
            headers=old,
        )
        assert attempt.status_code == 403, attempt.text
        staff = (await api.get("/api/admin/staff?site_id=uji", headers=root)).json()
        assert "uji-admin-y" not in {a["username"] for a in staff}


async def test_balangans_admin_administers_balangan_only(system: System) -> None:
    async with client(system.ticketing, "127.0.0.1") as api:
        admin = await login(api, "balangan-admin", system.env["MPP_DEMO_PASSWORD"])
        for site in ("tabanan", "lahat", "uji"):
            for path in (
                f"/api/sites/{site}/audit",
                f"/api/sites/{site}/counters",
                f"/api/admin/staff?site_id={site}",
            ):
                r = await api.get(path, headers=admin)
                assert r.status_code == 403, (path, r.text)
            closing = await api.post(f"/api/sites/{site}/services/ktp-el/close", headers=admin)
            assert closing.status_code in (403, 404), closing.text
        assert (await api.get("/api/sites/balangan/audit", headers=admin)).status_code == 200


async def test_wrong_passwords_from_the_lobby_do_not_lock_the_clerk_out(system: System) -> None:
    password = system.env["MPP_DEMO_PASSWORD"]
    wrong = {"username": "balangan-loket-15", "password": "tebak-tebak"}
    async with (
        client(system.ticketing, "127.0.0.2") as tout,
        client(system.ticketing, "127.0.0.1") as clerk,
    ):
        statuses = [(await tout.post("/api/auth/token", data=wrong)).status_code for _ in range(15)]
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
        refused = await tout.post("/api/auth/token", data=wrong)
        assert "coba lagi dalam" in refused.json()["detail"]
        # the clerk, at the counter's own address, logs in at once
        await login(clerk, "balangan-loket-15", password)


async def test_appointment_codes_cannot_be_guessed_or_cancelled_with_the_code_alone(
    system: System,
) -> None:
    async with client(system.ticketing, "127.0.0.2") as tout:
        started = time.monotonic()
        statuses = []
        for i in range(30):
            r = await tout.get(f"/api/appointments/ZZZZ{i:04d}", headers={"Phone-Last4": "1234"})
            statuses.append(r.status_code)
        assert statuses[:10] == [404] * 10 and set(statuses[10:]) == {429}, statuses
        assert time.monotonic() - started < 10
    # a real booking, written directly: its code alone does not cancel it
    conn = await asyncpg.connect(system.env["DATABASE_URL"])
    try:
        service = await conn.fetchval(
            "SELECT id FROM ticketing.services WHERE site_id = 'uji' ORDER BY position LIMIT 1"
        )
        await conn.execute(
            """INSERT INTO ticketing.appointments (id, code, site_id, service_id, phone, day,
                   slot_start, slot_end)
               VALUES (gen_random_uuid(), 'KODEUJI2', 'uji', $1, '+6281311112222',
                       current_date + 1, now() + $2::interval, now() + $3::interval)""",
            service,
            timedelta(days=1),
            timedelta(days=1, minutes=30),
        )
    finally:
        await conn.close()
    async with client(system.ticketing, "127.0.0.3") as other:
        assert (await other.delete("/api/appointments/KODEUJI2")).status_code == 401
        wrong = await other.delete("/api/appointments/KODEUJI2", headers={"Phone-Last4": "0000"})
        assert wrong.status_code == 403
        holder = await other.get("/api/appointments/KODEUJI2", headers={"Phone-Last4": "2222"})
        assert holder.status_code == 200 and holder.json()["status"] == "booked"
