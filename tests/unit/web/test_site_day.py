"""The pages' calendar day is the site's, not UTC's nor the browser's: `siteDay` of the
ES module common/time.js, imported by node, at 23:30 and 00:30 local in WIB, WITA and WIT,
with the process itself in UTC and in a far zone, so the browser's own zone cannot leak in."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.unit.web.node import needs_node, run_module

pytestmark = needs_node

SCRIPT = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const { siteDay, addDays } = await import(pathToFileURL(process.env.WEB + "/common/time.js").href);
const cases = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(cases.map(([iso, zone, n]) => [
  siteDay(new Date(iso), zone), addDays(siteDay(new Date(iso), zone), n),
])));
"""


def run(cases: list[tuple[str, str, int]], tz: str) -> list[list[str]]:
    result: list[list[str]] = run_module(SCRIPT, {"TZ": tz}, stdin=json.dumps(cases))
    return result


@pytest.mark.parametrize("process_tz", ["UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"])
@pytest.mark.parametrize(("local", "day"), [("23:30", "2026-12-01"), ("00:30", "2026-12-02")])
def test_site_day_is_the_sites_calendar_day(
    zone: str, local: str, day: str, process_tz: str
) -> None:
    hour, minute = map(int, local.split(":"))
    base = datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=ZoneInfo(zone))
    instant = base.astimezone(ZoneInfo("UTC")).isoformat()
    [[today, month_ago]] = run([(instant, zone, -29)], process_tz)
    assert today == day
    assert month_ago == (datetime.fromisoformat(day) - timedelta(days=29)).date().isoformat()


def test_add_days_crosses_months_and_leap_days() -> None:
    cases = [
        ("2028-03-01T04:00:00Z", "Asia/Makassar", -1),
        ("2026-12-31T20:00:00Z", "Asia/Jayapura", 1),
    ]
    assert run(cases, "UTC") == [["2028-03-01", "2028-02-29"], ["2027-01-01", "2027-01-02"]]
