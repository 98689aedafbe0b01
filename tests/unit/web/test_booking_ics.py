"""The booking page's calendar file (web/booking-ics.js, run by node): RFC 5545 lines end in
CRLF and are folded at 75 octets without splitting a UTF-8 character, TEXT values escape
backslash, semicolon, comma and newlines, and the slot's times are exact UTC instants —
09.00 WIT is 00:00Z whatever zone the phone (here the node process) is in."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.unit.web.node import needs_node, run_module

pytestmark = needs_node

SCRIPT = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const ics = await import(pathToFileURL(process.env.WEB + "/booking-ics.js").href);
const event = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify({
  text: ics.icsEvent(event),
  escaped: ics.escapeText("a\\\\b;c,d\\ne"),
}));
"""

DESCRIPTION = (
    "Kode janji temu: K7QM2XPA\nLapor hadir di kiosk: 08.30 WIT s.d. 09.30 WIT; bawa KTP, KK"
)
SUMMARY = "Janji temu Perekaman dan Pencetakan KTP-el — MPP Kabupaten Lahat, Sumatera Selatan"


def make(process_tz: str, start: datetime, end: datetime) -> dict[str, Any]:
    event = {
        "uid": "0b9c7a52-0000-4000-8000-000000000001@antrian-mpp",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "now": "2026-12-02T03:04:05Z",
        "summary": SUMMARY,
        "location": "MPP Kabupaten Jayapura, Jl. Sentani No. 1",
        "description": DESCRIPTION,
    }
    out: dict[str, Any] = run_module(SCRIPT, {"TZ": process_tz}, stdin=json.dumps(event))
    return out


def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # no bare LF anywhere
    return text[:-2].replace("\r\n ", "").split("\r\n")


@pytest.mark.parametrize("process_tz", ["UTC", "Asia/Jakarta", "America/Los_Angeles"])
def test_slot_times_are_utc_and_lines_are_folded(process_tz: str) -> None:
    wit = ZoneInfo("Asia/Jayapura")
    start = datetime(2026, 12, 3, 9, 0, tzinfo=wit)
    end = datetime(2026, 12, 3, 9, 30, tzinfo=wit)
    text = make(process_tz, start, end)["text"]

    for physical in text[:-2].split("\r\n"):
        assert len(physical.encode()) <= 75, physical
    lines = unfold(text)
    props = dict(line.split(":", 1) for line in lines)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert props["VERSION"] == "2.0"
    assert props["DTSTART"] == "20261203T000000Z"  # 09.00 WIT (UTC+9)
    assert props["DTEND"] == "20261203T003000Z"
    assert props["DTSTAMP"] == "20261202T030405Z"
    # folded (it is > 75 octets with "—") and whole again, its comma escaped
    assert props["SUMMARY"] == SUMMARY.replace(",", "\\,")
    assert props["LOCATION"] == "MPP Kabupaten Jayapura\\, Jl. Sentani No. 1"
    assert props["DESCRIPTION"] == (
        "Kode janji temu: K7QM2XPA\\nLapor hadir di kiosk: 08.30 WIT s.d. 09.30 WIT\\; bawa KTP\\, KK"
    )


def test_folding_never_splits_a_utf8_character() -> None:
    start = datetime(2026, 12, 3, 8, 0, tzinfo=ZoneInfo("Asia/Makassar"))
    text = make("UTC", start, start)["text"]
    raw = text.encode()
    for physical in raw.split(b"\r\n"):
        physical.decode()  # each physical line is valid UTF-8 on its own
    assert "SUMMARY" in text and "DTSTART:20261203T000000Z" in text  # 08.00 WITA


def test_text_escaping() -> None:
    start = datetime(2026, 12, 3, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert make("UTC", start, start)["escaped"] == "a\\\\b\\;c\\,d\\ne"
