"""Is a service taking tickets at this moment? Opening hours per weekday (with breaks),
closed dates, a mobile MPP's days and places, and a supervisor's "closed now" — all in
the site's own time zone. Pure: the caller passes the clock and the configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared.sites import WEEKDAYS, Hours, SiteInfo, StopConfig, service_ranges_on, stop_on

_DAY_NAMES = {
    "mon": "Senin",
    "tue": "Selasa",
    "wed": "Rabu",
    "thu": "Kamis",
    "fri": "Jumat",
    "sat": "Sabtu",
    "sun": "Minggu",
}


@dataclass(frozen=True, slots=True)
class Opening:
    open: bool
    reason: str | None = None
    """Why not, in words a kiosk can show (Bahasa Indonesia)."""
    place: str | None = None
    """Where a mobile MPP stands today."""
    closes_at: time | None = None
    """End of the current opening range (for the quota forecast)."""


def _hhmm(t: time) -> str:
    return f"{t.hour:02d}.{t.minute:02d}"  # Indonesian style: 08.00


def _within(now: time, ranges: list[tuple[time, time]], service_name: str) -> Opening:
    for start, end in ranges:
        if start <= now < end:
            return Opening(True, closes_at=end)
    later = [start for start, _ in ranges if start > now]
    if not ranges:
        return Opening(False, f"Layanan {service_name} tutup hari ini")
    if later and now < ranges[0][0]:
        return Opening(False, f"Layanan {service_name} buka pukul {_hhmm(later[0])}")
    if later:
        return Opening(
            False, f"Layanan {service_name} sedang istirahat, buka kembali pukul {_hhmm(later[0])}"
        )
    return Opening(False, f"Layanan {service_name} sudah tutup hari ini, buka kembali besok")


def opening(
    local_now: datetime,
    site: SiteInfo,
    service_name: str,
    service_hours: Hours | None,
    schedule: list[StopConfig],
    closed_now: bool = False,
) -> Opening:
    """Whether `service_name` takes tickets at `local_now` (already in the site's zone)."""
    if closed_now:
        return Opening(False, f"Layanan {service_name} sedang ditutup sementara oleh petugas")
    if site.always_open:
        return Opening(True)
    today: date = local_now.date()
    if today in site.closed_dates:
        return Opening(False, "MPP tutup hari ini (hari libur)")
    place = None
    if site.mobile:
        stop = stop_on(schedule, today)
        if stop is None:
            upcoming = next(
                (
                    (later, s)
                    for later in (today + timedelta(days=n) for n in range(1, 60))
                    if (s := stop_on(schedule, later)) is not None
                ),
                None,
            )
            hint = (
                f"; jadwal berikutnya {upcoming[0]:%d-%m-%Y} di {upcoming[1].place}"
                if upcoming
                else ""
            )
            return Opening(False, f"MPP Keliling tidak beroperasi hari ini{hint}")
        place = stop.place
    elif WEEKDAYS[today.weekday()] not in (
        service_hours if service_hours is not None else site.hours
    ):
        day_name = _DAY_NAMES[WEEKDAYS[today.weekday()]]
        return Opening(False, f"Layanan {service_name} tutup pada hari {day_name}")
    ranges = service_ranges_on(site, service_hours, schedule, today)
    result = _within(local_now.time(), ranges, service_name)
    return Opening(result.open, result.reason, place, result.closes_at)
