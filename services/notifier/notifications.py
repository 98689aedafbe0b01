"""What each event means for the citizens who left a phone number.

`handle_event` runs one event in ONE transaction: it records the event id (a
duplicate changes nothing), keeps the contact, and queues the SMS to send. The
sender delivers them later; nothing here talks to a gateway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from services.notifier import messages, offsets, repository
from services.notifier.channels import templates
from services.notifier.offsets import Position
from services.notifier.repository import Connection, Contact
from services.notifier.site_rules import MessageCap
from shared.events import AnyEvent, QueuePosition, ServiceCompleted, TicketCalled, TicketIssued

NEAR_TURN_AHEAD = 3
"""near_turn goes when this many tickets, or fewer, wait ahead."""

CapOf = Callable[[str], MessageCap]
"""A site id → its cap on `issued` SMS (services.notifier.site_rules.SiteRules.cap_of)."""


@dataclass(frozen=True)
class Handled:
    queued: int
    """SMS queued to send."""
    skipped: int = 0
    """`issued` SMS recorded as not sent: the phone reached the site's daily cap."""


async def handle_event(
    conn: Connection,
    event: AnyEvent,
    base_url: str,
    link_secret: str | None = None,
    *,
    cap_of: CapOf,
    position: Position | None = None,
) -> Handled | None:
    """Apply one event; what it queued, or None when it was a duplicate. `position`, the
    record's place in its partition, is stored as read in the same transaction."""
    async with conn.transaction():
        if position is not None:
            await offsets.store(conn, position)
        if not await repository.mark_processed(conn, event.event_id):
            return None
        if isinstance(event, TicketIssued):
            handled = await on_ticket_issued(conn, event, base_url, cap_of(event.site_id))
        elif isinstance(event, TicketCalled):
            handled = Handled(await on_ticket_called(conn, event))
        else:
            handled = Handled(await on_service_completed(conn, event, base_url, link_secret))
        if handled.queued:
            await repository.wake_senders(conn)
        return handled


def cap_reached_reason(cap: int) -> str:
    """Why an `issued` SMS was not sent, as staff read it in the message history."""
    return f"tidak dikirim: nomor ini sudah menerima {cap} SMS nomor antrean hari ini di situs ini"


async def on_ticket_issued(
    conn: Connection, event: TicketIssued, base_url: str, cap: MessageCap
) -> Handled:
    if event.contact is None:
        return Handled(0)
    contact = Contact(
        ticket_id=event.ticket_id,
        site_id=event.site_id,
        site_name=event.site_name,
        phone=event.contact.phone,
        ticket_number=event.ticket_number,
        service_name=event.service_name,
        issued_event_id=event.event_id,
    )
    await repository.add_contact(conn, contact)
    queued, skipped = await _issued(conn, event, contact, base_url, cap)
    # The three topics are separate partitions, so this ticket's own calls (or even its
    # completion) and sightings near the head of its queue may have been consumed first.
    for early in await repository.take_early_events(conn, event.ticket_id):
        if isinstance(early, TicketCalled | ServiceCompleted):
            queued += await _own_ticket(conn, early, base_url)
    early_ahead = await repository.take_early_near_turn(conn, event.ticket_id)
    if early_ahead is not None:
        queued += await _near_turn(
            conn,
            QueuePosition(
                ticket_id=event.ticket_id,
                ticket_number=event.ticket_number,
                waiting_ahead=early_ahead,
            ),
        )
    return Handled(queued, skipped)


async def _issued(
    conn: Connection, event: TicketIssued, contact: Contact, base_url: str, cap: MessageCap
) -> tuple[int, int]:
    """Record the ticket's `issued` SMS: queued, or skipped past the phone's daily cap
    (counted in this transaction). (queued, skipped)."""
    fields: dict[str, Any] = {
        "site_name": event.site_name,
        "ticket_number": event.ticket_number,
        "service_name": event.service_name,
        "waiting_ahead": event.waiting_ahead,
        "estimated_wait_s": event.estimated_wait_s,
        "link": messages.tracking_url(base_url, event.ticket_id),
        "quota_runs_out_at": event.quota_runs_out_at,
    }
    text = messages.issued_text(**fields)
    within_cap = await repository.count_issued(
        conn,
        site_id=event.site_id,
        phone=contact.phone,
        day=cap.day_of(event.occurred_at),  # the ticket's day, however late it is consumed
        cap=cap.issued_per_phone_per_day,
    )
    skipped_reason = None
    if not within_cap:
        skipped_reason = cap_reached_reason(cap.issued_per_phone_per_day or 0)
    recorded = await repository.queue_message(
        conn,
        event_id=event.event_id,
        kind="issued",
        contact=contact,
        text=text,
        skipped_reason=skipped_reason,
        template=templates.issued(**fields),
    )
    queued = int(recorded and within_cap)
    skipped = int(recorded and not within_cap)
    return queued, skipped


