"""Dates and times on the site's clock, not UTC's nor the server's, under a pinned clock in
each of Indonesia's zones (WIB, WITA, WIT) at 23:30 and at 00:30 local: the appointment
check-in window and its refusal, the quota time the `issued` SMS carries, a report's
default days and the instants a site-local day covers (reports, ledger, exports).

The instants go in as UTC, as the database hands them over: 00:30 WIT is 15:30 UTC of the
day before, so a rule that reads the day or the hour off the instant as given is wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.notifier import messages
from services.ticketing.domain.booking import check_in_refusal, check_in_window
from services.ticketing.domain.tickets import local_day_span
from services.ticketing.reports.scope import DEFAULT_DAYS, report_days
from services.ticketing.usecases.opening import quota_runs_out_at
from shared.sites import WEEKDAYS, ServiceRules

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")  # WIB, WITA, WIT
DAY = date(2026, 12, 2)
"""The local day of a 23:30 clock; a 00:30 clock is on the day after."""
CLOCKS = (time(23, 30), time(0, 30))

at_each_zone_and_clock = pytest.mark.parametrize(
    ("zone_name", "clock"),
    [(z, c) for z in ZONES for c in CLOCKS],
    ids=[f"{z.split('/')[1]}-{c:%H%M}" for z in ZONES for c in CLOCKS],
)


def local_now(zone_name: str, clock: time) -> tuple[date, datetime]:
    """The site's day at `clock` and that moment as a UTC instant (the database's way)."""
    day = DAY if clock.hour >= 12 else DAY + timedelta(days=1)
    return day, datetime.combine(day, clock, ZoneInfo(zone_name)).astimezone(UTC)


# --- (e) the appointment check-in window -----------------------------------------------


@at_each_zone_and_clock
def test_check_in_opens_and_is_refused_on_the_sites_clock(zone_name: str, clock: time) -> None:
    zone = ZoneInfo(zone_name)
    day, now = local_now(zone_name, clock)
    start = now + timedelta(hours=1)  # a slot an hour ahead: its window opens in 30 minutes
    end = start + timedelta(minutes=30)
    opens, closes = check_in_window(start, end)
    opens_local = opens.astimezone(zone)
    assert (opens_local.time(), closes) == (
        (now + timedelta(minutes=30)).astimezone(zone).time(),
        end,
    )
    # 23:30 + 30 min is the next local day; 00:30 + 30 min the same one
    assert opens_local.date() == (day + timedelta(days=1) if clock.hour == 23 else day)
    expected = "00.00" if clock.hour == 23 else "01.00"
    assert check_in_refusal(start, end, now, zone) == f"Lapor hadir dibuka pukul {expected}"
    assert check_in_refusal(start, end, opens, zone) is None


# --- (a) the time the `issued` SMS carries ----------------------------------------------


def _site(zone_name: str, hours: str) -> dict[str, Any]:
    return {
        "id": "zona",
        "name": "Mal Pelayanan Publik Kabupaten Zona",
        "timezone": zone_name,
        "always_open": False,
        "info": {"hours": {d: [hours] for d in WEEKDAYS}},
        "schedule": [],
    }


@at_each_zone_and_clock
async def test_the_issued_sms_says_when_the_quota_runs_out_in_site_time(
    zone_name: str, clock: time
) -> None:
    """Open the local hour around the clock; 30 tickets in its first 30 minutes (one a minute,
    60 an hour), a quota of 50: the last 20 go by HH:50 local — in the SMS as 'pukul HH.50'."""
    _, now = local_now(zone_name, clock)
    hours = "23:00-24:00" if clock.hour == 23 else "00:00-01:00"
    opened = now - timedelta(minutes=30)
    issued = [
        {"service_id": "ktp", "issued_at": opened + timedelta(minutes=m), "channel": "kiosk"}
        for m in range(30)
    ]
    when = await quota_runs_out_at(
        None,  # type: ignore[arg-type]  # the issue times are given: no query
        _site(zone_name, hours),  # type: ignore[arg-type]
        {"id": "ktp"},  # type: ignore[typeddict-item]
        ServiceRules(daily_quota=50),
        now,
        issued=issued,  # type: ignore[arg-type]
    )
    assert when == f"{clock.hour:02d}.50"
    text = messages.issued_text(
        site_name="Mal Pelayanan Publik Kabupaten Zona",
        ticket_number="A-031",
        service_name="KTP-el",
        waiting_ahead=3,
        estimated_wait_s=600,
        link="https://antrian.example/t/1",
        quota_runs_out_at=when,
    )
    assert f"Kuota diperkirakan habis pukul {clock.hour:02d}.50" in text


# --- (b) a report's days and what a site-local day covers ------------------------------


@at_each_zone_and_clock
def test_a_report_left_undated_ends_on_the_sites_today(zone_name: str, clock: time) -> None:
    day, now = local_now(zone_name, clock)
    assert report_days(now, zone_name, None, None) == (day - timedelta(DEFAULT_DAYS - 1), day)
    assert report_days(now, zone_name, day - timedelta(6), None) == (day - timedelta(6), day)


@at_each_zone_and_clock
def test_a_moment_belongs_to_the_local_day_it_happened_on(zone_name: str, clock: time) -> None:
    """What reports (complaints, transfers), the ledger and the complaints export select by:
    23:30 local is that day's, 00:30 local the next day's, whatever UTC's date says."""
    day, now = local_now(zone_name, clock)
    start, end = local_day_span(day, zone_name)
    assert start <= now < end
    before, after = (
        local_day_span(day - timedelta(1), zone_name),
        local_day_span(day + timedelta(1), zone_name),
    )
    assert not before[0] <= now < before[1] and not after[0] <= now < after[1]
    assert (end - start, start.astimezone(ZoneInfo(zone_name)).time()) == (
        timedelta(days=1),
        time(),
    )
