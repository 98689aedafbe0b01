"""The figures an event carries about the queue (waiting counts, the head of the line, a
new ticket's place), computed under the site's sequence lock, and the events themselves."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TypedDict
from uuid import UUID

from services.ticketing.domain import tickets as rules
from services.ticketing.outbox import lock_site_sequence, record_events
from services.ticketing.repositories import lines, sites
from services.ticketing.repositories.lines import Head, QueueFigures
from services.ticketing.repositories.tickets import Ticket
from services.ticketing.usecases.views import estimated_wait_s, reload
from shared.database import Connection
from shared.events import (
    AnyEvent,
    Outcome,
    QueuePosition,
    ServiceCompleted,
    TicketCalled,
    TicketIssued,
)

NEAR_HEAD = 4
"""How many waiting tickets an event lists in `queue_head` (near_turn SMS needs ≤ 3 ahead)."""


class Envelope(TypedDict):
    """The fields every ticket event carries about its ticket."""

    event_id: UUID
    occurred_at: datetime
    site_id: str
    site_name: str
    ticket_id: UUID
    ticket_number: str
    service_id: str
    service_name: str
    agency_id: str
    agency_name: str


def envelope(row: Ticket) -> Envelope:
    return {
        "event_id": uuid.uuid4(),
        "occurred_at": datetime.now().astimezone(),  # restamped at commit by the outbox
        "site_id": row["site_id"],
        "site_name": row["site_name"],
        "ticket_id": row["id"],
        "ticket_number": row["number"],
        "service_id": row["service_id"],
        "service_name": row["service_name"],
        "agency_id": row["agency_id"],
        "agency_name": row["agency_name"],
    }


def _call_key(t: Head) -> tuple[int, datetime, UUID]:
    """A waiting ticket's place in call order (as `lines.queue_figures` orders them)."""
    return rules.call_key(t["priority"], t["queued_at"], t["id"])


def _before_call(figures: QueueFigures, called: Ticket) -> QueueFigures:
    """The queue as it was just before `called` was called: it waited in its place."""
    sid = called["service_id"]
    if sid not in figures:
        return figures
    n, heads = figures[sid]
    waited = Head(
        id=called["id"],
        number=called["number"],
        priority=called["priority"],
        queued_at=called["queued_at"],
    )
    return {**figures, sid: (n + 1, sorted([*heads, waited], key=_call_key)[:NEAR_HEAD])}


def _touched(event: AnyEvent) -> list[str]:
    touched = [event.service_id]
    if isinstance(event, ServiceCompleted) and event.transferred_to_service_id:
        touched.append(event.transferred_to_service_id)
    return touched


def _figures_update(figures: QueueFigures, touched: list[str]) -> dict[str, object]:
    return {
        "waiting": {sid: figures[sid][0] for sid in touched},
        "queue_head": [
            QueuePosition(ticket_id=t["id"], ticket_number=t["number"], waiting_ahead=ahead)
            for sid in touched
            for ahead, t in enumerate(figures[sid][1])
        ],
    }


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return max(0, round((later - earlier).total_seconds()))


async def completed(
    conn: Connection,
    before: Ticket,
    after: Ticket,
    outcome: Outcome,
    transferred_to: str | None = None,
) -> ServiceCompleted:
    """The event of a ticket leaving a line; `_record` adds the queue figures."""
    end = after["completed_at"] or await sites.database_now(conn)
    return ServiceCompleted(
        **envelope(before),
        counter_id=before["counter_id"],
        outcome=outcome,
        wait_s=_seconds(after["first_called_at"] or end, before["issued_at"]),
        service_s=_seconds(end, before["called_at"]) if before["status"] == "called" else None,
        transferred_to_service_id=transferred_to,
    )


def called_event(row: Ticket) -> TicketCalled:
    """The event of a (re)call; `_record` adds the queue figures."""
    return TicketCalled(
        **envelope(row),
        counter_id=row["counter_id"],
        counter_name=row["counter_name"],
        call_count=row["call_count"],
    )


async def record(
    conn: Connection,
    site_id: str,
    events: list[AnyEvent],
    *,
    ticket: Ticket | None = None,
    called: Ticket | None = None,
) -> list[AnyEvent]:
    """Record the events of a state change, as the transaction's last step.

    The figures an event carries about the queue (waiting counts, the head of the line, a new
    ticket's place) are computed AFTER taking the site's sequence lock: computed before
    it, a concurrent change of the same service that commits first would be missing from
    them, and the board (which keeps the figures of the highest sequence) would stay wrong.
    They are read in one trip for all the events.

    `ticket`: the row of a ticket-issued event's ticket (read again if not given).
    `called`: the ticket call-next called in this transaction after the changes of the
    events before its ticket-called event; those events carry the queue as it was just
    before the call (the called ticket still waiting in its place)."""
    if not events:
        return []
    sequence = await lock_site_sequence(conn, site_id)
    touched: list[str] = []
    for event in events:
        if isinstance(event, TicketCalled | ServiceCompleted):
            touched.extend(sid for sid in _touched(event) if sid not in touched)
    after = await lines.queue_figures(conn, site_id, touched, NEAR_HEAD) if touched else {}
    before = _before_call(after, called) if called is not None else after
    fresh: list[AnyEvent] = []
    for event in events:
        update: dict[str, object]
        if isinstance(event, TicketIssued):
            row = ticket if ticket is not None else await reload(conn, event.ticket_id)
            standing = await lines.ticket_standing(conn, row)
            update = {
                "waiting": {event.service_id: standing["waiting"]},
                "waiting_ahead": standing["ahead"],
                "estimated_wait_s": estimated_wait_s(row, standing),
            }
        elif isinstance(event, TicketCalled):
            update = _figures_update(after, _touched(event))
        else:
            update = _figures_update(before, _touched(event))
        fresh.append(event.model_copy(update=update))
    return await record_events(conn, site_id, fresh, sequence)
