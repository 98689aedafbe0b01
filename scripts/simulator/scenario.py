"""What a simulated day is made of: the site's opening ranges on the date, the counter plan,
and the citizens who come (when, for what, priority, channel, how long their service takes,
whether they answer the call). Everything random is drawn here, up front, from a seeded RNG
per service, so two counter plans replay exactly the same citizens."""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from services.ticketing.domain import schedule
from shared.sites import CounterConfig, ServiceConfig, SiteConfig, parse_range

Channel = Literal["kiosk", "online"]
Priority = Literal["regular", "priority"]

ALWAYS_OPEN_DAY = "08:00-16:00"
"""Staffed hours of an always-open site (the demo site takes tickets at any hour, but its
counters are staffed a normal working day)."""

BUSY_DAY_VISITORS: dict[str, int] = {
    # Disdukcapil at a busy MPP: about 1,500 citizens a day for KTP-el and KK together
    "ktp-el": 900,
    "kartu-keluarga": 600,
}
"""Citizens on a busy day, by service id, where a figure is known; see `daily_demand`."""

QUOTA_DEMAND_FACTOR = 1.3
"""On a busy day a capped service is asked for 30 % more tickets than its quota."""

UNCAPPED_LOAD = 0.9
"""Other services: enough citizens to keep their configured counters 90 % busy."""

# Relative arrival intensity by half hour of local time: a morning peak 08.00–10.00, a lull
# at lunch and a smaller peak after it. Citizens before opening wait at the door.
ARRIVAL_CURVE: dict[time, float] = {
    time(7, 30): 0.8,
    time(8, 0): 1.8,
    time(8, 30): 2.2,
    time(9, 0): 2.2,
    time(9, 30): 1.8,
    time(10, 0): 1.3,
    time(10, 30): 1.0,
    time(11, 0): 0.8,
    time(11, 30): 0.6,
    time(12, 0): 0.4,
    time(12, 30): 0.6,
    time(13, 0): 1.0,
    time(13, 30): 1.1,
    time(14, 0): 0.8,
    time(14, 30): 0.5,
    time(15, 0): 0.3,
    time(15, 30): 0.2,
}
PRE_OPENING = timedelta(minutes=30)
"""Citizens come up to this long before a service opens and take a ticket when it does."""


@dataclass(frozen=True, slots=True)
class Params:
    scale: float = 1.0
    priority_share: float = 0.10
    online_share: float = 0.25
    no_show_share: float = 0.05
    no_show_cost_s: int = 180
    """A no-show costs the counter this long: the call, recalls, then marking no-show."""
    service_cv: float = 0.5
    """Coefficient of variation of the lognormal service time."""
    overtime_minutes: int = 60
    """After closing, counters serve the tickets already given out for at most this long."""
    demand: Mapping[str, int] = field(default_factory=dict)
    """Citizens per service at scale 1, overriding `daily_demand`."""
    day_hours: str | None = None
    """Staffed hours ('08:00-12:00,13:00-16:00') for an always-open site."""


@dataclass(frozen=True, slots=True)
class Citizen:
    service_id: str
    arrives: datetime
    priority: Priority
    channel: Channel
    service_s: float
    shows: bool


@dataclass(frozen=True, slots=True)
class Day:
    site: SiteConfig
    date: date
    counters: list[CounterConfig]
    open_ranges: dict[str, list[tuple[datetime, datetime]]]
    """When each service takes tickets (local, aware)."""
    citizens: list[Citizen]
    params: Params


def local(day: date, t: time, site: SiteConfig) -> datetime:
    return datetime.combine(day, t, tzinfo=site.zone)


def open_ranges(
    site: SiteConfig, service: ServiceConfig, day: date, day_hours: str | None
) -> list[tuple[datetime, datetime]]:
    """When `service` takes tickets on `day`, found by asking `schedule.opening` itself (so
    holidays, breaks and a mobile MPP's stops follow the live rule), minute by minute."""
    if site.site.always_open:
        ranges = [parse_range(r) for r in (day_hours or ALWAYS_OPEN_DAY).split(",")]
        return [(local(day, a, site), local(day, b, site)) for a, b in sorted(ranges)]
    out: list[tuple[datetime, datetime]] = []
    moment = local(day, time(0, 0), site)
    end_of_day = moment + timedelta(days=1)
    while moment < end_of_day:
        o = schedule.opening(moment, site.site, service.name, service.rules.hours, site.schedule)
        if o.open and o.closes_at is not None:
            closes = local(day, o.closes_at, site)
            out.append((moment, closes))
            moment = closes
        else:
            moment += timedelta(minutes=1)
    return out


