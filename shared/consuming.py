"""How every consumer here reads its topics: one decoder and one middleware around typed
handlers, so a handler holds only what an event means to its service.

    record ─ decode_event ─ ConsumptionMiddleware ─ on_<topic>(event: <its model>) -> outcome

- `decode_event` (the subscribers' FastStream decoder): the size check, then the topic's
  model from shared/events.py; anything else raises UnprocessableMessage. The handler's
  argument is that model, so FastStream documents each payload in /asyncapi.json itself.
- `ConsumptionMiddleware` (one per service, the innermost of its broker's middlewares:
  FastStream's traces and metrics wrap it): decodes first; a record that does not decode
  goes to `<topic>.dlq` with the reason in `x-dlq-reason` and the consumer goes on. While
  the handler runs, the event's `event_id` / `ticket_id` are the log context and
  attributes of the consumer span. The handler's outcome (`handled`, `duplicate`, …) is
  counted in mpp_events_consumed_total and in the service's `Consumption`, and logged at
  DEBUG, one line an event (FastStream's own Received/Processed pair is dropped). A failure
  is counted too, then the record is read again if the subscriber's ack policy is
  NACK_ON_ERROR (wait first with a growing back-off: a database outage must not spin;
  then raise, and FastStream seeks back) or the Consumption was made with
  `rewind_failed=True` (consumers without a group, which have nothing to commit or nack:
  the same back-off, then the consumer is put back at the record); otherwise log and go
  on.

Handlers drop duplicates by `event_id` themselves (the board by its seen ids, the notifier
in the event's transaction) and say so in their outcome.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from enum import Enum
from functools import partial
from typing import Any

from aiokafka import TopicPartition
from faststream import AckPolicy, BaseMiddleware
from faststream._internal.context.repository import ContextRepo
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from opentelemetry import trace

from shared import topics
from shared.events import (
    AnyEvent,
    AppointmentBooked,
    PhoneVerificationRequested,
    SiteStatusChanged,
    UnprocessableMessage,
    parse_appointment,
    parse_event,
    parse_status,
    parse_verification,
)
from shared.kafka import send_to_dead_letters
from shared.logcontext import log_context
from shared.metrics import count_event
from shared.tracecontext import event_ids

ConsumedEvent = AnyEvent | PhoneVerificationRequested | SiteStatusChanged | AppointmentBooked

MAX_BACKOFF_S = 10.0


def topic_of(msg: StreamMessage[Any]) -> str:
    """The topic a consumed record came from (its raw message: an aiokafka ConsumerRecord)."""
    topic: str = msg.raw_message.topic
    return topic


def parse_record(topic: str, raw: bytes) -> ConsumedEvent:
    """A record's value as its topic's event model, or UnprocessableMessage saying why."""
    if topic == topics.PHONE_VERIFICATION_REQUESTED:
        return parse_verification(raw)
    if topic == topics.SITE_STATUS_CHANGED:
        return parse_status(raw)
    if topic == topics.APPOINTMENT_BOOKED:
        return parse_appointment(raw)
    return parse_event(raw, topic)


async def decode_event(msg: StreamMessage[Any]) -> ConsumedEvent:
    """The record as its topic's event model (the subscribers' FastStream decoder)."""
    return parse_record(topic_of(msg), msg.body)


def from_topic(topic: str) -> Callable[[StreamMessage[Any]], Awaitable[bool]]:
    """A handler filter: records of `topic` only (one subscriber, one handler a topic)."""

    async def matches(msg: StreamMessage[Any]) -> bool:
        return topic_of(msg) == topic

    matches.__name__ = f"from_{topic}"
    return matches


class Consumption:
    """What one service's consumers did: outcomes counted, and the failures in a row."""

    def __init__(self, service: str, broker: KafkaBroker, *, rewind_failed: bool = False) -> None:
        self.service = service
        self.broker = broker
        self.rewind_failed = rewind_failed
        """A failed record is read again: its consumer is put back at it (after the back-off)."""
        self.outcomes: Counter[str] = Counter()
        self.consecutive_failures = 0
        self.last_error: str | None = None
        self.log = logging.getLogger(f"{service}.consumer")

    def count(self, topic: str, outcome: str) -> None:
        self.outcomes[outcome] += 1
        count_event(self.service, topic, outcome)

    def backoff_s(self) -> float:
        """How long to wait before a failed record is redelivered: 0.2 s, doubling, ≤ 10 s."""
        return min(0.2 * 2.0 ** (self.consecutive_failures - 1), MAX_BACKOFF_S)

    def on_span(self, event_id: Any, ticket_id: Any) -> None:
        """The record's ids (and the service) as attributes of its consumer span, to find a
        ticket's traces; they are also the log context while it is handled."""
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute("mpp.service", self.service)
            if event_id is not None:
                span.set_attribute("mpp.event_id", str(event_id))
            if ticket_id is not None:
                span.set_attribute("mpp.ticket_id", str(ticket_id))

    def install(self) -> None:
        """Run every record of the broker's subscribers through this consumption (call it
        before `instrument`, whose middlewares go outside it; every subscriber of the broker
        decodes with `decode_event`)."""
        self.broker.add_middleware(partial(ConsumptionMiddleware, consumption=self))


