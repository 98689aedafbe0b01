"""connect_kafka, every service's start-up task: the topics are ensured (retried while
Kafka does not answer) before the broker starts, and a stop ends the retrying."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from shared import kafka
from shared.settings import ServiceSettings


class FakeBroker:
    def __init__(self) -> None:
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1

    async def stop(self) -> None:
        pass


async def test_retries_the_topics_then_starts_the_broker(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[tuple[str, int]] = []

    async def ensure_topics(bootstrap_servers: str, partitions: int) -> None:
        calls.append((bootstrap_servers, partitions))
        if len(calls) == 1:
            raise ConnectionError("no broker yet")

    monkeypatch.setattr(kafka, "ensure_topics", ensure_topics)
    broker = FakeBroker()
    with caplog.at_level(logging.WARNING, logger="svc"):
        await kafka.connect_kafka(
            broker,  # type: ignore[arg-type]
            "svc",
            asyncio.Event(),
            ServiceSettings(kafka_bootstrap_servers="kafka:9092", kafka_topic_partitions=5),
            logger=logging.getLogger("svc"),
        )
    assert calls == [("kafka:9092", 5), ("kafka:9092", 5)]
    assert broker.starts == 1
    assert [r.name for r in caplog.records if "cannot ensure topics" in r.message] == ["svc"]


async def test_a_stop_ends_the_retrying_without_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = asyncio.Event()

    async def ensure_topics(*args: Any) -> None:
        stop.set()
        raise ConnectionError("no broker")

    monkeypatch.setattr(kafka, "ensure_topics", ensure_topics)
    broker = FakeBroker()
    await asyncio.wait_for(
        kafka.connect_kafka(
            broker,  # type: ignore[arg-type]
            "svc",
            stop,
            ServiceSettings(kafka_bootstrap_servers="kafka:9092", kafka_topic_partitions=3),
            logger=logging.getLogger("svc"),
        ),
        5,
    )
    assert broker.starts == 0
