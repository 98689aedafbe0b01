"""The lobby page's script under node (no browser here): the words it speaks, and how it
folds a snapshot and events into the screen (a small fake DOM in js/harness.js)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.display import speech
from shared.sites import SITES_DIR, load_sites
from tests.unit.display.builders import DayOfEvents

STATIC = Path(__file__).resolve().parents[3] / "services" / "display" / "static"
HARNESS = Path(__file__).parent / "js" / "harness.js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def node(script: str, stdin: str = "") -> str:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", script] if script else [NODE, str(HARNESS), str(STATIC)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("number", "counter", "spoken"),
    [
        ("A-012", "Loket 3", "Nomor antrian A, nol satu dua, silakan menuju Loket tiga"),
        (
            "J-1234",
            "Loket 16",
            "Nomor antrian J, satu dua tiga empat, silakan menuju Loket enam belas",
        ),
        ("AB-905", "Loket 1", "Nomor antrian A B, sembilan nol lima, silakan menuju Loket satu"),
        ("W-100", "Meja Informasi", "Nomor antrian W, satu nol nol, silakan menuju Meja Informasi"),
    ],
)
def test_a_call_is_spoken_digit_by_digit_in_indonesian(
    number: str, counter: str, spoken: str
) -> None:
    script = (
        f"const s = require({json.dumps(str(STATIC / 'speech.js'))});"
        f"process.stdout.write(s.announcement({json.dumps(number)}, {json.dumps(counter)}))"
    )
    assert node(script) == spoken
    assert speech.announcement(number, counter) == spoken  # the offline voice says the same


def test_the_offline_voice_says_what_the_page_says() -> None:
    """speech.py (espeak-ng's text) and speech.js (the browser's) agree on every number a
    counter may carry and on every call of the demo sites."""
    numbers = [*range(0, 130), *range(180, 10000, 37), 1000, 1001, 1100, 1111, 2000, 9999]
    sites = load_sites(SITES_DIR)
    calls = [
        (f"{s.prefix}-{n:03d}", c.name)
        for loaded in sites.values()
        for s, c in zip(loaded.config.services, loaded.config.counters, strict=False)
        for n in (1, 10, 907)
    ]
    script = (
        f"const s = require({json.dumps(str(STATIC / 'speech.js'))});"
        f"const numbers = {json.dumps(numbers)}; const calls = {json.dumps(calls)};"
        "process.stdout.write(JSON.stringify({cardinals: numbers.map(s.cardinal),"
        " calls: calls.map(([t, c]) => s.announcement(t, c))}))"
    )
    said = json.loads(node(script))
    assert said["cardinals"] == [speech.cardinal(n) for n in numbers]
    assert said["calls"] == [speech.announcement(t, c) for t, c in calls]
    assert speech.cardinal(16) == "enam belas" and speech.cardinal(21) == "dua puluh satu"
    assert (
        speech.cardinal(100) == "seratus" and speech.cardinal(1250) == "seribu dua ratus lima puluh"
    )


def test_the_offline_voice_renders_only_calls_the_site_could_make() -> None:
    config = load_sites(SITES_DIR)["balangan"].config
    assert (
        speech.site_announcement(config, "A-012", "balangan-loket-03")
        == "Nomor antrian A, nol satu dua, silakan menuju Loket tiga"
    )
    for ticket, counter in [
        ("A-012", "nowhere"),
        ("Z-012", "balangan-loket-03"),  # no service has prefix Z
        ("A-12", "balangan-loket-03"),
        ("A-0123456", "balangan-loket-03"),
        ("A-012 beli pulsa", "balangan-loket-03"),
        ("a-012", "balangan-loket-03"),
        ("A-01२", "balangan-loket-03"),
    ]:
        with pytest.raises(speech.OutOfVocabulary):
            speech.site_announcement(config, ticket, counter)


def run_page(
    snapshot: dict[str, Any], events: list[Any], search: str = "", **extra: Any
) -> dict[str, Any]:
    payload = {
        "path": "/boards/t-site",
        "search": search,
        "snapshot": snapshot,
        "events": events,
        **extra,
    }
    result: dict[str, Any] = json.loads(node("", json.dumps(payload)))
    return result


def snapshot_of(site_name: str = "MPP Uji Coba") -> dict[str, Any]:
    return {
        "now_serving": [],
        "recent_calls": [],
        "waiting": {},
        "site_id": "t-site",
        "site_name": site_name,
        "timezone": "Asia/Makassar",
        "day": "2025-03-10",
        "last_sequence": None,
        "counters": [
            {
                "id": "loket-1",
                "name": "Loket 1",
                "service_ids": ["ktp"],
                "agency_ids": ["dukcapil"],
            },
            {"id": "loket-3", "name": "Loket 3", "service_ids": ["skck"], "agency_ids": ["polres"]},
        ],
        "services": [
            {"id": "ktp", "name": "KTP-el", "agency_id": "dukcapil", "prefix": "A"},
            {"id": "skck", "name": "SKCK", "agency_id": "polres", "prefix": "J"},
        ],
        "agencies": [{"id": "dukcapil", "name": "Disdukcapil"}, {"id": "polres", "name": "Polres"}],
    }


def as_json(event: Any) -> tuple[str, Any]:
    return (event.event_type, json.loads(event.to_json()))


def test_the_page_shows_calls_announces_them_once_and_in_order() -> None:
    day = DayOfEvents()
    a1, a2 = day.new_ticket("ktp"), day.new_ticket("ktp")
    call1 = day.called(a1, "loket-1", 1, {"ktp": 1})
    recall1 = day.called(a1, "loket-1", 2)
    done1 = day.completed(a1, "loket-1")
    call2 = day.called(a2, "loket-1", 1, {"ktp": 0})
    events = [as_json(e) for e in (call1, recall1, recall1, done1, call2)]
    screen = run_page(snapshot_of(), events)
    assert screen["site"] == "MPP Uji Coba"
    assert screen["counters"][0] == ["Loket 1", "A-002", "Perekaman KTP-el"]
    assert screen["counters"][1] == ["Loket 3", "—", ""]
    assert [r[0] for r in screen["recent"]] == ["A-002", "A-001", "A-001"]
    assert ["A", "KTP-el", "0"] in screen["waiting"]
    assert screen["spoken"] == [
        "Nomor antrian A, nol nol satu, silakan menuju Loket satu",
        "Nomor antrian A, nol nol satu, silakan menuju Loket satu",  # the recall, once
        "Nomor antrian A, nol nol dua, silakan menuju Loket satu",
    ]
    assert not [url for url in screen["fetched"] if "announcement.wav" in url]


def test_a_call_read_after_its_completion_is_neither_shown_nor_spoken() -> None:
    day = DayOfEvents()
    a1 = day.new_ticket("ktp")
    call, done = day.called(a1, "loket-1"), day.completed(a1, "loket-1")
    screen = run_page(snapshot_of(), [as_json(done), as_json(call)])
    assert screen["counters"][0][1] == "—"
    assert screen["spoken"] == []


def test_an_agency_board_shows_only_that_agency() -> None:
    day = DayOfEvents()
    j1 = day.new_ticket("skck")
    a1 = day.new_ticket("ktp")
    events = [as_json(day.called(j1, "loket-3")), as_json(day.called(a1, "loket-1"))]
    screen = run_page(snapshot_of(), events, search="?agency=polres")
    assert [c[0] for c in screen["counters"]] == ["Loket 3"]
    assert [r[0] for r in screen["recent"]] == ["J-001"]
    assert screen["spoken"] == ["Nomor antrian J, nol nol satu, silakan menuju Loket tiga"]


def called_json(call: dict[str, Any]) -> dict[str, Any]:
    """A call as the board JSON lists it (recent_calls / now_serving)."""
    return {
        "counter_id": call["counter_id"],
        "counter_name": call["counter_name"],
        "ticket_number": call["ticket_number"],
        "service_id": call["service_id"],
        "called_at": call["occurred_at"],
        "ticket_id": call["ticket_id"],
        "service_name": call["service_name"],
        "agency_id": call["agency_id"],
        "call_count": call["call_count"],
        "event_id": call["event_id"],
        "sequence": call["sequence"],
    }


def test_without_an_indonesian_voice_the_page_plays_the_offline_voice() -> None:
    day = DayOfEvents()
    a1 = day.new_ticket("ktp")
    events = [as_json(day.called(a1, "loket-1"))]
    english_only = [{"lang": "en-US", "name": "English", "localService": True}]
    screen = run_page(snapshot_of(), events, voices=english_only, wav=200)
    assert screen["spoken"] == []
    wav = "/api/sites/t-site/announcement.wav?ticket=A-001&counter=loket-1"
    assert screen["fetched"].count(wav) == 1
    assert screen["played"] == [wav]
    # no offline voice either (503): the chime and the highlight alone, and no error
    screen = run_page(snapshot_of(), events, voices=[], wav=503)
    assert screen["spoken"] == [] and screen["played"] == []
    assert screen["counters"][0][1] == "A-001"


def test_a_call_heard_of_too_late_is_shown_but_not_spoken() -> None:
    day = DayOfEvents()
    a1 = day.new_ticket("ktp")
    call = as_json(day.called(a1, "loket-1"))
    ten_minutes_later = datetime.fromisoformat(call[1]["occurred_at"]) + timedelta(minutes=10)
    screen = run_page(snapshot_of(), [call], now=ten_minutes_later.timestamp() * 1000)
    assert screen["counters"][0][1] == "A-001"
    assert screen["spoken"] == []


def test_after_a_reconnect_missed_calls_are_announced_and_replayed_ones_are_not() -> None:
    """A display restart replays today's events to the reconnected page: the calls it had
    already heard (or that were history when it loaded) stay quiet; a call made while it
    was away is announced once."""
    day = DayOfEvents()
    old, heard, missed = day.new_ticket("ktp"), day.new_ticket("ktp"), day.new_ticket("skck")
    old_call = as_json(day.called(old, "loket-1"))[1]
    first = snapshot_of()
    first["recent_calls"] = first["now_serving"] = [called_json(old_call)]
    first["last_sequence"] = old_call["sequence"]
    heard_call = as_json(day.called(heard, "loket-1"))
    missed_call = as_json(day.called(missed, "loket-3"))[1]

    # the restarted display: an empty board first, then its replay of the topics
    empty = snapshot_of()
    replay = [("ticket-called", old_call), heard_call, ("ticket-called", missed_call)]
    screen = run_page(first, [heard_call], reconnect={"snapshot": empty, "events": replay})
    assert screen["spoken"] == [
        "Nomor antrian A, nol nol dua, silakan menuju Loket satu",
        "Nomor antrian J, nol nol satu, silakan menuju Loket tiga",
    ]
    assert [c[1] for c in screen["counters"]] == ["A-002", "J-001"]

    # or a snapshot that already holds the missed call
    back = snapshot_of()
    back["recent_calls"] = [called_json(missed_call), called_json(heard_call[1])]
    back["now_serving"] = [called_json(heard_call[1]), called_json(missed_call)]
    back["last_sequence"] = missed_call["sequence"]
    screen = run_page(first, [heard_call], reconnect={"snapshot": back})
    assert screen["spoken"][-1] == "Nomor antrian J, nol nol satu, silakan menuju Loket tiga"
    assert len(screen["spoken"]) == 2
