"""The display against the real broker: board JSON, the SSE stream, Last-Event-ID replay,
duplicates, a rebuild from the topics on start, and the lobby page."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaProducer

from tests.e2e.sse import BoardListener
from tests.integration.display.conftest import (
    Display,
    display_settings,
    publish,
    running,
)
from tests.unit.display.builders import DayOfEvents, QueueSim


def today() -> DayOfEvents:
    """Events of a fresh test site, stamped a minute ago (and never yesterday)."""
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return DayOfEvents(start=max(midnight, now - timedelta(minutes=1)))


def stream_url(display: Display, site_id: str) -> str:
    return f"{display.url}/api/sites/{site_id}/board/stream"


async def test_board_json_follows_the_events(display: Display, producer: AIOKafkaProducer) -> None:
    sim = QueueSim(day=today())
    for event in sim.run(
        [("issue", "ktp"), ("issue", "ktp"), ("issue", "kk"), ("call", "loket-1")]
    ):
        await publish(producer, event)
    site = sim.day.site_id
    board = await display.wait_board(site, lambda b: b["now_serving"])
    assert board["now_serving"] == [
        {
            **board["now_serving"][0],
            "counter_id": "loket-1",
            "counter_name": "Loket 1",
            "ticket_number": "A-001",
            "service_id": "ktp",
        }
    ]
    assert board["now_serving"][0]["called_at"].endswith("Z")
    assert board["recent_calls"] == board["now_serving"]
    assert board["waiting"] == {"ktp": 1, "kk": 1}
    assert board["site_name"] == "MPP Uji Coba"

    assert (await display.client.get("/api/sites/no-such-site/board")).status_code == 404
    assert (await display.client.get("/api/sites/no-such-site/board/stream")).status_code == 404


async def test_stream_sends_a_snapshot_then_each_event_as_received(
    display: Display, producer: AIOKafkaProducer
) -> None:
    day = today()
    first = day.issued(day.new_ticket("ktp"), 0, {"ktp": 1})
    await publish(producer, first)
    await display.wait_board(day.site_id, lambda b: b["waiting"] == {"ktp": 1})
    with_phone = day.issued(day.new_ticket("ktp"), 1, {"ktp": 2}, phone="+6281234567890")

    latencies: list[float] = []
    async with BoardListener(stream_url(display, day.site_id)) as listener:
        snapshot = listener.events[0]
        assert snapshot.event == "snapshot"
        assert snapshot.id == str(first.event_id)  # the latest event the snapshot includes
        assert snapshot.json()["waiting"] == {"ktp": 1}
        await publish(producer, with_phone)
        issued = await listener.wait_for(lambda e: e.id == str(with_phone.event_id))
        sent = issued.json()
        day_ = sent["occurred_at"][:10]
        assert sent.pop("board") == {"day": day_, "last_sequence": 2, "waiting": {"ktp": 2}}
        assert sent == orjson.loads(with_phone.to_json()) | {"contact": None}
        for _ in range(20):
            ticket = day.new_ticket("kk")
            event = day.called(ticket, "loket-2", 1, {"kk": 0})
            sent = time.perf_counter()
            await publish(producer, event)
            got = await listener.wait_for(lambda e, i=str(event.event_id): e.id == i)
            latencies.append(got.received_at - sent)
            assert got.event == "ticket-called"
            # the event JSON exactly as received, and what it changed on the board
            head, _, board = got.data.partition(',"board":')
            assert head == event.to_json().decode()[:-1]
            changes = orjson.loads(board[:-1])
            assert changes["now_serving"]["loket-2"]["ticket_number"] == ticket.number
            assert changes["recent_calls"][0]["event_id"] == str(event.event_id)
    kinds = [e.event for e in listener.events]
    assert kinds == ["snapshot", "ticket-issued"] + ["ticket-called"] * 20
    assert not any("6281234567890" in raw for raw in listener.raw)  # the stream is public
    p50 = statistics.median(latencies)
    p95 = sorted(latencies)[int(len(latencies) * 0.95) - 1]
    sys.stderr.write(
        f"\n[display] publish-to-SSE latency: p50 {p50 * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms\n"
    )
    assert p50 < 1.0


async def test_the_stream_starts_with_retry_and_keeps_alive(display: Display) -> None:
    day = today()
    await publish_nothing_but_register(display, day)
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream("GET", stream_url(display, day.site_id)) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"].startswith("no-cache")
        text = ""
        started = time.monotonic()
        async for chunk in response.aiter_text():
            text += chunk
            if ": keepalive" in text or time.monotonic() - started > 5:
                break
    assert text.startswith("retry: 2000\n\nevent: snapshot\n")
    assert ": keepalive\n\n" in text


async def publish_nothing_but_register(display: Display, day: DayOfEvents) -> None:
    """Make the site known to the display without a producer: feed its board directly."""
    service = display.app.state.boards
    service.boards.apply(day.issued(day.new_ticket("ktp")), service.clock())


async def test_last_event_id_replays_what_the_board_missed(
    display: Display, producer: AIOKafkaProducer
) -> None:
    day = today()
    tickets = [day.new_ticket("ktp") for _ in range(3)]
    events = [day.called(t, "loket-1") for t in tickets]
    for event in events:
        await publish(producer, event)
    await display.wait_board(day.site_id, lambda b: len(b["recent_calls"]) == 3)

    headers = {"Last-Event-ID": str(events[0].event_id)}
    async with BoardListener(stream_url(display, day.site_id), headers) as listener:
        await listener.wait_for(lambda e: e.id == str(events[2].event_id))
        assert [e.event for e in listener.events[:3]] == [
            "snapshot",
            "ticket-called",
            "ticket-called",
        ]
        assert [e.id for e in listener.events[1:3]] == [str(e.event_id) for e in events[1:]]
        assert listener.events[0].json()["now_serving"][0]["ticket_number"] == "A-003"

    marker = day.called(day.new_ticket("kk"), "loket-2")
    headers = {"Last-Event-ID": "not-an-event-we-kept"}
    async with BoardListener(stream_url(display, day.site_id), headers) as listener:
        await publish(producer, marker)
        await listener.wait_for(lambda e: e.id == str(marker.event_id))
        assert [e.event for e in listener.events] == ["snapshot", "ticket-called"]


async def test_a_duplicate_appears_once_on_stream_and_board(
    display: Display, producer: AIOKafkaProducer
) -> None:
    day = today()
    ticket = day.new_ticket("skck")
    call = day.called(ticket, "loket-3")
    marker = day.completed(ticket, "loket-3")
    await publish(producer, day.issued(ticket))
    await display.wait_board(day.site_id, lambda b: True)
    async with BoardListener(stream_url(display, day.site_id)) as listener:
        await publish(producer, call)
        await publish(producer, call)
        await publish(producer, marker)
        # separate topics: the completion may be read before the call, never twice
        await listener.wait_for(lambda e: e.id == str(marker.event_id))
        await listener.wait_for(lambda e: e.id == str(call.event_id))
        await asyncio.sleep(0.3)
        ids = [e.id or "" for e in listener.events[1:]]
    assert sorted(ids) == sorted([str(call.event_id), str(marker.event_id)])
    board = await display.board(day.site_id)
    assert [c["event_id"] for c in board["recent_calls"]] == [str(call.event_id)]
    assert board["now_serving"] == []


async def test_a_fresh_display_rebuilds_the_same_board_from_the_topics(
    display: Display, producer: AIOKafkaProducer, kafka_topics: str
) -> None:
    sim = QueueSim(day=today())
    ops = [("issue", "ktp")] * 4 + [("issue", "kk")] * 3 + [("issue", "skck")] * 2
    ops += [("call", "loket-1"), ("call", "loket-2"), ("call", "loket-3"), ("recall", "loket-3")]
    ops += [
        ("call", "loket-1"),
        ("no_show", "loket-2"),
        ("transfer", "loket-1"),
        ("call", "loket-3"),
    ]
    events = sim.run(ops)
    for event in events:
        await publish(producer, event)
    last = str(events[-1].event_id)
    expected = {c: t.number for c, t in sim.serving.items() if t is not None}

    def serving(board: dict[str, Any]) -> dict[str, str]:
        return {s["counter_id"]: s["ticket_number"] for s in board["now_serving"]}

    # last_sequence is the highest sequence applied, which one consumer over three topics
    # may apply before lower ones of another topic: wait for the whole simulated state
    first_board = await display.wait_board(
        sim.day.site_id, lambda b: b["last_sequence"] == len(events) and serving(b) == expected
    )
    assert any(c["event_id"] == last for c in first_board["recent_calls"])

    url = f"/api/sites/{sim.day.site_id}/board"
    boards: dict[str, dict[str, Any]] = {}
    async with running(display_settings(kafka_topics)) as fresh:
        deadline = time.monotonic() + 15
        while True:  # the two displays converge on the same board
            boards["live"] = (await display.client.get(url)).json()
            boards["rebuilt"] = (await fresh.client.get(url)).json()
            if boards["rebuilt"] == boards["live"] or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
    assert boards["rebuilt"] == boards["live"]
    assert serving(boards["rebuilt"]) == expected


async def test_a_closed_stream_frees_its_client(display: Display) -> None:
    day = today()
    await publish_nothing_but_register(display, day)
    hub = display.app.state.boards.hub
    async with BoardListener(stream_url(display, day.site_id)):
        assert hub.clients(day.site_id) == 1
    deadline = time.monotonic() + 5
    while hub.clients(day.site_id):
        assert time.monotonic() < deadline, "the hub kept a closed client"
        await asyncio.sleep(0.05)
