"""The supervisor's report page, the survey and the complaint form in Chromium against the
real services: the report logs in, shows figures and the three server-drawn SVG charts; a
served citizen answers the survey on a phone; a complaint is filed and answered."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from tests.browser.conftest import PageErrors, Shot
from tests.e2e.conftest import System

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

SITE = "balangan"
COUNTER = "balangan-loket-01"
ZONE = ZoneInfo("Asia/Makassar")


async def seed_history(database_url: str, days: int = 21) -> None:
    """Three weeks of tickets with waits that grow in the morning rush."""
    rng = random.Random(7)
    conn = await asyncpg.connect(database_url)
    try:
        services = await conn.fetch(
            "SELECT id, target_minutes FROM ticketing.services WHERE site_id = $1 AND active",
            SITE,
        )
        counters: dict[str, list[str]] = {}
        for c in await conn.fetch(
            "SELECT id, service_ids FROM ticketing.counters WHERE site_id = $1", SITE
        ):
            for s in c["service_ids"]:
                counters.setdefault(s, []).append(c["id"])
        rows = []
        today = datetime.now(ZONE).date()
        for d in range(days, 0, -1):
            day = today - timedelta(days=d)
            if day.isoweekday() == 7:
                continue
            for _ in range(rng.randint(60, 120)):
                svc = rng.choice([s for s in services if s["id"] in counters])
                hour = rng.choices(range(8, 16), weights=[3, 6, 6, 5, 2, 4, 3, 1])[0]
                issued = datetime(
                    day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=ZONE
                )
                wait = timedelta(seconds=rng.expovariate(1 / (300 + 120 * (11 - abs(hour - 10)))))
                called = issued + wait
                done = called + timedelta(seconds=rng.uniform(120, 900))
                status = rng.choices(["served", "no_show", "cancelled"], weights=[88, 8, 4])[0]
                rows.append(
                    (
                        uuid.uuid4(),
                        SITE,
                        svc["id"],
                        "Z-001",
                        day,
                        "regular",
                        rng.choice(["kiosk", "kiosk", "kiosk", "online", "mobile"]),
                        status,
                        status,
                        None if status == "cancelled" else rng.choice(counters[svc["id"]]),
                        0 if status == "cancelled" else 1,
                        issued.astimezone(UTC),
                        issued.astimezone(UTC),
                        None if status == "cancelled" else called,
                        done,
                        None if status == "cancelled" else called,
                    )
                )
        await conn.copy_records_to_table(
            "tickets",
            schema_name="ticketing",
            records=rows,
            columns=[
                "id",
                "site_id",
                "service_id",
                "number",
                "day",
                "priority",
                "channel",
                "status",
                "outcome",
                "counter_id",
                "call_count",
                "issued_at",
                "queued_at",
                "called_at",
                "completed_at",
                "first_called_at",
            ],
        )
    finally:
        await conn.close()


async def served_ticket(api: httpx.AsyncClient, system: System) -> dict[str, Any]:
    """A ticket taken and served: its issuing answer, with the holder's key."""
    ticket = (await api.post(f"/api/sites/{SITE}/tickets", json={"service_id": "ktp-el"})).json()
    token = (
        await api.post(
            "/api/auth/token",
            data={"username": COUNTER, "password": system.env["MPP_DEMO_PASSWORD"]},
        )
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    called = await api.post(f"/api/sites/{SITE}/counters/{COUNTER}/call-next", headers=auth)
    assert called.json()["id"] == ticket["id"]
    assert (
        await api.post(f"/api/tickets/{ticket['id']}/complete", headers=auth)
    ).status_code == 200
    served: dict[str, Any] = ticket
    return served


async def test_survey_complaint_and_report_pages(
    system: System, browser: BrowserContext, shot: Shot, page_errors: PageErrors
) -> None:
    await seed_history(system.env["DATABASE_URL"])
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        ticket = await served_ticket(api, system)
    ticket_id = ticket["id"]

    # the citizen answers the survey on a phone
    phone = await browser.new_page()
    await phone.set_viewport_size({"width": 400, "height": 820})
    # from the tracking page's survey link: the holder's key rides in the fragment
    await phone.goto(f"{system.ticketing}/survey/{ticket_id}#key={ticket['ticket_key']}")
    await phone.wait_for_selector("#survey:not([hidden])")
    assert await phone.locator(".elements > li").count() == 9
    # each element a plain question, the regulation's name under it; the fee one fits free services
    fee = await phone.inner_text("#q4")
    assert "tarif resmi" in fee and "gratis" in fee and "Biaya/tarif" in fee
    assert (await phone.inner_text("#q7")).startswith("7. Apakah petugas sopan")
    await phone.click("#lang")
    await phone.wait_for_selector("#q7:has-text('Were the staff polite')")
    await phone.click("#lang")
    await phone.wait_for_selector("#q7:has-text('Apakah petugas sopan')")
    await phone.click("#send")  # nothing picked: asks for every answer
    await phone.wait_for_selector("#form-error:not([hidden])")
    for element, value in zip(range(1, 10), [4, 3, 3, 4, 3, 3, 4, 3, 3], strict=True):
        await phone.click(f"li[data-element='{element}'] input[value='{value}'] >> xpath=..")
    await phone.fill("#comment", "Pelayanan cepat, ruang tunggu nyaman.")
    await shot(phone, "1-survey")
    await phone.click("#send")
    await phone.wait_for_selector("#thanks:not([hidden])")
    await shot(phone, "2-survey-thanks")

    # and files a complaint from the link on the thank-you page
    await phone.click("#complain-link")
    await phone.wait_for_selector("#ticket-note:not([hidden])")
    await phone.fill("#text", "Kursi ruang tunggu kurang di jam sibuk.")
    await phone.fill("#phone", "0812 3456 7890")
    await phone.click("#send")
    await phone.wait_for_selector("#done:not([hidden])")
    assert (await phone.inner_text("#number")).startswith("ADU-")
    assert await phone.inner_text("#filed-as") == "Pengaduan Anda tercatat dengan nomor"
    await shot(phone, "3-complaint-filed")

    # the public IKM page shows the one response: (4+3+3+4+3+3+4+3+3)/9 × 25 = 83.33 (B)
    await phone.goto(f"{system.ticketing}/ikm/{SITE}")
    await phone.wait_for_selector("#value:text('83,33')")
    assert "Mutu B" in await phone.inner_text("#category")
    assert "Pelayanan cepat" not in await phone.content()
    await shot(phone, "4-ikm")

    # the supervisor logs in on the report page and sees the figures and charts
    page = await browser.new_page()
    await page.goto(f"{system.ticketing}/reports/{SITE}")
    await page.wait_for_selector("#view-login:not([hidden])")
    await page.fill("#username", "balangan-supervisor")
    await page.fill("#password", system.env["MPP_DEMO_PASSWORD"])
    await page.click("#login-btn")
    await page.wait_for_selector("#report:not([hidden])")
    for chart in ("heatmap", "wait-trend", "sla"):
        await page.wait_for_selector(f"#chart-{chart} svg")
    assert await page.locator("#chart-heatmap svg rect").count() > 7 * 9
    assert await page.locator("#chart-wait-trend svg polyline").count() == 2
    kpis = await page.inner_text("#kpis")
    assert "Tiket diambil" in kpis and "IKM" in kpis and "83,33" in kpis
    assert "+62812*****890" in await page.inner_text("#complaint-list")
    await shot(page, "5-report")

    # answer the complaint from the report page
    await page.fill("#complaint-list textarea", "Kursi tambahan sudah dipasang.")
    await page.click("#complaint-list button[data-status='resolved']")
    await page.wait_for_selector("#complaint-list .c-status.resolved")

    # a reload keeps the session (sessionStorage), like the operator console
    await page.reload()
    await page.wait_for_selector("#report:not([hidden]) #chart-sla svg")

    # at 00:30 WITA the browser's UTC date is still yesterday: the period is the site's today
    today = datetime.now(ZONE).date()
    early = await browser.new_page()
    await early.clock.set_fixed_time(
        datetime(today.year, today.month, today.day, 0, 30, tzinfo=ZONE)
    )
    await early.goto(f"{system.ticketing}/reports/{SITE}")
    await early.fill("#username", "balangan-supervisor")
    await early.fill("#password", system.env["MPP_DEMO_PASSWORD"])
    await early.click("#login-btn")
    await early.wait_for_selector("#report:not([hidden])")
    assert await early.input_value("#f-to") == today.isoformat()
    assert await early.input_value("#f-from") == (today - timedelta(days=29)).isoformat()
    assert not page_errors, page_errors
