"""One-time codes for online booking: each `phone-verification-requested` (read from its own
partitions, services/notifier/consumer.py) queues one `verification`
SMS, in one transaction; the sender delivers it like every other SMS."""

from __future__ import annotations

import math

from services.notifier import messages, offsets, repository
from services.notifier.channels import templates
from services.notifier.offsets import Position
from services.notifier.repository import Connection, Contact
from shared.events import PhoneVerificationRequested


async def handle_verification(
    conn: Connection, event: PhoneVerificationRequested, position: Position | None = None
) -> int | None:
    """Queue the code's SMS; None when the event was a duplicate. `position`, the record's
    place in its partition, is stored as read in the same transaction."""
    async with conn.transaction():
        if position is not None:
            await offsets.store(conn, position)
        if not await repository.mark_processed(conn, event.event_id):
            return None
        minutes = max(1, math.ceil((event.expires_at - event.occurred_at).total_seconds() / 60))
        recipient = Contact(
            ticket_id=event.verification_id,  # no ticket yet: the verification stands in
            site_id=event.site_id,
            site_name=event.site_name,
            phone=event.phone,
            ticket_number="-",
            service_name="-",
            issued_event_id=event.event_id,
        )
        text = messages.verification_text(
            site_name=event.site_name, code=event.code, valid_minutes=minutes
        )
        queued = await repository.queue_message(
            conn,
            event_id=event.event_id,
            kind="verification",
            contact=recipient,
            text=text,
            template=templates.verification(code=event.code),  # authentication, copy-code
        )
        if queued:
            await repository.wake_senders(conn)
        return int(queued)
