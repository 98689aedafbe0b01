"""The service credential (CONTRACT.md "Service credential"): the notifier cancels a
citizen's waiting ticket of today by phone with a token of role `service`; a staff or forged
token gets 401, and a service token opens no staff route. Real app, real PostgreSQL."""

from __future__ import annotations

import httpx

from services.ticketing.auth import issue_service_token
from services.ticketing.settings import TicketingSettings
from tests.integration.ticketing.conftest import Login, issue

SITE = "uji"
PHONE = "081299990001"


async def test_the_notifier_cancels_a_citizens_ticket_by_phone(
    api: httpx.AsyncClient, ticketing_settings: TicketingSettings, login: Login
) -> None:
    url = f"/api/sites/{SITE}/tickets/cancel-by-phone"
    service = {
        "Authorization": f"Bearer {issue_service_token('notifier', ticketing_settings.token_secret)}"
    }
    first = await issue(api, SITE, "ktp-el", phone=PHONE)
    body = {"phone": "+62 812-9999-0001"}

    assert (await api.post(url, json=body)).status_code == 401
    staff = await login("uji-supervisor")
    assert (await api.post(url, json=body, headers=staff)).status_code == 401
    forged = {"Authorization": f"Bearer {issue_service_token('notifier', 'x' * 40)}"}
    assert (await api.post(url, json=body, headers=forged)).status_code == 401
    # a service token opens no staff route
    assert (await api.get(f"/api/sites/{SITE}/audit", headers=service)).status_code == 401
    assert (await api.get("/api/auth/me", headers=service)).status_code == 401

    second = await issue(api, SITE, "kk", phone=PHONE)
    several = await api.post(url, json=body, headers=service)
    assert several.status_code == 409
    assert (
        first["number"] in several.json()["detail"] and second["number"] in several.json()["detail"]
    )

    named = await api.post(url, json={**body, "ticket_number": second["number"]}, headers=service)
    assert named.status_code == 200 and named.json()["id"] == second["id"]
    assert named.json()["status"] == "cancelled"
    only = await api.post(url, json=body, headers=service)
    assert only.status_code == 200 and only.json()["id"] == first["id"]
    none_left = await api.post(url, json=body, headers=service)
    assert none_left.status_code == 404 and "tidak ada antrean" in none_left.json()["detail"]
