"""One-time codes for online booking: consume `phone-verification-requested` (the notifier's
own consumer group), queue one `verification` SMS per event, in one transaction; the sender
delivers it like every other SMS."""

from __future__ import annotations

import math

from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from services.notifier import messages, repository
from services.notifier.consumer import ConsumerState
from services.notifier.repository import Connection, Contact
from services.notifier.settings import NotifierSettings
from shared import topics
from shared.events import PhoneVerificationRequested, UnprocessableMessage, parse_verification
from shared.kafka import GROUP_REBALANCE_TIMEOUT_MS, ConsumedMessage, send_to_dead_letters


async def handle_verification(conn: Connection, event: PhoneVerificationRequested) -> int | None:
    """Queue the code's SMS; None when the event was a duplicate."""
    async with conn.transaction():
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
            conn, event_id=event.event_id, kind="verification", contact=recipient, text=text
        )
        if queued:
            await repository.wake_senders(conn)
        return int(queued)


def subscribe_verifications(
    broker: KafkaBroker, settings: NotifierSettings, state: ConsumerState
) -> None:
    @broker.subscriber(
        topics.PHONE_VERIFICATION_REQUESTED,
        group_id=f"{settings.notifier_group_id}-verification",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        rebalance_timeout_ms=GROUP_REBALANCE_TIMEOUT_MS,
    )
    async def on_phone_verification_requested(msg: ConsumedMessage) -> None:
        try:
            event = parse_verification(msg.body)
        except UnprocessableMessage as exc:
            await send_to_dead_letters(broker, msg, exc.reason)
            state.dead_lettered += 1
            return
        if state.pool is None:
            raise RuntimeError("database pool not ready")
        async with state.pool.acquire() as conn:
            queued = await handle_verification(conn, event)
        if queued is None:
            state.duplicates += 1
        else:
            state.handled += 1