async def on_ticket_called(conn: Connection, event: TicketCalled) -> int:
    queued = await _own_ticket(conn, event)
    return queued + await _near_turns(conn, event.queue_head, called=event.ticket_id)


async def on_service_completed(
    conn: Connection, event: ServiceCompleted, base_url: str, link_secret: str | None = None
) -> int:
    queued = await _own_ticket(conn, event, base_url, link_secret)
    return queued + await _near_turns(conn, event.queue_head, called=None)


async def _own_ticket(
    conn: Connection,
    event: TicketCalled | ServiceCompleted,
    base_url: str = "",
    link_secret: str | None = None,
) -> int:
    """The SMS this event means for its own ticket's holder: called, or survey when served."""
    if isinstance(event, ServiceCompleted) and event.outcome not in ("served", "transferred"):
        return 0
    contact = await repository.contact_of(conn, event.ticket_id)
    if contact is None:
        # No contact (yet): most tickets have none, but its ticket-issued may still come,
        # from another topic's backlog; it replays this then.
        await repository.keep_early_event(conn, event)
        if isinstance(event, TicketCalled):
            await repository.take_early_near_turn(conn, event.ticket_id)  # moot once called
        return 0
    if isinstance(event, TicketCalled):
        served = await repository.served_at(conn, event.ticket_id)
        if served is not None and event.occurred_at <= served:
            return 0  # consumed after the ticket was served: the call is over, say nothing
        await repository.mark_called(conn, event.ticket_id)
        called: dict[str, Any] = {
            "site_name": event.site_name,
            "ticket_number": event.ticket_number,
            "counter_name": event.counter_name,
            "call_count": event.call_count,
        }
        text = messages.called_text(**called)
        template = templates.called(**called)
        kind = "called"
    elif event.outcome == "served" and event.transferred_to_service_id is None:
        await repository.mark_served(conn, event.ticket_id, event.occurred_at)
        survey = {
            "site_name": event.site_name,
            "service_name": event.service_name,
            "link": messages.survey_url(base_url, event.ticket_id, link_secret),
        }
        text = messages.survey_text(**survey)
        template = templates.survey(**survey)
        kind = "survey"
    else:
        # Transferred, or one step of a multi-service visit served: it waits again, in the
        # next service; the survey waits for the end of the visit, and near_turn may still
        # come there if it has not gone yet (it goes at most once per ticket).
        await repository.mark_called(conn, event.ticket_id, called=False)
        return 0
    return int(
        await repository.queue_message(
            conn, event_id=event.event_id, kind=kind, contact=contact, text=text, template=template
        )
    )


async def _near_turns(
    conn: Connection, queue_head: list[QueuePosition], called: UUID | None
) -> int:
    queued = 0
    for position in queue_head:
        if position.ticket_id == called or position.waiting_ahead > NEAR_TURN_AHEAD:
            continue
        queued += await _near_turn(conn, position)
    return queued


async def _near_turn(conn: Connection, position: QueuePosition) -> int:
    """Queue the ticket's one near_turn SMS, keyed by its ticket-issued event id so
    `(event_id, kind)` is unique per ticket however many events see it near the head."""
    contact = await repository.claim_near_turn(conn, position.ticket_id)
    if contact is None:
        if not await repository.has_contact(conn, position.ticket_id):
            await repository.remember_early_near_turn(
                conn, position.ticket_id, position.waiting_ahead
            )
        return 0
    near: dict[str, Any] = {
        "site_name": contact.site_name,
        "ticket_number": position.ticket_number,
        "waiting_ahead": position.waiting_ahead,
    }
    return int(
        await repository.queue_message(
            conn,
            event_id=contact.issued_event_id,
            kind="near_turn",
            contact=contact,
            text=messages.near_turn_text(**near),
            template=templates.near_turn(**near),
        )
    )
