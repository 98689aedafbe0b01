"""Unprocessable messages go to `<topic>.dlq` with the reason and the display goes on;
/health says whether Kafka answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared import topics
from shared.embedded import free_port
from tests.integration.display.conftest import Display, display_settings, publish, running
from tests.unit.display.builders import DayOfEvents


async def test_poison_messages_are_dead_lettered_and_the_board_goes_on(
    display: Display, producer: AIOKafkaProducer, kafka_topics: str
) -> None:
    day = DayOfEvents(start=datetime.now(UTC).replace(hour=0, minute=0, second=0))
    key = day.site_id.encode()
    ticket = day.new_ticket("ktp")
    schema_v2 = orjson.loads(day.called(ticket).to_json()) | {"schema_version": 2}
    unknown = orjson.loads(day.completed(ticket).to_json()) | {"event_type": "ticket-teleported"}
    poison = [
        (topics.TICKET_ISSUED, b"{not json", "invalid JSON"),
        (topics.TICKET_CALLED, orjson.dumps(schema_v2), "unsupported schema_version: 2"),
        (topics.SERVICE_COMPLETED, orjson.dumps(unknown), "unknown event_type"),
    ]
    dead_letters = AIOKafkaConsumer(
        *(topics.dlq_topic(t) for t in topics.EVENT_TOPICS),
        bootstrap_servers=kafka_topics,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await dead_letters.start()
    try:
        for topic, value, _ in poison:
            await producer.send_and_wait(topic, value, key=key)
        good = day.called(day.new_ticket("kk"), "loket-2")
        await publish(producer, good)
        await display.wait_board(day.site_id, lambda b: bool(b["now_serving"]))

        seen: dict[str, str] = {}

        async def collect() -> None:
            while len(seen) < len(poison):
                record = await dead_letters.getone()
                if record.key != key:
                    continue  # other tests' (and the notifier's) dead letters
                headers = {k: v.decode() for k, v in record.headers}
                assert headers["x-original-topic"] == record.topic.removesuffix(".dlq")
                seen[record.topic] = headers[topics.DLQ_REASON_HEADER]

        await asyncio.wait_for(collect(), 30)
    finally:
        await dead_letters.stop()
    for topic, _, reason in poison:
        assert reason in seen[topics.dlq_topic(topic)], (topic, seen)
    assert display.app.state.consumption.outcomes["dead_lettered"] >= len(poison)


async def test_health_is_ok_with_kafka(display: Display) -> None:
    response = await display.client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["service"] == "display"
    assert body["broker"] == "ok"


async def test_health_is_503_degraded_while_kafka_is_unreachable() -> None:
    settings = display_settings(f"127.0.0.1:{free_port()}")
    async with running(settings, wait_healthy=False) as display:
        response = await display.client.get("/health")
        assert response.status_code == 503
        assert response.json()["status"] == "degraded"
        assert response.json()["broker"] == "down"
        # the pages answer without Kafka
        assert (await display.client.get("/api/sites/balangan/board")).status_code == 200
