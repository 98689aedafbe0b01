"""The Kafka side: two subscribers, each reading from the earliest offset its group has not
committed yet.

- the three ticket topics, consumer group "notifier", with a handler per topic (one
  consumer and one fetch for the three, as before the handlers were typed);
- `phone-verification-requested`, its own group ("notifier-verification"): a code's SMS
  must not wait behind a backlog of ticket events.

Offsets are committed only after the event's transaction commits
(AckPolicy.NACK_ON_ERROR): a transient failure (database down) is redelivered after a
back-off, never skipped. A record that cannot be parsed goes to `<topic>.dlq` and the
consumer goes on. Both in shared/consuming.py, which also counts every outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg
from asyncpg.pool import PoolAcquireContext
from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from services.notifier.metrics import SMS_SKIPPED
from services.notifier.notifications import handle_event
from services.notifier.settings import NotifierSettings
from services.notifier.site_rules import SiteRules
from services.notifier.verification import handle_verification
from shared import topics
from shared.consuming import decode_event, from_topic
from shared.events import (
    AnyEvent,
    PhoneVerificationRequested,
    ServiceCompleted,
    TicketCalled,
    TicketIssued,
)
from shared.kafka import GROUP_REBALANCE_TIMEOUT_MS

log = logging.getLogger("notifier.consumer")


@dataclass
class Notifications:
    """What the handlers depend on; the pool exists once the app has started."""

    settings: NotifierSettings
    site_rules: SiteRules
    pool: asyncpg.Pool | None = None

    def _connection(self) -> PoolAcquireContext:
        if self.pool is None:
            raise RuntimeError("database pool not ready")
        return self.pool.acquire()

    async def on_event(self, event: AnyEvent) -> str:
        """Apply a ticket event in one transaction: `handled`, or `duplicate`."""
        async with self._connection() as conn:
            handled = await handle_event(
                conn,
                event,
                self.settings.public_base_url,
                self.settings.token_secret,
                cap_of=self.site_rules.cap_of,
            )
        if handled is None:
            log.debug("duplicate %s %s dropped", event.topic, event.event_id)
            return "duplicate"
        if handled.skipped:
            SMS_SKIPPED.labels("issued", "issued_cap").inc(handled.skipped)
        return "handled"

    async def on_verification(self, event: PhoneVerificationRequested) -> str:
        """Queue a one-time code's SMS in one transaction: `handled`, or `duplicate`."""
        async with self._connection() as conn:
            queued = await handle_verification(conn, event)
        return "duplicate" if queued is None else "handled"


def subscribe(broker: KafkaBroker, notifications: Notifications) -> None:
    settings = notifications.settings
    ticket_events = broker.subscriber(
        *topics.EVENT_TOPICS,
        group_id=settings.notifier_group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        rebalance_timeout_ms=GROUP_REBALANCE_TIMEOUT_MS,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        decoder=decode_event,
        no_reply=True,
        title="notifications",  # its AsyncAPI channels: notifications:<topic>
    )

    @ticket_events(filter=from_topic(topics.TICKET_ISSUED))
    async def on_ticket_issued(event: TicketIssued) -> str:
        """Keep the contact, queue the `issued` SMS (within the phone's daily cap)."""
        return await notifications.on_event(event)

    @ticket_events(filter=from_topic(topics.TICKET_CALLED))
    async def on_ticket_called(event: TicketCalled) -> str:
        """Queue `called` for the ticket, `near_turn` for those close behind it."""
        return await notifications.on_event(event)

    @ticket_events(filter=from_topic(topics.SERVICE_COMPLETED))
    async def on_service_completed(event: ServiceCompleted) -> str:
        """Queue the survey for a served visit, `near_turn` for those next."""
        return await notifications.on_event(event)

    @broker.subscriber(
        topics.PHONE_VERIFICATION_REQUESTED,
        group_id=f"{settings.notifier_group_id}-verification",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        rebalance_timeout_ms=GROUP_REBALANCE_TIMEOUT_MS,
        decoder=decode_event,
        no_reply=True,
    )
    async def on_phone_verification_requested(event: PhoneVerificationRequested) -> str:
        """Queue the one-time code's `verification` SMS."""
        return await notifications.on_verification(event)
