"""The citizen's tracking page in Chromium against the real services: it moves from
waiting to called while open (the counter calls through the API), and with the holder's
link (`#key=…`) cancels a waiting ticket after a confirm step. No phone number on it, ever."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import PageErrors, Shot
from tests.e2e.conftest import System

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

SITE = "balangan"
COUNTER = "balangan-loket-01"


async def test_tracking_page_follows_the_call_live_and_cancels(
    system: System, browser: BrowserContext, shot: Shot, page_errors: PageErrors
) -> None:
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        first, second = [
            (
                await api.post(
                    f"/api/sites/{SITE}/tickets",
                    json={"service_id": "ktp-el", "phone": "0812-3456-7890"},
                )
            ).json()
            for _ in range(2)
        ]
        page = await browser.new_page()
        await page.set_viewport_size({"width": 390, "height": 844})  # a phone
        await page.goto(f"{system.ticketing}/t/{first['id']}#key={first['ticket_key']}")
        await page.wait_for_selector("#status.waiting:text('Menunggu')")
        assert await page.inner_text("#number") == first["number"]
        assert await page.inner_text("#ahead") == "0"
        assert "WITA" in await page.inner_text("#issued")
        assert await page.is_visible("#cancel")
        # what to bring and what it costs, and the pledge with SP4N-LAPOR! under it
        await page.wait_for_selector("#standard-card:not([hidden])")
        card = await page.inner_text("#standard-card")
        assert "Kartu Keluarga (KK) asli" in card and "Gratis" in card
        assert "Maklumat pelayanan" in card and "SP4N-LAPOR!" in card
        await shot(page, "1-waiting")

        # the counter calls it; the open page follows without a reload
        token = (
            await api.post(
                "/api/auth/token",
                data={"username": COUNTER, "password": system.env["MPP_DEMO_PASSWORD"]},
            )
        ).json()["access_token"]
        called = await api.post(
            f"/api/sites/{SITE}/counters/{COUNTER}/call-next",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert called.json()["id"] == first["id"]
        await page.wait_for_selector("#status.called:text('Dipanggil ke Loket 1')", timeout=10_000)
        assert not await page.is_visible("#cancel")
        assert "Loket 1" in await page.title()
        await shot(page, "2-called")
        assert not re.search(r"8123|3456\W?7890", await page.content())

        # another ticket: cancel asks first, then cancels
        other = await browser.new_page()
        await other.set_viewport_size({"width": 400, "height": 820})
        await other.goto(second["tracking_url"])  # the holder's link, as the kiosk's QR has it
        await other.wait_for_selector("#status.waiting")
        assert await other.inner_text("#ahead") == "0"
        await other.click("#cancel")
        await other.wait_for_selector("#confirm:not([hidden])")
        await shot(other, "3-confirm-cancel")
        await other.click("#confirm-no")
        assert (await api.get(f"/api/tickets/{second['id']}")).json()["status"] == "waiting"
        await other.click("#cancel")
        await other.click("#confirm-yes")
        await other.wait_for_selector("#status.cancelled:text('Dibatalkan')")
        assert not await other.is_visible("#cancel-area")
        await shot(other, "4-cancelled")
        assert (await api.get(f"/api/tickets/{second['id']}")).json()["status"] == "cancelled"
        assert not re.search(r"8123|3456\W?7890", await other.content())

        # English, and an unknown ticket
        await other.click("#lang")
        await other.wait_for_selector("#status:text('Cancelled')")
        await other.goto(f"{system.ticketing}/t/00000000-0000-4000-8000-000000000000")
        await other.wait_for_selector("#banner:text('Ticket not found.')")
        await assert_accessible(other)  # the phone's "not found", at 400×820
        assert (await api.get("/t/not-a-ticket")).status_code == 404
        # a mistyped link in the browser: an Indonesian page, not JSON
        answer = await other.goto(f"{system.ticketing}/t/not-a-ticket")
        assert answer is not None and answer.status == 404
        assert await other.inner_text("h1") == "Tiket tidak ditemukan"
        assert await other.get_attribute("a", "href") == "/"
        await assert_accessible(other)
    assert all("404" in e for e in page_errors), page_errors


async def test_a_suggestion_is_acknowledged_as_a_suggestion(
    system: System, browser: BrowserContext
) -> None:
    page = await browser.new_page()
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{system.ticketing}/pengaduan/{SITE}")
    await page.check("input[name=kind][value=suggestion]")
    await page.fill("#phone", "12345")
    await page.fill("#text", "Tolong tambah kursi di ruang tunggu.")
    await page.click("#send")
    await page.wait_for_selector("#form-error:not([hidden])")
    assert (await page.inner_text("#form-error")).startswith("Nomor HP: nomor")
    await page.fill("#phone", "")
    await page.click("#send")
    await page.wait_for_selector("#done:not([hidden])")
    assert await page.inner_text("#filed-as") == "Saran Anda tercatat dengan nomor"
