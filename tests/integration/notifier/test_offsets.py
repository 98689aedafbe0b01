"""The notifier's own offsets (services/notifier/offsets.py): stored in the transaction
that applies the record, seeked to on start."""

from __future__ import annotations

import asyncio

import asyncpg
from aiokafka import AIOKafkaProducer

from tests.integration.notifier.conftest import (
    Gateway,
    Site,
    new_phone,
    notifier_settings,
    publish,
    running,
)


async def stored_next(database_url: str, topic: str, partition: int) -> int | None:
    conn = await asyncpg.connect(database_url)
    try:
        value: int | None = await conn.fetchval(
            "SELECT next FROM notifier.consumed_offsets WHERE topic = $1 AND partition = $2",
            topic,
            partition,
        )
        return value
    finally:
        await conn.close()


async def test_a_failed_write_stores_no_offset_and_the_record_is_read_again(
    kafka_topics: str, database_url: str, gateway: Gateway, producer: AIOKafkaProducer
) -> None:
    """The database refuses the record's message row: its transaction rolls back with the
    offset in it, the consumer is put back at the record, and once the database accepts
    the row again the SMS goes out once and the offset moves past the record."""
    site = Site()
    ticket = site.issued(new_phone())
    assert ticket.contact is not None
    phone = ticket.contact.phone
    admin = await asyncpg.connect(database_url)
    try:
        async with running(notifier_settings(kafka_topics, database_url, gateway.url)) as (
            app,
            _client,
        ):
            await admin.execute(
                "ALTER TABLE notifier.messages ADD CONSTRAINT refused CHECK (false) NOT VALID"
            )
            sent = await producer.send_and_wait(
                ticket.topic, ticket.to_json(), key=site.id.encode()
            )
            before = await stored_next(database_url, ticket.topic, sent.partition)
            assert before is not None and before <= sent.offset
            consumption = app.state.consumption
            deadline = asyncio.get_running_loop().time() + 30
            while consumption.consecutive_failures < 2:  # read again after a back-off
                assert asyncio.get_running_loop().time() < deadline, "never failed twice"
                await asyncio.sleep(0.05)
            assert "refused" in (consumption.last_error or "")
            assert await stored_next(database_url, ticket.topic, sent.partition) == before
            assert not gateway.to(phone)

            await admin.execute("ALTER TABLE notifier.messages DROP CONSTRAINT refused")
            await gateway.wait_for(lambda: bool(gateway.to(phone)), what="the issued SMS")
            assert await stored_next(database_url, ticket.topic, sent.partition) == (
                sent.offset + 1
            )
            await asyncio.sleep(1.0)
        assert [m["kind"] for m in gateway.to(phone)] == ["issued"]
    finally:
        await admin.close()


async def test_a_restarted_notifier_reads_on_from_its_stored_offsets(
    kafka_topics: str, database_url: str, gateway: Gateway, producer: AIOKafkaProducer
) -> None:
    """Restarted, it seeks to where it had read up to: nothing handled before is sent again,
    and what was published while it was away is sent, each once."""
    site = Site()
    settings = notifier_settings(kafka_topics, database_url, gateway.url)
    first = site.issued(new_phone())
    assert first.contact is not None
    first_phone = first.contact.phone
    async with running(settings):
        await publish(producer, first)
        await gateway.wait_for(lambda: bool(gateway.to(first_phone)), what="first")
    away = site.issued(new_phone())
    code = site.verification(new_phone(), "246810")
    await publish(producer, away)
    await publish(producer, code)
    assert away.contact is not None
    away_phone = away.contact.phone
    async with running(settings) as (app, _client):
        await gateway.wait_for(lambda: bool(gateway.to(away_phone)), what="published while away")
        await gateway.wait_for(lambda: bool(gateway.to(code.phone)), what="code while away")
        # the subscribers start fetching (from offset 0) a moment before they are put at the
        # stored offsets: on a broker holding a backlog a few records may be read in that
        # moment and come again; they are dropped by event_id, so nobody gets an SMS twice
        duplicates = app.state.consumption.outcomes["duplicate"]
    assert [m["kind"] for m in gateway.to(first_phone)] == ["issued"]
    assert [m["kind"] for m in gateway.to(away_phone)] == ["issued"]
    assert [m["kind"] for m in gateway.to(code.phone)] == ["verification"]
    print(f"\n[offsets] records read again at the restart and dropped: {duplicates}")
