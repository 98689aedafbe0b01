"""Unprocessable messages go to `<topic>.dlq` with the reason and the consumer goes on;
/health tells what is down."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from uuid import uuid4

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client import REGISTRY

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


def consumed(topic: str, outcome: str) -> float:
    """mpp_events_consumed_total of the notifier for `topic` and `outcome`, so far."""
    value = REGISTRY.get_sample_value(
        "mpp_events_consumed_total", {"service": "notifier", "topic": topic, "outcome": outcome}
    )
    return value or 0.0


async def settled(read: Callable[[], float], quiet_s: float = 1.0, limit_s: float = 30) -> None:
    """Until `read()` has not changed for `quiet_s`."""
    loop = asyncio.get_running_loop()
    deadline, value, since = loop.time() + limit_s, read(), loop.time()
    while loop.time() - since < quiet_s:
        assert loop.time() < deadline, "never settled"
        await asyncio.sleep(0.1)
        if (now := read()) != value:
            value, since = now, loop.time()


async def test_the_verification_consumer_dead_letters_counts_and_backs_off_like_the_others(
    kafka_topics: str, database_url: str, gateway: Gateway, producer: AIOKafkaProducer
) -> None:
    """The one-time codes' subscriber goes through the same consumption as the ticket
    events': a poison record to `<topic>.dlq` with the reason and the consumer's name, each
    outcome counted, and a failure (here: no database pool) waited out and redelivered
    until it is handled."""
    site = Site()
    topic = topics.PHONE_VERIFICATION_REQUESTED
    poison = orjson.loads(site.verification(new_phone(), "123456").to_json()) | {"code": "12ab"}
    good = site.verification(new_phone(), "654321")
    before = {o: consumed(topic, o) for o in ("dead_lettered", "failed", "handled")}
    dead_letters = AIOKafkaConsumer(
        topics.dlq_topic(topic),
        bootstrap_servers=kafka_topics,
        group_id=f"dlq-watch-{uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await dead_letters.start()
    try:
        async with running(notifier_settings(kafka_topics, database_url, gateway.url)) as (
            app,
            _client,
        ):
            await producer.send_and_wait(topic, orjson.dumps(poison), key=site.id.encode())

            async def dead_lettered() -> dict[str, str]:
                while True:
                    record = await dead_letters.getone()
                    if record.key == site.id.encode():
                        return {k: v.decode() for k, v in record.headers}

            headers = await asyncio.wait_for(dead_lettered(), 30)
            assert "invalid phone-verification-requested: code" in headers["x-dlq-reason"]
            assert headers["x-dlq-consumer"] == "notifier"

            notifications, consumption = app.state.notifications, app.state.consumption
            # a notifier on a fresh schema reads the topic from its start: what earlier tests
            # published on this broker is handled first; count from when that has settled
            await settled(lambda: consumed(topic, "handled"))
            before["handled"] = consumed(topic, "handled")
            pool, notifications.pool = notifications.pool, None  # the database is away
            await publish(producer, good)
            deadline = asyncio.get_running_loop().time() + 30
            while consumption.consecutive_failures < 2:  # redelivered after a back-off
                assert asyncio.get_running_loop().time() < deadline, "never failed twice"
                await asyncio.sleep(0.05)
            assert "database pool not ready" in (consumption.last_error or "")
            notifications.pool = pool  # back: the next redelivery is handled
            await gateway.wait_for(lambda: bool(gateway.to(good.phone)), what="the code's SMS")
            assert consumption.consecutive_failures == 0
    finally:
        await dead_letters.stop()
    assert consumed(topic, "dead_lettered") == before["dead_lettered"] + 1
    assert consumed(topic, "failed") >= before["failed"] + 2
    assert consumed(topic, "handled") == before["handled"] + 1
