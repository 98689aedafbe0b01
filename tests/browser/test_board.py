"""The lobby board in Chromium at 1920×1080 against the real services: a call reaches the
screen within a second and is announced in Indonesian, digit by digit, one announcement
after the other; recalls are announced again; without an id-ID voice the display's offline
voice (espeak-ng, from the locked espeakng-loader wheel) is played; the board rides through a restart of the display by itself,
showing its 'offline' mark meanwhile, and never re-announces what it already said.

The browser's speech engine is replaced by a recorder (an init script): headless Chromium
has no voices, and the test must hear exactly what would be said and when.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shared.embedded import EmbeddedBroker, free_port
from tests.browser.conftest import PageErrors, Shot
from tests.e2e.conftest import System, start_service, wait_healthy

SITE = "balangan"
PHONE = "081234567890"
TV = {"width": 1920, "height": 1080}

# speechSynthesis and <audio> recorders. Each utterance "speaks" for SPEAK_MS; play() of an
# audio element "plays" for PLAY_MS. Both note when they started and ended, and whether one
# started while another was still going.
RECORDER = """
(() => {
  const VOICES = %(voices)s;
  const SPEAK_MS = 400, PLAY_MS = 300;
  window.__spoken = []; window.__played = []; window.__overlap = false;
  let busy = false;
  const synth = {
    speaking: false, pending: false, paused: false,
    getVoices: () => VOICES.map((v) => Object.assign({ default: false, localService: true, voiceURI: v.name }, v)),
    addEventListener() {}, removeEventListener() {},
    cancel() {}, pause() {}, resume() {},
    speak(u) {
      if (!u.text) return;
      if (busy) window.__overlap = true;
      busy = true;
      const entry = { text: u.text, lang: u.lang, voice: u.voice && u.voice.name, start: performance.now(), end: null };
      window.__spoken.push(entry);
      setTimeout(() => { busy = false; entry.end = performance.now(); if (u.onend) u.onend({}); }, SPEAK_MS);
    },
  };
  Object.defineProperty(window, "speechSynthesis", { configurable: true, get: () => synth });
  window.SpeechSynthesisUtterance = function (text) { this.text = text; };
  HTMLMediaElement.prototype.play = function () {
    if (busy) window.__overlap = true;
    busy = true;
    const entry = { src: this.src, start: performance.now(), end: null };
    window.__played.push(entry);
    setTimeout(() => { busy = false; entry.end = performance.now(); this.dispatchEvent(new Event("ended")); }, PLAY_MS);
    return Promise.resolve();
  };
})();
"""
INDONESIAN = '[{"name": "Damayanti", "lang": "id-ID"}, {"name": "Samantha", "lang": "en-US"}]'
ENGLISH_ONLY = '[{"name": "Samantha", "lang": "en-US"}]'


def said(number: str, counter: str) -> str:
    """What the board must say: the ticket digit by digit, the counter's number as a number."""
    digits = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]
    prefix, _, tail = number.partition("-")
    counters = {"Loket 1": "Loket satu", "Loket 7": "Loket tujuh", "Loket 8": "Loket delapan"}
    return (
        f"Nomor antrean {' '.join(prefix)}, {' '.join(digits[int(d)] for d in tail)}, "
        f"silakan menuju {counters[counter]}"
    )


