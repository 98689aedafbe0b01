"""The citizen's online booking page on a 390×844 phone, in Chromium against the real
services: phone → SMS code (read from the test SMS gateway the notifier posts to) → agency
and service → a day and a slot → the appointment code with its kiosk check-in window in the
site's zone (WITA; the browser runs in WIB) → the .ics file → cancel. A phone past its
codes-per-hour limit gets a plain Indonesian message; an unknown site an Indonesian 404."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import PageErrors, Shot
from tests.e2e.conftest import SmsGateway, System

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

SITE = "tabanan"  # Asia/Makassar (WITA); ktp-el takes appointments
SERVICE = "ktp-el"
WITA = ZoneInfo("Asia/Makassar")
PHONE = "0812-3456-7801"
PHONE_E164 = "+6281234567801"
SPENT = "081234567802"  # a phone that used up its codes this hour


async def sms_code(gateway: SmsGateway, to: str, timeout: float = 60) -> str:
    """The one-time code of the last verification SMS sent to `to`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for sms in reversed(gateway.received):
            if sms["kind"] == "verification" and sms["to"] == to:
                found = re.search(r"\b(\d{6})\b", sms["text"])
                assert found, sms["text"]
                return found.group(1)
        await asyncio.sleep(0.2)
    raise AssertionError(f"no verification SMS to {to}: {gateway.received}")