def rewind(msg: StreamMessage[Any]) -> None:
    """Put the record's consumer back at the record: its next fetch reads it again
    (aiokafka's seek also drops the records already fetched from that partition)."""
    raw = msg.raw_message
    msg.consumer.seek(TopicPartition(raw.topic, raw.partition), raw.offset)  # type: ignore[attr-defined]


class ConsumptionMiddleware(BaseMiddleware):
    """Decode or dead-letter, count the outcome, back off or go on after a failure."""

    def __init__(self, msg: Any, /, *, context: ContextRepo, consumption: Consumption) -> None:
        super().__init__(msg, context=context)
        self.consumption = consumption

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        consumption = self.consumption
        topic = topic_of(msg)
        try:
            # decoded once: the handler gets this same event
            event: ConsumedEvent = await msg.decode()  # type: ignore[assignment]
        except UnprocessableMessage as exc:
            event_id, ticket_id = event_ids(msg.body)  # what can be read of it
            consumption.on_span(event_id, ticket_id)
            with log_context(event_id=event_id, ticket_id=ticket_id):
                await send_to_dead_letters(consumption.broker, msg, exc.reason, consumption.service)
            consumption.count(topic, "dead_lettered")
            return None
        ticket_id = getattr(event, "ticket_id", None)
        consumption.on_span(event.event_id, ticket_id)
        with log_context(event_id=event.event_id, ticket_id=ticket_id):
            try:
                outcome = await call_next(msg)
            except Exception as exc:
                if await self._failed(msg, topic, event, exc):
                    raise  # the nack: the subscriber reads the record again
                return None
        consumption.consecutive_failures = 0
        said = outcome.value if isinstance(outcome, Enum) else str(outcome)
        consumption.count(topic, said)
        consumption.log.debug("%s %s: %s", topic, event.event_id, said)  # one line an event
        return outcome

    async def _failed(
        self, msg: StreamMessage[Any], topic: str, event: ConsumedEvent, exc: Exception
    ) -> bool:
        """Count the failure. True: the subscriber redelivers the record, after the back-off
        waited here. False: it does not; logged, and the consumer goes on."""
        consumption = self.consumption
        consumption.consecutive_failures += 1
        consumption.last_error = f"{type(exc).__name__}: {exc}"
        consumption.count(topic, "failed")
        subscriber = self.context.get_local("handler_")
        nacks = getattr(subscriber, "ack_policy", None) is AckPolicy.NACK_ON_ERROR
        if nacks or consumption.rewind_failed:
            delay = consumption.backoff_s()
            consumption.log.warning(
                "cannot handle %s %s (%s); redelivering in %.1fs",
                topic,
                event.event_id,
                consumption.last_error,
                delay,
            )
            await asyncio.sleep(delay)
            if nacks:
                return True
            rewind(msg)
            return False
        consumption.log.error(
            "cannot apply %s[%s]@%s",
            topic,
            getattr(msg.raw_message, "partition", "?"),
            getattr(msg.raw_message, "offset", "?"),
            exc_info=exc,
        )
        return False
