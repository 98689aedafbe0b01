"""A week of the embedded broker under `make run`'s nightly rotation (scripts/rotation.py),
with a real Tansu: each simulated day a busy MPP's events go in, each night the rotation
restarts it empty with its topics, and its memory stays flat instead of growing day by day.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from scripts.embedded_infra import BrokerWatch, create_topics
from scripts.rotation import BrokerRotation
from shared import topics
from shared.embedded import EmbeddedBroker, free_port
from shared.sites import load_sites

EVENTS_PER_DAY = 4_000  # ~1,300 tickets: issued, called, completed
PARTITIONS = 3


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def a_days_events(bootstrap: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        body = {"site_id": "tabanan", "service_name": "Perekaman KTP-el " * 8}
        for i in range(EVENTS_PER_DAY):
            topic = topics.EVENT_TOPICS[i % 3]
            value = json.dumps({**body, "event_id": str(uuid.uuid4()), "n": i}).encode()
            await producer.send(topic, value, key=b"tabanan")
        await producer.flush()
    finally:
        await producer.stop()


async def records_held(bootstrap: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in topics.EVENT_TOPICS for p in range(PARTITIONS)]
        return sum((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()


def test_a_week_of_nightly_rotations_keeps_the_broker_flat(tmp_path: Path) -> None:
    broker = EmbeddedBroker(free_port(), log_path=tmp_path / "tansu.log").start()
    bootstrap = broker.bootstrap_servers
    try:
        create_topics(bootstrap, PARTITIONS)
        watch = BrokerWatch(broker, lambda: create_topics(bootstrap, PARTITIONS))
        tabanan = load_sites()["tabanan"].config
        start = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # 02:00 WITA
        now = [start]
        lines: list[str] = []
        rotation = BrokerRotation(lambda: [tabanan], watch.restart, lines.append, lambda: now[0])
        rss_by_day: list[int] = []
        for day in range(7):
            asyncio.run(a_days_events(bootstrap))
            # today only (Tansu's reported log end trails its last batches a little)
            assert EVENTS_PER_DAY * 0.95 <= asyncio.run(records_held(bootstrap)) <= EVENTS_PER_DAY
            assert broker.process is not None
            rss_by_day.append(rss_kib(broker.process.pid))
            pid = broker.process.pid
            now[0] = start + timedelta(days=day, hours=22)  # 00:00 WITA of the next day
            assert rotation.check()
            assert broker.process.pid != pid and watch.alive()
            assert asyncio.run(records_held(bootstrap)) == 0  # a new day, its topics ready
        print(f"broker RSS after each day (KiB): {rss_by_day}")
        assert len(lines) == 7
        # a day's log costs the same every day: no growth across the week
        assert max(rss_by_day) < min(rss_by_day) * 1.25, rss_by_day
    finally:
        broker.stop()
