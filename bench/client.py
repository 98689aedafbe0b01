"""Cheap clients for the bench, on raw asyncio streams: on a 2-core machine the load
generator shares the CPUs with the system, so every microsecond it spends is one the
system does not get (httpx costs several times more per request).

- `HttpPool`: HTTP/1.1 keep-alive connections, one request at a time each; responses
  must carry Content-Length (FastAPI's JSON and empty responses do).
- `SseClient`: one board stream; records when each watched marker (a ticket id) first
  arrives, without parsing the stream.
- `Gateway`: the local SMS gateway the notifier POSTs to (SMS_PROVIDER=webhook).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson


class HttpError(Exception):
    pass


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()


class HttpPool:
    """Keep-alive connections to one origin; `request` borrows one (or opens one)."""

    def __init__(self, base_url: str, max_idle: int = 512) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.max_idle = max_idle
        self._idle: list[_Conn] = []
        self._hosthdr = f"{self.host}:{self.port}"

    async def _open(self) -> _Conn:
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        return _Conn(reader, writer)

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        reused = False
        conn = None
        while self._idle:
            conn = self._idle.pop()
            if time.monotonic() - conn.idle_since < 3.0:  # uvicorn closes idle ones after 5 s
                reused = True
                break
            conn.writer.close()
            conn = None
        if conn is None:
            conn = await self._open()
        try:
            status, data, keep = await self._exchange(conn, method, path, body, headers, form)
        except (asyncio.IncompleteReadError, ConnectionError):
            conn.writer.close()
            if not reused:
                raise
            conn = await self._open()  # the server closed it meanwhile: once more, afresh
            try:
                status, data, keep = await self._exchange(conn, method, path, body, headers, form)
            except BaseException:
                conn.writer.close()
                raise
        except BaseException:
            conn.writer.close()
            raise
        if keep and len(self._idle) < self.max_idle:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        else:
            conn.writer.close()
        return status, data

    async def json(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        status, data = await self.request(method, path, body, **kw)
        return status, (orjson.loads(data) if data else None)

    async def _exchange(
        self,
        conn: _Conn,
        method: str,
        path: str,
        body: Any,
        headers: dict[str, str] | None,
        form: dict[str, str] | None,
    ) -> tuple[int, bytes, bool]:
        head = [f"{method} {path} HTTP/1.1", f"Host: {self._hosthdr}"]
        payload = b""
        if form is not None:
            from urllib.parse import urlencode

            payload = urlencode(form).encode()
            head.append("Content-Type: application/x-www-form-urlencoded")
        elif body is not None:
            payload = orjson.dumps(body)
            head.append("Content-Type: application/json")
        if payload or method in ("POST", "PUT"):
            head.append(f"Content-Length: {len(payload)}")
        for k, v in (headers or {}).items():
            head.append(f"{k}: {v}")
        conn.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        raw = await conn.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        keep = True
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                keep = False
            elif name == "transfer-encoding":
                raise HttpError("chunked responses are not supported by the bench client")
        data = await conn.reader.readexactly(length) if length else b""
        return status, data, keep

    async def close(self) -> None:
        for conn in self._idle:
            conn.writer.close()
        self._idle.clear()


class SseClient:
    """One board stream on a raw socket. `watch(marker)` before the event is expected;
    `seen[marker]` is then the perf_counter time its bytes first arrived."""

    def __init__(self, base_url: str, path: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = path
        self.watched: set[bytes] = set()
        self.seen: dict[bytes, float] = {}
        self.snapshot = asyncio.Event()
        self.closed = False
        self.on_data: Callable[[bytes, float], None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self._writer = writer
        writer.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        self._task = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        tail = b""
        try:
            while True:
                chunk = await reader.read(1 << 16)
                if not chunk:
                    break
                now = time.perf_counter()
                if not self.snapshot.is_set() and b"event: snapshot" in tail + chunk:
                    self.snapshot.set()
                window = tail + chunk
                if self.watched:
                    for marker in list(self.watched):
                        if marker in window:
                            self.seen[marker] = now
                            self.watched.discard(marker)
                if self.on_data is not None:
                    self.on_data(chunk, now)
                tail = window[-64:]
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.closed = True

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._writer:
            self._writer.close()


@dataclass
class Gateway:
    """A local SMS gateway: records (wall-clock arrival, body) of every webhook POST."""

    port: int
    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, backlog=1024)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length)
                self.received.append((time.time(), orjson.loads(body)))
                self.arrived.set()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self.server:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2)
