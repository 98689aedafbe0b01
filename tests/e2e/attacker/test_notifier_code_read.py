"""Finding 1 of issue 13: from the lobby Wi-Fi, `GET :8002/api/messages?ticket_id=<the
verification_id ticketing just answered>` returned the SMS with the one-time code, so
anyone could "prove" a phone they do not hold. Now the notifier answers only a supervisor
or admin of the site, and never with the code."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.e2e.conftest import SmsGateway, System

pytestmark = pytest.mark.e2e

SITE = "uji"
PHONE = "0812-7000-3131"


async def test_the_one_time_code_cannot_be_read_from_the_notifier(
    system: System, sms_gateway: SmsGateway
) -> None:
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        started = await api.post(f"/api/sites/{SITE}/phone-verifications", json={"phone": PHONE})
    assert started.status_code == 202, started.text
    verification_id = started.json()["verification_id"]
    sms = await sms_gateway.wait_for("verification", "Kode verifikasi", timeout=60)
    code = re.search(r"\b(\d{6})\b", sms["text"])
    assert code is not None and sms["to"] == "+6281270003131"  # only the phone gets it

    params = {"ticket_id": verification_id}
    async with httpx.AsyncClient(base_url=system.notifier, timeout=10) as notifier:
        anonymous = await notifier.get("/api/messages", params=params)
        assert anonymous.status_code == 401, anonymous.text
        for username in ("uji-loket-01", "lahat-supervisor"):  # an operator, another site
            refused = await notifier.get(
                "/api/messages", params=params, headers=await system.login(username)
            )
            assert refused.status_code == 403, (username, refused.text)
        for answer in (anonymous, refused):
            assert code.group(1) not in answer.text

        staff = await notifier.get(
            "/api/messages", params=params, headers=await system.login("uji-supervisor")
        )
    assert staff.status_code == 200, staff.text
    [message] = staff.json()["messages"]
    assert message["kind"] == "verification"
    assert message["to"] == "+62812*****131"
    assert code.group(1) not in staff.text
    assert not re.search(r"\d{6}", message["text"]), message["text"]
    assert "+6281270003131" not in staff.text
