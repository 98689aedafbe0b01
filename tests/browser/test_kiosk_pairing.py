"""Pairing a kiosk, taking a ticket and cancelling it from a phone, in Chromium against the
real services (issue 13): on `uji`, a site that requires enrolled kiosks, the kiosk first
shows a pairing screen; a supervisor signs in and names it; the kiosk keeps only its own
token, issues with it, and draws the holder's QR (`/t/{id}#key=…`); the phone that reads it
can cancel; a phone with the bare link sees the ticket but no cancel; a revoked kiosk goes
back to pairing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.sites import SITES_DIR
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import PageErrors, Shot, qr_text
from tests.e2e.conftest import System

SITE = "uji"
UJI = Path(__file__).resolve().parents[1] / "integration" / "ticketing" / "sites" / "uji.toml"
KIOSK = {"width": 1080, "height": 1920}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def system_env(tmp_path: Path) -> dict[str, str]:
    """The repo's sites plus `uji`: always open, and not a sandbox (kiosks must enrol)."""
    folder = tmp_path / "sites"
    folder.mkdir()
    for source in [*SITES_DIR.glob("*.toml"), UJI]:
        shutil.copy(source, folder / source.name)
    return {"SITES_DIR": str(folder)}


async def pair(page: Any, username: str, password: str, name: str = "Kiosk lobi utara") -> None:
    await page.fill("#pair-username", username)
    await page.fill("#pair-password", password)
    await page.fill("#pair-name", name)
    await page.click("#pair-go")


async def take_ticket(page: Any) -> str:
    await page.click(".tile[data-agency='disdukcapil']")
    await page.click(".tile[data-service='ktp-el']")
    await page.click("#take")
    await page.wait_for_selector("#view-ticket:not([hidden])")
    return str(await page.get_attribute("#view-ticket", "data-ticket-id"))


async def test_kiosk_pairs_issues_and_the_phone_cancels_with_the_key(
    system: System, browser: Any, shot: Shot, page_errors: PageErrors
) -> None:
    password = system.env["MPP_DEMO_PASSWORD"]
    kiosk = await browser.new_page()
    await kiosk.set_viewport_size(KIOSK)
    await kiosk.goto(f"{system.ticketing}/kiosk/{SITE}")
    await kiosk.wait_for_selector("#view-pair:not([hidden]) #pair-form")
    assert "Daftarkan kiosk ini" in await kiosk.inner_text("#view-pair")
    await shot(kiosk, "1-pairing")

    # a wrong password, then an operator: refused, said plainly, nothing enrolled
    await pair(kiosk, "uji-supervisor", "salah-sandi")
    await kiosk.wait_for_selector("#pair-error:text('salah')")
    assert await kiosk.input_value("#pair-password") == ""
    await pair(kiosk, "uji-loket-01", password)
    await kiosk.wait_for_selector("#pair-error:text('bukan supervisor')")
    await shot(kiosk, "2-not-a-supervisor")
    await assert_accessible(kiosk)  # the pairing screen, with its error, at 1080×1920

    await pair(kiosk, "uji-supervisor", password)
    await kiosk.wait_for_selector("#view-agencies:not([hidden]) .tile[data-agency='disdukcapil']")
    stored = await kiosk.evaluate(
        "() => ({local: {...localStorage}, session: {...sessionStorage}})"
    )
    kiosk_token = stored["local"].get(f"antrian.kiosk.{SITE}", "")
    assert kiosk_token.startswith("kiosk_")
    assert "eyJ" not in str(stored)  # the supervisor's JWT was dropped, not kept anywhere
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        login = await api.post(
            "/api/auth/token", data={"username": "uji-supervisor", "password": password}
        )
        boss = {"Authorization": f"Bearer {login.json()['access_token']}"}
        [enrolled] = (await api.get(f"/api/sites/{SITE}/kiosks", headers=boss)).json()
        assert enrolled["name"] == "Kiosk lobi utara" and enrolled["revoked_at"] is None

    # the kiosk issues with its token and draws the holder's QR
    ticket_id = await take_ticket(kiosk)
    link = await qr_text(kiosk, "#t-qr")
    found = re.fullmatch(rf"(.+/t/{ticket_id})#key=([A-Za-z0-9_-]+)", link)
    assert found, link
    await shot(kiosk, "3-ticket")

    # the phone that scanned it follows the ticket and cancels it
    phone = await browser.new_page()
    await phone.set_viewport_size(PHONE)
    await phone.goto(link)
    await phone.wait_for_selector("#status.waiting")
    assert await phone.is_visible("#cancel") and not await phone.is_visible("#no-key")
    await phone.click("#cancel")
    await phone.click("#confirm-yes")
    await phone.wait_for_selector("#status.cancelled:text('Dibatalkan')")
    await shot(phone, "4-cancelled-on-the-phone")

    # a second ticket; its bare link (what a board watcher has) shows it, without a cancel
    await kiosk.click("#done")
    other_id = await take_ticket(kiosk)
    bystander = await browser.new_page()
    await bystander.set_viewport_size(PHONE)
    await bystander.goto(f"{system.ticketing}/t/{other_id}")
    await bystander.wait_for_selector("#status.waiting")
    assert not await bystander.is_visible("#cancel")
    assert "struk" in await bystander.inner_text("#no-key")
    await shot(bystander, "5-no-key-no-cancel")
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        assert (await api.get(f"/api/tickets/{ticket_id}")).json()["status"] == "cancelled"
        assert (await api.get(f"/api/tickets/{other_id}")).json()["status"] == "waiting"
        assert (await api.delete(f"/api/tickets/{other_id}")).status_code == 401

        # revoked: the kiosk's next ticket brings back the pairing screen, saying why
        revoked = await api.delete(f"/api/sites/{SITE}/kiosks/{enrolled['id']}", headers=boss)
        assert revoked.status_code == 200
    await kiosk.click("#done")
    await kiosk.click(".tile[data-agency='disdukcapil']")
    await kiosk.click(".tile[data-service='ktp-el']")
    await kiosk.click("#take")
    await kiosk.wait_for_selector("#view-pair:not([hidden]) #pair-revoked:not([hidden])")
    assert await kiosk.evaluate(f"() => localStorage.getItem('antrian.kiosk.{SITE}')") is None
    await shot(kiosk, "6-revoked-pairs-again")
    await pair(kiosk, "uji-supervisor", password, "Kiosk lobi utara (baru)")
    await kiosk.wait_for_selector("#view-agencies:not([hidden])")
    assert re.fullmatch(r"[0-9a-f-]{36}", await take_ticket(kiosk))
    assert all(re.search(r"40[13]", e) for e in page_errors), page_errors
