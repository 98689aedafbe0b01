"""The times and dates the pages show (kiosk receipt and clock, tracking page, ledger,
operator and supervisor consoles, complaints list) are the site's: `zonedTime`,
`formatTime` and `formatDate` of common/time.js, imported by node, at 23:30 and 00:30
local in WIB, WITA and WIT, with the process itself in UTC and in a far zone, so neither
UTC nor the browser's own zone can leak in. (`siteDay` has its own test_site_day.py.)"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.unit.web.node import needs_node, run_module

pytestmark = needs_node

SCRIPT = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const time = await import(pathToFileURL(process.env.WEB + "/common/time.js").href);
const cases = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(cases.map(([iso, zone]) => [
  time.zonedTime(new Date(iso), zone), time.zonedTime(iso, zone, true),
  time.formatTime(iso, zone), time.formatDate(iso, zone),
])));
"""

LABELS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
DAY = date(2026, 12, 2)  # a Wednesday (Rabu); 00:30 is on Thursday (Kamis) the 3rd
DATES = {DAY: "Rabu, 2 Desember 2026", DAY + timedelta(days=1): "Kamis, 3 Desember 2026"}


@pytest.mark.parametrize("process_tz", ["UTC", "Pacific/Kiritimati"])
@pytest.mark.parametrize("zone", list(LABELS))
@pytest.mark.parametrize("clock", [time(23, 30), time(0, 30)], ids=["2330", "0030"])
def test_pages_show_the_sites_clock_and_date(zone: str, clock: time, process_tz: str) -> None:
    day = DAY if clock.hour == 23 else DAY + timedelta(days=1)
    instant = datetime.combine(day, clock, ZoneInfo(zone)).astimezone(UTC)
    iso = instant.isoformat().replace("+00:00", "Z")  # as the API sends it
    [answer] = run_module(SCRIPT, {"TZ": process_tz}, stdin=json.dumps([[iso, zone]]))
    hhmm = f"{clock:%H.%M}"
    assert answer == [
        f"{hhmm} {LABELS[zone]}",
        f"{hhmm}.00 {LABELS[zone]}",
        hhmm,
        DATES[day],
    ]
