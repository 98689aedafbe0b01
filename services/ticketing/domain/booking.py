"""Appointment slots and check-in windows, as pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.sites import WEEKDAYS, Hours, SiteInfo, StopConfig, parse_range, stop_on

CHECK_IN_EARLY = timedelta(minutes=30)
"""A citizen may check in this long before the slot starts, and until it ends."""

ALWAYS_OPEN_HOURS = ["08:00-16:00"]
"""Appointment hours of a site that takes walk-in tickets at every hour (the demo site)."""


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


def day_ranges(
    day: date, site: SiteInfo, service_hours: Hours | None, schedule: list[StopConfig]
) -> list[tuple[time, time]]:
    """The opening ranges of a service on `day` (none when closed that day)."""
    if day in site.closed_dates:
        return []
    if site.always_open:
        return [parse_range(r) for r in ALWAYS_OPEN_HOURS]
    if site.mobile:
        stop = stop_on(schedule, day)
        return [] if stop is None else sorted(parse_range(r) for r in stop.hours)
    hours = service_hours if service_hours is not None else site.hours
    return sorted(parse_range(r) for r in hours.get(WEEKDAYS[day.weekday()], []))


def slots(
    day: date,
    zone: ZoneInfo,
    ranges: list[tuple[time, time]],
    minutes: int,
    capacity: int,
    booked: dict[datetime, int],
) -> list[Slot]:
    """Every slot of `minutes` that fits wholly inside an opening range of `day`."""
    out: list[Slot] = []
    length = timedelta(minutes=minutes)
    for start_t, end_t in ranges:
        start = datetime.combine(day, start_t, zone)
        end = datetime.combine(day, end_t, zone)
        while start + length <= end:
            out.append(Slot(start, start + length, capacity, booked.get(start, 0)))
            start += length
    return out


def check_in_window(slot_start: datetime, slot_end: datetime) -> tuple[datetime, datetime]:
    """When the kiosk takes an appointment's check-in: from CHECK_IN_EARLY before its slot
    until the slot ends (the booking page shows the same window)."""
    return slot_start - CHECK_IN_EARLY, slot_end


def check_in_refusal(
    slot_start: datetime, slot_end: datetime, now: datetime, zone: ZoneInfo
) -> str | None:
    """Why a booked appointment cannot check in at `now`, or None. The opening time is said
    on the site's clock (`zone`), whatever zone the instants come in (the database's are
    UTC): "dibuka pukul 07.30" is read off the lobby's wall clock."""
    opens, closes = check_in_window(slot_start, slot_end)
    if now < opens:
        return f"Lapor hadir dibuka pukul {opens.astimezone(zone):%H.%M}"
    if now > closes:
        return "Waktu janji temu sudah lewat; silakan ambil antrean baru"
    return None
