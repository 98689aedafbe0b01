"""The fairness ledger as a pure fold over a day's events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.ticketing.domain import ledger

T0 = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


class Day:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.ids: dict[str, str] = {}

    def _e(self, kind: str, number: str, service: str, **extra: Any) -> None:
        seq = len(self.events) + 1
        self.events.append(
            {
                "event_id": str(uuid.uuid4()),
                "event_type": kind,
                "sequence": seq,
                "occurred_at": (T0 + timedelta(minutes=seq)).isoformat(),
                "ticket_id": self.ids.setdefault(number, str(uuid.uuid4())),
                "ticket_number": number,
                "service_id": service,
                "service_name": service.upper(),
                **extra,
            }
        )

    def issue(self, number: str, service: str, priority: str = "regular", **extra: Any) -> None:
        self._e("ticket-issued", number, service, priority=priority, channel="kiosk", **extra)

    def call(self, number: str, service: str, call_count: int = 1) -> None:
        self._e("ticket-called", number, service, call_count=call_count, counter_name="Loket 1")

    def done(
        self, number: str, service: str, outcome: str = "served", to: str | None = None
    ) -> None:
        self._e("service-completed", number, service, outcome=outcome, transferred_to_service_id=to)


def visits(day: Day) -> dict[tuple[str, str], ledger.LineVisit]:
    return {(v.number, v.service_id): v for v in ledger.build(day.events)}


def test_fifo_day_has_nobody_overtaken() -> None:
    day = Day()
    for n in ("A-001", "A-002", "A-003"):
        day.issue(n, "ktp")
    for n in ("A-001", "A-002", "A-003"):
        day.call(n, "ktp")
        day.done(n, "ktp")
    assert all(not v.overtaken_by for v in ledger.build(day.events))


def test_each_kind_of_overtaking_has_its_reason() -> None:
    day = Day()
    day.issue("A-001", "ktp")  # regular, first
    day.issue("B-001", "kk")  # will be transferred to ktp
    day.issue("A-002", "ktp", priority="priority")  # priority, later
    day.issue("A-003", "ktp")  # regular, later: will jump with no reason
    day.call("B-001", "kk")
    day.done("B-001", "kk", outcome="transferred", to="ktp")
    day.call("A-002", "ktp")  # priority first: fine
    day.call("B-001", "ktp")  # transferred ticket: by its issue time
    day.call("A-003", "ktp")  # a later regular before A-001: unexplained
    day.call("A-001", "ktp")
    day.call("A-001", "ktp", call_count=2)  # a recall changes nothing
    v = visits(day)
    reasons = {o["number"]: o["reason"] for o in v[("A-001", "ktp")].overtaken_by}
    assert reasons == {"A-002": "priority", "B-001": "transfer", "A-003": "unexplained"}
    assert v[("B-001", "ktp")].entry == "transfer"
    assert v[("A-001", "ktp")].called_at is not None
    assert "tanpa alasan" in ledger.REASONS["unexplained"]


def test_returned_appointment_and_fairness_reasons_and_a_waiting_ticket() -> None:
    day = Day()
    day.issue("A-001", "ktp", priority="priority")
    day.issue("A-002", "ktp")
    day.issue("A-003", "ktp", reentry="appointment")
    day.issue("A-004", "ktp")
    day.call("A-004", "ktp")  # no-show then returned below
    day.done("A-004", "ktp", outcome="no_show")
    day.issue("A-004", "ktp", reentry="returned")
    day.call("A-003", "ktp")
    day.call("A-004", "ktp")
    day.call("A-002", "ktp")  # regular before the priority A-001: the fairness rule
    v = visits(day)
    waiting = next(x for x in ledger.build(day.events) if x.number == "A-001")
    assert waiting.called_at is None
    reasons = {o["number"]: o["reason"] for o in waiting.overtaken_by}
    assert reasons["A-003"] == "appointment"
    assert reasons["A-002"] == "fairness"
    assert "returned" in {o["reason"] for o in waiting.overtaken_by}
    # A-004 was first called before A-002 although it came later: that one has no reason
    assert {o["reason"] for o in v[("A-002", "ktp")].overtaken_by} == {
        "appointment",
        "returned",
        "unexplained",
    }


def test_duplicates_change_nothing() -> None:
    day = Day()
    day.issue("A-001", "ktp")
    day.issue("A-002", "ktp", priority="priority")
    day.call("A-002", "ktp")
    day.call("A-001", "ktp")
    once = [(v.number, len(v.overtaken_by)) for v in ledger.build(day.events)]
    twice = [(v.number, len(v.overtaken_by)) for v in ledger.build(day.events + day.events)]
    assert once == twice
