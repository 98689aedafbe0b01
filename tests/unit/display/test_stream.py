"""The board stream's ASGI response: first frames, coalescing, keepalive, the end of a
stream (peer gone, client dropped) and what it leaves behind in the hub."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest

from services.display import sse
from services.display.hub import Hub
from services.display.stream import SERVER_SEND, BoardStream, _finish

DAY = date(2025, 3, 10)


@pytest.fixture(params=["in place", "via the writer task"])
def in_place(request: pytest.FixtureRequest) -> bool:
    """Run each test with the server's send in the scope (the publish writes in place)
    and without it (every write from the stream's writer task)."""
    return bool(request.param == "in place")


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


def serve(
    response: BoardStream, peer: Peer, in_place: bool, send: Any = None
) -> asyncio.Task[None]:
    send = send or peer.send
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/"}
    if in_place:
        scope[SERVER_SEND] = send
    return asyncio.create_task(response(scope, peer.receive, send))


async def test_headers_then_retry_and_snapshot_in_one_write(in_place: bool) -> None:
    hub = Hub()
    response, peer = stream(hub)
    task = serve(response, peer, in_place)
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


async def test_frames_published_while_it_is_busy_go_out_in_one_send(in_place: bool) -> None:
    hub = Hub()
    response, peer = stream(hub)
    slow = asyncio.Event()

    async def slow_send(message: Any) -> None:  # the socket's buffer is full once
        await peer.send(message)
        if len(peer.sent) == 3:
            await slow.wait()

    task = serve(response, peer, in_place, slow_send)
    await peer.until(1)
    first = hub.publish("s", DAY, "ticket-called", "e0", "{}")
    await peer.until(2)
    frames = [hub.publish("s", DAY, "ticket-called", f"e{i}", "{}") for i in range(1, 4)]
    await asyncio.sleep(0.01)
    assert len(peer.bodies) == 2
    slow.set()
    await peer.until(3)
    await asyncio.sleep(0.01)
    assert peer.bodies[1] is first  # the shared bytes themselves, not a copy
    assert peer.bodies[2:] == [b"".join(frames)]
    peer.gone.set()
    await asyncio.wait_for(task, 2)


async def test_an_idle_stream_is_written_by_the_publish_itself() -> None:
    hub = Hub()
    response, peer = stream(hub)
    task = serve(response, peer, True)
    await peer.until(1)
    await asyncio.sleep(0.01)  # the writer task is idle
    frames = [hub.publish("s", DAY, "ticket-called", f"e{i}", "{}") for i in range(3)]
    assert peer.bodies[1:] == frames  # already sent, before any task ran
    assert response.client.pending == []
    peer.gone.set()
    await asyncio.wait_for(task, 2)


async def test_a_gone_peer_ends_the_stream_and_frees_its_client(in_place: bool) -> None:
    hub = Hub()
    response, peer = stream(hub)
    task = serve(response, peer, in_place)
    await peer.until(1)
    assert hub.clients("s") == 1
    peer.gone.set()
    await asyncio.wait_for(task, 2)
    assert hub.clients("s") == 0
    hub.publish("s", DAY, "ticket-called", "e1", "{}")
    assert response.client.pending == []


async def test_keepalive_when_idle_and_not_while_frames_flow(in_place: bool) -> None:
    hub = Hub()
    response, peer = stream(hub, keepalive_s=0.1)
    task = serve(response, peer, in_place)
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


async def test_a_dropped_client_gets_the_end_of_its_body(in_place: bool) -> None:
    hub = Hub(client_queue=2)
    response, peer = stream(hub)
    blocked = asyncio.Event()

    async def stuck_send(message: Any) -> None:  # a peer that stopped reading
        await peer.send(message)
        if len(peer.sent) == 2:
            await blocked.wait()

    task = serve(response, peer, in_place, stuck_send)
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


async def test_a_failing_send_ends_the_stream_with_its_error(in_place: bool) -> None:
    hub = Hub()
    response, peer = stream(hub)

    async def failing_send(message: Any) -> None:
        await peer.send(message)
        if message["type"] == "http.response.body" and len(peer.sent) > 2:
            raise OSError("broken pipe")

    task = serve(response, peer, in_place, failing_send)
    await peer.until(1)
    hub.publish("s", DAY, "ticket-called", "e1", "{}")
    with pytest.raises(OSError, match="broken pipe"):
        await asyncio.wait_for(task, 2)
    assert hub.clients("s") == 0


async def test_a_write_started_elsewhere_is_finished_as_await_would() -> None:
    loop = asyncio.get_running_loop()
    gates = [loop.create_future() for _ in range(2)]
    done: list[str] = []

    async def write() -> None:
        await gates[0]
        await asyncio.sleep(0)  # a bare yield
        done.append(await gates[1])

    writing = write()
    blocked_on = writing.send(None)  # as the publish does
    assert blocked_on is gates[0]
    finishing = asyncio.create_task(_finish(writing, blocked_on))
    await asyncio.sleep(0.01)
    gates[0].set_result(None)
    await asyncio.sleep(0.01)
    assert not finishing.done()
    gates[1].set_result("written")
    await asyncio.wait_for(finishing, 1)
    assert done == ["written"]

    async def failing() -> None:
        await gates[2]

    gates.append(loop.create_future())
    writing = failing()
    finishing = asyncio.create_task(_finish(writing, writing.send(None)))
    gates[2].set_exception(ConnectionResetError("gone"))
    with pytest.raises(ConnectionResetError, match="gone"):
        await asyncio.wait_for(finishing, 1)
