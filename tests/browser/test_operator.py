"""The operator console in Chromium against the real services: log in as a counter, call
the kiosk's ticket, recall, survive a reload, complete, transfer, no-show, and say plainly
when nobody waits — by buttons and by keyboard shortcuts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx

from tests.browser.conftest import PageErrors, Shot
from tests.e2e.conftest import System

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

SITE = "balangan"
COUNTER = "balangan-loket-01"  # serves ktp-el and kia


async def take_ticket_at_kiosk(
    browser: BrowserContext, system: System, service: str = "ktp-el"
) -> str:
    kiosk = await browser.new_page()
    await kiosk.goto(f"{system.ticketing}/kiosk/{SITE}")
    await kiosk.click(".tile[data-agency='disdukcapil']")
    await kiosk.click(f".tile[data-service='{service}']")
    await kiosk.click("#take")
    await kiosk.wait_for_selector("#view-ticket:not([hidden])")
    number = await kiosk.inner_text("#t-number")
    await kiosk.close()
    return number


async def test_operator_calls_recalls_completes_and_says_when_nobody_waits(
    system: System, browser: BrowserContext, shot: Shot, page_errors: PageErrors
) -> None:
    number = await take_ticket_at_kiosk(browser, system)

    page = await browser.new_page()
    await page.goto(f"{system.ticketing}/operator")
    await page.wait_for_selector("#view-login:not([hidden])")
    await page.fill("#username", COUNTER)
    await page.fill("#password", "salah")
    await page.click("#login-btn")
    await page.wait_for_selector("#login-error:not([hidden])")
    assert "salah" in (await page.inner_text("#login-error")).lower()
    await shot(page, "1-login-error")

    await page.fill("#password", system.env["MPP_DEMO_PASSWORD"])
    await page.click("#login-btn")
    await page.wait_for_selector("#view-desk:not([hidden])")
    assert await page.inner_text("#counter-name") == "Loket 1"
    await page.wait_for_selector("#queue-list li[data-service='ktp-el'] .q-count:text('1')")
    assert await page.is_disabled("#act-recall")

    # N: call next → the kiosk's ticket
    await page.click("#act-next")
    await page.wait_for_selector(f"#cur-number:text('{number}')")
    assert "Dipanggil 1×" in await page.inner_text("#cur-calls")
    await page.wait_for_selector("#cur-timer:text-matches('00:0[1-9]')")
    await shot(page, "2-called")

    # R by keyboard: recall increments the call count
    await page.keyboard.press("r")
    await page.wait_for_selector("#cur-calls:text('Dipanggil 2×')")

    # the ticket at the desk survives a reload
    await page.reload()
    await page.wait_for_selector(f"#view-desk:not([hidden]) #cur-number:text('{number}')")
    assert "Dipanggil 2×" in await page.inner_text("#cur-calls")

    # S by keyboard: served
    await page.keyboard.press("s")
    await page.wait_for_selector(f"#message:text('{number} selesai dilayani.')")
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        ticket = (await api.get(f"/api/sites/{SITE}/queues")).json()
        assert ticket["ktp-el"]["waiting"] == 0
    assert await page.inner_text("#cur-number") == "Belum ada tiket dipanggil"

    # nobody waits: call-next answers 204 and the console says so
    await page.keyboard.press("n")
    await page.wait_for_selector("#message:text('Tidak ada yang menunggu')")
    await shot(page, "3-nobody-waits")

    # T: transfer a called ticket to another service; X: no-show
    second = await take_ticket_at_kiosk(browser, system, "kia")
    third = await take_ticket_at_kiosk(browser, system, "ktp-el")
    await page.bring_to_front()
    await page.click("#act-next")
    await page.wait_for_selector(f"#cur-number:text('{second}')")
    await page.keyboard.press("t")
    await page.wait_for_selector("#transfer:not([hidden])")
    await page.select_option("#transfer-to", "kartu-keluarga")
    await shot(page, "4-transfer")
    await page.click("#transfer-go")
    await page.wait_for_selector(f"#message:text('{second} dialihkan')")
    await page.click("#act-next")
    await page.wait_for_selector(f"#cur-number:text('{third}')")
    await page.keyboard.press("x")
    await page.wait_for_selector(f"#message:text('{third} ditandai tidak hadir.')")
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        queues = (await api.get(f"/api/sites/{SITE}/queues")).json()
    assert queues["kartu-keluarga"]["waiting"] == 1

    # English toggle, then log out back to the login form
    await page.click("#lang")
    assert re.search(r"Call Next", await page.inner_text("#act-next"))
    assert await page.inner_text("#counter-name") == "Loket 1"
    await shot(page, "5-english")
    await page.click("#lang")
    await page.click("#logout")
    await page.wait_for_selector("#view-login:not([hidden])")
    assert page_errors == [] or all("401" in e for e in page_errors), page_errors


async def login_at(page: Any, system: System, username: str = COUNTER) -> None:
    await page.goto(f"{system.ticketing}/operator")
    await page.wait_for_selector("#view-login:not([hidden])")
    await page.fill("#username", username)
    await page.fill("#password", system.env["MPP_DEMO_PASSWORD"])
    await page.click("#login-btn")
    await page.wait_for_selector("#view-desk:not([hidden])")


async def test_another_pc_at_the_same_desk_finds_the_citizen_already_called(
    system: System, browser: Any, shot: Shot, page_errors: PageErrors
) -> None:
    number = await take_ticket_at_kiosk(browser, system)
    first = await browser.new_page()
    await login_at(first, system)
    await first.click("#act-next")
    await first.wait_for_selector(f"#cur-number:text('{number}')")
    await first.close()

    # a new tab has its own sessionStorage: nothing remembered, as on another PC
    other = await browser.new_page()
    await login_at(other, system)
    await other.wait_for_selector(f"#cur-number:text('{number}')")
    assert "Dipanggil 1×" in await other.inner_text("#cur-calls")
    assert not await other.is_disabled("#act-complete")
    await shot(other, "other-pc")
    await other.click("#act-complete")
    await other.wait_for_selector(f"#message:text('{number} selesai dilayani.')")
    assert page_errors == [], page_errors
