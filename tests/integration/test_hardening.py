"""Issue 13, findings 9 and 10, through the real apps, PostgreSQL and broker: text that is
not Unicode is a 422 naming the field in every service (never a 500); API docs are served
offline and only where allowed; the client address behind a proxy is believed only from
FORWARDED_ALLOW_IPS (a real uvicorn server on a free port); per-address limits are per
site; QR codes are built on PUBLIC_BASE_URL, never on the Host header.

The ticketing fixtures are imported from its folder's conftest (this file spans services),
so test parameters share their names: F811 is expected here."""
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import segno
import uvicorn
from fastapi import FastAPI

from services.display.app import create_app as create_display
from services.display.settings import DisplaySettings
from services.notifier.app import create_app as create_notifier
from services.ticketing.app import create_app as create_ticketing
from services.ticketing.settings import TicketingSettings
from shared.embedded import free_port
from shared.serve import uvicorn_config
from tests.integration.notifier.conftest import notifier_settings, running
from tests.integration.ticketing.conftest import (  # noqa: F401 — fixtures
    api,
    settings_for,
    sites_dir,
    ticketing_db,
    ticketing_settings,
    ticketing_template,
)

STRONG_SECRET = "Kq7#vR2m!pX9zT4w@L6nB8yF3hJ5dG1s"
STRONG_PASSWORD = "loket-balangan-2026"
PUBLIC = "https://antrian.balangan.example"
JSON = {"content-type": "application/json"}


def bad_text_field(response: httpx.Response) -> list[Any]:
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["type"] == "string_unicode"
    assert "bukan Unicode" in error["msg"]
    loc: list[Any] = error["loc"]
    return loc


# -- bad text ------------------------------------------------------------------------------


async def test_a_lone_surrogate_in_a_complaint_is_a_422_and_nothing_is_stored(
    api: httpx.AsyncClient, ticketing_db: str
) -> None:
    r = await api.post(
        "/api/sites/balangan/complaints",
        content=b'{"kind": "complaint", "text": "AC mati \\ud800"}',
        headers=JSON,
    )
    assert bad_text_field(r) == ["body", "text"]
    conn = await asyncpg.connect(ticketing_db)
    try:
        assert await conn.fetchval("SELECT count(*) FROM ticketing.complaints") == 0
    finally:
        await conn.close()
    # an emoji is a surrogate *pair* in JSON: valid Unicode, filed as usual
    ok = await api.post(
        "/api/sites/balangan/complaints",
        content=b'{"kind": "suggestion", "text": "Petugas ramah \\ud83d\\ude00"}',
        headers=JSON,
    )
    assert ok.status_code == 201, ok.text


async def test_a_lone_surrogate_in_a_ticket_body_is_a_422_naming_the_field(
    api: httpx.AsyncClient,
) -> None:
    r = await api.post(
        "/api/sites/balangan/tickets", content=b'{"service_id": "ktp-el\\udc00"}', headers=JSON
    )
    assert bad_text_field(r) == ["body", "service_id"]
    r = await api.post(
        "/api/sites/balangan/tickets",
        content=b'{"service_id": "ktp-el", "journey": ["kartu-keluarga", "\\ud800"]}',
        headers=JSON,
    )
    assert bad_text_field(r) == ["body", "journey", 1]
    r = await api.post(
        "/api/sites/balangan/tickets", content=b'{"service_id": "\xed\xa0\x80"}', headers=JSON
    )
    assert bad_text_field(r) == ["body"]  # a surrogate as raw bytes: not UTF-8 at all
    queues = (await api.get("/api/sites/balangan/queues")).json()
    assert queues["ktp-el"]["waiting"] == 0


async def test_bad_text_in_a_query_or_form_field_is_a_422_naming_it(
    api: httpx.AsyncClient,
) -> None:
    ticket = "7f0c1f2e-0000-4000-8000-000000000001"
    r = await api.get(f"/api/tickets/{ticket}/survey?sig=%ED%A0%80")
    assert bad_text_field(r) == ["query", "sig"]
    r = await api.post(
        "/api/auth/token",
        content=b"username=balangan-loket-01%ED%A0%80&password=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert bad_text_field(r) == ["body", "username"]
    r = await api.get("/api/sites/%ED%A0%80/queues")
    assert bad_text_field(r) == ["path"]


async def test_the_notifier_and_the_display_refuse_bad_text_too(
    kafka_topics: str, database_url: str
) -> None:
    settings = notifier_settings(kafka_topics, database_url, None)
    async with running(settings) as (_, notifier):
        r = await notifier.get("/api/messages?ticket_id=%ED%A0%80")
        assert bad_text_field(r) == ["query", "ticket_id"]
        r = await notifier.post("/api/messages", content=b'{"text": "\\ud800"}', headers=JSON)
        assert bad_text_field(r) == ["body", "text"]
    display = create_display(DisplaySettings(_env_file=None))
    async with client_of(display) as board:
        r = await board.get("/api/sites/balangan/board?agency=%ED%A0%80")
        assert bad_text_field(r) == ["query", "agency"]


# -- API docs ------------------------------------------------------------------------------


@asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app without its lifespan: the docs need no broker or database."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mpp.test") as client:
        yield client


def app_of(service: str, environment: str, **values: Any) -> FastAPI:
    values = {"environment": environment, **values}
    if service == "ticketing":
        return create_ticketing(
            TicketingSettings(
                _env_file=None,
                token_secret=STRONG_SECRET,
                mpp_demo_password=STRONG_PASSWORD,
                **values,
            )
        )
    if service == "notifier":
        settings = notifier_settings("127.0.0.1:1", "", None, token_secret=STRONG_SECRET, **values)
        return create_notifier(settings)
    return create_display(DisplaySettings(_env_file=None, **values))


