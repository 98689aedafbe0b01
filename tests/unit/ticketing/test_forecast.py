"""Worked examples of the forecasts a kiosk shows: quota exhaustion and the busy-counter wait."""

from __future__ import annotations

from datetime import time

import pytest

from services.ticketing.domain.forecast import (
    arrival_rate_per_hour,
    estimate_wait_busy_counters_s,
    format_hhmm,
    quota_exhaustion,
)


def minutes(start: time, n: int, every: int = 1) -> list[time]:
    """n arrival times from `start`, `every` minutes apart."""
    base = start.hour * 60 + start.minute
    return [time((base + i * every) // 60, (base + i * every) % 60) for i in range(n)]


def test_indonesian_time_of_day() -> None:
    assert format_hhmm(time(10, 40)) == "10.40"
    assert format_hhmm(time(8, 5, 59)) == "08.05"


def test_a_steady_hour_runs_the_quota_out_at_the_same_pace() -> None:
    # 60 tickets in the first hour, 40 left: 40 more minutes at 60 an hour
    arrivals = minutes(time(8, 0), 60)
    out = quota_exhaustion(100, 60, arrivals, now=time(9, 0), closes_at=time(15, 0))
    assert out == time(9, 40)
    assert format_hhmm(out) == "09.40"


def test_the_last_hour_and_the_day_so_far_count_half_each() -> None:
    # 08.00–09.00 one every 2 minutes (30/h), 09.00–10.00 one a minute (60/h):
    # day 90 in 2 h = 45/h, last hour 60/h → 52.5/h
    arrivals = minutes(time(8, 0), 30, every=2) + minutes(time(9, 0), 60)
    assert arrival_rate_per_hour(arrivals, time(10, 0), opened_at=time(8, 0)) == pytest.approx(52.5)
    # 105 left at 52.5/h: two hours
    assert quota_exhaustion(195, 90, arrivals, time(10, 0), time(15, 0), time(8, 0)) == time(12, 0)


def test_a_quota_that_lasts_until_closing_has_no_time() -> None:
    arrivals = minutes(time(8, 0), 10, every=6)  # 10 an hour
    assert quota_exhaustion(100, 10, arrivals, now=time(9, 0), closes_at=time(15, 0)) is None


def test_no_arrivals_no_forecast_and_a_used_up_quota_is_used_up_now() -> None:
    assert quota_exhaustion(100, 0, [], now=time(9, 0), closes_at=time(15, 0)) is None
    arrivals = minutes(time(8, 0), 100, every=1)
    assert quota_exhaustion(100, 100, arrivals, now=time(9, 45), closes_at=time(15, 0)) == time(
        9, 45
    )


def test_a_break_takes_no_tickets_and_pushes_the_time_later() -> None:
    arrivals = minutes(time(11, 0), 60)  # 60/h
    breaks = [(time(12, 0), time(13, 0))]
    out = quota_exhaustion(90, 60, arrivals, time(12, 0), time(15, 0), time(11, 0), breaks)
    assert out == time(13, 30)


def test_a_typical_day_profile_keeps_the_morning_peak_from_setting_the_days_pace() -> None:
    flat = {t: 1.0 for t in (time(h, m) for h in range(8, 15) for m in (0, 30))}
    arrivals = minutes(time(8, 0), 60)
    # flat: 60 per profile-hour, 40 left → 09.40, as the rate gives
    assert quota_exhaustion(100, 60, arrivals, time(9, 0), time(15, 0), profile=flat) == time(9, 40)
    # the typical day halves after 09.00: 40 left at 30/h → 10.20 (the rate alone says 09.40)
    calmer = {t: (2.0 if t < time(9, 0) else 1.0) for t in flat}
    out = quota_exhaustion(100, 60, arrivals, time(9, 0), time(15, 0), profile=calmer)
    assert out == time(10, 20)


def test_busy_counters_free_up_after_what_is_left_of_their_service() -> None:
    assert estimate_wait_busy_counters_s(0, 600, []) is None
    assert estimate_wait_busy_counters_s(0, 600, [None, 100.0]) == 0  # a counter is free
    assert estimate_wait_busy_counters_s(0, 600, [120.0, 300.0]) == 300  # first frees in 5 min
    # three ahead, two free counters: two go at once, the third at 10 min, ours at 10 min
    assert estimate_wait_busy_counters_s(3, 600, [None, None]) == 600
    # one counter 8 minutes into a 10-minute service, one ahead: 2 + 10 minutes
    assert estimate_wait_busy_counters_s(1, 600, [480.0]) == 720
    # running over: at least a tenth of a service is left
    assert estimate_wait_busy_counters_s(0, 600, [900.0]) == 60


def test_a_break_before_the_call_adds_its_length() -> None:
    one_hour = (300.0, 3900.0)  # starts in 5 minutes
    assert estimate_wait_busy_counters_s(1, 600, [None], [one_hour]) == 600 + 3600
    assert estimate_wait_busy_counters_s(0, 600, [None], [one_hour]) == 0  # called before it
