"""The board stream's ASGI response: first frames, coalescing, keepalive, the end of a
stream (peer gone, client dropped) and what it leaves behind in the hub."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest

from services.display import sse
from services.display.hub import Hub
from services.display.stream import BoardStream

DAY = date(2025, 3, 10)
SCOPE: dict[str, Any] = {"type": "http", "method": "GET", "path": "/"}


class Peer:
    """The server side of one connection: records what the stream sends, reports a
    disconnect when told to."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.wrote = asyncio.Event()
        self.gone = asyncio.Event()
        self.requested = False

    async def send(self, message: Any) -> None:
        self.sent.append(message)
        self.wrote.set()

    async def receive(self) -> Any:
        if not self.requested:
            self.requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    @property
    def bodies(self) -> list[bytes]:
        return [m["body"] for m in self.sent if m["type"] == "http.response.body"]

    async def until(self, count: int) -> None:
        while len(self.bodies) < count:
            self.wrote.clear()
            await asyncio.wait_for(self.wrote.wait(), 2)


def stream(hub: Hub, keepalive_s: float = 30.0) -> tuple[BoardStream, Peer]:
    client, replay, _ = hub.connect("s", DAY, None)
    first = [sse.retry(2000), sse.frame("{}", event="snapshot"), *replay]
    response = BoardStream(hub, client, first, keepalive_s, headers={"X-Accel-Buffering": "no"})
    return response, Peer()


async def test_headers_then_retry_and_snapshot_in_one_write() -> None:
    hub = Hub()
    response, peer = stream(hub)
    task = asyncio.create_task(response(SCOPE, peer.receive, peer.send))
    await peer.until(1)
    start = peer.sent[0]
    assert start["type"] == "http.response.start"
    assert start["status"] == 200
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"text/event-stream; charset=utf-8"
    assert headers[b"x-accel-buffering"] == b"no"
    assert b"content-length" not in headers
    assert peer.bodies[0] == b"retry: 2000\n\nevent: snapshot\ndata: {}\n\n"
    peer.gone.set()
    await asyncio.wait_for(task, 2)


async def test_frames_published_while_it_slept_go_out_in_one_send() -> None:
    hub = Hub()
    response, peer = stream(hub)
    task = asyncio.create_task(response(SCOPE, peer.receive, peer.send))
    await peer.until(1)
    frames = [hub.publish("s", DAY, "ticket-called", f"e{i}", "{}") for i in range(3)]
    await peer.until(2)
    await asyncio.sleep(0.01)
    assert peer.bodies[1:] == [b"".join(frames)]
    single = hub.publish("s", DAY, "ticket-called", "e3", "{}")
    await peer.until(3)
    assert peer.bodies[2] is single  # the shared bytes themselves, not a copy
    peer.gone.set()
    await asyncio.wait_for(task, 2)


async def test_a_gone_peer_ends_the_stream_and_frees_its_client() -> None:
    hub = Hub()
    response, peer = stream(hub)
    task = asyncio.create_task(response(SCOPE, peer.receive, peer.send))
    await peer.until(1)
    assert hub.clients("s") == 1
    peer.gone.set()
    await asyncio.wait_for(task, 2)
    assert hub.clients("s") == 0
    hub.publish("s", DAY, "ticket-called", "e1", "{}")
    assert response.client.pending == []


async def test_keepalive_when_idle_and_not_while_frames_flow() -> None:
    hub = Hub()
    response, peer = stream(hub, keepalive_s=0.1)
    task = asyncio.create_task(response(SCOPE, peer.receive, peer.send))
    await peer.until(2)
    assert peer.bodies[1] == b": keepalive\n\n"
    for i in range(6):  # a frame every 0.05 s: never 0.1 s idle
        hub.publish("s", DAY, "ticket-called", f"e{i}", "{}")
        await asyncio.sleep(0.05)
    assert b": keepalive\n\n" not in peer.bodies[2:]
    await peer.until(len(peer.bodies) + 1)
    assert peer.bodies[-1] == b": keepalive\n\n"
    peer.gone.set()
    await asyncio.wait_for(task, 2)


async def test_a_dropped_client_gets_the_end_of_its_body() -> None:
    hub = Hub(client_queue=2)
    response, peer = stream(hub)
    blocked = asyncio.Event()

    async def stuck_send(message: Any) -> None:  # a peer that stopped reading
        await peer.send(message)
        if len(peer.sent) == 2:
            await blocked.wait()

    task = asyncio.create_task(response(SCOPE, peer.receive, stuck_send))
    await peer.until(1)
    hub.publish("s", DAY, "ticket-called", "e0", "{}")  # taken; its send blocks
    await asyncio.sleep(0.01)
    for i in range(1, 4):
        hub.publish("s", DAY, "ticket-called", f"e{i}", "{}")
    assert hub.dropped == 1
    assert hub.clients("s") == 0
    assert response.client.pending == []  # freed at once, not when the peer reads
    blocked.set()
    await asyncio.wait_for(task, 2)
    assert peer.sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


async def test_a_failing_send_ends_the_stream_with_its_error() -> None:
    hub = Hub()
    response, peer = stream(hub)

    async def failing_send(message: Any) -> None:
        await peer.send(message)
        if message["type"] == "http.response.body" and len(peer.sent) > 2:
            raise OSError("broken pipe")

    task = asyncio.create_task(response(SCOPE, peer.receive, failing_send))
    await peer.until(1)
    hub.publish("s", DAY, "ticket-called", "e1", "{}")
    with pytest.raises(OSError, match="broken pipe"):
        await asyncio.wait_for(task, 2)
    assert hub.clients("s") == 0
