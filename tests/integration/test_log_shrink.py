"""A broker that comes back with a new, shorter log faster than any ping notices (the
embedded broker's nightly rotation): consumers that stood beyond its new end read it from
the beginning instead of skipping its first records (shared/kafka.py, LogShrinkWatch). Real
Tansu, restarted on its port."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from scripts.embedded_infra import BrokerWatch, create_topics
from shared.embedded import EmbeddedBroker, free_port
from shared.kafka import LogShrinkWatch

TOPIC = "ticket-called"


async def produce(bootstrap: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for v in values:
            await producer.send_and_wait(TOPIC, v, partition=0)
    finally:
        await producer.stop()


async def drain(
    consumer: AIOKafkaConsumer, seconds: float, watch: LogShrinkWatch | None
) -> list[bytes]:
    got: list[bytes] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        batch = await consumer.getmany(timeout_ms=200)
        got += [r.value for records in batch.values() for r in records if r.value is not None]
        if watch is not None:
            watch.check([consumer])
    return got


def test_a_consumer_beyond_a_new_logs_end_reads_it_from_the_start(tmp_path: Path) -> None:
    broker = EmbeddedBroker(free_port(), log_path=tmp_path / "tansu.log").start()
    bootstrap = broker.bootstrap_servers

    async def scenario() -> tuple[list[bytes], list[bytes], list[bytes]]:
        await produce(bootstrap, [b"yesterday-%d" % i for i in range(30)])
        tp = TopicPartition(TOPIC, 0)
        watched = AIOKafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=100)
        unwatched = AIOKafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=100)
        for c in (watched, unwatched):
            await c.start()
            c.assign([tp])
            c.seek(tp, 0)
        watch = LogShrinkWatch(confirm_s=0.5)
        try:
            before = await drain(watched, 2.0, watch)
            await drain(unwatched, 2.0, None)
            # the nightly rotation: the same port, an empty log, the topics again
            await asyncio.to_thread(
                BrokerWatch(broker, lambda: create_topics(bootstrap, 1)).restart
            )
            await produce(bootstrap, [b"today-%d" % i for i in range(5)])
            after, missed = await asyncio.gather(
                drain(watched, 6.0, watch), drain(unwatched, 6.0, None)
            )
        finally:
            await watched.stop()
            await unwatched.stop()
        return before, after, missed

    try:
        create_topics(bootstrap, 1)
        before, after, missed = asyncio.run(scenario())
    finally:
        broker.stop()
    assert len(before) == 30
    assert after == [b"today-%d" % i for i in range(5)]
    # the control: a consumer left at offset 30 waits for a 31st record of the new log
    assert missed == []