async def appointment_sms(gateway: SmsGateway, to: str, timeout: float = 60) -> str:
    """The text of the `appointment` SMS sent to `to`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = [m for m in gateway.received if m["kind"] == "appointment" and m["to"] == to]
        if sent:
            assert len(sent) == 1, sent
            return str(sent[0]["text"])
        await asyncio.sleep(0.2)
    raise AssertionError(f"no appointment SMS to {to}: {gateway.received}")


async def a_day_with_slots(api: httpx.AsyncClient) -> tuple[date, dict[str, Any]]:
    """The first day after today (site time) with a free slot, and that first slot."""
    today = datetime.now(WITA).date()
    for ahead in range(1, 10):
        day = today + timedelta(days=ahead)
        r = await api.get(f"/api/sites/{SITE}/services/{SERVICE}/slots", params={"date": str(day)})
        assert r.status_code == 200, r.text
        free = [s for s in r.json() if s["free"] > 0]
        if free:
            return day, free[0]
    raise AssertionError("no bookable day in the next 9 days")


async def test_booking_a_slot_on_a_phone(
    system: System,
    sms_gateway: SmsGateway,
    browser: BrowserContext,
    shot: Shot,
    page_errors: PageErrors,
) -> None:
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        missing = await api.get("/booking/tidak-ada")
        assert missing.status_code == 404
        assert "Lokasi MPP tidak ditemukan" in missing.text
        for _ in range(5):  # the site's per_phone_per_hour for codes
            r = await api.post(f"/api/sites/{SITE}/phone-verifications", json={"phone": SPENT})
            assert r.status_code == 202, r.text
        day, slot = await a_day_with_slots(api)

    page = await browser.new_page()
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{system.ticketing}/booking/{SITE}")
    await page.wait_for_selector("#view-phone:not([hidden])")
    assert "MPP Kabupaten Tabanan" in await page.title()
    await assert_accessible(page)

    # rate limited: a human Indonesian sentence, no SMS sent
    await page.fill("#phone", SPENT)
    await page.click("#send-code")
    await page.wait_for_selector("#banner:not([hidden])")
    assert "Terlalu banyak permintaan" in await page.inner_text("#banner")
    assert await page.is_visible("#view-phone")
    await shot(page, "1-rate-limited")

    await page.fill("#phone", PHONE)
    await page.click("#send-code")
    await page.wait_for_selector("#view-code:not([hidden])")
    assert "WITA" in await page.inner_text("#code-sent")
    code = await sms_code(sms_gateway, PHONE_E164)
    await assert_accessible(page)
    await page.fill("#code", code)
    await page.click("#confirm-code")

    await page.wait_for_selector("#view-service:not([hidden])")
    await page.select_option("#agency", "disdukcapil")
    await page.select_option("#service", SERVICE)
    await assert_accessible(page)
    await shot(page, "2-service")
    await page.click("#service-next")

    await page.wait_for_selector("#view-when:not([hidden])")
    await page.click("#when-standard-box summary")  # what to bring, before booking
    assert "Persyaratan" in await page.inner_text("#when-standard")
    await assert_accessible(page)
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        queue = (await api.get(f"/api/sites/{SITE}/queues")).json()[SERVICE]
    if queue["open"]:  # "now" is offered only while the service takes tickets
        await page.wait_for_selector("#now:not([hidden])")
    else:
        await page.wait_for_selector("#now-closed:not([hidden])")
        closed = "Layanan ini sedang tidak menerima antrean; pilih jam janji temu."
        assert await page.inner_text("#now-closed") == (queue["closed_reason"] or closed)
        assert await page.is_hidden("#now")
    await page.fill("#day", day.isoformat())
    await page.click("#show-slots")
    button = f"#slots button[data-time='{slot['time']}']"
    await page.wait_for_selector(button)
    await assert_accessible(page)
    await shot(page, "3-slots")
    await page.click(button)

    await page.wait_for_selector("#view-done:not([hidden])")
    appointment_code = (await page.inner_text("#a-code")).strip()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", appointment_code), appointment_code
    start = datetime.fromisoformat(slot["start"]).astimezone(WITA)
    end = datetime.fromisoformat(slot["end"]).astimezone(WITA)
    opens = start - timedelta(minutes=30)  # the kiosk's rule, as the API answers it
    assert f"{start:%H.%M} WITA" in await page.inner_text("#a-when")
    assert await page.inner_text("#a-window") == f"{opens:%H.%M} WITA s.d. {end:%H.%M} WITA"
    await assert_accessible(page)
    await shot(page, "4-appointment")

    async with page.expect_download() as info:
        await page.click("#ics")
    download = await info.value
    assert download.suggested_filename == f"janji-temu-{appointment_code}.ics"
    ics = (await download.path()).read_bytes().decode()
    utc = ZoneInfo("UTC")
    assert f"DTSTART:{start.astimezone(utc):%Y%m%dT%H%M%SZ}\r\n" in ics
    assert f"DTEND:{end.astimezone(utc):%Y%m%dT%H%M%SZ}\r\n" in ics
    assert appointment_code in ics.replace("\r\n ", "")

    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        held = await api.get(
            f"/api/appointments/{appointment_code}", headers={"Phone-Last4": "7801"}
        )
    assert held.status_code == 200 and held.json()["status"] == "booked", held.text

    # the `appointment` SMS: the code, the window on the lobby's clock and the holder's link,
    # which opens this appointment on the phone (the last 4 digits asked), to cancel it there
    sms = await appointment_sms(sms_gateway, PHONE_E164)
    assert f"kode {appointment_code[:4]}-{appointment_code[4:]}." in sms
    assert f"{start:%H.%M} WITA" in sms and f"Lapor hadir {opens:%H.%M}-{end:%H.%M}." in sms
    link = sms.rsplit(" ", 1)[-1]
    assert link == f"{system.ticketing}/booking/{SITE}#{appointment_code}"
    await page.close()
    page = await browser.new_page()
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(link)
    await page.wait_for_selector("#view-holder:not([hidden])")
    assert appointment_code in await page.inner_text("#holder-code")
    await assert_accessible(page)
    await page.fill("#last4", "7801")
    await page.click("#open-appointment")
    await page.wait_for_selector("#view-done:not([hidden])")
    assert (await page.inner_text("#a-code")).strip() == appointment_code
    assert await page.inner_text("#a-window") == f"{opens:%H.%M} WITA s.d. {end:%H.%M} WITA"
    await assert_accessible(page)
    await shot(page, "5-from-the-sms-link")

    await page.click("#cancel")
    await page.click("#yes-cancel")
    await page.wait_for_selector("#view-cancelled:not([hidden])")
    assert appointment_code in await page.inner_text("#cancelled-text")
    await shot(page, "6-cancelled")
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        gone = await api.get(
            f"/api/appointments/{appointment_code}", headers={"Phone-Last4": "7801"}
        )
    assert gone.json()["status"] == "cancelled", gone.text

    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone: {width}px"
    # Chromium logs every refused request itself; the one 429 above is the only one expected
    refused = "Failed to load resource: the server responded with a status of 429"
    assert [e for e in page_errors if refused not in e] == [], page_errors
    assert len(page_errors) == 1, page_errors
