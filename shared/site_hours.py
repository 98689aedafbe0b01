"""When a site is open, as a whole: the union of its services' opening ranges on a day, and
the next moment it opens. Pure, in the site's own time zone; what a lobby board shows
("Tutup — buka pukul 08.00") and where a mobile MPP stands that day.

The rules are the site file's (shared/sites.py): `always_open`, `closed_dates`, a mobile
MPP's `[[schedule]]` (its stop's hours), else each service's `rules.hours` or the site's
`hours`. A supervisor's "closed now" is not in the files and not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared.sites import SiteConfig, StopConfig, service_ranges_on, stop_on

LOOK_AHEAD_DAYS = 60


def ranges_on(config: SiteConfig, day: date) -> list[tuple[time, time]]:
    """The site's opening ranges on `day`, merged across its services, in order."""
    if config.site.mobile or config.site.always_open:
        # a mobile MPP's stop hours (or all day) are the same for every service
        return service_ranges_on(config.site, None, config.schedule, day)
    ranges = sorted(
        r
        for service in config.services
        for r in service_ranges_on(config.site, service.rules.hours, config.schedule, day)
    )
    merged: list[tuple[time, time]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True, slots=True)
class SiteOpening:
    open: bool
    next_open: datetime | None
    """When it opens next (site zone), if closed and it opens within LOOK_AHEAD_DAYS."""
    closes_at: datetime | None
    """When the current opening range ends (site zone), if open."""
    stop: StopConfig | None
    """A mobile MPP: where it stands today (None: nowhere today, or not mobile)."""
    next_stop: StopConfig | None
    """A mobile MPP closed today: where it stands at `next_open`."""


def site_opening(config: SiteConfig, now: datetime) -> SiteOpening:
    """Whether the site is open at `now` (any aware datetime), and when it opens next."""
    local = now.astimezone(config.zone)
    today = local.date()
    stop = stop_on(config.schedule, today) if config.site.mobile else None
    for start, end in ranges_on(config, today):
        if start <= local.time() < end:
            closes = datetime.combine(today, end, config.zone)
            return SiteOpening(True, None, closes, stop, None)
    for offset in range(LOOK_AHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        for start, _ in ranges_on(config, day):
            if offset or start > local.time():
                next_stop = stop_on(config.schedule, day) if config.site.mobile else None
                opens = datetime.combine(day, start, config.zone)
                return SiteOpening(False, opens, None, stop, next_stop)
    return SiteOpening(False, None, None, stop, None)
