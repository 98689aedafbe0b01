"""What each event means for the citizens who left a phone number.

`handle_event` runs one event in ONE transaction: it records the event id (a
duplicate changes nothing), keeps the contact, and queues the SMS to send. The
sender delivers them later; nothing here talks to a gateway.
"""

from __future__ import annotations

from uuid import UUID

from services.notifier import messages, repository
from services.notifier.repository import Connection, Contact
from shared.events import AnyEvent, QueuePosition, ServiceCompleted, TicketCalled, TicketIssued

NEAR_TURN_AHEAD = 3
"""near_turn goes when this many tickets, or fewer, wait ahead."""


async def handle_event(conn: Connection, event: AnyEvent, base_url: str) -> int | None:
    """Apply one event; the number of SMS queued, or None when it was a duplicate."""
    async with conn.transaction():
        if not await repository.mark_processed(conn, event.event_id):
            return None
        if isinstance(event, TicketIssued):
            queued = await on_ticket_issued(conn, event, base_url)
        elif isinstance(event, TicketCalled):
            queued = await on_ticket_called(conn, event)
        else:
            queued = await on_service_completed(conn, event, base_url)
        if queued:
            await repository.wake_senders(conn)
        return queued


async def on_ticket_issued(conn: Connection, event: TicketIssued, base_url: str) -> int:
    if event.contact is None:
        return 0
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
    text = messages.issued_text(
        site_name=event.site_name,
        ticket_number=event.ticket_number,
        service_name=event.service_name,
        waiting_ahead=event.waiting_ahead,
        estimated_wait_s=event.estimated_wait_s,
        link=messages.tracking_url(base_url, event.ticket_id),
    )
    queued = int(
        await repository.queue_message(
            conn, event_id=event.event_id, kind="issued", contact=contact, text=text
        )
    )
    # The ticket may already have been seen near the head of its queue: the three topics
    # are separate partitions, so a ticket-called can be consumed before this event.
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
    return queued


async def on_ticket_called(conn: Connection, event: TicketCalled) -> int:
    queued = 0
    contact = await repository.contact_of(conn, event.ticket_id)
    if contact is not None:
        await repository.mark_called(conn, event.ticket_id)
        text = messages.called_text(
            site_name=event.site_name,
            ticket_number=event.ticket_number,
            counter_name=event.counter_name,
            call_count=event.call_count,
        )
        queued += await repository.queue_message(
            conn, event_id=event.event_id, kind="called", contact=contact, text=text
        )
    else:
        await repository.take_early_near_turn(conn, event.ticket_id)  # called: moot now
    return queued + await _near_turns(conn, event.queue_head, called=event.ticket_id)


async def on_service_completed(conn: Connection, event: ServiceCompleted, base_url: str) -> int:
    queued = 0
    if event.outcome == "served":
        contact = await repository.contact_of(conn, event.ticket_id)
        if contact is not None:
            text = messages.survey_text(
                site_name=event.site_name,
                service_name=event.service_name,
                link=messages.survey_url(base_url, event.ticket_id),
            )
            queued += await repository.queue_message(
                conn, event_id=event.event_id, kind="survey", contact=contact, text=text
            )
    elif event.outcome == "transferred":
        # It waits again, in the target service: near_turn may still come (once per ticket).
        await repository.mark_called(conn, event.ticket_id, called=False)
    return queued + await _near_turns(conn, event.queue_head, called=None)


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
    text = messages.near_turn_text(
        site_name=contact.site_name,
        ticket_number=position.ticket_number,
        waiting_ahead=position.waiting_ahead,
    )
    return int(
        await repository.queue_message(
            conn, event_id=contact.issued_event_id, kind="near_turn", contact=contact, text=text
        )
    )
