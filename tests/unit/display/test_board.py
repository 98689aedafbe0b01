"""The board fold: now serving, recent calls, waiting, duplicates, order, day rollover."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.display.board import Board, Boards, Outcome
from shared.events import AnyEvent
from shared.sites import load_sites
from tests.unit.display.builders import COUNTERS, SERVICES, DayOfEvents, QueueSim

NOW = datetime(2025, 3, 10, 3, 0, tzinfo=UTC)


def board_of(events: Sequence[AnyEvent], **kwargs: Any) -> Board:
    board = Board("t-site", NOW, **kwargs)
    for event in events:
        board.apply(event)
    return board


def view(board: Board) -> dict[str, Any]:
    return board.to_json()


def serving(board: Board) -> dict[str, str]:
    return {c.counter_id: c.ticket_number for c in board.now_serving()}


# -- the basic fold ------------------------------------------------------------------------


def test_call_sets_now_serving_and_completion_clears_it() -> None:
    day = DayOfEvents()
    a1 = day.new_ticket("ktp")
    board = board_of([day.issued(a1, 0, {"ktp": 1}), day.called(a1, "loket-1", 1, {"ktp": 0})])
    item = view(board)["now_serving"][0]
    assert item["counter_id"] == "loket-1"
    assert item["counter_name"] == "Loket 1"
    assert item["ticket_number"] == "A-001"
    assert item["service_id"] == "ktp"
    assert item["called_at"] == "2025-03-10T01:00:02Z"
    assert view(board)["waiting"] == {"ktp": 0}

    board.apply(day.completed(a1, "loket-1"))
    assert view(board)["now_serving"] == []
    assert [c["ticket_number"] for c in view(board)["recent_calls"]] == ["A-001"]


def test_completion_of_an_older_ticket_leaves_the_newer_call() -> None:
    day = DayOfEvents()
    a1, a2 = day.new_ticket("ktp"), day.new_ticket("ktp")
    events: list[AnyEvent] = [day.called(a1), day.called(a2), day.completed(a1)]
    assert serving(board_of(events)) == {"loket-1": "A-002"}


def test_recent_calls_newest_first_recalls_included_and_bounded() -> None:
    day = DayOfEvents()
    events: list[AnyEvent] = []
    for _ in range(12):
        t = day.new_ticket("kk")
        events.append(day.called(t, "loket-2"))
    events.append(day.called(t, "loket-2", call_count=2))
    board = board_of(events)
    recent = view(board)["recent_calls"]
    assert len(recent) == 10
    assert [c["ticket_number"] for c in recent[:3]] == ["B-012", "B-012", "B-011"]
    assert recent[0]["call_count"] == 2
    assert set(recent[0]) >= {
        "counter_id",
        "counter_name",
        "ticket_number",
        "service_id",
        "called_at",
    }


def test_issued_without_waiting_falls_back_to_waiting_ahead_plus_one() -> None:
    day = DayOfEvents()
    board = board_of([day.issued(day.new_ticket("ktp"), waiting_ahead=4)])
    assert board.waiting() == {"ktp": 5}


def test_waiting_comes_from_the_highest_sequence() -> None:
    day = DayOfEvents()
    a1, a2 = day.new_ticket("ktp"), day.new_ticket("ktp")
    first, second = day.issued(a1, 0, {"ktp": 1}), day.issued(a2, 1, {"ktp": 2})
    assert board_of([second, first]).waiting() == {"ktp": 2}


def test_a_call_read_after_its_completion_does_not_come_back() -> None:
    day = DayOfEvents()
    a1 = day.new_ticket("ktp")
    call, done = day.called(a1), day.completed(a1)
    board = board_of([done, call])
    assert board.now_serving() == []
    assert [c.ticket_number for c in board.recent_calls()] == ["A-001"]


def test_a_transferred_ticket_called_again_elsewhere_is_shown_there_only() -> None:
    day = DayOfEvents()
    a1 = day.new_ticket("ktp")
    moved = type(a1)(a1.ticket_id, a1.number, "skck")
    events: list[AnyEvent] = [
        day.called(a1, "loket-1"),
        day.completed(a1, "loket-1", "transferred", {"skck": 1}, transferred_to="skck"),
        day.called(moved, "loket-3", 1, {"skck": 0}),
    ]
    for ordering in (events, events[::-1], [events[2], events[0], events[1]]):
        board = board_of(ordering)
        assert serving(board) == {"loket-3": "A-001"}
        assert board.waiting() == {"skck": 0}


def test_without_sequence_arrival_order_decides() -> None:
    day = DayOfEvents(stamp_sequence=False)
    a1, a2 = day.new_ticket("ktp"), day.new_ticket("ktp")
    board = board_of([day.called(a1), day.called(a2)])
    assert serving(board) == {"loket-1": "A-002"}
    assert [c.ticket_number for c in board.recent_calls()] == ["A-002", "A-001"]


# -- duplicates ----------------------------------------------------------------------------


def test_a_duplicate_is_dropped_and_changes_nothing() -> None:
    day = DayOfEvents()
    a1 = day.new_ticket("ktp")
    call = day.called(a1)
    board = board_of([call])
    before = view(board)
    assert board.apply(call) is Outcome.DUPLICATE
    assert view(board) == before


def test_a_forgotten_duplicate_still_changes_nothing() -> None:
    day = DayOfEvents()
    events = [day.called(day.new_ticket("kk"), "loket-2") for _ in range(5)]
    board = board_of(events, seen_limit=2)
    before = view(board)
    assert board.apply(events[0]) is Outcome.APPLIED  # its id was forgotten (bounded memory)
    assert view(board) == before
    assert len(board._seen) == 2


# -- days and time zones -------------------------------------------------------------------


def test_events_of_an_earlier_day_are_ignored() -> None:
    day = DayOfEvents(start=NOW - timedelta(days=1))
    board = board_of([])
    assert board.apply(day.called(day.new_ticket("ktp"))) is Outcome.EARLIER_DAY
    assert view(board)["recent_calls"] == []


def test_an_event_of_a_later_day_starts_a_fresh_board() -> None:
    today, tomorrow = DayOfEvents(), DayOfEvents(start=NOW + timedelta(days=1))
    board = board_of([today.called(today.new_ticket("ktp"))])
    tomorrow.site_id = today.site_id
    board.apply(tomorrow.called(tomorrow.new_ticket("kk"), "loket-2"))
    assert serving(board) == {"loket-2": "B-001"}
    assert board.day.isoformat() == "2025-03-11"


def test_reading_after_midnight_starts_a_fresh_board() -> None:
    day = DayOfEvents()
    board = board_of([day.called(day.new_ticket("ktp"))])
    assert board.roll(NOW + timedelta(hours=12)) is False  # 15:00 UTC, still the 10th
    assert board.roll(NOW + timedelta(days=1)) is True
    assert view(board)["now_serving"] == []
    assert view(board)["recent_calls"] == []


def test_the_day_is_the_sites_day() -> None:
    """Asia/Makassar is UTC+8: 17:00 UTC on the 9th is already 01:00 on the 10th there."""
    balangan = load_sites()["balangan"].config
    boards = Boards({"balangan": balangan})
    early = DayOfEvents(site_id="balangan", start=datetime(2025, 3, 9, 17, 0, tzinfo=UTC))
    late_yesterday = DayOfEvents(site_id="balangan", start=datetime(2025, 3, 9, 15, 0, tzinfo=UTC))
    _, outcome = boards.apply(late_yesterday.called(late_yesterday.new_ticket("ktp")), NOW)
    assert outcome is Outcome.EARLIER_DAY  # 23:00 on the 9th in Makassar
    board, outcome = boards.apply(early.called(early.new_ticket("ktp")), NOW)
    assert outcome is Outcome.APPLIED
    assert board.to_json()["timezone"] == "Asia/Makassar"
    assert board.to_json()["site_name"] == "MPP Kabupaten Balangan"
    assert board.day.isoformat() == "2025-03-10"


def test_an_unknown_site_uses_utc_and_the_events_site_name() -> None:
    boards = Boards({})
    assert boards.get("nowhere", NOW) is None
    day = DayOfEvents(site_name="MPP Luar Konfigurasi")
    board, _ = boards.apply(day.called(day.new_ticket("ktp")), NOW)
    assert board.to_json()["timezone"] == "UTC"
    assert board.to_json()["site_name"] == "MPP Luar Konfigurasi"
    assert boards.get(day.site_id, NOW) is board


def test_a_configured_board_lists_its_counters_in_config_order() -> None:
    balangan = load_sites()["balangan"].config
    board = Boards({"balangan": balangan}).get("balangan", NOW)
    assert board is not None
    snapshot = board.to_json()
    assert [c["id"] for c in snapshot["counters"]] == [c.id for c in balangan.counters]
    assert snapshot["now_serving"] == []
    assert snapshot["waiting"] == {}
    assert any(s["prefix"] == "A" for s in snapshot["services"])


# -- properties ----------------------------------------------------------------------------

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("issue"), st.sampled_from(sorted(SERVICES))),
        st.tuples(
            st.sampled_from(["call", "call", "recall", "complete", "no_show", "transfer"]),
            st.sampled_from(sorted(COUNTERS)),
        ),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(ops=OPS, seed=st.randoms(use_true_random=False))
def test_any_permutation_of_the_events_gives_the_same_board(
    ops: list[tuple[str, str]], seed: random.Random
) -> None:
    events = QueueSim().run(ops)
    in_order = view(board_of(events))
    shuffled = list(events)
    seed.shuffle(shuffled)
    assert view(board_of(shuffled)) == in_order


@settings(max_examples=150, deadline=None)
@given(ops=OPS, seed=st.randoms(use_true_random=False), copies=st.integers(1, 20))
def test_duplicates_change_nothing(
    ops: list[tuple[str, str]], seed: random.Random, copies: int
) -> None:
    events = QueueSim().run(ops)
    with_duplicates = list(events) + [seed.choice(events) for _ in range(copies if events else 0)]
    seed.shuffle(with_duplicates)
    assert view(board_of(with_duplicates)) == view(board_of(events))


@settings(max_examples=150, deadline=None)
@given(ops=OPS, seed=st.randoms(use_true_random=False))
def test_the_board_agrees_with_the_queue(ops: list[tuple[str, str]], seed: random.Random) -> None:
    sim = QueueSim()
    events = list(sim.run(ops))
    seed.shuffle(events)
    board = board_of(events)
    expected = {c: t.number for c, t in sim.serving.items() if t is not None}
    assert serving(board) == expected
    for service_id, count in board.waiting().items():
        assert count == len(sim.queues[service_id])
    calls = [e for e in sim.events if e.event_type == "ticket-called"]
    recent = [c.event_id for c in board.recent_calls()]
    assert recent == [str(e.event_id) for e in calls[::-1][:10]]
