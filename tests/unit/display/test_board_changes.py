"""What the stream sends with each event (`board`, services/display/board.py
`Board.changes`): a page that applies a snapshot and then only those changes (as
static/state.js does: replace what a change names) shows exactly the board the display
folded, in any order of arrival, with duplicates, across a new day; and what it announces
is decided by the fold too (a call is in its own change only while it stands)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from services.display.board import Board, Boards, Outcome
from services.display.service import public_data
from shared.events import AnyEvent
from shared.sites import load_sites
from tests.unit.display.builders import COUNTERS, SERVICES, DayOfEvents, QueueSim

NOW = datetime(2025, 3, 10, 3, 0, tzinfo=UTC)


class Page:
    """What static/state.js keeps: the snapshot, then each change applied by replacement."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.board = dict(snapshot)
        self.serving = {c["counter_id"]: c for c in snapshot["now_serving"]}
        self.waiting = dict(snapshot["waiting"])
        self.recent = list(snapshot["recent_calls"])

    def apply(self, changes: dict[str, Any]) -> None:
        if changes.get("reset"):
            self.serving, self.waiting, self.recent = {}, {}, []
        self.board["day"] = changes["day"]
        for counter_id, call in changes.get("now_serving", {}).items():
            if call is None:
                self.serving.pop(counter_id, None)
            else:
                self.serving[counter_id] = call
        self.waiting.update(changes.get("waiting", {}))
        self.recent = changes.get("recent_calls", self.recent)
        for key in ("site_name", "counters", "services", "agencies"):
            if key in changes:
                self.board[key] = changes[key]

    def view(self) -> dict[str, Any]:
        return {
            "now_serving": sorted(self.serving.values(), key=lambda c: c["counter_id"]),
            "waiting": dict(sorted(self.waiting.items())),
            "recent_calls": self.recent,
            "day": self.board["day"],
            "counters": self.board["counters"],
            "services": self.board["services"],
            "agencies": self.board["agencies"],
        }


def folded(board: Board) -> dict[str, Any]:
    full = board.to_json()
    return {
        "now_serving": sorted(full["now_serving"], key=lambda c: c["counter_id"]),
        "waiting": full["waiting"],
        "recent_calls": full["recent_calls"],
        "day": full["day"],
        "counters": full["counters"],
        "services": full["services"],
        "agencies": full["agencies"],
    }


def replay(events: list[AnyEvent], boards: Boards, site_id: str) -> tuple[Board, Page]:
    board = boards.get(site_id, NOW)
    page = Page(board.to_json()) if board is not None else None
    for event in events:
        board, outcome, changes = boards.apply_with_changes(event, NOW)
        if page is None:
            page = Page({**board.to_json(), "now_serving": [], "recent_calls": [], "waiting": {}})
        if outcome is Outcome.APPLIED:
            page.apply(changes)
        else:
            assert changes == {}
    assert board is not None and page is not None
    return board, page


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
@given(ops=OPS, seed=st.randoms(use_true_random=False), copies=st.integers(0, 10))
def test_a_snapshot_plus_the_changes_is_the_folded_board(
    ops: list[tuple[str, str]], seed: random.Random, copies: int
) -> None:
    events = QueueSim().run(ops)
    if not events:
        return
    arrivals = list(events) + [seed.choice(events) for _ in range(copies)]
    seed.shuffle(arrivals)
    site = events[0].site_id
    # an unconfigured site: the first event creates the board, the catalog follows events
    board, page = replay(arrivals, Boards({}), site)
    assert page.view() == folded(board)


@settings(max_examples=60, deadline=None)
@given(ops=OPS, cut=st.integers(0, 60), seed=st.randoms(use_true_random=False))
def test_a_page_that_joins_midway_ends_on_the_folded_board(
    ops: list[tuple[str, str]], cut: int, seed: random.Random
) -> None:
    events = QueueSim().run(ops)
    seed.shuffle(events)
    boards = Boards({})
    before, after = events[:cut], events[cut:]
    for event in before:
        boards.apply(event, NOW)
    if not before:
        return
    board = boards.get(before[0].site_id, NOW)
    assert board is not None
    page = Page(board.to_json())
    for event in after:
        _, outcome, changes = boards.apply_with_changes(event, NOW)
        if outcome is Outcome.APPLIED:
            page.apply(changes)
    assert page.view() == folded(board)


