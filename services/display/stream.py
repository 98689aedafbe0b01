"""The board stream as a raw ASGI response: one coroutine per client, no task per frame.

What a client costs per event: a publish appends the shared frame to its pending list
and resolves its idle future (services/display/hub.py); this coroutine wakes and writes
everything pending in one `send`. Compared with Starlette's StreamingResponse over an
async generator doing `asyncio.wait_for(queue.get(), keepalive)`, that is no task
created per frame, no generator hop and no anyio task group per request.

Keepalive: one timer per client per keepalive period (not one per frame); when it fires
and nothing was written for `keepalive_s`, a comment goes out. A write to a vanished
peer (RST) makes the server report `http.disconnect`, which a small watcher task per
client (the only other task) turns into the end of the stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from services.display import sse
from services.display.hub import Client, Hub

log = logging.getLogger("display.stream")

KEEPALIVE = sse.comment("keepalive")


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

    async def _pump(self, send: Send) -> None:
        """Write what the hub hands the client until the stream is closed or dropped.

        Runs as a task of its own: a wake resumes this one coroutine, not the whole
        chain of middleware coroutines the request is awaited through."""
        loop = asyncio.get_running_loop()
        client, keepalive_s = self.client, self.keepalive_s
        last_write = loop.time()
        while not self.closed:
            if client.pending:
                frames = client.take()
                body = frames[0] if len(frames) == 1 else b"".join(frames)
                await send({"type": "http.response.body", "body": body, "more_body": True})
                last_write = loop.time()
                continue
            if client.dropped:
                log.info("dropped a slow board client of %s", client.site_id)
                # end the chunked body: EventSource reconnects with Last-Event-ID
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            if self._tick:
                self._tick = False
                if loop.time() - last_write >= keepalive_s * 0.95:
                    await send({"type": "http.response.body", "body": KEEPALIVE, "more_body": True})
                    last_write = loop.time()
                continue
            if self._timer is None:
                self._timer = loop.call_at(last_write + keepalive_s, self._on_tick)
            waiter: asyncio.Future[None] = loop.create_future()
            client.waiter = waiter
            await waiter

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
            pump = loop.create_task(self._pump(send))
            watcher = loop.create_task(self._watch(receive))
            await asyncio.wait((pump, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.closed = True
            self.hub.disconnect(client)
            client.waiter = None
            client.pending = []
            if self._timer is not None:
                self._timer.cancel()
            tasks = [t for t in (pump, watcher) if t is not None]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if pump is not None and not pump.cancelled() and (error := pump.exception()) is not None:
            raise error
