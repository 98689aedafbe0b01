"""When a site's services take tickets: its calendar, a service's opening now, the
tickets issued today per channel and when today's quota is forecast to run out."""

from __future__ import annotations

from datetime import date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

from services.ticketing.domain import booking as booking_rules
from services.ticketing.domain import forecast, schedule
from services.ticketing.repositories import lines
from services.ticketing.repositories.lines import IssueTime
from services.ticketing.repositories.sites import DayNumbers, OverrideFacts, ServiceListed, Site
from shared.database import Connection
from shared.sites import ServiceRules, SiteInfo, StopConfig


def site_calendar(site: Site) -> tuple[SiteInfo, list[StopConfig]]:
    info = dict(site["info"] or {})
    info.setdefault("id", site["id"])
    info.setdefault("name", site["name"])
    info.setdefault("timezone", site["timezone"])
    info.setdefault("always_open", site["always_open"])
    return SiteInfo.model_validate(info), [StopConfig.model_validate(s) for s in site["schedule"]]


def site_day(site: Site, now: datetime) -> date:
    """The site's calendar day at `now`, in the zone of its calendar."""
    return now.astimezone(ZoneInfo(site_calendar(site)[0].timezone)).date()


def opening_of(
    site: Site,
    service: ServiceListed,
    service_rules: ServiceRules,
    now: datetime,
    override: OverrideFacts | None,
) -> schedule.Opening:
    info, stops = site_calendar(site)
    return schedule.opening(
        now.astimezone(ZoneInfo(info.timezone)),
        info,
        service["name"],
        service_rules.hours,
        stops,
        closed_now=bool(override and override["closed"]),
    )


def issued_by_channel(counts: DayNumbers | None) -> dict[str, int]:
    if counts is None:
        return {}
    return {
        "kiosk": counts["issued_kiosk"],
        "online": counts["issued_online"],
        "mobile": counts["issued_mobile"],
    }


async def quota_runs_out_at(
    conn: Connection,
    site: Site,
    service: ServiceListed,
    service_rules: ServiceRules,
    now: datetime,
    channel: str = "kiosk",
    quota_today: int | None = None,
    issued: list[IssueTime] | None = None,
) -> str | None:
    """When today's quota of the channel's part is forecast to run out, local 'HH.MM', or
    None (no quota, no pace yet, or it lasts until closing). `issued`: the service's
    `lines.issue_times` of the site's day (`site_day`), if the caller has read them."""
    daily = quota_today if quota_today is not None else service_rules.daily_quota
    if daily is None:
        return None
    info, stops = site_calendar(site)
    zone = ZoneInfo(info.timezone)
    local = now.astimezone(zone)
    ranges = booking_rules.day_ranges(local.date(), info, service_rules.hours, stops)
    if not ranges:
        return None
    online_apart = service_rules.online_quota is not None
    if online_apart and channel == "online":
        part = min(service_rules.online_quota or 0, daily)
    elif online_apart:
        part = daily - min(service_rules.online_quota or 0, daily)
    else:
        part = daily
    if issued is None:
        by_service = await lines.issue_times(conn, site["id"], [service["id"]], local.date())
        issued = by_service[service["id"]]
    counted = [
        r["issued_at"].astimezone(zone).time()
        for r in issued
        if not online_apart or (r["channel"] == "online") == (channel == "online")
    ]
    breaks = [(a[1], b[0]) for a, b in pairwise(ranges)]
    when = forecast.quota_exhaustion(
        part, len(counted), counted, local.time(), ranges[-1][1], ranges[0][0], breaks
    )
    return None if when is None else forecast.format_hhmm(when)
