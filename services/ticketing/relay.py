"""The outbox relay: publishes committed events to Kafka, in commit order per site.

One relay publishes at a time among all ticketing replicas: the leader holds a
session-level PostgreSQL advisory lock on its own connection; if it dies, the
connection closes, the lock is released and another replica takes over within
`relay_poll_s`-ish. The leader LISTENs for the NOTIFY that `record_events` sends on
commit, and polls as a fallback. A row is marked published only after the broker
acknowledged it, in the same statement that reads the next batch; if the relay dies in
between, the row is published again and every consumer drops the duplicate by `event_id`
(at-least-once by design).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from services.ticketing.heal import (
    EVENTS_REPUBLISHED,
    HEALS,
    Acks,
    LogMarks,
    describe,
    todays_events,
)
from services.ticketing.outbox import NOTIFY_CHANNEL

log = logging.getLogger("ticketing.relay")

LEADER_LOCK = zlib.crc32(b"ticketing:outbox-relay")


@dataclass(frozen=True, slots=True)
class PendingEvent:
    id: int
    site_id: str
    site_seq: int
    topic: str
    payload: bytes
    traceparent: str | None = None  # W3C trace context of the request that recorded it


Publish = Callable[[list[PendingEvent]], Awaitable[Acks | None]]
"""Publish the events in order and return once the broker acknowledged all of them, with
the log end of each partition written (None: the publisher cannot tell)."""


async def next_events(
    conn: asyncpg.Connection, published: list[int], limit: int
) -> list[PendingEvent]:
    """Mark `published` (the broker acknowledged them) and read the next pending events,
    oldest first, in one trip: under load the relay spends one statement per batch."""
    rows = await conn.fetch(
        """WITH marked AS (
               UPDATE ticketing.outbox SET published_at = clock_timestamp()
                WHERE id = ANY($1::bigint[]))
           SELECT id, site_id, site_seq, topic, payload, traceparent FROM ticketing.outbox
            WHERE published_at IS NULL AND id <> ALL($1::bigint[]) ORDER BY id LIMIT $2""",
        published,
        limit,
    )
    return [_pending(r) for r in rows]


async def _sleep(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)


async def _wait_any(events: list[asyncio.Event], seconds: float) -> None:
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


def _pending(r: asyncpg.Record) -> PendingEvent:
    return PendingEvent(
        r["id"], r["site_id"], r["site_seq"], r["topic"], r["payload"].encode(), r["traceparent"]
    )


class OutboxRelay:
    def __init__(
        self,
        dsn: str,
        publish: Publish,
        *,
        poll_s: float = 1.0,
        batch: int = 500,
        marks: LogMarks | None = None,
        republish: Publish | None = None,
    ) -> None:
        self.dsn = dsn
        self.publish = publish
        self.poll_s = poll_s
        self.batch = batch
        self.marks = marks  # None: no check that the broker kept what it acknowledged
        self.republish = republish or publish  # a heal's publishing (not counted again)
        self.is_leader = False
        self.published = 0
        self.last_error: str | None = None

    async def run(self, stop: asyncio.Event) -> None:
        delay = 0.5
        while not stop.is_set():
            try:
                await self._lead(stop)
                delay = 0.5
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("outbox relay: %s; retrying in %.1fs", self.last_error, delay)
                await _sleep(stop, delay)
                delay = min(delay * 2, 10.0)

    async def _lead(self, stop: asyncio.Event) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self.dsn, timeout=10)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK):
                if stop.is_set():
                    return
                await _sleep(stop, max(self.poll_s, 1.0))
            self.is_leader = True
            log.info("outbox relay: this replica publishes")
            wake = asyncio.Event()
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: wake.set())
            published: list[int] = []  # acknowledged, marked with the next read
            # first, before anything new: a broker that came back without its log meanwhile
            # (this replica just took over, or its last publish failed) gets today's events
            # again ahead of the events that waited, so every partition stays in order
            await self._check_the_log(conn, force=True)
            try:
                while not stop.is_set():
                    wake.clear()  # before reading: a NOTIFY during the read is not lost
                    events = await next_events(conn, published, self.batch)
                    published = []
                    self.last_error = None
                    if events:
                        acks = await self.publish(events)  # once the broker acknowledged
                        published = [e.id for e in events]
                        self.published += len(events)
                        if self.marks is not None:
                            self.marks.acked(acks)
                        continue
                    await self._check_the_log(conn)
                    await _wait_any([wake, stop], self.poll_s)
            finally:
                if published and not conn.is_closed():
                    with contextlib.suppress(Exception):  # else published again: deduplicated
                        await asyncio.wait_for(next_events(conn, published, 0), 5)
        finally:
            self.is_leader = False
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5)

    async def _check_the_log(self, conn: asyncpg.Connection, *, force: bool = False) -> None:
        """While idle, every `marks.check_s` (`force`: now): if the broker lost what it
        acknowledged, publish today's events again (heal.py). A failed check is tried again
        next time."""
        marks = self.marks
        if marks is None:
            return
        if not marks.due(asyncio.get_running_loop().time()) and not force:
            return
        try:
            lost = await marks.lost()
        except Exception as exc:
            log.debug("outbox relay: log ends not readable now: %r", exc)
            return
        if lost:
            await self.heal(conn, lost)

    async def heal(self, conn: asyncpg.Connection, lost: list[tuple[str, int]]) -> int:
        """Publish every site's events of today again, in commit order; the marks start
        again from what this publishing is acknowledged at."""
        assert self.marks is not None
        started = asyncio.get_running_loop().time()
        what = describe(lost, self.marks.marks, self.marks.read)
        events = [_pending(r) for r in await todays_events(conn)]
        if not events:
            return 0
        self.marks.marks = {}
        for i in range(0, len(events), self.batch):
            self.marks.acked(await self.republish(events[i : i + self.batch]))
        self.marks.heals += 1
        HEALS.labels("ticketing").inc()
        EVENTS_REPUBLISHED.labels("ticketing").inc(len(events))
        log.warning(
            "outbox relay: the broker lost events it had acknowledged (%s); published "
            "today's %d events again in %.2f s (consumers drop the ones they had)",
            what,
            len(events),
            asyncio.get_running_loop().time() - started,
        )
        return len(events)
