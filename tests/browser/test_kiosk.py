"""The kiosk page in Chromium against the real services: agency → service → phone →
ticket with QR; a double tap issues one ticket; the phone number never stays on screen."""

from __future__ import annotations

import re

import httpx

from tests.browser.conftest import PageErrors, Shot
from tests.e2e.conftest import System

SITE = "balangan"
PHONE = "081234567890"


async def waiting(system: System, service_id: str) -> int:
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        queues = (await api.get(f"/api/sites/{SITE}/queues")).json()
    return int(queues[service_id]["waiting"])


async def test_kiosk_issues_one_ticket_with_qr_and_forgets_the_phone(
    system: System, browser, shot: Shot, page_errors: PageErrors
) -> None:
    page = await browser.new_page()
    await page.goto(f"{system.ticketing}/kiosk/{SITE}")
    await page.wait_for_selector("#view-agencies:not([hidden]) .tile[data-agency='disdukcapil']")
    assert "MPP Kabupaten Balangan" in await page.title()
    await shot(page, "1-agencies")

    await page.click(".tile[data-agency='disdukcapil']")
    await page.wait_for_selector("#view-services:not([hidden]) .tile[data-service='ktp-el']")
    assert "0 menunggu" in await page.inner_text(".tile[data-service='ktp-el']")
    await shot(page, "2-services")

    await page.click(".tile[data-service='ktp-el']")
    for digit in PHONE:
        await page.click(f"#keypad button[data-key='{digit}']")
    await page.click("#priority")
    assert await page.get_attribute("#priority", "aria-pressed") == "true"
    await shot(page, "3-confirm")

    await page.click("#take")
    await page.wait_for_selector("#view-ticket:not([hidden])")
    number = await page.inner_text("#t-number")
    assert re.fullmatch(r"A-\d{3}", number), number
    assert await page.inner_text("#t-ahead") == "0"
    assert "Perekaman" in await page.inner_text("#t-service")
    assert "WITA" in await page.inner_text("#t-time")  # the site's zone, not the browser's
    ticket_id = await page.get_attribute("#view-ticket", "data-ticket-id")
    await page.wait_for_function(
        "() => { const i = document.querySelector('#t-qr'); return i.complete && i.naturalWidth > 0 }"
    )
    assert await page.get_attribute("#t-qr", "src") == f"/api/tickets/{ticket_id}/qr.svg"
    await shot(page, "4-ticket")

    # no page shows a phone number, in any spacing
    html = re.sub(r"\s", "", await page.content())
    assert PHONE[1:] not in html and "0812" not in html
    assert await page.input_value("#phone") == ""

    await page.emulate_media(media="print")
    await shot(page, "5-receipt-print")
    await page.emulate_media(media="screen")

    # the QR code points at the ticket's tracking page on the host the kiosk reached
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        qr = await api.get(f"/api/tickets/{ticket_id}/qr.svg")
        assert qr.status_code == 200
        assert qr.headers["content-type"].startswith("image/svg+xml")
        assert qr.text.lstrip().startswith("<svg")
    assert await waiting(system, "ktp-el") == 1

    # a rapid double tap on "Ambil Tiket" issues exactly one ticket
    await page.click("#done")
    await page.click(".tile[data-agency='disdukcapil']")
    await page.click(".tile[data-service='ktp-el']")
    await page.dblclick("#take")
    await page.wait_for_selector("#view-ticket:not([hidden])")
    second = await page.inner_text("#t-number")
    assert second != number
    assert await page.inner_text("#t-ahead") == "1"
    await page.wait_for_timeout(500)
    assert await waiting(system, "ktp-el") == 2

    # the ticket screen returns to the start by itself after about 20 s
    await page.clock.install()
    await page.click("#done")
    await page.click(".tile[data-agency='disdukcapil']")
    await page.click(".tile[data-service='kia']")
    await page.click("#take")
    await page.wait_for_selector("#view-ticket:not([hidden])")
    await page.clock.run_for(21_000)
    await page.wait_for_selector("#view-agencies:not([hidden])")

    assert page_errors == []


async def test_kiosk_shows_bad_phone_closed_services_and_409_detail(
    system: System, browser, shot: Shot, page_errors: PageErrors
) -> None:
    page = await browser.new_page()

    # the demo site is always open, so "closed" is played by the network layer: the queues
    # answer leaves out `kia`, and issuing `kartu-keluarga` answers 409 as a closed service does
    async def queues_without_kia(route) -> None:
        response = await route.fetch()
        body = await response.json()
        body.pop("kia", None)
        await route.fulfill(response=response, json=body)

    async def closed_409(route) -> None:
        if route.request.method == "POST" and "kartu-keluarga" in (route.request.post_data or ""):
            await route.fulfill(
                status=409,
                json={"detail": "layanan tutup; buka kembali pukul 08.00"},
            )
        else:
            await route.fallback()

    await page.route(f"**/api/sites/{SITE}/queues", queues_without_kia)
    await page.route(f"**/api/sites/{SITE}/tickets", closed_409)
    await page.goto(f"{system.ticketing}/kiosk/{SITE}")
    await page.click(".tile[data-agency='disdukcapil']")
    await page.wait_for_selector(".tile[data-service='kia'].closed .badge-closed")
    assert await page.inner_text(".tile[data-service='kia'] .badge-closed") == "Tutup"
    assert await page.is_disabled(".tile[data-service='kia']")

    # 422: a number that is not Indonesian is refused, with the reason, and nothing issued
    await page.click(".tile[data-service='ktp-el']")
    for digit in "12345678":
        await page.click(f"#keypad button[data-key='{digit}']")
    await page.click("#take")
    await page.wait_for_selector("#issue-error:not([hidden])")
    assert "Nomor HP" in await page.inner_text("#issue-error")
    assert "diawali 0" in await page.inner_text("#issue-error")
    await shot(page, "1-bad-phone")
    assert await waiting(system, "ktp-el") == 0
    await page.click("#keypad button[data-key='clear']")
    await page.click("#take")  # without a phone it goes through
    await page.wait_for_selector("#view-ticket:not([hidden])")

    # 409: the citizen sees why, and the service shows as closed
    await page.click("#done")
    await page.click(".tile[data-agency='disdukcapil']")
    await page.click(".tile[data-service='kartu-keluarga']")
    await page.click("#take")
    await page.wait_for_selector("#issue-error:text('buka kembali pukul 08.00')")
    assert await page.is_disabled("#take")
    await shot(page, "2-closed-409")
    await page.click("#back-services")
    await page.wait_for_selector(".tile[data-service='kartu-keluarga'].closed")
    await shot(page, "3-services-closed")

    # English
    await page.click("#lang")
    await page.wait_for_selector(".tile[data-service='kia'] .badge-closed:text('Closed')")
    assert await page.inner_text("#back-services") == "Back"
    assert all("409" in e or "422" in e for e in page_errors), page_errors
