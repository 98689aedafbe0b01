"""Browser tests: Playwright for Python driving Debian's Chromium (`/usr/bin/chromium`)
against the real services — the e2e `system` fixture starts ticketing, notifier and display
as processes on the real broker and PostgreSQL.

Playwright's own browser download is not used (it cannot be fetched here); without
/usr/bin/chromium every test in this folder skips and says why.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import e2e_kafka, sms_gateway, system, system_env  # noqa: F401

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # as a lobby PC runs the board: sound without a tap on the screen first
    "--autoplay-policy=no-user-gesture-required",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
MISSING = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if "browser" in getattr(item, "fixturenames", ()) and not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason=MISSING))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CHROMIUM.exists() and terminalreporter.stats.get("skipped"):
        terminalreporter.write_line(f"browser tests skipped: {MISSING}", yellow=True)


class PageErrors(list[str]):
    """Console errors, CSP violations and uncaught exceptions seen by every page."""

    def watch(self, page: Any) -> None:
        page.on("pageerror", lambda exc: self.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None
            ),
        )


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
async def browser(tmp_path: Path, page_errors: PageErrors) -> AsyncIterator[BrowserContext]:
    """A fresh Chromium profile (its own user-data-dir) for each test."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            locale="id-ID",
            timezone_id="Asia/Jakarta",  # not the site's zone: pages must use the site's own
        )
        context.set_default_timeout(10_000)
        context.on("page", page_errors.watch)
        for page in context.pages:
            page_errors.watch(page)
        try:
            yield context
        finally:
            await context.close()


Shot = Callable[[Any, str], Awaitable[Path]]


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shot:
    """Save a full-page screenshot under .data/screenshots/ and print where."""

    async def take(page: Any, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        sys.stderr.write(f"\n[screenshot] {path}\n")
        return path

    return take


async def qr_text(page: Any, selector: str) -> str:
    """What the QR code drawn in `selector` says, read from a screenshot of it (zxing-cpp),
    as a phone's camera would read it."""
    import io

    import zxingcpp
    from PIL import Image

    png = await page.locator(selector).screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"{selector}: {len(found)} QR codes read"
    text: str = found[0].text
    return text