@pytest.mark.parametrize("service", ["ticketing", "notifier", "display"])
async def test_docs_in_development_load_only_local_files(service: str) -> None:
    async with client_of(app_of(service, "development")) as client:
        docs = await client.get("/docs")
        assert docs.status_code == 200
        html = docs.text
        assert "http://" not in html and "https://" not in html, "no CDN, no online validator"
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
        assert len(assets) == 3, assets  # Swagger UI's script, its style sheet and the icon
        for url in assets:
            assert url.startswith("/docs/static/"), url
            asset = await client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 500, url
        script = next(a for a in assets if a.endswith(".js"))
        assert "SwaggerUIBundle" in (await client.get(script)).text
        schema = await client.get("/openapi.json")
        assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
        assert "'/openapi.json'" in html
        assert (await client.get("/docs/oauth2-redirect")).status_code == 200
        # no ReDoc (it would need a CDN); on the notifier an unknown path is staff-only first
        assert (await client.get("/redoc")).status_code == (401 if service == "notifier" else 404)


@pytest.mark.parametrize("service", ["ticketing", "notifier", "display"])
async def test_docs_are_off_in_production_unless_api_docs_is_true(service: str) -> None:
    async with client_of(app_of(service, "production")) as client:
        for path in ("/docs", "/openapi.json", "/docs/static/swagger-ui-bundle.js"):
            assert (await client.get(path)).status_code == 404, path
        redoc = (await client.get("/redoc")).status_code
        assert redoc == (401 if service == "notifier" else 404)  # the notifier: staff-only first
    async with client_of(app_of(service, "production", api_docs=True)) as client:
        assert (await client.get("/docs")).status_code == 200
        assert (await client.get("/openapi.json")).status_code == 200
        assert (await client.get("/docs/static/swagger-ui.css")).status_code == 200


# -- proxy headers and per-site keys ---------------------------------------------------------


@asynccontextmanager
async def uvicorn_serving(settings: TicketingSettings) -> AsyncIterator[str]:
    """Ticketing under a real uvicorn server, configured as `python -m services.ticketing`
    configures it, on a free port of 127.0.0.1."""
    port = free_port()
    server = uvicorn.Server(uvicorn_config(settings, create_ticketing(settings), port))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "uvicorn did not start"
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def login_address_keys(database_url: str) -> set[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT key FROM ticketing.rate_limits WHERE key LIKE 'login-ip:%'")
    finally:
        await conn.close()
    return {r["key"] for r in rows}


async def try_login_from_behind_a_proxy(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        r = await client.post(
            "/api/auth/token",
            data={"username": "balangan-loket-01", "password": "tebak"},
            headers={"X-Forwarded-For": "10.9.9.9"},
        )
        assert r.status_code == 401


async def test_x_forwarded_for_is_believed_only_from_listed_proxies(
    ticketing_db: str, kafka_topics: str, sites_dir: Path
) -> None:
    plain = settings_for(ticketing_db, kafka_topics, sites_dir)
    async with uvicorn_serving(plain) as url:
        await try_login_from_behind_a_proxy(url)
    assert await login_address_keys(ticketing_db) == {"login-ip:127.0.0.1"}

    behind = settings_for(ticketing_db, kafka_topics, sites_dir, forwarded_allow_ips="127.0.0.1")
    async with uvicorn_serving(behind) as url:
        await try_login_from_behind_a_proxy(url)
    assert await login_address_keys(ticketing_db) == {"login-ip:127.0.0.1", "login-ip:10.9.9.9"}


async def test_per_address_limits_are_counted_per_site(
    api: httpx.AsyncClient, ticketing_db: str
) -> None:
    for site, service in (("uji", "ktp-el"), ("balangan", "ktp-el")):
        await api.post(
            f"/api/sites/{site}/tickets", json={"service_id": service, "channel": "online"}
        )
    conn = await asyncpg.connect(ticketing_db)
    try:
        keys = {r["key"] for r in await conn.fetch("SELECT key FROM ticketing.rate_limits")}
    finally:
        await conn.close()
    assert {"ip:uji:127.0.0.1", "ip:balangan:127.0.0.1"} <= keys
    assert not any(re.fullmatch(r"ip:[\d.]+", k) for k in keys)


# -- public links ----------------------------------------------------------------------------


def qr_svg(text: str) -> bytes:
    """The QR code ticketing draws for `text` (services/ticketing/api/pages.py)."""
    out = io.BytesIO()
    code = segno.make(text, error="m", micro=False)
    code.save(out, kind="svg", border=2, xmldecl=False, omitsize=True, nl=False)
    return out.getvalue()


async def test_the_qr_code_uses_public_base_url_whatever_the_host_header(
    ticketing_db: str, kafka_topics: str, sites_dir: Path
) -> None:
    settings = settings_for(ticketing_db, kafka_topics, sites_dir, public_base_url=PUBLIC)
    app = create_ticketing(settings)
    async with app.router.lifespan_context(app), client_of(app) as client:
        issued = await client.post("/api/sites/balangan/tickets", json={"service_id": "ktp-el"})
        assert issued.status_code == 201, issued.text
        ticket = issued.json()["id"]
        qr = await client.get(f"/api/tickets/{ticket}/qr.svg", headers={"Host": "calo.example"})
    assert qr.status_code == 200
    assert qr.content == qr_svg(f"{PUBLIC}/t/{ticket}")
    assert qr.content != qr_svg(f"http://calo.example/t/{ticket}")