class Desk:
    """The kiosk and the operators, through the ticketing API."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.api = httpx.AsyncClient(base_url=system.ticketing, timeout=15)
        self.tokens: dict[str, str] = {}

    async def issue(self, service_id: str, phone: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"service_id": service_id}
        if phone:
            body["phone"] = phone
        answer = await self.api.post(f"/api/sites/{SITE}/tickets", json=body)
        assert answer.status_code == 201, answer.text
        ticket: dict[str, Any] = answer.json()
        return ticket

    async def _auth(self, counter: str) -> dict[str, str]:
        if counter not in self.tokens:
            answer = await self.api.post(
                "/api/auth/token",
                data={"username": counter, "password": self.system.env["MPP_DEMO_PASSWORD"]},
            )
            assert answer.status_code == 200, answer.text
            self.tokens[counter] = answer.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[counter]}"}

    async def login(self, *counters: str) -> None:
        for counter in counters:
            await self._auth(counter)

    async def call_next(self, counter: str) -> dict[str, Any]:
        answer = await self.api.post(
            f"/api/sites/{SITE}/counters/{counter}/call-next", headers=await self._auth(counter)
        )
        assert answer.status_code == 200, answer.text
        ticket: dict[str, Any] = answer.json()
        return ticket

    async def recall(self, counter: str, ticket_id: str) -> None:
        answer = await self.api.post(
            f"/api/tickets/{ticket_id}/recall", headers=await self._auth(counter)
        )
        assert answer.status_code == 200, answer.text

    async def close(self) -> None:
        await self.api.aclose()


@pytest.fixture
def e2e_kafka() -> Iterator[str]:
    """A broker of the test's own (the e2e one is shared by a module): each test's ticketing
    database numbers its events from 1, and a display replaying an earlier test's events of
    the same site would order the boards by those."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    broker = EmbeddedBroker(free_port()).start()
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


@pytest.fixture
async def desk(system: System) -> Any:
    d = Desk(system)
    yield d
    await d.close()


async def open_board(browser: Any, system: System, voices: str, query: str = "") -> Any:
    page = await browser.new_page()
    await page.set_viewport_size(TV)
    await page.add_init_script(RECORDER % {"voices": voices})
    await page.goto(f"{system.display}/boards/{SITE}{query}")
    await page.wait_for_selector("#site-name:text('MPP Kabupaten Balangan')")
    await page.wait_for_selector("#clock-zone:text('WITA')")
    return page


async def shows_within(page: Any, counter: str, number: str, since: float, limit: float) -> float:
    """Wait (generously) for the counter's tile to show the number; the seconds it took."""
    await page.wait_for_selector(
        f".counter[data-counter='{counter}'] .number:text-is('{number}')", timeout=15_000
    )
    took = time.monotonic() - since
    assert took < limit, f"{number} at {counter} took {took:.2f}s to reach the board"
    return took


async def spoken(page: Any, count: int) -> list[dict[str, Any]]:
    """The utterances, once `count` of them have finished."""
    try:
        await page.wait_for_function(
            f"() => window.__spoken.length >= {count}"
            " && window.__spoken.every((u) => u.end !== null)",
            timeout=20_000,
        )
    except Exception:
        heard = [u["text"] for u in await page.evaluate("window.__spoken")]
        raise AssertionError(f"expected {count} utterances, heard {heard}") from None
    result: list[dict[str, Any]] = await page.evaluate("window.__spoken")
    return result


async def flash_gone(page: Any) -> None:
    await page.wait_for_selector("#flash", state="hidden", timeout=20_000)


