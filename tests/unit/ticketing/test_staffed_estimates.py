"""Property (CONTRACT.md: estimates count staffed counters only): a service nobody staffs
never gets a number, whatever its line, its service times or its breaks — in both
estimators, and in a replayed day where the planned counters of a service never come."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from scripts.simulator import build_day, simulate
from services.ticketing.domain import forecast
from services.ticketing.domain import tickets as rules
from shared.sites import load_sites

seconds = st.floats(min_value=1, max_value=4 * 3600, allow_nan=False)
pauses = st.lists(st.tuples(seconds, seconds).map(sorted).map(tuple), max_size=3)


@given(ahead=st.integers(min_value=0, max_value=5000), avg=seconds, breaks=pauses)
def test_no_staffed_counter_never_gets_a_number(
    ahead: int, avg: float, breaks: list[tuple[float, float]]
) -> None:
    assert rules.estimate_wait_s(ahead, avg, 0) is None
    assert forecast.estimate_wait_busy_counters_s(ahead, avg, [], breaks) is None


@given(
    ahead=st.integers(min_value=0, max_value=5000),
    avg=seconds,
    counters=st.integers(min_value=1, max_value=20),
)
def test_a_staffed_service_always_gets_one(ahead: int, avg: float, counters: int) -> None:
    estimate = rules.estimate_wait_s(ahead, avg, counters)
    assert estimate is not None and estimate >= 0
    busy = forecast.estimate_wait_busy_counters_s(ahead, avg, [None] * counters)
    assert busy is not None and busy >= 0


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(min_value=1, max_value=10_000))
def test_a_replayed_day_tells_nobody_a_time_for_a_service_no_counter_staffs(seed: int) -> None:
    site = load_sites()["balangan"].config
    # kia's counters (Loket 1 and 3) keep their other services; kia itself gets none
    result = simulate(build_day(site, date(2026, 11, 30), counters={"kia": 0}, seed=seed))
    kia = [t for t in result.tickets if t.service_id == "kia"]
    assert kia, "kia takes tickets all day"
    assert all(t.estimate_s is None and t.alt_estimate_s is None for t in kia)
    assert all(t.called_at is None for t in kia)  # and indeed nobody called them
    others = [t for t in result.tickets if t.service_id == "ktp-el"]
    assert any(t.estimate_s is not None for t in others)
