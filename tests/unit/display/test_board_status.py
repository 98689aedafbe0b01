"""A board's breaks and closures (site-status-changed, services/display/status.py): the
counter on a break and the service closed show with their reason, the newest change by
`sequence` decides whatever the arrival order, a duplicate changes nothing, the next day
starts without them, and the stream's changes carry them whole."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from services.display.board import Board, Outcome
from tests.unit.display.builders import DayOfEvents

NOW = datetime(2025, 3, 10, 3, 0, tzinfo=UTC)


def test_a_break_and_a_closure_show_with_their_reason_until_undone() -> None:
    day = DayOfEvents()
    board = Board(day.site_id, NOW)
    paused = day.status("counter_paused", counter_id="loket-2", reason="shalat")
    closed = day.status("service_closed", service_id="skck", reason="blangko habis")
    before = board.mark()
    assert board.apply(paused) is Outcome.APPLIED
    assert board.apply(closed) is Outcome.APPLIED
    shown = board.to_json()
    assert shown["paused"] == {
        "loket-2": {"reason": "shalat", "since": "2025-03-10T01:00:01Z", "counter_name": "Loket 2"}
    }
    assert shown["closed"] == {"skck": {"reason": "blangko habis", "service_name": "SKCK"}}
    changes = board.changes(before)
    assert changes["paused"] == shown["paused"] and changes["closed"] == shown["closed"]

    assert board.apply(paused) is Outcome.DUPLICATE
    mark = board.mark()
    board.apply(day.status("counter_resumed", counter_id="loket-2", reason="shalat"))
    board.apply(day.status("service_opened", service_id="skck"))
    assert board.to_json()["paused"] == {} and board.to_json()["closed"] == {}
    assert board.changes(mark) | {"last_sequence": 0} == {
        "day": "2025-03-10",
        "last_sequence": 0,
        "paused": {},
        "closed": {},
    }


def test_the_newest_change_decides_in_any_arrival_order() -> None:
    day = DayOfEvents()
    events = [
        day.status("counter_paused", counter_id="loket-1", reason="istirahat"),
        day.status("counter_resumed", counter_id="loket-1", reason="istirahat"),
        day.status("counter_paused", counter_id="loket-1", reason="rapat"),
        day.status("service_closed", service_id="kk", reason="server pusat mati"),
        day.status("service_opened", service_id="kk"),
    ]
    for order in itertools.permutations(events):
        board = Board(day.site_id, NOW)
        for event in order:
            board.apply(event)
        assert board.to_json()["paused"]["loket-1"]["reason"] == "rapat"
        assert board.to_json()["closed"] == {}


def test_a_new_day_starts_without_yesterdays_breaks() -> None:
    day = DayOfEvents()
    board = Board(day.site_id, NOW)
    board.apply(day.status("counter_paused", counter_id="loket-1", reason="istirahat"))
    assert board.roll(NOW + timedelta(days=1))
    assert board.to_json()["paused"] == {}


def test_quota_and_counter_service_changes_leave_the_lobby_as_it_was() -> None:
    day = DayOfEvents()
    board = Board(day.site_id, NOW)
    mark = board.mark()
    assert board.apply(day.status("quota_changed", service_id="ktp")) is Outcome.APPLIED
    changes = board.changes(mark)
    assert "paused" not in changes and "closed" not in changes and "now_serving" not in changes
