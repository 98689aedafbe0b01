"""The queue rules as pure functions: numbering, call order, states, estimated wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ticketing.domain import tickets as rules
from services.ticketing.domain.tickets import QueuedTicket

T0 = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def test_ticket_numbers_have_prefix_dash_and_at_least_three_digits() -> None:
    assert rules.ticket_number("A", 1) == "A-001"
    assert rules.ticket_number("A", 12) == "A-012"
    assert rules.ticket_number("KB", 1234) == "KB-1234"
    with pytest.raises(ValueError, match="starts at 1"):
        rules.ticket_number("A", 0)


@pytest.mark.parametrize(
    ("utc_time", "zone", "day"),
    [
        # 23:30 UTC is already the next day in WIB (+7), WITA (+8) and WIT (+9)
        ("2026-11-24T23:30:00", "Asia/Jakarta", "2026-11-25"),
        ("2026-11-24T15:59:59", "Asia/Makassar", "2026-11-24"),
        ("2026-11-24T16:00:00", "Asia/Makassar", "2026-11-25"),
        ("2026-11-24T14:59:59", "Asia/Jayapura", "2026-11-24"),
        ("2026-11-24T15:00:00", "Asia/Jayapura", "2026-11-25"),
    ],
)
def test_numbering_day_is_the_sites_local_day(utc_time: str, zone: str, day: str) -> None:
    moment = datetime.fromisoformat(utc_time).replace(tzinfo=UTC)
    assert rules.local_day(moment, zone).isoformat() == day


def test_priority_first_then_fifo() -> None:
    r1 = QueuedTicket("regular", T0, "r1")
    p1 = QueuedTicket("priority", T0 + timedelta(minutes=5), "p1")
    r2 = QueuedTicket("regular", T0 + timedelta(minutes=1), "r2")
    p2 = QueuedTicket("priority", T0 + timedelta(minutes=9), "p2")
    line = [r1, p1, r2, p2]
    assert [t.ticket_id for t in sorted(line, key=rules.call_order)] == ["p1", "p2", "r1", "r2"]
    assert rules.waiting_ahead(r2, line) == 3
    assert rules.waiting_ahead(p1, line) == 0


tickets = st.lists(
    st.builds(
        QueuedTicket,
        st.sampled_from(["regular", "priority"]),
        st.integers(0, 10_000).map(lambda s: T0 + timedelta(seconds=s)),
        st.uuids().map(str),
    ),
    max_size=40,
    unique_by=lambda t: t.ticket_id,
)


@given(tickets)
def test_call_order_properties(line: list[QueuedTicket]) -> None:
    order = sorted(line, key=rules.call_order)
    # no priority ticket after a regular one; FIFO within each class
    classes = [t.priority for t in order]
    assert classes == sorted(classes, key=lambda c: c != "priority")
    for cls in ("regular", "priority"):
        times = [t.queued_at for t in order if t.priority == cls]
        assert times == sorted(times)
    # waiting_ahead is the position in the call order
    for position, t in enumerate(order):
        assert rules.waiting_ahead(t, line) == position


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        ("call", {"waiting"}),
        ("recall", {"called"}),
        ("complete", {"called"}),
        ("no_show", {"called"}),
        ("transfer", {"waiting", "called"}),
        ("cancel", {"waiting"}),
    ],
)
def test_actions_apply_only_in_their_states(action: rules.Action, allowed: set[str]) -> None:
    for status in ("waiting", "called", "served", "no_show", "cancelled"):
        if status in allowed:
            rules.check_action(action, status)
        else:
            with pytest.raises(rules.WrongState, match=status):
                rules.check_action(action, status)


def test_estimated_wait() -> None:
    assert rules.estimate_wait_s(0, 300, 2) == 0
    assert rules.estimate_wait_s(3, 300, 1) == 900
    assert rules.estimate_wait_s(3, 300, 2) == 450
    assert rules.estimate_wait_s(5, 300, 0) is None  # nobody serves it: no promise


def test_smoothed_service_time_follows_recent_services() -> None:
    assert rules.smoothed_service_s([], 300) == 300
    slow = rules.smoothed_service_s([600] * 10, 300)
    assert 580 < slow < 600
    assert rules.smoothed_service_s([600], 300) == pytest.approx(390)