async def test_calls_reach_the_board_within_a_second_and_are_announced_one_after_the_other(
    system: System, browser: Any, desk: Desk, shot: Shot, page_errors: PageErrors
) -> None:
    page = await open_board(browser, system, INDONESIAN)
    assert await page.title() == "Papan Antrean — MPP Kabupaten Balangan"
    assert await page.is_hidden("#offline")
    await shot(page, "1-empty")

    ktp = await desk.issue("ktp-el", phone=PHONE)  # the kiosk's ticket, with a phone for SMS
    skck = await desk.issue("skck")
    await page.wait_for_selector("#waiting li:has(.prefix:text-is('A')) .count:text-is('1')")

    # two calls in a row at two counters: both shown at once, both heard, in order
    await desk.login("balangan-loket-01", "balangan-loket-07")
    since = time.monotonic()
    first = await desk.call_next("balangan-loket-01")
    assert first["id"] == ktp["id"]
    await shows_within(page, "balangan-loket-01", ktp["number"], since, 1.0)
    since = time.monotonic()
    second = await desk.call_next("balangan-loket-07")
    assert second["id"] == skck["id"]
    await shows_within(page, "balangan-loket-07", skck["number"], since, 1.0)
    await page.wait_for_selector(f"#flash-number:text-is('{ktp['number']}')")
    await shot(page, "2-flash")

    utterances = await spoken(page, 2)
    assert [u["text"] for u in utterances] == [
        said(ktp["number"], "Loket 1"),
        said(skck["number"], "Loket 7"),
    ]
    assert all(u["lang"] == "id-ID" and u["voice"] == "Damayanti" for u in utterances)
    assert utterances[1]["start"] >= utterances[0]["end"], "announcements overlapped"
    assert not await page.evaluate("window.__overlap")

    # a recall is announced again
    await desk.recall("balangan-loket-01", ktp["id"])
    utterances = await spoken(page, 3)
    assert utterances[2]["text"] == said(ktp["number"], "Loket 1")
    assert utterances[2]["start"] >= utterances[1]["end"]
    await page.wait_for_selector(f"#recent li.recall .num:text-is('{ktp['number']}')")

    # a busier lobby, for the screenshot a TV shows most of the day
    for service in ["ktp-el", "kartu-keluarga", "pajak-kendaraan", "bpjs-kesehatan", "paspor"]:
        for _ in range(3):
            await desk.issue(service)
    for counter in ["balangan-loket-02", "balangan-loket-05", "balangan-loket-08"]:
        await desk.call_next(counter)
    await spoken(page, 6)
    await flash_gone(page)
    await page.wait_for_function("() => !document.querySelector('.counter.fresh')", timeout=20_000)
    await shot(page, "3-busy")
    assert not await page.evaluate("window.__overlap")

    # nothing on the board shows a phone number; the stream carries none either
    html = re.sub(r"\s", "", await page.content())
    assert PHONE[1:] not in html and "0812" not in html
    agency = await open_board(browser, system, INDONESIAN, "?agency=disdukcapil")
    await page.close()
    await agency.wait_for_selector("#agency-name:text('Dinas Kependudukan')")
    assert await agency.locator(".counter").count() == 3  # Loket 1, 2 and 3
    await agency.wait_for_selector(
        f".counter[data-counter='balangan-loket-01'] .number:text-is('{ktp['number']}')"
    )
    await shot(agency, "4-agency")
    assert page_errors == [], page_errors


async def test_the_board_rides_through_a_restart_of_the_display(
    system: System, browser: Any, desk: Desk, shot: Shot, page_errors: PageErrors
) -> None:
    page = await open_board(browser, system, INDONESIAN)
    before = await desk.issue("ktp-el")
    await desk.call_next("balangan-loket-01")
    await shows_within(page, "balangan-loket-01", before["number"], time.monotonic(), 15)
    await spoken(page, 1)

    # the display dies: the board keeps what it shows and says it is offline
    proc = system.processes["display"]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    await page.wait_for_selector("#offline", state="visible", timeout=30_000)
    assert (
        await page.inner_text(".counter[data-counter='balangan-loket-01'] .number")
        == (before["number"])
    )
    await shot(page, "1-offline")

    # a call while it is down
    missed = await desk.issue("skck")
    await desk.call_next("balangan-loket-07")

    # the display comes back on the same port: no reload, the board catches up by itself
    log_dir = system.logs["display"].parent
    system.processes["display"] = start_service("display", system.env, log_dir)
    await wait_healthy(system.display, system.processes["display"])
    await page.wait_for_selector("#offline", state="hidden", timeout=30_000)
    await page.wait_for_selector(
        f".counter[data-counter='balangan-loket-07'] .number:text-is('{missed['number']}')",
        timeout=30_000,
    )
    after = await desk.issue("bpjs-kesehatan")
    await desk.login("balangan-loket-08")
    since = time.monotonic()
    await desk.call_next("balangan-loket-08")
    await shows_within(page, "balangan-loket-08", after["number"], since, 1.0)
    utterances = await spoken(page, 3)
    await asyncio.sleep(2)  # would a replayed call be announced again?
    assert [u["text"] for u in await page.evaluate("window.__spoken")] == [
        said(before["number"], "Loket 1"),
        said(missed["number"], "Loket 7"),  # missed while away, still standing: announced
        said(after["number"], "Loket 8"),
    ]
    assert all(b["start"] >= a["end"] for a, b in itertools.pairwise(utterances))
    assert await page.evaluate("performance.getEntriesByType('navigation').length") == 1
    await flash_gone(page)
    await shot(page, "2-back")
    # the board's own requests failed while the display was down (its stream was cut
    # mid-response, then refused); nothing else went wrong
    down = ("ERR_CONNECTION_REFUSED", "ERR_INCOMPLETE_CHUNKED_ENCODING", "ERR_EMPTY_RESPONSE")
    unexpected = [e for e in page_errors if not any(d in e for d in down)]
    assert unexpected == [], unexpected


