"""What the pages router answers, in-process (no browser, no database): security headers,
caching, content-hashed asset URLs, and no way out of web/ through /static."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.ticketing.api import pages
from services.ticketing.api.pages import WEB
from services.ticketing.app import create_app
from services.ticketing.settings import TicketingSettings

PAGES = [
    "/kiosk/balangan",
    "/operator",
    "/t/6f1c2a4e-8f0b-4c1e-9a55-0d8e4b6f2a11",
    "/reports/balangan",
    "/transparansi/balangan",
    "/pengaduan/balangan",
    "/survey/6f1c2a4e-8f0b-4c1e-9a55-0d8e4b6f2a11",
    "/ikm/balangan",
]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        TicketingSettings(
            database_url="postgresql://nobody@127.0.0.1:1/none",
            kafka_bootstrap_servers="127.0.0.1:1",
            sites_reload_s=0,
            token_secret="rahasia-token-uji-yang-cukup-panjang-32",
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mpp.test") as c:
        yield c


@pytest.mark.parametrize("path", PAGES)
async def test_pages_are_html_with_security_headers_and_no_cache(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache"
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    html = r.text
    assert re.search(r"<title>[^<]+</title>", html)
    assert 'rel="icon" href="/static/favicon.svg?v=' in html
    # no inline script or style, nothing from another origin
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html
    assert "http://" not in html and "https://" not in html
    # revalidation with the ETag answers 304
    again = await client.get(path, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


async def test_static_assets_are_versioned_by_content_and_cached(
    client: httpx.AsyncClient,
) -> None:
    html = (await client.get("/operator")).text
    refs = re.findall(r'"(/static/[^"?]+)\?v=([0-9a-f]{12})"', html)
    assert {p for p, _ in refs} >= {"/static/operator.js", "/static/common.css"}
    for path, version in refs:
        r = await client.get(f"{path}?v={version}")
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.headers["x-content-type-options"] == "nosniff"
    js = await client.get("/static/common/i18n.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert js.headers["cache-control"] == "public, max-age=300"  # unversioned: briefly
    stale = await client.get("/static/common/i18n.js?v=000000000000")
    assert stale.headers["cache-control"] == "public, max-age=300"
    assert (await client.get("/favicon.ico")).headers["content-type"] == "image/svg+xml"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../api/pages.py",
        "/static/%2e%2e/api/pages.py",
        "/static/..%2fapi%2fpages.py",
        "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/static/kiosk.html",
        "/static/.hidden.js",
        "/static/",
        "/static/missing.js",
        "/static//etc/passwd",
    ],
)
async def test_static_never_leaves_web_nor_serves_other_files(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 404, (path, r.status_code)
    assert "def " not in r.text and "[project]" not in r.text


IMPORT = re.compile(r"""\b(?:from|import)\s*["'](\.{1,2}/[^"'?]+)(\?v=[0-9a-f]{12})?["']""")


def test_every_referenced_asset_and_module_exists() -> None:
    for page in WEB.glob("*.html"):
        for ref in re.findall(r'"/static/([^"?]+)"', page.read_text()):
            assert (WEB / ref).is_file(), f"{page.name} links missing {ref}"
    for script in WEB.rglob("*.js"):
        for spec, _ in IMPORT.findall(script.read_text()):
            assert (script.parent / spec).resolve().is_file(), f"{script.name} imports {spec}"


async def test_module_imports_are_stamped_and_a_deep_change_reaches_the_page(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each relative import is served with its module's `?v=`; a module's version covers
    what it imports, so changing common/ changes the version of every page module above."""
    kiosk = await client.get("/static/kiosk.js")
    specs = IMPORT.findall(kiosk.text)
    assert ("./common/i18n.js", f"?v={pages.asset_version('common/i18n.js')}") in specs
    assert all(version for _, version in specs), specs
    for spec, version in specs:
        module = await client.get(f"/static/{spec[2:]}{version}")
        assert module.headers["cache-control"] == "public, max-age=31536000, immutable"

    web = tmp_path / "web"
    shutil.copytree(WEB, web)
    monkeypatch.setattr(pages, "WEB", web)
    before = {name: pages.asset_version(name) for name in ("kiosk.js", "track.js", "ledger.js")}
    numbers = pages.asset_version("common/numbers.js")
    with (web / "common" / "time.js").open("a") as f:
        f.write("\n// a change deep in common/\n")
    after = {name: pages.asset_version(name) for name in before}
    assert after["kiosk.js"] != before["kiosk.js"]  # kiosk.js → common/time.js
    assert after["track.js"] != before["track.js"]
    assert after["ledger.js"] != before["ledger.js"]
    assert pages.asset_version("common/numbers.js") == numbers  # imports nothing changed


async def test_tracking_page_of_a_malformed_id_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/t/not-a-ticket")).status_code == 404
