"""The development TOKEN_SECRET default signs staff tokens without PyJWT's
InsecureKeyLengthWarning (a key under 32 bytes for HS256), which `make run` printed at
every login; outside development that default is still refused (test_hardening_rules)."""

from __future__ import annotations

import warnings
from pathlib import Path

import httpx
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from services.ticketing.app import create_app
from services.ticketing.settings import TicketingSettings
from shared.settings import DEFAULT_SECRET
from tests.integration.ticketing.conftest import DEMO_PASSWORD, settings_for


@pytest.mark.filterwarnings("error::jwt.warnings.InsecureKeyLengthWarning")
async def test_a_login_with_the_development_secret_warns_nothing(
    ticketing_db: str, kafka_topics: str, sites_dir: Path
) -> None:
    settings = settings_for(ticketing_db, kafka_topics, sites_dir).model_copy(
        update={"token_secret": TicketingSettings(_env_file=None).token_secret}
    )
    assert settings.token_secret == DEFAULT_SECRET and settings.environment == "development"
    assert len(DEFAULT_SECRET.encode()) >= 32
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ticketing") as api:
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                token = await api.post(
                    "/api/auth/token",
                    data={"username": "uji-supervisor", "password": DEMO_PASSWORD},
                )
                assert token.status_code == 200, token.text
                auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
                me = await api.get("/api/auth/me", headers=auth)
    assert me.status_code == 200, me.text
    assert not [w for w in seen if issubclass(w.category, InsecureKeyLengthWarning)]
