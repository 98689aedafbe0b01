"""The supervisor console `/supervisor/{site}` in Chromium at 1366×768 against the real
services: the demo site's supervisor sees every counter and service, closes a service with
a reason (the kiosk API then refuses it), opens it again, changes today's quota, reassigns
a counter, enrols and revokes a kiosk and filters the audit log; a counter clerk is refused;
axe-core finds nothing serious or critical."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import PageErrors, Shot
from tests.e2e.conftest import System

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, ViewportSize

SITE = "balangan"
SERVICE = "kia"
COUNTER = "balangan-loket-02"
LAPTOP: ViewportSize = {"width": 1366, "height": 768}


async def log_in(page: Any, system: System, username: str) -> None:
    await page.goto(f"{system.ticketing}/supervisor/{SITE}")
    await page.wait_for_selector("#view-login:not([hidden])")
    await page.fill("#username", username)
    await page.fill("#password", system.env["MPP_DEMO_PASSWORD"])
    await page.click("#login-btn")


async def close_and_open(page: Any, api: httpx.AsyncClient) -> None:
    row = f"#t-services tr[data-service='{SERVICE}']"
    await page.click(f"{row} button[data-close]")
    await page.wait_for_selector("#dialog:not([hidden]) #close-reason")
    await page.click("#dialog-ok")  # no reason: refused on the page, nothing closed
    await page.wait_for_selector("#dialog-error:not([hidden])")
    assert (await api.get(f"/api/sites/{SITE}/queues")).json()[SERVICE]["open"] is True
    await page.fill("#close-reason", "Blangko KIA habis")
    await page.click("#dialog-ok")
    await page.wait_for_selector(f"{row} .state.closed")
    refused = await api.post(f"/api/sites/{SITE}/tickets", json={"service_id": SERVICE})
    assert refused.status_code == 409 and "ditutup" in refused.json()["detail"]
    await page.click(f"{row} button[data-open]")
    await page.wait_for_selector(f"{row} .state.open")
    taken = await api.post(f"/api/sites/{SITE}/tickets", json={"service_id": SERVICE})
    assert taken.status_code == 201, taken.text
    await page.wait_for_selector(f"{row} td.issued:text-is('1')")


async def quota_and_reassign(page: Any, api: httpx.AsyncClient, boss: dict[str, str]) -> None:
    row = f"#t-services tr[data-service='{SERVICE}']"
    await page.click(f"{row} button[data-quota]")
    await page.fill("#quota-value", "5")
    await page.click("#dialog-ok")
    await page.wait_for_selector(f"{row} td.quota:has-text('4 /')")  # 5 less the 1 taken
    assert (await api.get(f"/api/sites/{SITE}/queues")).json()[SERVICE]["quota_left"]["kiosk"] == 4

    await page.click(f"#t-counters tr[data-counter='{COUNTER}'] button[data-reassign]")
    await page.wait_for_selector("#dialog:not([hidden]) fieldset")
    await page.uncheck("#dialog input[value='ktp-el']")
    await page.check("#dialog input[value='pbg']")
    await page.click("#dialog-ok")
    await page.wait_for_selector(f"#t-counters tr[data-counter='{COUNTER}'] td:has-text('PBG')")
    states = (await api.get(f"/api/sites/{SITE}/counters", headers=boss)).json()
    mine = next(c for c in states if c["id"] == COUNTER)
    assert mine["service_ids"] == ["kartu-keluarga", "pbg"]


async def kiosks(page: Any, api: httpx.AsyncClient, boss: dict[str, str]) -> None:
    await page.fill("#kiosk-name", "Kiosk lobi utara")
    await page.click("#enrol")
    await page.wait_for_selector("#kiosk-token:not([hidden])")
    token = (await page.inner_text("#kiosk-token-value")).strip()
    live = await api.post(
        f"/api/sites/{SITE}/tickets",
        json={"service_id": SERVICE},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert live.status_code == 201, live.text
    item = "#kiosk-list li.live:has-text('Kiosk lobi utara')"
    await page.click(f"{item} button")
    await page.wait_for_selector("#kiosk-list li.revoked:has-text('Kiosk lobi utara')")
    assert await page.locator("#kiosk-token").is_hidden()
    listed = (await api.get(f"/api/sites/{SITE}/kiosks", headers=boss)).json()
    assert [k["revoked_by"] for k in listed if k["name"] == "Kiosk lobi utara"] == [
        "balangan-supervisor"
    ]


async def audit(page: Any, api: httpx.AsyncClient, boss: dict[str, str]) -> None:
    await page.select_option("#a-action", "service.close")
    await page.click("#a-apply")
    await page.wait_for_selector("#a-count:text-is('1 entri')")
    assert await page.locator("#t-audit tbody tr").count() == 1
    assert "Blangko KIA habis" in await page.inner_text("#t-audit tbody")
    await page.select_option("#a-action", "")
    await page.fill("#a-actor", "balangan-supervisor")
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Makassar")).date().isoformat()
    await page.fill("#a-from", today)
    await page.fill("#a-to", today)
    await page.click("#a-apply")
    everything = (
        await api.get(
            f"/api/sites/{SITE}/audit", params={"actor": "balangan-supervisor"}, headers=boss
        )
    ).json()
    assert len(everything) >= 6  # close, open, quota, reassign, enrol, revoke
    await page.wait_for_selector(f"#a-count:text-is('{len(everything)} entri')")
    actions = await page.eval_on_selector_all(
        "#t-audit tbody tr", "rows => rows.map(r => r.dataset.action)"
    )
    assert actions == [e["action"] for e in everything]
    await page.fill("#a-actor", "balangan-admin")
    await page.click("#a-apply")
    await page.wait_for_selector("#a-count:text-is('0 entri')")


async def test_supervisor_console(
    system: System, browser: BrowserContext, shot: Shot, page_errors: PageErrors
) -> None:
    boss = await system.login("balangan-supervisor")
    page = await browser.new_page()
    await page.set_viewport_size(LAPTOP)

    await log_in(page, system, "balangan-loket-01")  # a counter clerk: refused on the page
    await page.wait_for_selector("#login-error:has-text('Tidak diizinkan')")
    assert await page.locator("#view-console").is_hidden()
    await assert_accessible(page)

    await log_in(page, system, "balangan-supervisor")
    await page.wait_for_selector("#view-console:not([hidden]) #t-services tbody tr")
    await page.wait_for_selector("#t-counters tr[data-counter='balangan-loket-01'] .state")
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        counters = (await api.get(f"/api/sites/{SITE}/counters", headers=boss)).json()
    assert await page.locator("#t-counters tbody tr").count() == len(counters) > 3
    await shot(page, "1-console")
    await assert_accessible(page)
    async with httpx.AsyncClient(base_url=system.ticketing, timeout=10) as api:
        await close_and_open(page, api)
        await quota_and_reassign(page, api, boss)
        await kiosks(page, api, boss)
        await audit(page, api, boss)
        await shot(page, "2-after-actions")
        await assert_accessible(page)
        await page.click("#t-services tr[data-service='kia'] button[data-close]")
        await assert_accessible(page)  # with the dialog open
        missing = await api.get("/supervisor/nowhere")
        assert missing.status_code == 404 and "tidak ditemukan" in missing.text
    assert not page_errors, page_errors
