"""The Kafka side: one subscriber on the three topics, consumer group "notifier".

Offsets are committed only after the event's transaction commits
(AckPolicy.NACK_ON_ERROR): a transient failure (database down) is redelivered,
never skipped. Unprocessable messages go to `<topic>.dlq` and the consumer goes on.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import asyncpg
from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from services.notifier.metrics import SMS_SKIPPED
from services.notifier.notifications import handle_event
from services.notifier.settings import NotifierSettings
from services.notifier.site_rules import SiteRules
from shared import topics
from shared.events import UnprocessableMessage, parse_event
from shared.kafka import GROUP_REBALANCE_TIMEOUT_MS, ConsumedMessage, send_to_dead_letters
from shared.metrics import count_event

log = logging.getLogger("notifier.consumer")


@dataclass
class ConsumerState:
    """What the handler needs that only exists once the app has started."""

    pool: asyncpg.Pool | None = None
    site_rules: SiteRules | None = None
    consecutive_failures: int = 0
    handled: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    last_error: str | None = field(default=None)


def subscribe(broker: KafkaBroker, settings: NotifierSettings, state: ConsumerState) -> None:
    @broker.subscriber(
        *topics.EVENT_TOPICS,
        group_id=settings.notifier_group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        rebalance_timeout_ms=GROUP_REBALANCE_TIMEOUT_MS,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
    )
    async def on_event(msg: ConsumedMessage) -> None:
        topic = str(getattr(msg.raw_message, "topic", ""))
        try:
            event = parse_event(msg.body, topic)
        except UnprocessableMessage as exc:
            await send_to_dead_letters(broker, msg, exc.reason, "notifier")
            state.dead_lettered += 1
            count_event("notifier", topic, "dead_lettered")
            return
        try:
            if state.pool is None or state.site_rules is None:
                raise RuntimeError("database pool not ready")
            async with state.pool.acquire() as conn:
                handled = await handle_event(
                    conn,
                    event,
                    settings.public_base_url,
                    settings.token_secret,
                    cap_of=state.site_rules.cap_of,
                )
        except Exception as exc:
            # Redelivered after the nack; wait first so a database outage does not spin.
            state.consecutive_failures += 1
            state.last_error = f"{type(exc).__name__}: {exc}"
            count_event("notifier", topic, "failed")
            delay = min(0.2 * 2 ** (state.consecutive_failures - 1), 10.0)
            log.warning(
                "cannot handle %s %s (%s); redelivering in %.1fs",
                topic,
                event.event_id,
                state.last_error,
                delay,
            )
            await asyncio.sleep(delay)
            raise
        state.consecutive_failures = 0
        if handled is None:
            state.duplicates += 1
            count_event("notifier", topic, "duplicate")
            log.debug("duplicate %s %s dropped", topic, event.event_id)
        else:
            state.handled += 1
            count_event("notifier", topic, "handled")
            if handled.skipped:
                SMS_SKIPPED.labels("issued", "issued_cap").inc(handled.skipped)
