"""A starting display reads the log to its end itself (services/display/catch_up.py), then
hands each partition to the subscriber: a record that does not parse stops the read of
its partition there and is dead-lettered by the subscriber, the records after it are on
the board all the same; a record the broker stamped days ago is not even parsed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer

from shared import topics
from tests.integration.display.conftest import display_settings, publish, running
from tests.unit.display.builders import DayOfEvents


async def test_the_start_up_read_hands_a_poison_record_to_the_subscriber(
    producer: AIOKafkaProducer, kafka_topics: str
) -> None:
    day = DayOfEvents(start=datetime.now(UTC).replace(hour=0, minute=0, second=0))
    key = day.site_id.encode()
    first, second = day.new_ticket("ktp"), day.new_ticket("kk")
    await publish(producer, day.called(first, "loket-1"))
    # today's call, stamped by the broker three days ago: skipped unread
    stale = day.called(day.new_ticket("skck"), "loket-3")
    old_ms = int((datetime.now(UTC) - timedelta(days=3)).timestamp() * 1000)
    await producer.send_and_wait(stale.topic, stale.to_json(), key=key, timestamp_ms=old_ms)
    # the read of this partition stops here; the subscriber reads on from it
    await producer.send_and_wait(topics.TICKET_CALLED, b"{not json", key=key)
    last = day.called(second, "loket-2")
    await publish(producer, last)

    async with running(display_settings(kafka_topics)) as display:
        board = await display.wait_board(
            day.site_id, lambda b: b["last_sequence"] == last.sequence, timeout=30
        )
        health = (await display.client.get("/health")).json()
    serving = {c["counter_id"]: c["ticket_number"] for c in board["now_serving"]}
    assert serving == {"loket-1": first.number, "loket-2": second.number}  # not loket-3
    assert health["events"]["dead_lettered"] >= 1  # the poison, by the subscriber
    assert health["events"]["earlier_day"] >= 1  # the stale record


async def test_a_restarted_display_shows_the_breaks_and_closures_made_before(
    producer: AIOKafkaProducer, kafka_topics: str
) -> None:
    day = DayOfEvents(start=datetime.now(UTC).replace(hour=0, minute=0, second=0))
    await publish(producer, day.status("counter_paused", counter_id="loket-2", reason="rapat"))
    await publish(producer, day.status("service_closed", service_id="skck", reason="server"))
    last = day.status("counter_paused", counter_id="loket-3", reason="shalat")
    await publish(producer, last)
    async with running(display_settings(kafka_topics)) as display:
        board = await display.wait_board(
            day.site_id, lambda b: b["last_sequence"] == last.sequence, timeout=30
        )
    assert {k: v["reason"] for k, v in board["paused"].items()} == {
        "loket-2": "rapat",
        "loket-3": "shalat",
    }
    assert board["closed"]["skck"]["reason"] == "server"
