"""axe-core over every ticketing page, in each state a citizen or staff member sees, at the
page's device sizes (issue 16: 0 serious or critical violations on every page): the kiosk at
1080×1920 and 390×844, the operator console, reports, supervisor console and ledger at
1366×768, tracking, survey, complaint and IKM at 390×844. The counts per page are written to
.data/axe-ticketing.json for the closing note; the test fails on any serious or critical."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.browser.accessibility import SERIOUS, axe_violations, describe
from tests.browser.conftest import SCREENSHOTS, PageErrors
from tests.browser.test_report_page import served_ticket
from tests.e2e.conftest import System

SITE = "balangan"
COUNTER = "balangan-loket-01"
KIOSK = {"width": 1080, "height": 1920}
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


class Audit:
    """Every violation per page state; the serious and critical ones fail the test."""

    def __init__(self) -> None:
        self.found: dict[str, list[dict[str, Any]]] = {}

    async def check(self, page: Any, name: str) -> None:
        self.found[name] = await axe_violations(page)

    def serious(self, name: str) -> list[dict[str, Any]]:
        return [v for v in self.found[name] if v["impact"] in SERIOUS]

    def report(self) -> str:
        """Write the counts (nodes per impact and rule) and describe what fails."""
        counts = {
            name: {f"{v['impact']}: {v['id']}": len(v["nodes"]) for v in found}
            for name, found in self.found.items()
        }
        SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS.parent / "axe-ticketing.json").write_text(json.dumps(counts, indent=1))
        return "\n".join(
            f"{name}:\n{describe(self.serious(name))}" for name in self.found if self.serious(name)
        )


async def english(page: Any, audit: Audit, name: str, shown: str) -> None:
    """The page in English (what `shown` finds), checked, then back in Indonesian."""
    await page.click("#lang")
    await page.wait_for_selector(shown)
    assert await page.get_attribute("html", "lang") == "en"
    await audit.check(page, f"{name} English")
    await page.click("#lang")
    await page.wait_for_selector("html[lang='id']", state="attached")


async def kiosk_states(page: Any, audit: Audit, base: str, size: str) -> None:
    await page.goto(f"{base}/kiosk/{SITE}")
    await page.wait_for_selector("#view-agencies:not([hidden]) .tile")
    await audit.check(page, f"kiosk {size} agencies")
    await page.click(".tile[data-agency='disdukcapil']")
    await page.wait_for_selector("#view-services:not([hidden]) .tile")
    await audit.check(page, f"kiosk {size} services")
    await page.click(".tile[data-service='ktp-el']")
    await page.click("#priority")
    await audit.check(page, f"kiosk {size} confirm")
    await page.click("#take")
    await page.wait_for_selector("#view-ticket:not([hidden]) #t-qr svg")
    await audit.check(page, f"kiosk {size} ticket")
    await page.click("#done")
    await page.click("#view-agencies [data-appointment]")
    await page.click("#appt-keys button[data-appt-key='Z']")
    await audit.check(page, f"kiosk {size} appointment")


async def login(page: Any, system: System, username: str, done: str) -> None:
    await page.wait_for_selector("#view-login:not([hidden])")
    await page.fill("#username", username)
    await page.fill("#password", system.env["MPP_DEMO_PASSWORD"])
    await page.click("#login-btn")
    await page.wait_for_selector(done)


async def staff_states(page: Any, audit: Audit, system: System) -> None:
    base = system.ticketing
    await page.goto(f"{base}/operator")
    await page.wait_for_selector("#view-login:not([hidden])")
    await audit.check(page, "operator login")
    await login(page, system, COUNTER, "#view-desk:not([hidden])")
    await page.wait_for_selector("#queue-list li")
    await page.click("#act-next")
    await page.wait_for_selector("#current:not(.idle)")
    await audit.check(page, "operator desk")
    await page.click("#act-transfer")
    await page.wait_for_selector("#transfer:not([hidden])")
    await audit.check(page, "operator transfer")
    await page.click("#act-choose")
    await page.wait_for_selector("#choose:not([hidden]) #choose-number option", state="attached")
    await audit.check(page, "operator choose a number")
    await page.click("#act-complete")
    await page.wait_for_selector("#current.idle")
    await page.click("#act-pause")
    await page.select_option("#break-reason", "shalat")
    await page.click("#break-go")
    await page.wait_for_selector("#pause-banner:not([hidden])")
    await audit.check(page, "operator paused")
    await page.click("#act-resume")
    await page.wait_for_selector("#pause-banner[hidden]", state="attached")

    await page.goto(f"{base}/reports/{SITE}")
    await page.wait_for_selector("#view-login:not([hidden])")
    await audit.check(page, "report login")
    await login(page, system, "balangan-supervisor", "#report:not([hidden])")
    await page.wait_for_selector("#chart-sla svg")
    await audit.check(page, "report")

    await page.goto(f"{base}/supervisor/{SITE}")
    await page.wait_for_selector("#view-login:not([hidden])")
    await audit.check(page, "supervisor login")
    await login(page, system, "balangan-supervisor", "#t-services tbody tr")
    await page.wait_for_selector("#t-audit tbody tr")
    await audit.check(page, "supervisor console")
    await page.click("#t-services tr[data-service='kia'] button[data-close]")
    await page.wait_for_selector("#dialog:not([hidden])")
    await audit.check(page, "supervisor close dialog")
    await english(page, audit, "supervisor", 'h2:text-is("Audit log")')

    await page.goto(f"{base}/transparansi/{SITE}")
    await page.wait_for_selector("#jumps")
    await page.wait_for_function("!document.querySelector('#summary').textContent.includes('…')")
    await audit.check(page, "ledger")
    await english(page, audit, "ledger", 'h2:text-is("Today\'s summary")')


async def citizen_states(page: Any, audit: Audit, system: System) -> None:
    base = system.ticketing
    async with httpx.AsyncClient(base_url=base, timeout=10) as api:
        served = await served_ticket(api, system)
        waiting = (await api.post(f"/api/sites/{SITE}/tickets", json={"service_id": "kia"})).json()
    await page.goto(waiting["tracking_url"])
    await page.wait_for_selector("#status.waiting")
    await page.click("#cancel")
    await audit.check(page, "track waiting")
    await page.goto(f"{base}/t/{served['id']}#key={served['ticket_key']}")
    await page.wait_for_selector("#status.served")
    await audit.check(page, "track served")

    await page.goto(f"{base}/survey/{served['id']}#key={served['ticket_key']}")
    await page.wait_for_selector("#survey:not([hidden])")
    await page.click("#send")
    await page.wait_for_selector("#form-error:not([hidden])")
    await audit.check(page, "survey")

    await page.goto(f"{base}/pengaduan/{SITE}?ticket={served['id']}")
    await page.wait_for_selector("#ticket-note:not([hidden])")
    await audit.check(page, "complaint")
    await page.fill("#text", "Antrean kursi roda kurang jelas.")
    await page.click("#send")
    await page.wait_for_selector("#done:not([hidden])")
    await audit.check(page, "complaint filed")

    await page.goto(f"{base}/ikm/{SITE}")
    await page.wait_for_selector("#respondents:not(:empty)")
    await audit.check(page, "ikm")
    await english(page, audit, "ikm", "#respondents:has-text('respondent')")


async def test_every_ticketing_page_has_no_serious_or_critical_axe_violation(
    system: System, browser: Any, page_errors: PageErrors
) -> None:
    audit = Audit()
    page = await browser.new_page()
    await page.set_viewport_size(PHONE)
    await citizen_states(page, audit, system)  # first: it serves the first ticket called
    for name, size in (("1080x1920", KIOSK), ("390x844", PHONE)):
        await page.set_viewport_size(size)
        await kiosk_states(page, audit, system.ticketing, name)
    await page.set_viewport_size(LAPTOP)
    await staff_states(page, audit, system)
    problems = audit.report()
    assert not problems, "axe-core serious/critical:\n" + problems
