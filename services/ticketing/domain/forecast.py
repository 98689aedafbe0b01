"""Forecasts a kiosk can show and an SMS can say, as pure code (no I/O, no clock).

- `quota_exhaustion`: at what local time today's quota (or one channel's part of it) will
  be used up, from the arrival rate so far, or None when it will last until closing.
- `estimate_wait_busy_counters_s`: an estimated wait that knows how far each open counter
  is into the citizen it serves now and the breaks ahead; the live `tickets.estimate_wait_s`
  knows neither. The day simulator measures both against the actual waits
  (docs/simulation.md).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from datetime import time

RECENT_WINDOW_S = 3600
"""How far back the recent arrival rate looks (the last 60 minutes)."""

RECENT_WEIGHT = 0.5
"""Share of the recent rate in the blended rate; the rest is the day's average so far."""


def _seconds(t: time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


def _time(seconds: float) -> time:
    s = max(0, min(math.ceil(seconds), 24 * 3600 - 1))
    return time(s // 3600, (s % 3600) // 60, s % 60)


def format_hhmm(t: time) -> str:
    """10:40 → '10.40': how Indonesian notices write a time of day (pukul 10.40)."""
    return f"{t.hour:02d}.{t.minute:02d}"


def arrival_rate_per_hour(
    arrivals: Sequence[time],
    now: time,
    opened_at: time | None = None,
    breaks: Sequence[tuple[time, time]] = (),
) -> float:
    """Tickets per open hour: the last hour's rate blended half and half with the day's
    average since opening (`opened_at`, else the first arrival). Breaks do not count as
    open time. 0.0 with no arrivals yet."""
    if not arrivals:
        return 0.0
    t_now = _seconds(now)
    start = _seconds(opened_at) if opened_at is not None else min(_seconds(a) for a in arrivals)
    day_open_s = _open_seconds(start, t_now, breaks)
    recent_start = max(start, t_now - RECENT_WINDOW_S)
    recent_open_s = _open_seconds(recent_start, t_now, breaks)
    if day_open_s <= 0:
        return 0.0
    day_rate = len(arrivals) / day_open_s * 3600
    recent = sum(1 for a in arrivals if recent_start <= _seconds(a) <= t_now)
    # before a full hour has passed the recent window is the day so far
    recent_rate = recent / recent_open_s * 3600 if recent_open_s > 0 else day_rate
    return RECENT_WEIGHT * recent_rate + (1 - RECENT_WEIGHT) * day_rate


def _open_seconds(start: float, end: float, breaks: Sequence[tuple[time, time]]) -> float:
    total = max(0.0, end - start)
    for b_start, b_end in breaks:
        lo, hi = max(start, _seconds(b_start)), min(end, _seconds(b_end))
        total -= max(0.0, hi - lo)
    return total


def quota_exhaustion(
    quota: int,
    issued: int,
    arrivals: Sequence[time],
    now: time,
    closes_at: time,
    opened_at: time | None = None,
    breaks: Sequence[tuple[time, time]] = (),
    profile: Mapping[time, float] | None = None,
) -> time | None:
    """The local time today's `quota` (a service's daily quota, or one channel's part of it)
    will be used up, or None if at the present pace it lasts until `closes_at`.

    `issued` tickets already count against the quota; `arrivals` are their issue times
    (local, today, any order), `now` the local time of the forecast. The pace is
    `arrival_rate_per_hour`; a break in `breaks` takes no tickets, so it pushes the time
    later. A quota already used up is used up `now`.

    >>> format_hhmm(quota_exhaustion(100, 60, [time(8, m) for m in range(0, 60)],
    ...                              now=time(9, 0), closes_at=time(15, 0)))
    '09.40'
    """
    left = quota - issued
    if left <= 0:
        return now
    if profile is not None:
        return _exhaustion_by_profile(left, issued, now, closes_at, breaks, profile)
    rate = arrival_rate_per_hour(arrivals, now, opened_at, breaks)
    if rate <= 0:
        return None
    needed_s = left / rate * 3600
    t = _seconds(now)
    close = _seconds(closes_at)
    for b_start, b_end in sorted(breaks):
        bs, be = _seconds(b_start), _seconds(b_end)
        if be <= t:
            continue
        if t + needed_s <= bs:
            break
        needed_s -= max(0.0, bs - t)
        t = max(t, be)
    t += needed_s
    if t >= close:
        return None
    return _time(t)


def _exhaustion_by_profile(
    left: int,
    issued: int,
    now: time,
    closes_at: time,
    breaks: Sequence[tuple[time, time]],
    profile: Mapping[time, float],
) -> time | None:
    def weight_per_s(t: float) -> float:
        if any(_seconds(a) <= t < _seconds(b) for a, b in breaks):
            return 0.0
        slot = int(t // 1800) * 1800
        return profile.get(_time(slot), 0.0) / 3600

    step = 60.0
    t_now, close = _seconds(now), _seconds(closes_at)
    # from midnight: who came before opening got a ticket when it opened
    seen = sum(weight_per_s(t) * step for t in _steps(0.0, t_now, step))
    if seen <= 0 or issued <= 0:
        return None
    level = issued / seen  # tickets per unit of profile weight today
    expected = 0.0
    for t in _steps(t_now, close, step):
        expected += level * weight_per_s(t) * step
        if expected >= left - 1e-9:  # float sums of a per-minute pace
            return _time(t + step)
    return None


def _steps(start: float, end: float, step: float) -> list[float]:
    n = max(0, math.ceil((end - start) / step))
    return [start + i * step for i in range(n)]


def estimate_wait_busy_counters_s(
    ahead: int,
    avg_service_s: float,
    busy_elapsed_s: Sequence[float | None],
    pauses: Sequence[tuple[float, float]] = (),
) -> int | None:
    """Seconds until a ticket with `ahead` tickets before it is called, from the state of
    the open counters serving its service: `busy_elapsed_s` has one entry per counter, the
    seconds it has been serving its current citizen (of any service), None when it is free.
    `pauses` are the breaks ahead (start, end, in seconds from now) when no counter calls.
    With no counter it cannot say (None).

    Unlike `tickets.estimate_wait_s` (ahead × avg / counters, as if every counter freed up
    at the same moment and nobody stopped for lunch):

    - a busy counter frees up after what is left of an average service (at least a tenth
      of one, since it is already running over), so a ticket at the head of a line whose
      counters are all busy waits for the first of them to finish, not zero;
    - the counters then take the tickets ahead one by one, earliest free first, each for
      `avg_service_s`, and the ticket is called when the next counter frees up after them;
    - a break that starts before that moment adds its length.

    >>> estimate_wait_busy_counters_s(0, 600, [120.0, 300.0])  # both busy: first frees in 5 min
    300
    >>> estimate_wait_busy_counters_s(3, 600, [None, None])  # the live rule says 900
    600
    """
    if not busy_elapsed_s:
        return None
    floor = avg_service_s / 10
    free_at = [0.0 if e is None else max(floor, avg_service_s - e) for e in busy_elapsed_s]
    heapq.heapify(free_at)
    for _ in range(max(0, ahead)):
        heapq.heappush(free_at, heapq.heappop(free_at) + avg_service_s)
    wait = free_at[0]
    for start, end in sorted(pauses):
        if start < wait and end > max(start, 0.0):
            wait += end - max(start, 0.0)
    return math.ceil(wait)
