"""A small Server-Sent Events reader for tests (what a lobby board's EventSource does)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson


@dataclass
class SseEvent:
    event: str
    id: str | None
    data: str
    received_at: float = field(default_factory=time.perf_counter)

    def json(self) -> Any:
        return orjson.loads(self.data)


async def read_events(response: httpx.Response) -> AsyncIterator[SseEvent]:
    event, event_id = "message", None
    data: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield SseEvent(event, event_id, "\n".join(data))
            event, event_id, data = "message", None, []
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "id":
                event_id = value
            elif name == "data":
                data.append(value)


class BoardListener:
    """Keeps an SSE connection to a board stream open and records every event."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.headers = headers or {}
        self.events: list[SseEvent] = []
        self.raw: list[str] = []
        self._new = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(10, read=None))

    async def __aenter__(self) -> BoardListener:
        self._task = asyncio.create_task(self._run())
        await self.wait_for(lambda e: e.event == "snapshot")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._client.aclose()

    async def _run(self) -> None:
        async with self._client.stream("GET", self.url, headers=self.headers) as response:
            assert response.status_code == 200, response.status_code
            assert response.headers["content-type"].startswith("text/event-stream")
            async for event in read_events(response):
                self.events.append(event)
                self.raw.append(event.data)
                self._new.set()

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> SseEvent:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if predicate(event):
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"no matching SSE event in {timeout}s; got {[e.event for e in self.events]}"
                )
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), left)
