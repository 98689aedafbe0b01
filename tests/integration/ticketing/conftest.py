"""Ticketing against a real PostgreSQL and the real broker, in-process over ASGI.

Site loading hashes every operator password with argon2 (about 90 ms each), so the
schema and sites are built once in a template database; each test gets a fresh copy.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from services.ticketing.app import MIGRATIONS, SCHEMA, create_app
from services.ticketing.settings import TicketingSettings
from services.ticketing.site_loader import load_all_sites
from shared.database import apply_migrations, connect
from shared.sites import SITES_DIR
from tests.conftest import _with_database

DEMO_PASSWORD = "sandi-uji"
TEST_SITES = Path(__file__).parent / "sites"


@pytest.fixture(scope="session")
def sites_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repo's real demo site plus the test sites (`uji`: 20 counters on one line)."""
    folder = tmp_path_factory.mktemp("sites")
    for source in [*SITES_DIR.glob("*.toml"), *TEST_SITES.glob("*.toml")]:
        shutil.copy(source, folder / source.name)
    return folder


def settings_for(database_url: str, kafka: str, sites_dir: Path, **extra: Any) -> TicketingSettings:
    return TicketingSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka,
        sites_dir=sites_dir,
        sites_reload_s=0,
        relay_poll_s=0.2,
        mpp_demo_password=DEMO_PASSWORD,
        token_secret="rahasia-token-uji-yang-cukup-panjang-32",
        **extra,
    )


@pytest.fixture(scope="session")
async def ticketing_template(postgres_server_url: str, sites_dir: Path) -> str:
    name = f"tpl_ticketing_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(postgres_server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await connect(_with_database(postgres_server_url, name))
    try:
        await apply_migrations(conn, SCHEMA, MIGRATIONS)
        await load_all_sites(conn, settings_for("", "", sites_dir))
    finally:
        await conn.close()
    return name


@pytest.fixture
async def ticketing_db(postgres_server_url: str, ticketing_template: str) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{ticketing_template}"')
    finally:
        await admin.close()
    yield _with_database(postgres_server_url, name)
    admin = await asyncpg.connect(postgres_server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def ticketing_settings(ticketing_db: str, kafka_topics: str, sites_dir: Path) -> TicketingSettings:
    return settings_for(ticketing_db, kafka_topics, sites_dir)


@pytest.fixture
async def api(ticketing_settings: TicketingSettings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on a running ticketing app (lifespan: migrations, sites, relay)."""
    app = create_app(ticketing_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ticketing") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


Login = Callable[[str], Coroutine[Any, Any, dict[str, str]]]


@pytest.fixture
def login(api: httpx.AsyncClient) -> Login:
    """Log in as a staff member; returns the Authorization header."""

    async def _login(username: str) -> dict[str, str]:
        response = await api.post(
            "/api/auth/token", data={"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return _login


KIOSK_USES = 15
"""Tickets the helpers take through one enrolled kiosk before enrolling the next (a lobby has
several kiosks; each issues at most 20 a minute, which test_kiosks.py tests on its own)."""


async def supervisor_headers(api: httpx.AsyncClient, site: str) -> dict[str, str]:
    """The site supervisor's Authorization header, logged in once per client."""
    tokens: dict[str, dict[str, str]] = api.__dict__.setdefault("supervisor_tokens", {})
    if site not in tokens:
        response = await api.post(
            "/api/auth/token",
            data={"username": f"{site}-supervisor", "password": DEMO_PASSWORD},
        )
        assert response.status_code == 200, response.text
        tokens[site] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return tokens[site]


async def enrol_kiosk(api: httpx.AsyncClient, site: str, name: str = "Kiosk uji") -> str:
    """Enrol a kiosk of `site` as its supervisor; its token."""
    response = await api.post(
        f"/api/sites/{site}/kiosks",
        json={"name": name},
        headers=await supervisor_headers(api, site),
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


async def kiosk_headers(api: httpx.AsyncClient, site: str) -> dict[str, str]:
    """The Authorization header of an enrolled kiosk of `site` (enrolled when first needed,
    and again every KIOSK_USES tickets)."""
    kiosks: dict[str, list[Any]] = api.__dict__.setdefault("kiosk_tokens", {})
    if site not in kiosks or kiosks[site][1] >= KIOSK_USES:
        kiosks[site] = [await enrol_kiosk(api, site), 0]
    kiosks[site][1] += 1
    return {"Authorization": f"Bearer {kiosks[site][0]}"}


async def issue(api: httpx.AsyncClient, site: str, service: str, **body: Any) -> dict[str, Any]:
    """Take a ticket as an enrolled kiosk would (as an anonymous caller for `online`); the
    answer has the holder's `ticket_key`."""
    headers = await kiosk_headers(api, site) if body.get("channel") != "online" else {}
    response = await api.post(
        f"/api/sites/{site}/tickets", json={"service_id": service, **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


def holder(ticket: dict[str, Any]) -> dict[str, str]:
    """The Ticket-Key header of a ticket the helpers took."""
    return {"Ticket-Key": ticket["ticket_key"]}
