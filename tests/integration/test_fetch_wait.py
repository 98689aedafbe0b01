"""A consumer far behind fetches with the long wait, and with its own short one once caught
up (shared.kafka.wait_longer_when_behind), on the real broker."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaProducer
from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from shared.kafka import ConsumedMessage, ensure_topics, fetch_wait, wait_longer_when_behind
from tests.chaos.cluster import eventually


async def test_fetch_wait_is_long_while_behind_and_short_once_caught_up(
    kafka_bootstrap: str,
) -> None:
    topic = f"fetch-wait-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_bootstrap, 1, names=[topic])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for i in range(300):  # one record per batch, as the outbox relay publishes at low rates
            await producer.send_and_wait(topic, str(i).encode())
    finally:
        await producer.stop()

    gate = asyncio.Event()
    handled: list[bytes] = []
    broker = KafkaBroker(kafka_bootstrap)

    @broker.subscriber(
        topic,
        group_id=None,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK_FIRST,
        fetch_max_wait_ms=10,
    )
    async def on_record(msg: ConsumedMessage) -> None:
        await gate.wait()  # held: the consumer stays behind until the gate opens
        handled.append(msg.body)

    stop = asyncio.Event()
    await broker.start()
    watch = asyncio.create_task(wait_longer_when_behind(broker, stop, behind=50, every_s=0.05))
    try:
        consumer = broker.subscribers[0].consumer  # type: ignore[attr-defined]

        async def waiting(ms: int) -> bool:
            return fetch_wait(consumer) == ms

        await eventually(lambda: waiting(500), 20, "the long wait while 300 records behind")
        assert handled == []
        gate.set()
        await eventually(lambda: waiting(10), 20, "the configured wait once caught up")
        assert len(handled) >= 250
    finally:
        stop.set()
        await watch
        await broker.stop()
