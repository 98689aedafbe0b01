"""The SSE hub: fans each event out to every board connected to its site.

Each event is framed once (`sse.frame`) and the same bytes go to every client. Each
client has a bounded list of pending frames and, while its stream is idle, one future
to wake it: a publish appends a reference to the shared frame and resolves that future,
no task and no queue machinery per client. The stream then writes everything pending in
one `send` (frames published while it was writing are coalesced). A client too slow to
keep up (more than `client_queue` frames pending) is dropped (its stream ends,
EventSource reconnects with Last-Event-ID) instead of growing memory. A bounded
per-site buffer of recent frames serves Last-Event-ID replays.

No awaits inside: `connect` (snapshot + replay + subscription) is atomic with respect
to `publish` on the event loop, so a client neither misses nor doubles an event.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.display import sse


@dataclass(eq=False)
class Client:
    site_id: str
    pending: list[bytes] = field(default_factory=list)
    """Frames published since the stream last took them (references to shared bytes)."""
    waiter: asyncio.Future[None] | None = None
    """Set by an idle stream; resolved (and cleared) by whoever gives it work."""
    dropped: bool = False
    write: Callable[[bytes], Coroutine[Any, Any, None]] | None = None
    """Set by an idle stream that can be written to from anywhere (the server's own
    `send`, no middleware in between): a publish then writes the frame itself."""
    blocked: tuple[Coroutine[Any, Any, None], Any] | None = None
    """A write the publish started that must wait (flow control): the coroutine and what
    it awaits; the stream finishes it before anything else."""
    error: BaseException | None = None
    last_write: float = field(default_factory=time.monotonic)

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def take(self) -> list[bytes]:
        """The pending frames, oldest first; the client has none pending afterwards."""
        frames = self.pending
        self.pending = []
        return frames


@dataclass
class _Recent:
    day: date | None = None
    frames: deque[tuple[str, bytes]] = field(default_factory=deque)


class Hub:
    def __init__(self, replay_events: int = 500, client_queue: int = 256) -> None:
        self.replay_events = replay_events
        self.client_queue = client_queue
        self._clients: dict[str, set[Client]] = {}
        self._recent: dict[str, _Recent] = {}
        self.published = 0
        self.dropped = 0

    def publish(self, site_id: str, day: date, event_type: str, event_id: str, data: str) -> bytes:
        """Frame one event once and hand it to every client of the site."""
        payload = sse.frame(data, event=event_type, event_id=event_id)
        recent = self._recent.setdefault(site_id, _Recent())
        if recent.day != day:  # a new day: yesterday's events are no replay for today's board
            recent.day = day
            recent.frames.clear()
        if self.replay_events:
            recent.frames.append((event_id, payload))
            while len(recent.frames) > self.replay_events:
                recent.frames.popleft()
        limit = self.client_queue
        slow: list[Client] = []
        failed: list[Client] = []
        now = time.monotonic()
        for client in self._clients.get(site_id, ()):
            pending = client.pending
            write = client.write
            if write is not None and not pending:
                # idle and writable in place: no task wakes (the common case by far)
                writing = write(payload)
                try:
                    blocked_on = writing.send(None)
                except StopIteration:
                    client.last_write = now
                    continue
                except Exception as exc:
                    client.error = exc
                    failed.append(client)
                    continue
                client.write = None
                client.blocked = (writing, blocked_on)
                client.last_write = now
                client.wake()
                continue
            if len(pending) >= limit:
                slow.append(client)
                continue
            pending.append(payload)
            waiter = client.waiter
            if waiter is not None:  # inlined Client.wake: this loop runs once per client
                client.waiter = None
                if not waiter.done():
                    waiter.set_result(None)
        for client in slow:
            self._drop(client)
        for client in failed:
            self.disconnect(client)
            client.write = None
            client.wake()
        self.published += 1
        return payload

    def connect(
        self, site_id: str, day: date, last_event_id: str | None
    ) -> tuple[Client, list[bytes], str | None]:
        """Subscribe a client. Returns it, the frames to replay after `last_event_id`
        (empty if that id is unknown or too old), and the id of the site's latest event
        (what a snapshot taken now includes)."""
        recent = self._recent.get(site_id)
        frames = list(recent.frames) if recent is not None and recent.day == day else []
        replay: list[bytes] = []
        if last_event_id:
            ids = [event_id for event_id, _ in frames]
            if last_event_id in ids:
                replay = [payload for _, payload in frames[ids.index(last_event_id) + 1 :]]
        client = Client(site_id)
        self._clients.setdefault(site_id, set()).add(client)
        return client, replay, (frames[-1][0] if frames else None)

    def disconnect(self, client: Client) -> None:
        clients = self._clients.get(client.site_id)
        if clients is not None:
            clients.discard(client)
            if not clients:
                del self._clients[client.site_id]

    def _drop(self, client: Client) -> None:
        """End a slow client's stream: what it had pending is freed at once."""
        self.disconnect(client)
        client.dropped = True
        self.dropped += 1
        client.pending = []
        client.wake()

    def clients(self, site_id: str | None = None) -> int:
        if site_id is not None:
            return len(self._clients.get(site_id, ()))
        return sum(len(c) for c in self._clients.values())
