"""The Kafka side: two subscribers, each ASSIGNED its partitions (no consumer group):

- the three ticket topics, with a handler per topic (one consumer and one fetch for the
  three, as before the handlers were typed);
- `phone-verification-requested`, its own consumer: a code's SMS must not wait behind a
  backlog of ticket events;
- `appointment-booked`, its own consumer too: the booking page tells the citizen the code
  is on its way by SMS.

No group, so no join: on the embedded broker every join took ~5 s and, after a kill -9,
the dead member was waited out, so a restarted notifier sent nothing for 10 s or more.
Where each partition was read up to lives in the notifier's schema (offsets.py), written
in the transaction that applies the record (exactly-once ingest: a record's SMS rows and
its offset commit together), and `seek_to_stored` puts the consumers there on start.
Several notifiers share the topics by NOTIFIER_REPLICAS / NOTIFIER_REPLICA: replica r
reads the partitions p with p % replicas == r.

A transient failure (database down) rolls the record's transaction back and the record
is read again after a back-off (Consumption(rewind_failed=True)), never skipped. A record
that cannot be parsed goes to `<topic>.dlq` and the consumer goes on. Both in
shared/consuming.py, which also counts every outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg
from aiokafka import TopicPartition as KafkaPartition
from asyncpg.pool import PoolAcquireContext
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TopicPartition

from services.notifier.appointments import handle_appointment
from services.notifier.metrics import SMS_SKIPPED
from services.notifier.notifications import handle_event
from services.notifier.offsets import Position
from services.notifier.settings import NotifierSettings
from services.notifier.site_rules import SiteRules
from services.notifier.verification import handle_verification
from shared import topics
from shared.consuming import decode_event, from_topic
from shared.events import (
    AnyEvent,
    AppointmentBooked,
    PhoneVerificationRequested,
    ServiceCompleted,
    TicketCalled,
    TicketIssued,
)
from shared.kafka import ConsumedMessage, running_consumers

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

    async def on_event(self, event: AnyEvent, position: Position | None = None) -> str:
        """Apply a ticket event (and store its `position` as read) in one transaction:
        `handled`, or `duplicate`."""
        async with self._connection() as conn:
            handled = await handle_event(
                conn,
                event,
                self.settings.public_base_url,
                self.settings.token_secret,
                cap_of=self.site_rules.cap_of,
                position=position,
            )
        if handled is None:
            log.debug("duplicate %s %s dropped", event.topic, event.event_id)
            return "duplicate"
        if handled.skipped:
            SMS_SKIPPED.labels("issued", "issued_cap").inc(handled.skipped)
        return "handled"

    async def on_verification(
        self, event: PhoneVerificationRequested, position: Position | None = None
    ) -> str:
        """Queue a one-time code's SMS (and store its `position` as read) in one
        transaction: `handled`, or `duplicate`."""
        async with self._connection() as conn:
            queued = await handle_verification(conn, event, position)
        return "duplicate" if queued is None else "handled"

    async def on_appointment(
        self, event: AppointmentBooked, position: Position | None = None
    ) -> str:
        """Queue a booking's `appointment` SMS (and store its `position` as read) in one
        transaction: `handled`, or `duplicate`."""
        async with self._connection() as conn:
            queued = await handle_appointment(conn, event, position)
        return "duplicate" if queued is None else "handled"


def position_of(message: ConsumedMessage) -> Position:
    """The consumed record's topic, partition and offset."""
    raw = message.raw_message
    if isinstance(raw, tuple):  # a batch: these subscribers take one record at a time
        raise TypeError("one record expected, got a batch")
    return Position(raw.topic, raw.partition, raw.offset)


def assignment(settings: NotifierSettings, *names: str) -> list[TopicPartition]:
    """This notifier's partitions of `names` (NOTIFIER_REPLICAS / NOTIFIER_REPLICA)."""
    return [
        TopicPartition(name, p, declare=False)  # connect_kafka creates the topics
        for name in names
        for p in settings.assigned_partitions()
    ]


def subscribe(broker: KafkaBroker, notifications: Notifications) -> None:
    settings = notifications.settings
    ticket_events = broker.subscriber(
        partitions=assignment(settings, *topics.EVENT_TOPICS),
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK_FIRST,  # no group to commit to; failures: rewind_failed
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        decoder=decode_event,
        no_reply=True,
        title="notifications",  # its AsyncAPI channels: notifications:<topic>
    )

    @ticket_events(filter=from_topic(topics.TICKET_ISSUED))
    async def on_ticket_issued(event: TicketIssued, message: ConsumedMessage) -> str:
        """Keep the contact, queue the `issued` SMS (within the phone's daily cap)."""
        return await notifications.on_event(event, position_of(message))

    @ticket_events(filter=from_topic(topics.TICKET_CALLED))
    async def on_ticket_called(event: TicketCalled, message: ConsumedMessage) -> str:
        """Queue `called` for the ticket, `near_turn` for those close behind it."""
        return await notifications.on_event(event, position_of(message))

    @ticket_events(filter=from_topic(topics.SERVICE_COMPLETED))
    async def on_service_completed(event: ServiceCompleted, message: ConsumedMessage) -> str:
        """Queue the survey for a served visit, `near_turn` for those next."""
        return await notifications.on_event(event, position_of(message))

    @broker.subscriber(
        partitions=assignment(settings, topics.PHONE_VERIFICATION_REQUESTED),
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK_FIRST,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        decoder=decode_event,
        no_reply=True,
    )
    async def on_phone_verification_requested(
        event: PhoneVerificationRequested, message: ConsumedMessage
    ) -> str:
        """Queue the one-time code's `verification` SMS."""
        return await notifications.on_verification(event, position_of(message))

    @broker.subscriber(
        partitions=assignment(settings, topics.APPOINTMENT_BOOKED),
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK_FIRST,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        decoder=decode_event,
        no_reply=True,
    )
    async def on_appointment_booked(event: AppointmentBooked, message: ConsumedMessage) -> str:
        """Queue the booking's `appointment` SMS: code, slot, check-in window, cancel link."""
        return await notifications.on_appointment(event, position_of(message))


async def seek_to_stored(broker: KafkaBroker, nexts: dict[tuple[str, int], int]) -> None:
    """Put every assigned partition at its stored offset (`nexts`, read before the broker
    started), or at 0 when none is stored or it lies beyond the partition's end (the
    embedded broker came back with a new, shorter log: reading it whole, duplicates are
    dropped by event_id).

    Every consumer is put at its stored offsets at once, before any await: each await let
    the consumers not yet seeked fetch on from offset 0 (earliest), and with three of them
    the last one read a backlog of old records before its turn. Those read before this seek
    came from offset 0 onwards, so they were all read before: dropped as duplicates, never
    skipped. Then the partitions' ends are checked."""
    consumers = list(running_consumers(broker))
    for consumer in consumers:
        for tp in consumer.assignment():
            consumer.seek(tp, nexts.get((tp.topic, tp.partition), 0))
    for consumer in consumers:
        partitions: list[KafkaPartition] = list(consumer.assignment())
        try:
            ends: dict[KafkaPartition, int] = await consumer.end_offsets(partitions)
        except Exception as exc:  # unknown ends: read from the beginning, safely
            log.warning("cannot read the partitions' ends (%r): reading them from 0", exc)
            ends = {}
        for tp in partitions:
            stored = nexts.get((tp.topic, tp.partition), 0)
            end = ends.get(tp)
            offset = stored if end is not None and stored <= end else 0
            if offset != stored:
                consumer.seek(tp, offset)
            log.info("%s[%d] read from offset %d", tp.topic, tp.partition, offset)