def counter_plan(site: SiteConfig, overrides: Mapping[str, int]) -> list[CounterConfig]:
    """The site's counters, except that each service named in `overrides` is taken off every
    configured counter and given that many counters of its own (a counter left with no
    service is closed)."""
    unknown = set(overrides) - {s.id for s in site.services}
    if unknown:
        raise ValueError(f"unknown service(s) in the counter plan: {', '.join(sorted(unknown))}")
    plan: list[CounterConfig] = []
    for c in site.counters:
        services = [s for s in c.services if s not in overrides]
        if services:
            plan.append(c.model_copy(update={"services": services}))
    for sid, n in overrides.items():
        for i in range(1, n + 1):
            plan.append(CounterConfig(id=f"sim-{sid}-{i:02d}", name=f"{sid} {i}", services=[sid]))
    return plan


def parse_counts(text: str) -> dict[str, int]:
    """'ktp-el=4,kartu-keluarga=2' → {'ktp-el': 4, 'kartu-keluarga': 2}."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        if not value.strip().isdigit():
            raise ValueError(f"{part!r}: expected service=number")
        out[name.strip()] = int(value)
    return out


def _curve(t: datetime) -> float:
    slot = time(t.hour, 0 if t.minute < 30 else 30)
    return ARRIVAL_CURVE.get(slot, 0.0)


def _arrival_window(ranges: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Open ranges, each extended back by PRE_OPENING (never into the range before it)."""
    out = []
    previous_end: datetime | None = None
    for start, end in ranges:
        early = start - PRE_OPENING
        if previous_end is not None:
            early = max(early, previous_end)
        out.append((early, end))
        previous_end = end
    return out


def _expected_weight(windows: list[tuple[datetime, datetime]]) -> float:
    """∫ curve over the windows, in curve-hours (minute resolution)."""
    total = 0.0
    for start, end in windows:
        t = start
        while t < end:
            total += _curve(t) / 60
            t += timedelta(minutes=1)
    return total


def daily_demand(
    site: SiteConfig, service: ServiceConfig, ranges: list[tuple[datetime, datetime]]
) -> float:
    """Citizens on a busy day at scale 1: 1.3 × the daily quota (a capped service is asked
    for more than it gives), else a known figure (`BUSY_DAY_VISITORS`), else enough to keep
    the site's configured counters for it 90 % busy (a counter serving n services gives
    each 1/n of its day)."""
    if service.rules.daily_quota is not None:
        return QUOTA_DEMAND_FACTOR * service.rules.daily_quota
    if service.id in BUSY_DAY_VISITORS:
        return BUSY_DAY_VISITORS[service.id]
    counters = sum(1 / len(c.services) for c in site.counters if service.id in c.services)
    open_s = sum((b - a).total_seconds() for a, b in ranges)
    return UNCAPPED_LOAD * counters * open_s / service.avg_service_s


def _rng(seed: int, service_id: str) -> random.Random:
    return random.Random(seed * 1_000_003 + zlib.crc32(service_id.encode()))


def _service_time(rng: random.Random, mean: float, cv: float) -> float:
    sigma2 = math.log(1 + cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def citizens_for(
    site: SiteConfig,
    service: ServiceConfig,
    ranges: list[tuple[datetime, datetime]],
    params: Params,
    seed: int,
) -> list[Citizen]:
    """A non-homogeneous Poisson stream following ARRIVAL_CURVE while the service is open
    (and half an hour before each opening), with `daily_demand × scale` expected citizens."""
    if not ranges:
        return []
    windows = _arrival_window(ranges)
    weight = _expected_weight(windows)
    if weight <= 0:
        return []
    demand = params.demand.get(service.id, daily_demand(site, service, ranges)) * params.scale
    per_hour_per_weight = demand / weight
    peak = per_hour_per_weight * max(ARRIVAL_CURVE.values())
    rng = _rng(seed, service.id)
    out: list[Citizen] = []
    for start, end in windows:
        t = start
        while True:
            t += timedelta(hours=rng.expovariate(peak))
            if t >= end:
                break
            if rng.random() * peak >= per_hour_per_weight * _curve(t):
                continue  # thinning
            out.append(
                Citizen(
                    service_id=service.id,
                    arrives=t.replace(microsecond=0),
                    priority="priority" if rng.random() < params.priority_share else "regular",
                    channel="online" if rng.random() < params.online_share else "kiosk",
                    service_s=_service_time(rng, service.avg_service_s, params.service_cv),
                    shows=rng.random() >= params.no_show_share,
                )
            )
    return out


def build_day(
    site: SiteConfig,
    day: date,
    params: Params | None = None,
    counters: Mapping[str, int] | None = None,
    seed: int = 7,
) -> Day:
    params = params or Params()
    ranges = {s.id: open_ranges(site, s, day, params.day_hours) for s in site.services}
    citizens = [c for s in site.services for c in citizens_for(site, s, ranges[s.id], params, seed)]
    citizens.sort(key=lambda c: (c.arrives, c.service_id))
    return Day(site, day, counter_plan(site, counters or {}), ranges, citizens, params)


def next_monday(today: date) -> date:
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)
