"""The operator console in Chromium against the real services: log in as a counter, call
the kiosk's ticket, recall, survive a reload, complete, transfer, no-show, and say plainly
when nobody waits — by buttons and by keyboard shortcuts; and the desk's tools: a chosen
number with a reason the ledger shows, a break, a returning no-show, the day's figures."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx

from tests.browser.accessibility import assert_accessible
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


async def desk_answer(page: Any, system: System) -> dict[str, Any]:
    """The counter's desk as the console's own token reads it."""
    session = json.loads(await page.evaluate("sessionStorage.getItem('antrian.op.session')"))
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        answer = await api.get(
            f"/api/sites/{SITE}/counters/{COUNTER}/desk",
            headers={"Authorization": f"Bearer {session['token']}"},
        )
    assert answer.status_code == 200, answer.text
    desk: dict[str, Any] = answer.json()
    return desk


async def chosen_in_ledger(system: System, number: str, by: str) -> dict[str, Any]:
    """How the public ledger says `by` went before `number` (waits for the event to land)."""
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        for _ in range(50):
            ledger = (await api.get(f"/api/sites/{SITE}/ledger")).json()
            for ticket in ledger["tickets"]:
                for other in ticket["overtaken_by"] if ticket["number"] == number else []:
                    if other["number"] == by:
                        found: dict[str, Any] = other
                        return found
            await asyncio.sleep(0.2)
    raise AssertionError(f"the ledger does not say {by} went before {number}")


async def test_counter_tools_call_a_chosen_number_pause_bring_back_and_count(
    system: System, browser: BrowserContext, shot: Shot, page_errors: PageErrors
) -> None:
    first, second, third = [await take_ticket_at_kiosk(browser, system) for _ in range(3)]
    page = await browser.new_page()
    await page.set_viewport_size({"width": 1366, "height": 768})
    await login_at(page, system)
    await page.wait_for_selector("#today-figures:text('Dilayani 0')")

    # the picker: the third number out of turn, with the clerk's words for the ledger
    await page.click("#act-choose")
    await page.wait_for_selector("#choose:not([hidden])")
    options = await page.eval_on_selector_all("#choose-number option", "os => os.map(o => o.value)")
    assert options == [first, second, third]
    await page.select_option("#choose-number", third)
    await page.fill("#choose-reason", "x")  # too short: said, not sent
    await page.click("#choose-go")
    await page.wait_for_selector("#message:text('Tuliskan alasan, 3 sampai 200 karakter.')")
    # typing in the reason field fires no shortcut
    await page.fill("#choose-reason", "")
    await page.type("#choose-reason", "pemohon lansia, berkas sudah diperiksa")
    assert await page.inner_text("#cur-number") == "Belum ada tiket dipanggil"
    assert await page.is_hidden("#transfer")
    await shot(page, "1-picker")
    picker_axe = await assert_accessible(page)
    await page.click("#choose-go")
    await page.wait_for_selector(f"#cur-number:text('{third}')")
    assert await page.is_hidden("#choose")
    overtaking = await chosen_in_ledger(system, second, third)
    assert overtaking["reason"] == "chosen"
    assert "pemohon lansia, berkas sudah diperiksa" in overtaking["explanation"]

    # a break while serving: the API's 409 is shown as the message
    await page.click("#act-pause")
    await page.select_option("#break-reason", "shalat")
    await page.click("#break-go")
    await page.wait_for_selector(f"#message:has-text('masih melayani {third}')")
    await page.click("#act-complete")
    await page.wait_for_selector(f"#message:text('{third} selesai dilayani.')")

    # the break: call-next and the picker are off, the console says since when
    await page.select_option("#break-reason", "shalat")
    await page.click("#break-go")
    await page.wait_for_selector("#pause-banner:not([hidden])")
    desk = await desk_answer(page, system)
    assert desk["paused"]["reason"] == "shalat"
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        zone = ZoneInfo((await api.get(f"/api/sites/{SITE}")).json()["timezone"])  # WITA
    since = datetime.fromisoformat(desk["paused"]["since"]).astimezone(zone)
    assert await page.inner_text("#pause-text") == f"Sedang jeda: Shalat sejak {since:%H.%M}"
    assert await page.is_disabled("#act-next")
    assert await page.is_disabled("#act-choose")
    await page.keyboard.press("n")
    await page.wait_for_selector("#message:text('Loket sedang jeda')")
    await shot(page, "2-paused")
    paused_axe = await assert_accessible(page)
    await page.click("#act-resume")
    await page.wait_for_selector("#pause-banner[hidden]", state="attached")
    assert not await page.is_disabled("#act-next")
    assert (await desk_answer(page, system))["paused"] is None

    # a no-show comes back within its grace period
    await page.keyboard.press("n")
    await page.wait_for_selector(f"#cur-number:text('{first}')")
    await page.keyboard.press("r")
    await page.wait_for_selector("#cur-calls:text('Dipanggil 2×')")
    await page.keyboard.press("x")
    await page.wait_for_selector(f"#returnable-list .r-number:text('{first}')")
    figures = await page.inner_text("#today-figures")
    assert re.fullmatch(
        r"Dilayani 1 · Rata-rata (\d+ mnt )?\d+ dtk · Tidak hadir 1 · Panggil ulang 1", figures
    ), figures
    await shot(page, "3-returnable")
    ticket_id = await page.get_attribute("#returnable-list li", "data-ticket")
    await page.click(f"#returnable-list button[aria-label='Kembalikan {first} ke antrean']")
    await page.wait_for_selector(f"#message:text('{first} kembali menunggu di antrean.')")
    await page.wait_for_selector("#returnable-none:not([hidden])")
    await page.wait_for_selector("#today-figures:has-text('Tidak hadir 0')")
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        assert (await api.get(f"/api/tickets/{ticket_id}")).json()["status"] == "waiting"
    await page.click("#act-choose")
    await page.wait_for_selector(f"#choose-number option[value='{first}']", state="attached")
    await shot(page, "4-returned")
    sys.stderr.write(
        f"\n[axe] picker open: {len(picker_axe)} violations, paused: {len(paused_axe)}"
        f" ({[v['id'] + ':' + v['impact'] for v in picker_axe + paused_axe]})\n"
    )
    assert all("409" in e for e in page_errors), page_errors  # only the refused break