def test_a_call_carries_itself_while_it_stands_and_a_completion_clears_it() -> None:
    day = DayOfEvents()
    a1, a2 = day.new_ticket("ktp"), day.new_ticket("ktp")
    boards = Boards({})
    call = day.called(a1, "loket-1", 1, {"ktp": 1})
    _, _, changes = boards.apply_with_changes(call, NOW)
    assert changes["reset"] is True  # the board's first event: relative to an empty board
    shown = changes["now_serving"]["loket-1"]
    assert shown["event_id"] == str(call.event_id)
    assert shown["announcement"] == "Nomor antrean A, nol nol satu, silakan menuju Loket satu"
    assert changes["waiting"] == {"ktp": 1}
    assert [c["ticket_number"] for c in changes["recent_calls"]] == ["A-001"]

    _, _, changes = boards.apply_with_changes(day.completed(a1, "loket-1", "no_show"), NOW)
    assert changes["now_serving"] == {"loket-1": None}
    assert "recent_calls" not in changes and "counters" not in changes and "reset" not in changes

    # a call that arrives after its completion never stands: nothing to show or announce
    late_call = day.called(a2, "loket-2")
    done = day.completed(a2, "loket-2", "cancelled")
    boards.apply_with_changes(done, NOW)
    _, _, changes = boards.apply_with_changes(late_call, NOW)
    assert "now_serving" not in changes
    assert changes["recent_calls"][0]["ticket_number"] == "A-002"
    assert changes["counters"][-1]["id"] == "loket-2"  # a counter no site file named

    # a duplicate: no change at all, and the stream sends nothing for it
    assert boards.apply_with_changes(late_call, NOW)[1:] == (Outcome.DUPLICATE, {})


def test_an_older_call_read_late_leaves_the_newer_one_on_show() -> None:
    day = DayOfEvents()
    a1, a2 = day.new_ticket("ktp"), day.new_ticket("ktp")
    old, new = day.called(a1, "loket-1"), day.called(a2, "loket-1")
    boards = Boards({})
    boards.apply_with_changes(new, NOW)
    _, _, changes = boards.apply_with_changes(old, NOW)
    assert "now_serving" not in changes  # loket-1 still shows A-002: old is not announced
    assert [c["ticket_number"] for c in changes["recent_calls"]] == ["A-002", "A-001"]


def test_an_event_of_a_new_day_resets_the_page() -> None:
    balangan = load_sites()["balangan"].config
    boards = Boards({"balangan": balangan})
    today = DayOfEvents(site_id="balangan", start=NOW)
    tomorrow = DayOfEvents(site_id="balangan", start=NOW + timedelta(days=1))
    board, _, first = boards.apply_with_changes(today.called(today.new_ticket("ktp")), NOW)
    assert "reset" not in first  # a configured board exists before its first event
    page = Page({**board.to_json(), "now_serving": [], "recent_calls": [], "waiting": {}})
    page.apply(first)
    _, _, changes = boards.apply_with_changes(
        tomorrow.called(tomorrow.new_ticket("kk"), "loket-2"), NOW + timedelta(days=1)
    )
    assert changes["reset"] is True and changes["day"] == "2025-03-11"
    assert [c["id"] for c in changes["counters"]][:3] == [c.id for c in balangan.counters][:3]
    page.apply(changes)
    assert page.view() == folded(board)
    assert [c["ticket_number"] for c in page.recent] == ["B-001"]


def test_a_site_reads_numbers_as_its_file_says() -> None:
    tabanan = load_sites()["tabanan"].config
    number = tabanan.model_copy(
        update={"site": tabanan.site.model_copy(update={"announce_numbers": "number"})}
    )
    day = DayOfEvents(site_id="tabanan", start=datetime(2025, 3, 10, 1, 0, tzinfo=UTC))
    for _ in range(11):
        ticket = day.new_ticket("ktp")
    event = day.called(ticket, "loket-1")
    event = event.model_copy(update={"counter_id": tabanan.counters[0].id})
    for config, spoken in [
        (tabanan, "Nomor antrean A, nol satu satu, silakan menuju Loket satu"),
        (number, "Nomor antrean A sebelas, silakan menuju Loket satu"),
    ]:
        board = Boards({"tabanan": config}).apply(event, NOW)[0]
        assert board.to_json()["now_serving"][0]["announcement"] == spoken


def test_the_stream_data_is_the_event_as_received_plus_board() -> None:
    day = DayOfEvents()
    event = day.issued(day.new_ticket("ktp"), 0, {"ktp": 1}, phone="+6281234567890")
    raw = event.to_json() + b"\n"
    data = orjson.loads(public_data(raw, event, {"day": "2025-03-10", "waiting": {"ktp": 1}}))
    assert data["contact"] is None  # the stream is public
    assert data.pop("board") == {"day": "2025-03-10", "waiting": {"ktp": 1}}
    assert data == orjson.loads(event.to_json()) | {"contact": None}
    called = day.called(day.new_ticket("ktp"))
    sent = public_data(called.to_json(), called, {"day": "x"})
    assert sent.startswith(called.to_json().decode()[:-1] + ',"board":')