async def test_without_an_indonesian_voice_the_board_plays_the_displays_offline_voice(
    system: System, browser: Any, desk: Desk, shot: Shot, page_errors: PageErrors
) -> None:
    page = await open_board(browser, system, ENGLISH_ONLY)
    wavs: list[tuple[str, int, str]] = []
    page.on(
        "response",
        lambda r: (
            wavs.append((r.url, r.status, r.headers.get("content-type", "")))
            if "/announcement.wav" in r.url
            else None
        ),
    )
    ticket = await desk.issue("ktp-el")
    await desk.call_next("balangan-loket-01")
    await shows_within(page, "balangan-loket-01", ticket["number"], time.monotonic(), 15)
    url = (
        f"{system.display}/api/sites/{SITE}/announcement.wav"
        f"?ticket={ticket['number']}&counter=balangan-loket-01"
    )
    deadline = time.monotonic() + 15
    while not wavs and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert [w[0] for w in wavs] == [url]
    # the voice comes with the display (no apt package): it speaks on any machine
    assert wavs[0][1:] == (200, "audio/wav")
    await page.wait_for_function("() => window.__played.length === 1", timeout=15_000)
    played = await page.evaluate("window.__played")
    assert played[0]["src"].startswith("blob:")
    assert await page.evaluate("window.__spoken.length") == 0  # never an English voice
    await shot(page, "1-offline-voice")
    assert page_errors == [], page_errors


async def test_the_offline_voice_speaks_only_the_sites_calls_and_the_page_is_cached_right(
    system: System,
) -> None:
    async with httpx.AsyncClient(base_url=system.display, timeout=15) as http:
        wav = await http.get(
            f"/api/sites/{SITE}/announcement.wav",
            params={"ticket": "A-012", "counter": "balangan-loket-03"},
        )
        assert wav.status_code == 200
        assert wav.headers["content-type"] == "audio/wav"
        assert wav.content[:4] == b"RIFF" and len(wav.content) > 20_000
        assert wav.headers["cache-control"].startswith("public, max-age=")
        for params in [
            {"ticket": "A-012", "counter": "balangan-loket-99"},
            {"ticket": "Z-012", "counter": "balangan-loket-03"},
            {"ticket": "Beli pulsa murah", "counter": "balangan-loket-03"},
            {"ticket": "A-012"},
        ]:
            answer = await http.get(f"/api/sites/{SITE}/announcement.wav", params=params)
            assert answer.status_code == 422, (params, answer.text)
        unknown = await http.get(
            "/api/sites/nowhere/announcement.wav", params={"ticket": "A-012", "counter": "x"}
        )
        assert unknown.status_code == 404

        page = await http.get(f"/boards/{SITE}")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assets = re.findall(r'"/static/([a-z.]+)\?v=([0-9a-f]{12})"', page.text)
        assert {name for name, _ in assets} == {"favicon.svg", "board.css", "board.js"}
        again = await http.get(f"/boards/{SITE}", headers={"If-None-Match": page.headers["etag"]})
        assert again.status_code == 304
        for name, version in assets:
            asset = await http.get(f"/static/{name}?v={version}")
            assert asset.status_code == 200
            assert asset.headers["cache-control"].startswith("public, max-age=")
        # the modules board.js imports by plain URL: revalidated on every load
        for name in ["state.js", "view.js", "voice.js", "speech.js", "i18n.js"]:
            module = await http.get(f"/static/{name}")
            assert module.status_code == 200, name
            assert module.headers["cache-control"] == "no-cache"
            assert "javascript" in module.headers["content-type"]
        assert (await http.get("/favicon.ico")).status_code == 200
