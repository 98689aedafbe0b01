"""The harness itself: a real broker round-trip and a real database."""

import asyncio
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.kafka import ensure_topics


async def test_broker_round_trip(kafka_topics: str) -> None:
    # a topic of its own: the shared broker's dead-letter topics hold other tests' poison
    topic = f"test-infra-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka_topics, names=[topic])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_topics)
    await producer.start()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_topics,
        group_id="test-infra",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        await producer.send_and_wait(topic, b"ping", key=b"infra")
        got = await asyncio.wait_for(consumer.getone(), 10)
        assert got.value == b"ping"
    finally:
        await consumer.stop()
        await producer.stop()


async def test_fresh_database(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        assert (
            await conn.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname='ticketing'") == 0
        )
    finally:
        await conn.close()
