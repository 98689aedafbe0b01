"""Kafka plumbing shared by the services: broker, topics, dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker, KafkaMessage

from shared import topics
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


def new_broker(settings: ServiceSettings, client_id: str) -> KafkaBroker:
    """A FastStream broker configured from the settings (idempotence only on real Kafka)."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        enable_idempotence=settings.kafka_enable_idempotence,
        acks="all",
        logger=logging.getLogger(f"{client_id}.kafka"),
        graceful_timeout=10.0,
    )


async def ensure_topics(
    bootstrap_servers: str,
    partitions: int = 3,
    names: Iterable[str] = topics.ALL_TOPICS,
    replication_factor: int = 1,
) -> None:
    """Create the event topics and their dead-letter topics if they do not exist yet."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            # another process may create one between list and create
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(n, partitions, replication_factor) for n in missing]
                )
            log.info("created topics %s", ", ".join(missing))
    finally:
        await admin.close()


async def start_broker(broker: KafkaBroker, what: str, stop: asyncio.Event) -> None:
    """Start the broker, retrying with backoff until it connects or `stop` is set.

    Runs as a background task so HTTP (and /health, which then says 503) is up
    while Kafka is still unreachable.
    """
    delay = 0.5
    while not stop.is_set():
        try:
            await broker.start()
            log.info("%s connected to Kafka", what)
            return
        except Exception as exc:
            log.warning("%s cannot reach Kafka (%s); retrying in %.1fs", what, exc, delay)
            with contextlib.suppress(Exception):
                await broker.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, 10.0)


async def send_to_dead_letters(broker: KafkaBroker, msg: KafkaMessage, reason: str) -> None:
    """Publish an unprocessable message, unchanged, to `<topic>.dlq` with the reason."""
    raw = msg.raw_message
    topic = str(getattr(raw, "topic", ""))
    headers = {
        topics.DLQ_REASON_HEADER: reason[:1000],
        "x-original-topic": topic,
        "x-original-partition": str(getattr(raw, "partition", "")),
        "x-original-offset": str(getattr(raw, "offset", "")),
    }
    key = getattr(raw, "key", None)
    await broker.publish(msg.body, topics.dlq_topic(topic), key=key, headers=headers)
    log.warning(
        "dead-lettered %s[%s]@%s: %s",
        topic,
        headers["x-original-partition"],
        headers["x-original-offset"],
        reason,
    )
