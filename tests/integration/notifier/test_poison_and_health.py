"""Unprocessable messages go to `<topic>.dlq` with the reason and the consumer goes on;
/health tells what is down."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.notifier.app import create_app
from shared import topics
from tests.integration.notifier.conftest import (
    Gateway,
    Site,
    new_phone,
    notifier_settings,
    publish,
    running,
)


async def test_poison_messages_are_dead_lettered_and_the_consumer_goes_on(
    kafka_topics: str, database_url: str, gateway: Gateway, producer: AIOKafkaProducer
) -> None:
    site = Site()
    key = site.id.encode()
    good = site.issued(new_phone())
    schema_v2 = orjson.loads(site.called(good).to_json()) | {"schema_version": 2}
    unknown = orjson.loads(site.completed(good).to_json()) | {"event_type": "ticket-teleported"}
    poison = [
        (topics.TICKET_ISSUED, b"{not json", "invalid JSON"),
        (topics.TICKET_CALLED, orjson.dumps(schema_v2), "unsupported schema_version: 2"),
        (topics.SERVICE_COMPLETED, orjson.dumps(unknown), "unknown event_type"),
        (topics.TICKET_ISSUED, b"x" * 1_000_000, "message too large"),
    ]
    dead_letters = AIOKafkaConsumer(
        *(topics.dlq_topic(t) for t in topics.EVENT_TOPICS),
        bootstrap_servers=kafka_topics,
        group_id=f"dlq-watch-{uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=8 * 1024 * 1024,
    )
    await dead_letters.start()
    settings = notifier_settings(kafka_topics, database_url, gateway.url)
    try:
        async with running(settings):
            for topic, value, _ in poison:
                await producer.send_and_wait(topic, value, key=key)
            await publish(producer, good)
            assert good.contact is not None
            good_phone = good.contact.phone
            await gateway.wait_for(lambda: bool(gateway.to(good_phone)), what="SMS")

            seen: dict[str, str] = {}

            async def collect() -> None:
                while len(seen) < len(poison):
                    record = await dead_letters.getone()
                    if record.key != key:
                        continue  # other tests' dead letters
                    headers = {k: v.decode() for k, v in record.headers}
                    seen[f"{record.topic}:{record.value[:20]!r}"] = headers[
                        topics.DLQ_REASON_HEADER
                    ]
                    assert headers["x-original-topic"] == record.topic.removesuffix(".dlq")

            await asyncio.wait_for(collect(), 30)
    finally:
        await dead_letters.stop()
    for topic, value, reason in poison:
        got = seen[f"{topics.dlq_topic(topic)}:{value[:20]!r}"]
        assert reason in got, (topic, got)


async def test_health_is_503_naming_the_broker_when_kafka_is_unreachable(
    database_url: str,
) -> None:
    import httpx

    from shared.embedded import free_port

    settings = notifier_settings(f"127.0.0.1:{free_port()}", database_url, None)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://n") as client:
            response = await client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"] == "ok"
    assert body["down"] == ["broker"]


async def test_health_is_ok_with_database_and_broker(kafka_topics: str, database_url: str) -> None:
    async with running(notifier_settings(kafka_topics, database_url, None)) as (_app, client):
        response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
