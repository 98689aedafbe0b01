"""The board stream as a raw ASGI response: no task per frame, mostly no task wake at all.

A client costs per event, in the common case (its stream idle, the server's `send`
known): the publish itself writes the shared frame with the server's `send`, inline
(services/display/hub.py); that `send` finishes without suspending unless the socket's
buffer is full. Only then, or while the stream is busy, frames go to the client's
bounded pending list and its writer task is woken to send them, all pending in one
`send`. Compared with Starlette's StreamingResponse over an async generator doing
`asyncio.wait_for(queue.get(), keepalive)`: no task created per frame, no generator hop,
no anyio task group per request, no resumption through the middleware chain.

The server's `send` is put into the scope by `DisplayApp` (services/display/app.py,
`SERVER_SEND`): the response start goes through every middleware as usual (status,
headers, metrics), the body chunks after it do not (the middleware only look at the
start; an event stream must not be transformed anyway). Without it (another ASGI host),
every write goes through `send` from the writer task.

Keepalive: one timer per client per keepalive period (not one per frame); when it fires
and nothing was written for `keepalive_s`, a comment goes out. A write to a vanished
peer (RST) makes the server report `http.disconnect`, which a small watcher task per
client turns into the end of the stream.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Mapping
from typing import Any

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from services.display import sse
from services.display.hub import Client, Hub

log = logging.getLogger("display.stream")

KEEPALIVE = sse.comment("keepalive")
SERVER_SEND = "antrian.server_send"
"""Scope key of the server's own `send` (set by the outermost app, before middleware)."""


async def _finish(writing: Coroutine[Any, Any, None], blocked_on: Any) -> None:
    """Drive to its end a write coroutine that was started elsewhere and suspended on
    `blocked_on` (an asyncio future, or None for a bare yield), as `await` would have."""
    while True:
        try:
            if blocked_on is None:
                await asyncio.sleep(0)
            else:
                # what a Task does with a future its coroutine yielded (else awaiting it
                # again is "await wasn't used with future")
                blocked_on._asyncio_future_blocking = False
                await blocked_on
        except BaseException:
            if blocked_on is None or not blocked_on.done():
                writing.close()
                raise
            # the future's own outcome: the write sees it when resumed below
        try:
            blocked_on = writing.send(None)
        except StopIteration:
            return


class BoardStream(Response):
    """A `text/event-stream` response that first writes `first` (retry, snapshot, replay)
    and then whatever the hub hands `client`, until the peer goes or the hub drops it."""

    media_type = "text/event-stream"

    def __init__(
        self,
        hub: Hub,
        client: Client,
        first: list[bytes],
        keepalive_s: float,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(content=b"", headers=headers, media_type=self.media_type)
        # Response computed a content-length for the empty body: a stream has none
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self.hub = hub
        self.client = client
        self.first = first
        self.keepalive_s = keepalive_s
        self.closed = False
        self._tick = False
        self._timer: asyncio.TimerHandle | None = None

    def _on_tick(self) -> None:
        self._timer = None
        self._tick = True
        self.client.wake()

    async def _watch(self, receive: Receive) -> None:
        """Wait for the peer to go, then end the stream."""
        while (await receive())["type"] != "http.disconnect":
            pass
        self.closed = True
        self.client.wake()

    async def _pump(self, send: Send, server_send: Send | None) -> None:
        """Write what the hub could not write in place, and keepalives, until the stream
        is closed or dropped. A task of its own: a wake resumes this one coroutine, not
        the whole chain of middleware coroutines the request is awaited through."""
        loop = asyncio.get_running_loop()
        client, keepalive_s = self.client, self.keepalive_s
        body_send = server_send or send

        def write(payload: bytes) -> Coroutine[Any, Any, None]:
            message: Message = {"type": "http.response.body", "body": payload, "more_body": True}
            return server_send(message)  # type: ignore[misc,return-value]

        while not self.closed:
            if client.blocked is not None:
                writing, blocked_on = client.blocked
                client.blocked = None
                await _finish(writing, blocked_on)
                continue
            if client.error is not None:
                raise client.error
            if client.pending:
                frames = client.take()
                body = frames[0] if len(frames) == 1 else b"".join(frames)
                await body_send({"type": "http.response.body", "body": body, "more_body": True})
                client.last_write = time.monotonic()
                continue
            if client.dropped:
                log.info("dropped a slow board client of %s", client.site_id)
                # end the chunked body: EventSource reconnects with Last-Event-ID
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            if self._tick:
                self._tick = False
                if time.monotonic() - client.last_write >= keepalive_s * 0.95:
                    await body_send(
                        {"type": "http.response.body", "body": KEEPALIVE, "more_body": True}
                    )
                    client.last_write = time.monotonic()
                continue
            if self._timer is None:
                due = client.last_write + keepalive_s - time.monotonic()
                self._timer = loop.call_later(max(due, 0.0), self._on_tick)
            waiter: asyncio.Future[None] = loop.create_future()
            client.waiter = waiter
            if server_send is not None:
                client.write = write
            try:
                await waiter
            finally:
                client.write = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        client = self.client
        pump: asyncio.Task[None] | None = None
        watcher: asyncio.Task[None] | None = None
        try:
            start = {"type": "http.response.start", "status": self.status_code}
            await send({**start, "headers": self.raw_headers})
            first, self.first = b"".join(self.first), []
            await send({"type": "http.response.body", "body": first, "more_body": True})
            client.last_write = time.monotonic()
            pump = loop.create_task(self._pump(send, scope.get(SERVER_SEND)))
            watcher = loop.create_task(self._watch(receive))
            await asyncio.wait((pump, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.closed = True
            self.hub.disconnect(client)
            client.waiter = None
            client.write = None
            client.pending = []
            if self._timer is not None:
                self._timer.cancel()
            tasks = [t for t in (pump, watcher) if t is not None]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if client.blocked is not None:
                client.blocked[0].close()
                client.blocked = None
        if pump is not None and not pump.cancelled() and (error := pump.exception()) is not None:
            raise error
