"""The lobby page in Chromium against a display of the test's own (in this process, on the
real broker, its clock injectable), fed events straight onto the topics: what the page
draws and says comes from the display's fold alone (the snapshot and each event's
`board`); the call panel leaves the counters in sight and drops a no-show at once; the
offline voice is asked again on every call; a closed site says when it opens, a mobile
MPP where it stands today; long service names fit at 1920×1080; axe-core finds nothing
serious.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer

from services.display.speech import OfflineVoice
from shared.events import AnyEvent
from shared.sites import SITES_DIR
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import PageErrors, Shot
from tests.browser.test_board import ENGLISH_ONLY, INDONESIAN, RECORDER
from tests.integration.display.conftest import Display, display_settings, publish, running
from tests.unit.display.builders import DayOfEvents

TV = {"width": 1920, "height": 1080}
LONG_NAME = "Perekaman dan Pencetakan KTP-el serta Perubahan Data Kependudukan"

SITE_FILE = """
config_version = 1
[site]
id = "{site}"
name = "MPP Uji Coba"
timezone = "Asia/Makassar"
always_open = true
[[agencies]]
id = "disdukcapil"
name = "Disdukcapil"
[[agencies]]
id = "polres"
name = "Polres"
[[services]]
id = "ktp"
agency = "disdukcapil"
name = "{long}"
prefix = "A"
[[services]]
id = "kk"
agency = "disdukcapil"
name = "Kartu Keluarga"
prefix = "B"
[[services]]
id = "skck"
agency = "polres"
name = "SKCK"
prefix = "J"
{counters}
"""


def site_file(site: str) -> str:
    counters = "".join(
        f'[[counters]]\nid = "loket-{n}"\nname = "Loket {n}"\nservices = ["{svc}"]\n'
        for n, svc in [(1, "ktp"), (2, "kk"), (3, "skck"), *((n, "ktp") for n in range(4, 13))]
    )
    return SITE_FILE.format(site=site, long=LONG_NAME, counters=counters)


def at(event: Any, counter: str) -> Any:
    """The event at another counter of the test site (the builders know loket-1..3)."""
    return event.model_copy(update={"counter_id": counter, "counter_name": f"Loket {counter[6:]}"})


@dataclass
class Lobby:
    display: Display
    producer: AIOKafkaProducer
    day: DayOfEvents

    async def send(self, *events: AnyEvent) -> None:
        for event in events:
            if event.service_id == "ktp":
                event = event.model_copy(update={"service_name": LONG_NAME})
            await publish(self.producer, event)


@pytest.fixture
async def lobby(kafka_topics: str, tmp_path: Path) -> AsyncIterator[Lobby]:
    site = f"t-{uuid4().hex[:8]}"
    (tmp_path / f"{site}.toml").write_text(site_file(site), encoding="utf-8")
    now = datetime.now(UTC)
    day = DayOfEvents(site_id=site, start=now - timedelta(seconds=30))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_topics, enable_idempotence=False)
    await producer.start()
    try:
        settings = display_settings(kafka_topics, sites_dir=tmp_path)
        async with running(settings) as display:
            yield Lobby(display, producer, day)
    finally:
        await producer.stop()


async def open_page(browser: Any, url: str, voices: str, size: dict[str, int] = TV) -> Any:
    page = await browser.new_page()
    await page.set_viewport_size(size)
    await page.add_init_script(RECORDER % {"voices": voices})
    await page.goto(url)
    await page.wait_for_function("() => document.querySelector('#clock-zone').textContent")
    return page


async def tile(page: Any, counter: str, number: str) -> None:
    await page.wait_for_selector(
        f".counter[data-counter='{counter}'] .number:text-is('{number}')", timeout=15_000
    )


async def texts(page: Any) -> list[str]:
    result: list[str] = await page.evaluate("window.__spoken.map((u) => u.text)")
    return result


async def test_the_page_draws_and_says_what_the_display_folded(
    lobby: Lobby, browser: Any, shot: Shot, page_errors: PageErrors
) -> None:
    day = lobby.day
    page = await open_page(browser, f"{lobby.display.url}/boards/{day.site_id}", INDONESIAN)
    agency = await open_page(
        browser, f"{lobby.display.url}/boards/{day.site_id}?agency=polres", INDONESIAN
    )
    a1, a2, j1 = day.new_ticket("ktp"), day.new_ticket("ktp"), day.new_ticket("skck")
    first = day.called(a1, "loket-1", 1, {"ktp": 1})
    recall = day.called(a1, "loket-1", 2)
    # read late: a2's completion before its call (the topics are read independently)
    call2 = at(day.called(a2, "loket-1", 1, {"ktp": 0}), "loket-4")
    done2 = at(day.completed(a2, "loket-1"), "loket-4")
    await lobby.send(first, recall, recall, done2, call2, day.called(j1, "loket-3"))
    await tile(page, "loket-1", "A-001")
    await tile(page, "loket-3", "J-001")
    await page.wait_for_function("() => window.__spoken.length >= 3", timeout=20_000)
    assert await page.inner_text(".counter[data-counter='loket-4'] .number") == "—"
    assert await texts(page) == [
        "Nomor antrean A, nol nol satu, silakan menuju Loket satu",
        "Nomor antrean A, nol nol satu, silakan menuju Loket satu",  # the recall, once
        "Nomor antrean J, nol nol satu, silakan menuju Loket tiga",
    ]
    assert [await li.inner_text() for li in await page.query_selector_all("#recent .num")] == [
        "J-001",
        "A-002",
        "A-001",
        "A-001",
    ]
    # the agency board: its counters, its calls, its announcements only
    await tile(agency, "loket-3", "J-001")
    assert await agency.locator(".counter").count() == 1
    await agency.wait_for_function("() => window.__spoken.length >= 1", timeout=20_000)
    assert await texts(agency) == ["Nomor antrean J, nol nol satu, silakan menuju Loket tiga"]
    await shot(page, "1-calls")
    assert page_errors == [], page_errors


async def test_the_call_panel_keeps_the_counters_in_sight_and_drops_a_no_show(
    lobby: Lobby, browser: Any, shot: Shot, page_errors: PageErrors
) -> None:
    day = lobby.day
    slow = RECORDER.replace("SPEAK_MS = 400", "SPEAK_MS = 6000")
    page = await browser.new_page()
    await page.set_viewport_size(TV)
    await page.add_init_script(slow % {"voices": INDONESIAN})
    await page.goto(f"{lobby.display.url}/boards/{day.site_id}")
    await page.wait_for_function("() => document.querySelector('#clock-zone').textContent")
    a1, b1 = day.new_ticket("ktp"), day.new_ticket("kk")
    await lobby.send(day.called(a1, "loket-1"), day.called(b1, "loket-2"))
    await page.wait_for_selector("#flash-number:text-is('A-001')")
    # its words have begun (after the chime): the no-show below lands mid-announcement. A
    # no-show during the chime is not spoken at all, which is right too, but then this test
    # would not see the announcement stopped
    await page.wait_for_function("() => window.__spoken.length > 0", timeout=5_000)
    # the panel covers the side column, not one counter tile
    overlapped = await page.evaluate(
        """() => {
             const p = document.getElementById('flash').getBoundingClientRect();
             return [...document.querySelectorAll('.counter')].filter((t) => {
               const r = t.getBoundingClientRect();
               return r.right > p.left && r.left < p.right && r.bottom > p.top && r.top < p.bottom;
             }).map((t) => t.dataset.counter);
           }"""
    )
    assert overlapped == []
    await shot(page, "1-panel")
    # A-001 is marked no-show while it is still announced: off the panel at once, and the
    # queued B-001 goes on
    since = time.monotonic()
    await lobby.send(day.completed(a1, "loket-1", "no_show"))
    await page.wait_for_function(
        "() => document.getElementById('flash').hidden"
        " || document.getElementById('flash-number').textContent !== 'A-001'",
        timeout=5_000,
    )
    took = time.monotonic() - since
    assert took < 2.0, f"the no-show stayed on the panel {took:.2f}s"
    await page.wait_for_selector("#flash-number:text-is('B-001')", timeout=5_000)
    await lobby.send(day.completed(b1, "loket-2", "cancelled"))
    await page.wait_for_selector("#flash", state="hidden", timeout=5_000)
    assert await page.inner_text(".counter[data-counter='loket-1'] .number") == "—"
    assert (await texts(page))[0] == "Nomor antrean A, nol nol satu, silakan menuju Loket satu"
    assert page_errors == [], page_errors


async def test_the_offline_voice_is_asked_again_on_every_call(
    lobby: Lobby, browser: Any, page_errors: PageErrors
) -> None:
    day = lobby.day
    app = lobby.display.app
    silent = OfflineVoice()
    silent.command = None  # no voice at first: 503
    app.state.offline_voice = silent
    page = await open_page(browser, f"{lobby.display.url}/boards/{day.site_id}", ENGLISH_ONLY)
    wavs: list[int] = []
    page.on("response", lambda r: wavs.append(r.status) if "announcement.wav" in r.url else None)
    a1, a2 = day.new_ticket("ktp"), day.new_ticket("ktp")
    await lobby.send(day.called(a1, "loket-1"))
    deadline = time.monotonic() + 15
    while not wavs and time.monotonic() < deadline:
        await page.wait_for_timeout(100)
    assert wavs == [503]
    app.state.offline_voice = OfflineVoice()  # the voice is back (the wheel installed)
    await lobby.send(day.called(a2, "loket-1"))
    await page.wait_for_function("() => window.__played.length === 1", timeout=20_000)
    assert wavs == [503, 200]
    assert await texts(page) == []  # never an English voice
    assert all("503" in e for e in page_errors), page_errors


async def test_long_service_names_fit_the_sound_button_covers_nothing_and_axe_passes(
    lobby: Lobby, browser: Any, shot: Shot, page_errors: PageErrors
) -> None:
    day = lobby.day
    page = await open_page(browser, f"{lobby.display.url}/boards/{day.site_id}", INDONESIAN)
    tickets = [day.new_ticket("ktp") for _ in range(10)]
    counters = ["loket-1", *(f"loket-{n}" for n in range(4, 13))]
    await lobby.send(*(at(day.called(t), c) for t, c in zip(tickets, counters, strict=True)))
    await tile(page, "loket-12", "A-010")
    await page.wait_for_selector("#flash", state="hidden", timeout=30_000)
    clipped = await page.evaluate(
        """() => [...document.querySelectorAll('.counter')].filter((t) =>
             t.scrollHeight > t.clientHeight + 1 || t.scrollWidth > t.clientWidth + 1
             || [...t.children].some((c) => c.scrollWidth > c.clientWidth + 1))
           .map((t) => t.dataset.counter)"""
    )
    assert clipped == []
    assert await page.inner_text(".counter[data-counter='loket-1'] .service") == LONG_NAME
    # the sound button (as a PC without autoplay shows it) sits in the header, on no tile
    await page.evaluate("document.getElementById('sound').hidden = false")
    button = await page.locator("#sound").bounding_box()
    grid = await page.locator("#counters").bounding_box()
    assert button["y"] + button["height"] <= grid["y"]
    assert await page.locator("#sound svg").count() == 1  # no emoji font needed
    await shot(page, "1-tv")
    found = await assert_accessible(page)
    print(f"\n[axe] board 1920x1080: {len(found)} violation(s), none serious or critical")
    for size in ({"width": 1080, "height": 1920}, {"width": 1366, "height": 768}):
        await page.set_viewport_size(size)
        await page.wait_for_timeout(400)
        await assert_accessible(page)
    assert page_errors == [], page_errors


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def real_sites(kafka_topics: str) -> AsyncIterator[tuple[Display, Clock]]:
    clock = Clock(datetime(2026, 12, 2, 6, 30, tzinfo=UTC))
    async with running(display_settings(kafka_topics, sites_dir=SITES_DIR), clock=clock) as d:
        yield d, clock


async def closed_text(browser: Any, url: str) -> Any:
    page = await open_page(browser, url, INDONESIAN)
    await page.wait_for_selector("#closed-text:not(:empty)", timeout=10_000)
    return page


async def test_a_closed_site_says_when_it_opens_and_a_mobile_mpp_where_it_stands(
    real_sites: tuple[Display, Clock], browser: Any, shot: Shot, page_errors: PageErrors
) -> None:
    display, clock = real_sites
    wita = timedelta(hours=8)
    clock.now = datetime(2026, 12, 2, 6, 30, tzinfo=UTC) - wita  # Wednesday 06.30 WITA
    page = await closed_text(browser, f"{display.url}/boards/tabanan")
    assert await page.inner_text("#closed-text") == "Tutup — buka pukul 08.00"
    assert await page.is_hidden("#counters")
    await shot(page, "1-tabanan-early")
    await assert_accessible(page)

    clock.now = datetime(2026, 12, 5, 14, 0, tzinfo=UTC) - wita  # Saturday after Samsat's hours
    page = await closed_text(browser, f"{display.url}/boards/tabanan")
    assert await page.inner_text("#closed-text") == "Tutup — buka Senin, 7 Desember pukul 08.00"

    wib = timedelta(hours=7)
    clock.now = datetime(2026, 12, 2, 7, 0, tzinfo=UTC) - wib  # lahat, Wednesday 07.00 WIB
    page = await closed_text(browser, f"{display.url}/boards/lahat")
    assert await page.inner_text("#closed-text") == "Tutup — buka pukul 08.00"
    assert await page.inner_text("#place") == "Hari ini di Kantor Camat Kikim Timur, Bunga Mas"
    await shot(page, "2-lahat-early")

    clock.now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC) - wib  # open: the grid, the place
    page = await open_page(browser, f"{display.url}/boards/lahat", INDONESIAN)
    await page.wait_for_selector("#place:text('Kikim Timur')")
    assert await page.is_visible("#counters") and await page.is_hidden("#closed")

    clock.now = datetime(2026, 12, 6, 10, 0, tzinfo=UTC) - wib  # Sunday: not out today
    page = await closed_text(browser, f"{display.url}/boards/lahat")
    assert await page.inner_text("#closed-text") == "Tutup — buka Senin, 7 Desember pukul 08.00"
    assert (
        await page.inner_text("#place")
        == "Berikutnya: Senin, 7 Desember di Kantor Camat Merapi Barat, Desa Merapi"
    )
    await shot(page, "3-lahat-sunday")
    assert page_errors == [], page_errors
