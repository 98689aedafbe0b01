"""Finding 4 of issue 13 (messages): a script takes many tickets for one phone and every
ticket costs a paid SMS. Now one phone gets at most 5 `issued` SMS per site per day
(uji's default); its further tickets are issued and followed as usual, without that SMS."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.e2e.conftest import SmsGateway, System

pytestmark = pytest.mark.e2e

SITE = "uji"
PHONE = "0812-7000-4242"
TICKETS = 12


async def kiosk_headers(system: System) -> dict[str, str]:
    """How the pumping script takes kiosk tickets on uji, which requires enrolled kiosks: it
    has one (enrolled here as uji's supervisor); one kiosk issues 20 a minute, more than
    these 12.

    Not online tickets: uji's online rules (5 bookings per phone per hour, one active per
    service) would stop the script before the notifier's cap could be seen."""
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        enrolled = await api.post(
            f"/api/sites/{SITE}/kiosks",
            json={"name": "Kiosk pompa"},
            headers=await system.login("uji-supervisor"),
        )
    assert enrolled.status_code == 201, enrolled.text
    return {"Authorization": f"Bearer {enrolled.json()['token']}"}


async def test_a_dozen_tickets_for_one_phone_cost_five_issued_sms(
    system: System, sms_gateway: SmsGateway
) -> None:
    numbers = []
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        kiosk = await kiosk_headers(system)
        for _ in range(TICKETS):
            r = await api.post(
                f"/api/sites/{SITE}/tickets",
                json={"service_id": "ktp-el", "phone": PHONE, "channel": "kiosk"},
                headers=kiosk,
            )
            assert r.status_code == 201, r.text  # every ticket is still issued
            numbers.append(r.json()["number"])
        # the last ticket is followed as usual: its holder hears the call
        desk = await system.login("uji-loket-01")
        while True:
            called = await api.post(
                f"/api/sites/{SITE}/counters/uji-loket-01/call-next", headers=desk
            )
            assert called.status_code == 200, called.text
            if called.json()["number"] == numbers[-1]:
                break
    await sms_gateway.wait_for("called", numbers[-1], timeout=60)
    await asyncio.sleep(2.0)  # any late issued SMS would have arrived by now

    issued = [
        s for s in sms_gateway.received if s["kind"] == "issued" and s["to"] == "+6281270004242"
    ]
    assert len(issued) == 5, [s["text"] for s in issued]
    assert [n for n in numbers if any(n in s["text"] for s in issued)] == numbers[:5]

    async with httpx.AsyncClient(base_url=system.notifier, timeout=10) as notifier:
        staff = await system.login("uji-supervisor")
        stats = (await notifier.get("/api/stats", headers=staff)).json()
        metrics = (await notifier.get("/metrics")).text
    assert stats["by_kind"]["issued"]["skipped"] == TICKETS - 5
    assert f'mpp_sms_skipped_total{{kind="issued",reason="issued_cap"}} {TICKETS - 5}.0' in metrics
