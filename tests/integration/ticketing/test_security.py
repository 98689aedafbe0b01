"""The security a public service needs, through the real app and PostgreSQL: body size
limit, login rate limit, CORS closed by default, API headers, no default secrets in
production (object-level checks across sites are in test_tickets_api / test_supervision)."""

from __future__ import annotations

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

    async def chunks():  # no Content-Length: counted as it streams in
        for _ in range(100):
            yield b"x" * 1024

    r = await api.post(
        "/api/sites/uji/tickets", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert (await api.get("/api/sites/uji/queues")).json()["ktp-el"]["waiting"] == 0


async def test_logins_are_rate_limited_per_username(api: httpx.AsyncClient) -> None:
    statuses = []
    for _ in range(10):
        r = await api.post(
            "/api/auth/token", data={"username": "uji-loket-05", "password": "tebak"}
        )
        statuses.append(r.status_code)
    assert statuses == [401] * 10
    blocked = await api.post(
        "/api/auth/token", data={"username": "uji-loket-05", "password": DEMO_PASSWORD}
    )
    assert blocked.status_code == 429  # even the right password, until the window passes
    assert int(blocked.headers["Retry-After"]) > 0
    other = await api.post(
        "/api/auth/token", data={"username": "uji-loket-06", "password": DEMO_PASSWORD}
    )
    assert other.status_code == 200


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
    strong = "x" * 40
    with pytest.raises(ValidationError, match="TOKEN_SECRET"):
        TicketingSettings(environment="production", mpp_demo_password="rahasia-kuat-sekali")
    with pytest.raises(ValidationError, match="demo"):
        TicketingSettings(environment="production", token_secret=strong, mpp_demo_password="demo")
    with pytest.raises(ValidationError, match="32"):
        TicketingSettings(
            environment="production", token_secret="short", mpp_demo_password="kuat-sekali"
        )
    TicketingSettings(
        environment="production", token_secret=strong, mpp_demo_password="kuat-sekali"
    )
