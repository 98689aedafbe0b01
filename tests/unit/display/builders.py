"""Event builders for display tests, and a tiny queue simulator that emits a realistic
day of events (with `sequence` and `waiting` as ticketing stamps them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from shared.events import (
    AnyEvent,
    Contact,
    ServiceCompleted,
    SiteStatusChanged,
    StatusChange,
    TicketCalled,
    TicketIssued,
)

SERVICES = {
    "ktp": ("A", "Perekaman KTP-el", "disdukcapil"),
    "kk": ("B", "Kartu Keluarga", "disdukcapil"),
    "skck": ("J", "SKCK", "polres"),
}
AGENCIES = {"disdukcapil": "Disdukcapil", "polres": "Polres"}
COUNTERS = {
    "loket-1": ("Loket 1", ["ktp", "kk"]),
    "loket-2": ("Loket 2", ["kk"]),
    "loket-3": ("Loket 3", ["skck"]),
}


@dataclass(frozen=True)
class Ticket:
    ticket_id: UUID
    number: str
    service_id: str
    call_count: int = 0


@dataclass
class DayOfEvents:
    """Builds the events of one site on one day; `sequence` counts up like ticketing's."""

    site_id: str = field(default_factory=lambda: f"t-{uuid4().hex[:8]}")
    site_name: str = "MPP Uji Coba"
    start: datetime = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)
    stamp_sequence: bool = True
    sequence: int = 0
    numbers: dict[str, int] = field(default_factory=dict)

    def _envelope(self, ticket: Ticket, service_id: str | None = None) -> dict[str, Any]:
        self.sequence += 1
        sid = service_id or ticket.service_id
        _, name, agency = SERVICES[sid]
        return {
            "event_id": uuid4(),
            "occurred_at": self.start + timedelta(seconds=self.sequence),
            "site_id": self.site_id,
            "site_name": self.site_name,
            "ticket_id": ticket.ticket_id,
            "ticket_number": ticket.number,
            "service_id": sid,
            "service_name": name,
            "agency_id": agency,
            "agency_name": AGENCIES[agency],
            "sequence": self.sequence if self.stamp_sequence else None,
        }

    def new_ticket(self, service_id: str) -> Ticket:
        n = self.numbers[service_id] = self.numbers.get(service_id, 0) + 1
        return Ticket(uuid4(), f"{SERVICES[service_id][0]}-{n:03d}", service_id)

    def issued(
        self,
        ticket: Ticket,
        waiting_ahead: int = 0,
        waiting: dict[str, int] | None = None,
        phone: str | None = None,
    ) -> TicketIssued:
        return TicketIssued(
            **self._envelope(ticket),
            priority="regular",
            channel="kiosk",
            waiting_ahead=waiting_ahead,
            estimated_wait_s=None,
            contact=Contact(phone=phone) if phone else None,
            waiting=waiting or {},
        )

    def called(
        self,
        ticket: Ticket,
        counter_id: str = "loket-1",
        call_count: int = 1,
        waiting: dict[str, int] | None = None,
    ) -> TicketCalled:
        return TicketCalled(
            **self._envelope(ticket),
            counter_id=counter_id,
            counter_name=COUNTERS[counter_id][0],
            call_count=call_count,
            waiting=waiting or {},
        )

    def completed(
        self,
        ticket: Ticket,
        counter_id: str | None = "loket-1",
        outcome: str = "served",
        waiting: dict[str, int] | None = None,
        transferred_to: str | None = None,
    ) -> ServiceCompleted:
        return ServiceCompleted(
            **self._envelope(ticket),
            counter_id=counter_id,
            outcome=outcome,
            wait_s=60,
            service_s=120 if outcome == "served" else None,
            transferred_to_service_id=transferred_to,
            waiting=waiting or {},
        )

    def status(
        self,
        change: StatusChange,
        counter_id: str | None = None,
        service_id: str | None = None,
        reason: str | None = None,
    ) -> SiteStatusChanged:
        """A site-status-changed event, stamped like the ticket events."""
        self.sequence += 1
        return SiteStatusChanged(
            event_id=uuid4(),
            occurred_at=self.start + timedelta(seconds=self.sequence),
            site_id=self.site_id,
            site_name=self.site_name,
            change=change,
            counter_id=counter_id,
            counter_name=COUNTERS[counter_id][0] if counter_id else None,
            service_id=service_id,
            service_name=SERVICES[service_id][1] if service_id else None,
            reason=reason,
            sequence=self.sequence if self.stamp_sequence else None,
        )


@dataclass
class QueueSim:
    """The queue rules, simplified, producing the events ticketing would publish."""

    day: DayOfEvents = field(default_factory=DayOfEvents)
    queues: dict[str, list[Ticket]] = field(default_factory=lambda: {s: [] for s in SERVICES})
    serving: dict[str, Ticket | None] = field(default_factory=lambda: dict.fromkeys(COUNTERS))
    events: list[AnyEvent] = field(default_factory=list)

    def issue(self, service_id: str) -> None:
        ticket = self.day.new_ticket(service_id)
        ahead = len(self.queues[service_id])
        self.queues[service_id].append(ticket)
        waiting = {service_id: len(self.queues[service_id])}
        self.events.append(self.day.issued(ticket, ahead, waiting))

    def call_next(self, counter_id: str) -> None:
        self._close(counter_id, "served")
        for service_id in COUNTERS[counter_id][1]:
            if self.queues[service_id]:
                ticket = self.queues[service_id].pop(0)
                ticket = Ticket(ticket.ticket_id, ticket.number, service_id, 1)
                self.serving[counter_id] = ticket
                waiting = {service_id: len(self.queues[service_id])}
                self.events.append(self.day.called(ticket, counter_id, 1, waiting))
                return

    def recall(self, counter_id: str) -> None:
        ticket = self.serving[counter_id]
        if ticket is not None:
            ticket = Ticket(
                ticket.ticket_id, ticket.number, ticket.service_id, ticket.call_count + 1
            )
            self.serving[counter_id] = ticket
            self.events.append(self.day.called(ticket, counter_id, ticket.call_count))

    def complete(self, counter_id: str, outcome: str = "served") -> None:
        self._close(counter_id, outcome)

    def transfer(self, counter_id: str, target: str) -> None:
        ticket = self.serving[counter_id]
        if ticket is None:
            return
        self.serving[counter_id] = None
        moved = Ticket(ticket.ticket_id, ticket.number, target)
        self.queues[target].insert(0, moved)
        self.events.append(
            self.day.completed(
                ticket,
                counter_id,
                "transferred",
                {target: len(self.queues[target])},
                transferred_to=target,
            )
        )

    def _close(self, counter_id: str, outcome: str) -> None:
        ticket = self.serving[counter_id]
        if ticket is not None:
            self.serving[counter_id] = None
            self.events.append(self.day.completed(ticket, counter_id, outcome))

    def run(self, ops: list[tuple[str, str]]) -> list[AnyEvent]:
        for op, arg in ops:
            if op == "issue":
                self.issue(arg)
            elif op == "call":
                self.call_next(arg)
            elif op == "recall":
                self.recall(arg)
            elif op == "complete":
                self.complete(arg)
            elif op == "no_show":
                self.complete(arg, "no_show")
            elif op == "transfer":
                self.transfer(arg, "skck")
        return self.events
