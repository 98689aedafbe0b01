"""The discrete-event replay of one day. No randomness here (it is all in the `Day`), no I/O.

The queue rules are the live ones: `schedule` (via the day's open ranges) decides when a
ticket can be taken, `quota.quota_refusal` whether it can, `tickets.waiting_ahead` and
`tickets.estimate_wait_s` over `tickets.smoothed_service_s` what the citizen is told, and
`calling.choose_next` / `calling.next_streak` which ticket a counter calls.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import pairwise
from typing import Literal

from scripts.simulator.scenario import ARRIVAL_CURVE, Citizen, Day
from services.ticketing.domain import calling, forecast, quota
from services.ticketing.domain import tickets as rules
from shared.sites import CounterConfig, ServiceConfig

RECENT_SERVICES = 20
"""How many served service times the live estimator smooths (repositories.lines.service_lines)."""
ACTIVE_WINDOW = timedelta(minutes=30)
"""A counter that called within this window counts as open (repositories.lines.STAFFED)."""
SIGN_IN_BEFORE = timedelta(minutes=10)
"""A clerk logs in at the desk this long before the counter's first period; a sign-in staffs
the counter (auth.sign_in_at_counters)."""
DOOR_SPACING = timedelta(seconds=1)
"""Citizens waiting at the door take their tickets one second apart when the service opens."""
FORECAST_AT = (time(9, 0), time(10, 0))

Outcome = Literal["served", "no_show"]
CLASSES: tuple[Literal["priority", "regular"], ...] = ("priority", "regular")


@dataclass(slots=True)
class Ticket:
    id: str
    number: str
    citizen: Citizen
    issued: datetime
    ahead: int
    open_counters: int
    estimate_s: int | None
    alt_estimate_s: int | None
    called_at: datetime | None = None
    counter_id: str | None = None
    completed_at: datetime | None = None
    outcome: Outcome | None = None

    @property
    def service_id(self) -> str:
        return self.citizen.service_id

    @property
    def priority(self) -> Literal["regular", "priority"]:
        return self.citizen.priority

    @property
    def wait_s(self) -> float | None:
        return None if self.called_at is None else (self.called_at - self.issued).total_seconds()


@dataclass(slots=True)
class Refusal:
    citizen: Citizen
    at: datetime
    reason: Literal["quota", "closed"]


@dataclass(slots=True)
class QuotaForecast:
    service_id: str
    part: str
    """'all' (kiosk and online share the quota), 'kiosk' or 'online'."""
    made_at: time
    forecast: time | None
    """From the arrival rate alone (the last hour blended with the day so far)."""
    profiled: time | None
    """Following the shape of a typical day (the simulator's arrival curve)."""
    actual: time | None


@dataclass(slots=True)
class CounterState:
    config: CounterConfig
    periods: list[tuple[datetime, datetime]]
    """When it calls: its services' open ranges, the last one extended by the overtime."""
    open: list[tuple[datetime, datetime]]
    last_active: datetime | None = None
    current: Ticket | None = None
    idle: bool = False
    busy_s: float = 0.0
    last_done: datetime | None = None
    idle_since: datetime | None = None
    idle_s: float = 0.0

    def stop_idling(self, now: datetime) -> None:
        """Count idle time only while the service is open (not in breaks or overtime)."""
        if self.idle_since is None:
            return
        for a, b in self.open:
            lo, hi = max(a, self.idle_since), min(b, now)
            if hi > lo:
                self.idle_s += (hi - lo).total_seconds()
        self.idle_since = None

    @property
    def utilisation(self) -> float | None:
        total = self.busy_s + self.idle_s
        return self.busy_s / total if total > 0 else None


@dataclass(slots=True)
class Result:
    day: Day
    tickets: list[Ticket]
    refusals: list[Refusal]
    waiting_at_end: list[Ticket]
    counters: list[CounterState]
    quota_out: dict[tuple[str, str], datetime]
    forecasts: list[QuotaForecast] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    """Ticket ids in the order they were called."""


def _merge(ranges: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


class Simulation:
    def __init__(self, day: Day) -> None:
        self.day = day
        self.services: dict[str, ServiceConfig] = {s.id: s for s in day.site.services}
        self.fairness = {
            s.id: calling.Fairness(
                s.rules.priority_ratio, timedelta(minutes=s.rules.max_regular_wait_minutes)
            )
            for s in day.site.services
        }
        overtime = timedelta(minutes=day.params.overtime_minutes)
        self.counters: list[CounterState] = []
        for c in day.counters:
            open_ = _merge([r for sid in c.services for r in day.open_ranges[sid]])
            periods = list(open_)
            if periods:
                periods[-1] = (periods[-1][0], periods[-1][1] + overtime)
            signed_in = periods[0][0] - SIGN_IN_BEFORE if periods else None
            self.counters.append(CounterState(c, periods, open_, last_active=signed_in))
        self.serving: dict[str, list[CounterState]] = {
            sid: [c for c in self.counters if sid in c.config.services] for sid in self.services
        }
        self.lines: dict[str, dict[str, deque[Ticket]]] = {
            sid: {"priority": deque(), "regular": deque()} for sid in self.services
        }
        self.streaks: dict[str, int] = {}
        self.recent: dict[str, deque[float]] = {
            sid: deque(maxlen=RECENT_SERVICES) for sid in self.services
        }
        self.issued: dict[str, dict[str, int]] = {sid: {} for sid in self.services}
        self.sequence: dict[str, int] = {}
        self.tickets: list[Ticket] = []
        self.refusals: list[Refusal] = []
        self.quota_out: dict[tuple[str, str], datetime] = {}
        self.issue_times: dict[tuple[str, str], list[time]] = {}
        self.calls: list[str] = []
        self.forecasts: list[QuotaForecast] = []
        self._events: list[tuple[datetime, int, int, str, object]] = []
        self._n = 0

    # --- events ---------------------------------------------------------------------------

    def _at(self, when: datetime, order: int, kind: str, payload: object) -> None:
        self._n += 1
        heapq.heappush(self._events, (when, order, self._n, kind, payload))

    def run(self) -> Result:
        door: dict[tuple[str, datetime], int] = {}
        for citizen in self.day.citizens:
            when = self._issue_time(citizen, door)
            if when is None:
                self.refusals.append(Refusal(citizen, citizen.arrives, "closed"))
            else:
                self._at(when, 0, "issue", citizen)
        for c in self.counters:
            if c.periods:
                self._at(c.periods[0][0], 1, "call", c)
        for made_at in FORECAST_AT:
            self._at(
                datetime.combine(self.day.date, made_at, self.day.site.zone), 2, "forecast", None
            )
        while self._events:
            now, _, _, kind, payload = heapq.heappop(self._events)
            if kind == "issue":
                assert isinstance(payload, Citizen)
                self._issue(payload, now)
            elif kind == "call":
                assert isinstance(payload, CounterState)
                self._call_next(payload, now)
            elif kind == "done":
                assert isinstance(payload, CounterState)
                self._done(payload, now)
            else:
                self._forecast(now)
        self._settle_forecasts()
        for c in self.counters:
            if c.open:
                c.stop_idling(c.open[-1][1])
        left = [t for sid in self.lines for line in self.lines[sid].values() for t in line]
        return Result(
            self.day,
            self.tickets,
            self.refusals,
            left,
            self.counters,
            self.quota_out,
            self.forecasts,
            self.calls,
        )

    def _issue_time(
        self, citizen: Citizen, door: dict[tuple[str, datetime], int]
    ) -> datetime | None:
        """When the citizen gets a ticket: on arrival while the service is open, else when it
        next opens today (they wait at the door, in arrival order), else never."""
        for start, end in self.day.open_ranges[citizen.service_id]:
            if start <= citizen.arrives < end:
                return citizen.arrives
            if citizen.arrives < start:
                k = door.get((citizen.service_id, start), 0)
                door[(citizen.service_id, start)] = k + 1
                return start + k * DOOR_SPACING
        return None

    # --- citizens ---------------------------------------------------------------------------

    def _part(self, service: ServiceConfig, channel: str) -> str:
        return channel if service.rules.online_quota is not None else "all"

    def _issue(self, citizen: Citizen, now: datetime) -> None:
        service = self.services[citizen.service_id]
        counts = self.issued[service.id]
        if quota.quota_refusal(service.name, service.rules, counts, citizen.channel):
            self.refusals.append(Refusal(citizen, now, "quota"))
            return
        counts[citizen.channel] = counts.get(citizen.channel, 0) + 1
        part = self._part(service, citizen.channel)
        self.issue_times.setdefault((service.id, part), []).append(now.time())
        left = quota.quota_left(service.rules, counts, citizen.channel)
        if left == 0 and (service.id, part) not in self.quota_out:
            self.quota_out[(service.id, part)] = now
        seq = self.sequence[service.id] = self.sequence.get(service.id, 0) + 1
        ticket_id = f"{len(self.tickets) + 1:06d}"
        waiting = [
            rules.QueuedTicket(t.priority, t.issued, t.id)
            for line in self.lines[service.id].values()
            for t in line
        ]
        ahead = rules.waiting_ahead(rules.QueuedTicket(citizen.priority, now, ticket_id), waiting)
        avg = rules.smoothed_service_s(list(self.recent[service.id]), float(service.avg_service_s))
        counters = self._open_counters(service.id, now)
        ticket = Ticket(
            id=ticket_id,
            number=rules.ticket_number(service.prefix, seq),
            citizen=citizen,
            issued=now,
            ahead=ahead,
            open_counters=len(counters),
            estimate_s=rules.estimate_wait_s(ahead, avg, len(counters)),
            alt_estimate_s=self._alt_estimate(service, ahead, avg, counters, now),
        )
        self.tickets.append(ticket)
        self.lines[service.id][citizen.priority].append(ticket)
        for c in self.serving[service.id]:
            if c.idle:
                self._call_next(c, now)

    def _alt_estimate(
        self,
        service: ServiceConfig,
        ahead: int,
        avg: float,
        counters: list[CounterState],
        now: datetime,
    ) -> int | None:
        """`forecast.estimate_wait_busy_counters_s` from what the live system knows now."""
        busy = [
            None
            if c.current is None or c.current.called_at is None
            else (now - c.current.called_at).total_seconds()
            for c in counters
        ]
        ranges = self.day.open_ranges[service.id]
        pauses = [
            ((a[1] - now).total_seconds(), (b[0] - now).total_seconds())
            for a, b in pairwise(ranges)
            if b[0] > now
        ]
        return forecast.estimate_wait_busy_counters_s(ahead, avg, busy, pauses)

    def _open_counters(self, service_id: str, now: datetime) -> list[CounterState]:
        """As `repositories.lines.STAFFED` counts them: counters serving the service whose
        clerk signed in or acted in the last 30 minutes (none: no estimate, not a guess).
        The console's desk view, open at the counter, is a sign of life every few seconds
        (`counter_breaks.desk`), so a clerk counts while at the desk in the counter's
        periods, from the sign-in before the first."""
        return [
            c
            for c in self.serving[service_id]
            if (c.last_active is not None and c.last_active > now - ACTIVE_WINDOW)
            or any(a - SIGN_IN_BEFORE <= now < b for a, b in c.periods)
        ]

    # --- counters ---------------------------------------------------------------------------

    def _call_next(self, c: CounterState, now: datetime) -> None:
        c.idle = False
        c.stop_idling(now)
        if c.current is not None:
            return
        period = next(((a, b) for a, b in c.periods if b > now), None)
        if period is None:
            return  # done for the day
        if now < period[0]:
            self._at(period[0], 1, "call", c)  # a break: back when the next range opens
            return
        c.last_active = now  # touch_counter: every call-next counts, even an empty one
        order = list(c.config.services)
        candidates = [
            calling.Candidate(line[0].id, sid, cls, line[0].issued)
            for sid in order
            for cls in CLASSES
            if (line := self.lines[sid][cls])
        ]
        chosen = calling.choose_next(
            candidates, order, c.config.call_order, self.streaks, self.fairness, now
        )
        if chosen is None:
            c.idle = True
            c.idle_since = now
            return
        line = self.lines[chosen.service_id][chosen.priority]
        ticket = line.popleft()
        assert ticket.id == chosen.ticket_id, "a counter calls only the head of a class"
        self.streaks[chosen.service_id] = calling.next_streak(
            self.streaks.get(chosen.service_id, 0), chosen
        )
        ticket.called_at = now
        ticket.counter_id = c.config.id
        self.calls.append(ticket.id)
        c.current = ticket
        busy = ticket.citizen.service_s if ticket.citizen.shows else self.day.params.no_show_cost_s
        self._at(now + timedelta(seconds=busy), 1, "done", c)

    def _done(self, c: CounterState, now: datetime) -> None:
        ticket = c.current
        assert ticket is not None
        assert ticket.called_at is not None
        took = (now - ticket.called_at).total_seconds()
        c.busy_s += took
        c.last_done = now
        ticket.completed_at = now
        if ticket.citizen.shows:
            ticket.outcome = "served"
            self.recent[ticket.service_id].append(took)
        else:
            ticket.outcome = "no_show"
        c.current = None
        self._call_next(c, now)

    # --- quota forecast ---------------------------------------------------------------------

    def _forecast(self, now: datetime) -> None:
        for service in self.services.values():
            if service.rules.daily_quota is None:
                continue
            ranges = self.day.open_ranges[service.id]
            if not ranges:
                continue
            parts = ["all"] if service.rules.online_quota is None else ["kiosk", "online"]
            for part in parts:
                channel = "kiosk" if part == "all" else part
                left = quota.quota_left(service.rules, self.issued[service.id], channel)
                assert left is not None
                arrivals = self.issue_times.get((service.id, part), [])
                breaks = [(a[1].time(), b[0].time()) for a, b in pairwise(ranges)]
                if now < ranges[0][0]:
                    continue  # not open yet: nothing to go on

                predicted, profiled = (
                    forecast.quota_exhaustion(
                        len(arrivals) + left,
                        len(arrivals),
                        arrivals,
                        now.time(),
                        closes_at=ranges[-1][1].time(),
                        opened_at=ranges[0][0].time(),
                        breaks=breaks,
                        profile=profile,
                    )
                    for profile in (None, ARRIVAL_CURVE)
                )
                if (service.id, part) in self.quota_out:
                    continue  # already used up: nothing left to forecast
                self.forecasts.append(
                    QuotaForecast(service.id, part, now.time(), predicted, profiled, None)
                )

    def _settle_forecasts(self) -> None:
        for f in self.forecasts:
            out = self.quota_out.get((f.service_id, f.part))
            f.actual = None if out is None else out.time()


def simulate(day: Day) -> Result:
    return Simulation(day).run()
