"""A counter's break and a service's closure on the lobby board, in Chromium at 1920×1080
against the real services: a clerk's pause shows on the counter's tile within a second
with its reason and since when (site time), a supervisor's closure shows 'Tutup' beside the
service, both go away when undone, and axe-core finds nothing serious on the board so."""

from __future__ import annotations

import time
from typing import Any

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import PageErrors, Shot
from tests.browser.test_board import INDONESIAN, SITE, Desk, open_board
from tests.e2e.conftest import System

COUNTER = "balangan-loket-02"


async def post(desk: Desk, who: str, path: str, body: dict[str, Any] | None = None) -> Any:
    answer = await desk.api.post(path, json=body, headers=await desk._auth(who))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_break_and_a_closure_show_on_the_board_within_a_second(
    system: System, browser: Any, shot: Shot, page_errors: PageErrors
) -> None:
    desk = Desk(system)
    try:
        await desk.login(COUNTER, "balangan-supervisor")
        page = await open_board(browser, system, INDONESIAN)
        tile = f".counter[data-counter='{COUNTER}']"

        started = time.monotonic()
        paused = await post(
            desk, COUNTER, f"/api/sites/{SITE}/counters/{COUNTER}/pause", {"reason": "shalat"}
        )
        await page.wait_for_selector(f"{tile}.paused .number:text-is('Jeda')", timeout=10_000)
        took = time.monotonic() - started
        assert took < 1.5, f"the break took {took:.2f}s to reach the board"
        since = paused["paused_at"]
        below = await page.inner_text(f"{tile} .service")
        assert below.startswith("Shalat sejak ") and len(below) == len("Shalat sejak 12.05")
        assert since  # the time shown is the break's start in WITA (checked in unit tests)

        started = time.monotonic()
        await post(
            desk,
            "balangan-supervisor",
            f"/api/sites/{SITE}/services/kartu-keluarga/close",
            {"reason": "blangko habis"},
        )
        row = "#waiting li.shut"
        await page.wait_for_selector(f"{row} .count:text-is('Tutup')", timeout=10_000)
        assert time.monotonic() - started < 1.5
        assert "Kartu Keluarga" in await page.inner_text(row)
        await shot(page, "break-and-closure")
        found = await assert_accessible(page)
        print(f"\n[axe] board with a break and a closure: {len(found)} violation(s), none serious")

        await post(desk, COUNTER, f"/api/sites/{SITE}/counters/{COUNTER}/resume")
        await post(desk, "balangan-supervisor", f"/api/sites/{SITE}/services/kartu-keluarga/open")
        await page.wait_for_selector(f"{tile}:not(.paused)", timeout=10_000)
        await page.wait_for_selector(row, state="detached", timeout=10_000)
        # a reloaded page draws the same from the snapshot
        await post(
            desk, COUNTER, f"/api/sites/{SITE}/counters/{COUNTER}/pause", {"reason": "rapat"}
        )
        await page.wait_for_selector(f"{tile}.paused", timeout=10_000)
        await page.reload()
        await page.wait_for_selector(f"{tile}.paused .service:text-matches('^Rapat sejak')")
        assert page_errors == [], page_errors
    finally:
        await desk.close()
