"""Finding 2 of issue 13, replayed: a script on the lobby Wi-Fi poses as a kiosk to pump
tickets (each one a place in line, an SMS, a number off the quota). On `uji`, a real site,
kiosk tickets need an enrolled kiosk's token: without one, with a forged, revoked or staff
token the answer is 401 before anything else; an enrolled kiosk gets 429 past 20 tickets a
minute; and none of the refused requests changes the queue. The pretender's client is bound
to 127.0.0.2, the supervisor's and the enrolled kiosk's to 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import System

pytestmark = pytest.mark.e2e

SITE = "uji"


def client(base: str, address: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=base, transport=transport, timeout=15)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def queue_counts(api: httpx.AsyncClient) -> dict[str, Any]:
    queues = (await api.get(f"/api/sites/{SITE}/queues")).json()
    return {sid: (q["waiting"], q["issued_today"]) for sid, q in queues.items()}


async def enrol(api: httpx.AsyncClient, boss: dict[str, str], name: str) -> dict[str, Any]:
    made = await api.post(f"/api/sites/{SITE}/kiosks", json={"name": name}, headers=boss)
    assert made.status_code == 201, made.text
    kiosk: dict[str, Any] = made.json()
    return kiosk


async def test_a_script_cannot_pose_as_a_kiosk(system: System) -> None:
    async with (
        client(system.ticketing, "127.0.0.1") as api,
        client(system.ticketing, "127.0.0.2") as pretender,
    ):
        login = await api.post(
            "/api/auth/token",
            data={"username": "uji-supervisor", "password": system.env["MPP_DEMO_PASSWORD"]},
        )
        boss = bearer(login.json()["access_token"])
        old = await enrol(api, boss, "Kiosk lama")
        revoked = await api.delete(f"/api/sites/{SITE}/kiosks/{old['id']}", headers=boss)
        assert revoked.status_code == 200
        if time.time() % 60 > 40:  # the 20 a minute count per clock minute: start early in one
            await asyncio.sleep(61 - time.time() % 60)
        kiosk = await enrol(api, boss, "Kiosk lobi")
        before = await queue_counts(api)

        url = f"/api/sites/{SITE}/tickets"
        pretenders = {
            "no token": {},
            "forged": bearer("kiosk_" + "x" * 43),
            "revoked": bearer(old["token"]),
            "a supervisor's token": boss,
        }
        for who, headers in pretenders.items():
            for body in (
                {"service_id": "ktp-el", "channel": "kiosk"},
                {"service_id": "ktp-el", "channel": "mobile", "phone": "081234567890"},
                {"service_id": "ktp-el"},
            ):
                refused = await pretender.post(url, json=body, headers=headers)
                assert refused.status_code == 401, (who, body, refused.text)
        assert await queue_counts(api) == before  # refused: nothing written

        # the enrolled kiosk: 20 a minute, then 429 with Retry-After
        for i in range(20):
            issued = await api.post(
                url, json={"service_id": "ktp-el"}, headers=bearer(kiosk["token"])
            )
            assert issued.status_code == 201, (i, issued.text)
        after_twenty = await queue_counts(api)
        assert after_twenty["ktp-el"][0] == before["ktp-el"][0] + 20
        past = await api.post(url, json={"service_id": "ktp-el"}, headers=bearer(kiosk["token"]))
        assert past.status_code == 429, past.text
        assert int(past.headers["retry-after"]) >= 1
        assert await queue_counts(api) == after_twenty

        # and a kiosk token opens nothing else
        for method, path in (
            ("POST", f"/api/sites/{SITE}/counters/uji-loket-01/call-next"),
            ("GET", f"/api/sites/{SITE}/audit"),
            ("GET", f"/api/sites/{SITE}/kiosks"),
        ):
            opened = await pretender.request(method, path, headers=bearer(kiosk["token"]))
            assert opened.status_code in (401, 403), (path, opened.status_code)
