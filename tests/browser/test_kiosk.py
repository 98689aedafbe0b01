"""The kiosk page in Chromium against the real services: agency → service → phone →
ticket with QR; a double tap issues one ticket; the phone number never stays on screen."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx

from tests.browser.conftest import PageErrors, Shot, qr_text
from tests.e2e.conftest import System

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Route

SITE = "balangan"
PHONE = "081234567890"


async def waiting(system: System, service_id: str) -> int:
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        queues = (await api.get(f"/api/sites/{SITE}/queues")).json()
    return int(queues[service_id]["waiting"])


async def test_kiosk_issues_one_ticket_with_qr_and_forgets_the_phone(
    system: System, browser: BrowserContext, shot: Shot, page_errors: PageErrors
) -> None:
    page = await browser.new_page()
    await page.goto(f"{system.ticketing}/kiosk/{SITE}")
    await page.wait_for_selector("#view-agencies:not([hidden]) .tile[data-agency='disdukcapil']")
    assert "MPP Kabupaten Balangan" in await page.title()
    await shot(page, "1-agencies")

    await page.click(".tile[data-agency='disdukcapil']")
    await page.wait_for_selector("#view-services:not([hidden]) .tile[data-service='ktp-el']")
    assert "0 menunggu" in await page.inner_text(".tile[data-service='ktp-el']")
    assert "Biaya: Gratis" in await page.inner_text(".tile[data-service='ktp-el']")
    await shot(page, "2-services")

    await page.click(".tile[data-service='ktp-el']")
    # before taking a number: what to bring, the cost, the time (anti-pungli transparency)
    standard = await page.inner_text("#confirm-standard")
    assert "Persyaratan" in standard and "Kartu Keluarga (KK) asli" in standard
    assert "Gratis" in standard and "UU 24/2013" in standard
    assert "Jangan membayar apa pun" in standard
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
    assert "Kartu Keluarga (KK) asli" in await page.inner_text("#t-standard")
    ticket_id = await page.get_attribute("#view-ticket", "data-ticket-id")
    # the QR is the holder's own link, drawn by the kiosk: the key rides in the fragment
    link = await qr_text(page, "#t-qr")
    assert re.fullmatch(
        rf"{re.escape(system.ticketing)}/t/{ticket_id}#key=[A-Za-z0-9_-]{{32}}", link
    )
    await shot(page, "4-ticket")

    # no page shows a phone number, in any spacing
    html = re.sub(r"\s", "", await page.content())
    assert PHONE[1:] not in html and "0812" not in html
    assert await page.input_value("#phone") == ""

    await page.emulate_media(media="print")
    await shot(page, "5-receipt-print")
    assert await qr_text(page, "#r-qr") == link  # the printed receipt carries the same link
    await page.emulate_media(media="screen")

    # the server's own QR of the ticket (no key) still answers, for whoever asks
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
    system: System, browser: BrowserContext, shot: Shot, page_errors: PageErrors
) -> None:
    page = await browser.new_page()

    # the demo site is always open, so "closed" is played by the network layer: the queues
    # answer leaves out `kia`, and issuing `kartu-keluarga` answers 409 as a closed service does
    async def queues_without_kia(route: Route) -> None:
        response = await route.fetch()
        body = await response.json()
        body.pop("kia", None)
        await route.fulfill(response=response, json=body)

    async def closed_409(route: Route) -> None:
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


async def supervisor_headers(system: System, api: httpx.AsyncClient) -> dict[str, str]:
    answer = await api.post(
        "/api/auth/token",
        data={"username": "balangan-supervisor", "password": system.env["MPP_DEMO_PASSWORD"]},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_kiosk_shows_closed_services_and_the_quota_forecast_before_anyone_taps(
    system: System, browser: Any, shot: Shot, page_errors: PageErrors
) -> None:
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=15) as api:
        closed = await api.post(
            f"/api/sites/{SITE}/services/kia/close", headers=await supervisor_headers(system, api)
        )
        assert closed.status_code == 200, closed.text
        reason = (await api.get(f"/api/sites/{SITE}/queues")).json()["kia"]["closed_reason"]
    assert reason

    page = await browser.new_page()

    # balangan has no quota: the forecast a quota'd site gives is played by the network layer
    async def with_forecast(route: Any) -> None:
        response = await route.fetch()
        body = await response.json()
        body["ktp-el"]["quota_runs_out_at"] = "10.40"
        await route.fulfill(response=response, json=body)

    await page.route(f"**/api/sites/{SITE}/queues", with_forecast)
    await page.goto(f"{system.ticketing}/kiosk/{SITE}")
    await page.click(".tile[data-agency='disdukcapil']")
    kia = ".tile[data-service='kia']"
    await page.wait_for_selector(f"{kia}.closed .badge-closed:text-is('Tutup')")
    assert await page.is_disabled(kia)
    assert await page.inner_text(f"{kia} .closed-reason") == reason
    quota = ".tile[data-service='ktp-el'] .quota"
    assert await page.inner_text(quota) == "Kuota diperkirakan habis pukul 10.40"
    assert not await page.is_disabled(".tile[data-service='ktp-el']")
    await shot(page, "1-closed-and-quota")

    await page.click(".tile[data-service='ktp-el']")
    assert "Kuota diperkirakan habis pukul 10.40" in await page.inner_text("#confirm-meta")
    await page.click("#lang")
    await page.wait_for_selector("#confirm-meta:text('Quota expected to run out at 10.40')")
    await page.click("#lang")
    assert page_errors == [], page_errors


async def insert_appointment(system: System, code: str, starts_in_min: int, phone: str) -> None:
    """An appointment row as booking makes it (booking itself needs an SMS-proven phone)."""
    conn = await asyncpg.connect(system.env["DATABASE_URL"])
    try:
        await conn.execute(
            """INSERT INTO ticketing.appointments
                   (id, code, site_id, service_id, phone, day, slot_start, slot_end)
               VALUES ($1, $2, 'balangan', 'ktp-el', $3,
                       (now() AT TIME ZONE 'Asia/Makassar')::date,
                       now() + make_interval(mins => $4),
                       now() + make_interval(mins => $4 + 30))""",
            uuid.uuid4(),
            code,
            phone,
            starts_in_min,
        )
    finally:
        await conn.close()


async def type_code(page: Any, code: str) -> None:
    await page.click("[data-appt-key='clear']")
    for key in code:
        await page.click(f"#appt-keys button[data-appt-key='{key}']")


async def test_kiosk_checks_in_an_appointment_by_its_code(
    system: System, browser: Any, shot: Shot, page_errors: PageErrors
) -> None:
    await insert_appointment(system, "KTP7A2XY", -5, "+6281234567890")  # its slot began 5 min ago
    await insert_appointment(system, "LATER3ZZ", 180, "+6281234567891")  # in three hours
    walk_in = None
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=15) as api:
        answer = await api.post(f"/api/sites/{SITE}/tickets", json={"service_id": "ktp-el"})
        walk_in = answer.json()  # came after the appointment's slot began

    page = await browser.new_page()
    await page.goto(f"{system.ticketing}/kiosk/{SITE}")
    await page.click("#view-agencies [data-appointment]")
    await page.wait_for_selector("#view-appointment:not([hidden])")
    assert await page.is_disabled("#appt-go")

    # an unknown code, then one whose slot is hours away: said plainly, nothing issued
    await type_code(page, "ZZZZZZZZ")
    await page.click("#appt-go")
    await page.wait_for_selector("#appt-error:text('tidak ditemukan')")
    await type_code(page, "LATER3ZZ")
    await page.click("#appt-go")
    await page.wait_for_selector("#appt-error:text('Lapor hadir dibuka pukul')")
    await shot(page, "1-too-early")

    # the right code: a ticket like any other, ahead of the walk-in who came after its slot
    await type_code(page, "KTP7A2X")
    assert await page.is_disabled("#appt-go")
    await page.click("#appt-keys button[data-appt-key='Y']")
    assert [await b.inner_text() for b in await page.query_selector_all("#appt-code span")] == list(
        "KTP7A2XY"
    )
    await shot(page, "2-code")
    await page.click("#appt-go")
    await page.wait_for_selector("#view-ticket:not([hidden])")
    number = await page.inner_text("#t-number")
    assert re.fullmatch(r"A-\d{3}", number) and number != walk_in["number"]
    assert await page.inner_text("#t-ahead") == "0"
    assert "Janji temu" in await page.inner_text("#t-flags")
    html = re.sub(r"\s", "", await page.content())
    assert "81234567890" not in html
    await shot(page, "3-ticket")

    # the same code again (a lost answer, a second visit): the same ticket, not a new one
    await page.click("#done")
    await page.click("#view-agencies [data-appointment]")
    await type_code(page, "KTP7A2XY")
    await page.click("#appt-go")
    await page.wait_for_selector(f"#view-ticket:not([hidden]) #t-number:text-is('{number}')")
    assert "sudah lapor hadir" in await page.inner_text("#t-flags")
    assert "#key=" in await qr_text(page, "#t-qr")  # the same kiosk: the holder's link again
    assert await waiting(system, "ktp-el") == 2
    assert all("404" in e or "409" in e for e in page_errors), page_errors


async def test_every_citizen_starts_in_indonesian(
    system: System, browser: BrowserContext, shot: Shot, page_errors: PageErrors
) -> None:
    """English chosen on the kiosk lasts for that citizen only: after the ticket (Selesai or
    the ticket screen's own timeout), after the idle timeout, and after a reload the next
    citizen sees Bahasa Indonesia; nothing of it is kept in the browser's storage."""
    page = await browser.new_page()
    await page.set_viewport_size({"width": 1080, "height": 1920})
    await page.clock.install()
    await page.goto(f"{system.ticketing}/kiosk/{SITE}")
    start = "#view-agencies:not([hidden]) h2:text-is('Pilih instansi')"
    await page.wait_for_selector(start)

    # English lasts through the whole of one citizen's visit …
    await page.click("#lang")
    await page.wait_for_selector("#view-agencies h2:text-is('Choose an agency')")
    assert await page.get_attribute("html", "lang") == "en"
    await page.click(".tile[data-agency='disdukcapil']")
    await page.wait_for_selector("#view-services .tile[data-service='ktp-el']:has-text('waiting')")
    await page.click(".tile[data-service='ktp-el']")
    assert await page.inner_text("#take") == "Take Ticket"
    await page.click("#take")
    await page.wait_for_selector(
        "#view-ticket:not([hidden]) .ticket-label:text-is('Your queue number')"
    )
    await shot(page, "1-english-ticket")
    # … and the next one starts in Indonesian, after "Selesai"
    await page.click("#done")
    await page.wait_for_selector(start)
    assert await page.get_attribute("html", "lang") == "id"
    assert await page.inner_text("#lang") == "English"
    assert "menunggu" in await page.inner_text(".tile[data-agency='disdukcapil']")
    await shot(page, "2-next-citizen")

    # after the ticket screen closes by itself
    await page.click("#lang")
    await page.click(".tile[data-agency='disdukcapil']")
    await page.click(".tile[data-service='kia']")
    await page.click("#take")
    await page.wait_for_selector("#view-ticket:not([hidden]) #countdown:has-text('Back to start')")
    await page.clock.run_for(21_000)
    await page.wait_for_selector(start)

    # after a citizen walks away: on the first screen too, once English was chosen
    await page.click("#lang")
    await page.wait_for_selector("#view-agencies h2:text-is('Choose an agency')")
    await page.clock.run_for(91_000)
    await page.wait_for_selector(start)

    # after a reload, and nothing of the language is in storage
    await page.click("#lang")
    await page.click(".tile[data-agency='disdukcapil']")
    await page.wait_for_selector("#view-services h2:has-text('Choose a service')")
    await page.reload()
    await page.wait_for_selector(start)
    stored = await page.evaluate("() => JSON.stringify(Object.entries(localStorage))")
    assert "antrian.lang" not in stored, stored
    assert page_errors == [], page_errors
