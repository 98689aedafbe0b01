"""Dates and times as an Indonesian reads them on the site's own clock (WIB / WITA / WIT),
for texts the services write themselves (the pages do the same in web/common/time.js).
Pure: the caller passes the instant and the site's zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")  # ISO 1..7
MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")

_ZONE_LABELS = {7: "WIB", 8: "WITA", 9: "WIT"}


def zone_label(zone: ZoneInfo, at: datetime) -> str:
    """WIB, WITA or WIT: Indonesia's zones by their offset at `at` (Asia/Pontianak is WIB,
    Asia/Makassar WITA, Asia/Jayapura WIT); '' for a zone outside Indonesia's three."""
    offset = at.astimezone(zone).utcoffset() or timedelta(0)
    hours, rest = divmod(offset, timedelta(hours=1))
    return _ZONE_LABELS.get(hours, "") if not rest else ""


def clock(at: datetime, zone: ZoneInfo) -> str:
    """'09.00': the site's clock, Indonesian style (a dot, 24 hours)."""
    local = at.astimezone(zone)
    return f"{local.hour:02d}.{local.minute:02d}"


def short_day(at: datetime, zone: ZoneInfo) -> str:
    """'Kamis 3 Des': the weekday and date on the site's calendar."""
    local = at.astimezone(zone)
    return f"{WEEKDAYS[local.weekday()]} {local.day} {MONTHS_SHORT[local.month - 1]}"
