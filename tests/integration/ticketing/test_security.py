"""The security a public service needs, through the real app and PostgreSQL: body size
limit, login rate limit, CORS closed by default, API headers, no default secrets in
production (object-level checks across sites are in test_tickets_api / test_supervision)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import httpx
import pytest
from pydantic import ValidationError

from services.ticketing.settings import TicketingSettings
from tests.integration.ticketing.conftest import DEMO_PASSWORD


async def test_oversized_bodies_are_refused_before_they_are_read(api: httpx.AsyncClient) -> None:
    huge = b'{"service_id": "ktp-el", "phone": "' + b"9" * 100_000 + b'"}'
    r = await api.post(
        "/api/sites/uji/tickets", content=huge, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert "larger than" in r.json()["detail"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams in
        for _ in range(100):
            yield b"x" * 1024

    r = await api.post(
        "/api/sites/uji/tickets", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert (await api.get("/api/sites/uji/queues")).json()["ktp-el"]["waiting"] == 0


def from_address(api: httpx.AsyncClient, host: str) -> httpx.AsyncClient:
    """Another client on the same app, as seen from `host`."""
    transport = httpx.ASGITransport(app=api.app, client=(host, 40000))  # type: ignore[attr-defined]
    return httpx.AsyncClient(transport=transport, base_url="http://ticketing")


async def test_wrong_passwords_slow_one_username_from_one_address_only(
    api: httpx.AsyncClient, ticketing_db: str
) -> None:
    wrong = {"username": "uji-loket-05", "password": "tebak"}
    right = {"username": "uji-loket-05", "password": DEMO_PASSWORD}
    async with from_address(api, "10.0.0.66") as tout, from_address(api, "10.0.0.5") as clerk:
        statuses = [(await tout.post("/api/auth/token", data=wrong)).status_code for _ in range(6)]
        assert statuses == [401] * 5 + [429]
        blocked = await tout.post("/api/auth/token", data=right)
        assert blocked.status_code == 429  # even the right password, from the tout's address
        assert 0 < int(blocked.headers["Retry-After"]) <= 30
        assert "kata sandi salah" in blocked.json()["detail"]
        # the clerk at the counter logs in with the right password all the same
        assert (await clerk.post("/api/auth/token", data=right)).status_code == 200

        # the delay doubles with each further failure once it has passed
        conn = await asyncpg.connect(ticketing_db)
        try:
            back = "UPDATE ticketing.login_failures SET last_failure_at = last_failure_at - $1::interval"
            await conn.execute(back, timedelta(seconds=31))
            assert (await tout.post("/api/auth/token", data=wrong)).status_code == 401
            again = await tout.post("/api/auth/token", data=wrong)
            assert again.status_code == 429 and 30 < int(again.headers["Retry-After"]) <= 60
            failures = await conn.fetchval(
                "SELECT failures FROM ticketing.login_failures WHERE address = '10.0.0.66'"
            )
            assert failures == 6  # the refused tries were not counted as failures
            await conn.execute(back, timedelta(seconds=61))
        finally:
            await conn.close()
        # a success clears the address's failures
        assert (await tout.post("/api/auth/token", data=right)).status_code == 200
        assert (await tout.post("/api/auth/token", data=wrong)).status_code == 401


async def test_cors_is_closed_and_api_answers_carry_safe_headers(api: httpx.AsyncClient) -> None:
    preflight = await api.options(
        "/api/sites/uji/tickets",
        headers={"Origin": "https://calo.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    r = await api.get("/api/sites/uji", headers={"Origin": "https://calo.example"})
    assert "access-control-allow-origin" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"


def test_production_refuses_default_or_weak_secrets() -> None:
    # 32 bytes, 16 different characters: the weakest secret production takes
    # (shared.settings.SECRET_RULES; the unit tests try the edges)
    strong = "0123456789abcdef" * 2
    with pytest.raises(ValidationError, match="TOKEN_SECRET"):
        TicketingSettings(environment="production", mpp_demo_password="rahasia-kuat-sekali")
    with pytest.raises(ValidationError, match="MPP_DEMO_PASSWORD"):
        TicketingSettings(environment="production", token_secret=strong, mpp_demo_password="demo")
    with pytest.raises(ValidationError, match="32"):
        TicketingSettings(
            environment="production", token_secret="short", mpp_demo_password="kuat-sekali!"
        )
    with pytest.raises(ValidationError, match="16 different"):
        TicketingSettings(
            environment="production", token_secret="x" * 40, mpp_demo_password="kuat-sekali!"
        )
    TicketingSettings(
        environment="production", token_secret=strong, mpp_demo_password="kuat-sekali!"
    )


async def test_a_code_request_without_a_phone_is_a_422_not_a_500(api: httpx.AsyncClient) -> None:
    # found by schemathesis: a blank phone passed validation as "no phone" and crashed
    for phone in ("", "   "):
        r = await api.post("/api/sites/uji/phone-verifications", json={"phone": phone})
        assert r.status_code == 422, r.text
        assert "nomor HP wajib diisi" in str(r.json()["detail"])
