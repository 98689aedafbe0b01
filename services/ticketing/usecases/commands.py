"""What citizens and staff ask of the queue, one frozen value each; a use case handles
each one (`issuing`, `entering`, `counter_actions`), with who asks passed beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.events import Channel, Priority


@dataclass(frozen=True)
class IssueTicket:
    """A citizen takes a ticket at a kiosk, online or on a phone.

    `journey`: the services to visit after this one, in order. `idempotency_key`: a retry
    with the same key gets the first ticket; `requester` (kiosks.Caller.requester) says who
    asks, so only the first requester gets the holder's key again. Online tickets carry the
    SMS `verification_token` and the `client_address` the anti-calo limits count."""

    site_id: str
    service_id: str
    priority: Priority
    channel: Channel
    phone: str | None = None
    journey: tuple[str, ...] = ()
    idempotency_key: str | None = None
    requester: str | None = None
    verification_token: str | None = None
    client_address: str | None = None


@dataclass(frozen=True)
class EnterQueue:
    """Number a ticket and put it in the line, its hours and quota checked by the caller
    (issuing, or an appointment's check-in: `queued_at` its slot's start)."""

    site_id: str
    service_id: str
    priority: Priority
    channel: Channel
    phone: str | None = None
    ticket_id: UUID | None = None
    queued_at: datetime | None = None
    appointment_id: UUID | None = None
    journey: tuple[str, ...] = ()


@dataclass(frozen=True)
class CancelTicket:
    """The holder gives up a waiting ticket (its key checked by the API)."""

    ticket_id: UUID


@dataclass(frozen=True)
class CallNext:
    """Close the counter's open ticket as served, then call the head of its line."""

    site_id: str
    counter_id: str


@dataclass(frozen=True)
class CallChosen:
    """Call one waiting ticket out of turn, by its number today, with the clerk's reason
    (shown in the fairness ledger): e.g. a wheelchair user, a citizen in distress."""

    site_id: str
    counter_id: str
    ticket_number: str
    reason: str


@dataclass(frozen=True)
class PauseCounter:
    """The counter takes a break for one of the site's break reasons."""

    site_id: str
    counter_id: str
    reason: str


@dataclass(frozen=True)
class ResumeCounter:
    """The counter is back from its break."""

    site_id: str
    counter_id: str


@dataclass(frozen=True)
class OpenTicketAt:
    """The ticket called to a counter and not completed yet (a read)."""

    site_id: str
    counter_id: str


@dataclass(frozen=True)
class Recall:
    ticket_id: UUID


@dataclass(frozen=True)
class Complete:
    ticket_id: UUID


@dataclass(frozen=True)
class NoShow:
    ticket_id: UUID


@dataclass(frozen=True)
class Transfer:
    """Send the ticket to another service; it keeps its number and its place."""

    ticket_id: UUID
    service_id: str


@dataclass(frozen=True)
class ReturnNoShow:
    """A no-show came back within the grace period."""

    ticket_id: UUID


CounterAction = Recall | Complete | NoShow | Transfer | ReturnNoShow
"""What counter staff do to one ticket."""
