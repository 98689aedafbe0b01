"""The lobby page's script under node (no browser here): the words it speaks, and how it
folds a snapshot and events into the screen (a small fake DOM in js/harness.js)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

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
        ("A-012", "Loket 3", "Nomor antrian A, nol satu dua, silakan menuju Loket 3"),
        ("J-1234", "Loket 16", "Nomor antrian J, satu dua tiga empat, silakan menuju Loket 16"),
        ("AB-905", "Loket 1", "Nomor antrian A B, sembilan nol lima, silakan menuju Loket 1"),
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


def run_page(snapshot: dict[str, Any], events: list[Any], search: str = "") -> dict[str, Any]:
    payload = {"path": "/boards/t-site", "search": search, "snapshot": snapshot, "events": events}
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
    assert ["A · KTP-el", "0"] in screen["waiting"]
    assert screen["spoken"] == [
        "Nomor antrian A, nol nol satu, silakan menuju Loket 1",
        "Nomor antrian A, nol nol satu, silakan menuju Loket 1",  # the recall, once
        "Nomor antrian A, nol nol dua, silakan menuju Loket 1",
    ]


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
    assert screen["spoken"] == ["Nomor antrian J, nol nol satu, silakan menuju Loket 3"]
