"""The outbox is the log of record, Kafka the transport: when the broker no longer holds
what it acknowledged, the relay publishes today's events again.

The embedded broker (Tansu, memory storage) comes back empty after a crash or its nightly
rotation; a real Kafka topic can be deleted or truncated by mistake. Either way the boards
(rebuilt from the topics) and the notifier would lose the day. The relay remembers, per
topic partition, the offset its latest acknowledged records start at (`LogMarks`); every
`check_s` it asks the broker for its log ends, and a partition that now ends BELOW that mark
— read twice, `confirm_s` apart — means the log was lost. Then every site's events since
its local midnight (in its own zone) are published again in their commit order with their
original `event_id`s and bytes; the consumers drop the ones they had by `event_id`, so
nobody gets a second SMS and a board rebuilt from the topics is whole again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from prometheus_client import Counter

log = logging.getLogger("ticketing.relay")

Partition = tuple[str, int]
Acks = dict[Partition, int]
"""Per (topic, partition): the first offset the latest publish round was acknowledged at.
A broker that kept its log reports a log end at or beyond it; not the round's last offset
+ 1, because the embedded broker reports the start of its last stored batch as the log end
(4,000 records in: 3,972 reported), which would look like a loss after every batch."""

LogEnds = Callable[[list[Partition]], Awaitable[Acks]]
"""The broker's log end of each partition asked for."""

HEALS = Counter(
    "mpp_outbox_heals_total",
    "Times the relay published today's events again because the broker lost its log",
    ["service"],
)
EVENTS_REPUBLISHED = Counter(
    "mpp_outbox_events_republished_total",
    "Events the relay published again in heals of a broker that lost its log",
    ["service"],
)

TODAYS_EVENTS = """
SELECT o.id, o.site_id, o.site_seq, o.topic, o.payload, o.traceparent
  FROM ticketing.outbox o
  JOIN ticketing.sites s ON s.id = o.site_id
 WHERE o.published_at IS NOT NULL
   AND o.created_at >= (date_trunc('day', clock_timestamp() AT TIME ZONE s.timezone)
                        AT TIME ZONE s.timezone)
 ORDER BY o.id
"""
"""Every site's events since its own local midnight that were published already (the
unpublished ones follow by the relay's normal course)."""


@dataclass
class LogMarks:
    """What the broker acknowledged, and the check that it still holds it."""

    log_ends: LogEnds
    check_s: float = 5.0
    confirm_s: float = 1.0
    marks: Acks = field(default_factory=dict)
    expected: list[Partition] = field(default_factory=list)
    """The event topics' partitions: checked once, at start, for a broker with no log."""
    checked_empty: bool = False
    heals: int = 0
    read: Acks = field(default_factory=dict)
    """The log ends of the last read (named in a heal's warning)."""
    _last_check: float = 0.0

    def acked(self, acks: Acks | None) -> None:
        for tp, end in (acks or {}).items():
            if end > self.marks.get(tp, 0):
                self.marks[tp] = end

    async def lost(self) -> list[Partition]:
        """Partitions whose log end is below their mark, on two reads `confirm_s` apart; or,
        before anything was acknowledged (a relay that just started), all of `expected` when
        every one of them is empty — the broker came back without its log while no relay
        was running (`make run` started again, ticketing restarted after a broker crash)."""
        if not self.marks:
            return await self._all_empty()
        first = await self._short(list(self.marks))
        if not first:
            return []
        await asyncio.sleep(self.confirm_s)
        second = await self._short(first)
        return second

    async def _all_empty(self) -> list[Partition]:
        if not self.expected or self.checked_empty:
            return []
        ends = await self.log_ends(self.expected)
        self.checked_empty = True
        if len(ends) == len(self.expected) and not any(ends.values()):
            return list(self.expected)
        return []

    async def _short(self, partitions: list[Partition]) -> list[Partition]:
        ends = await self.log_ends(partitions)
        self.read = ends
        return [tp for tp in partitions if tp in ends and ends[tp] < self.marks[tp]]

    def due(self, now: float) -> bool:
        if now - self._last_check < self.check_s:
            return False
        self._last_check = now
        return True


async def todays_events(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return list(await conn.fetch(TODAYS_EVENTS))


class BrokerLogEnds:
    """`LogEnds` through an aiokafka consumer without a group (nothing joins, nothing
    commits), started on first use and again after a failure."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self._consumer: Any = None

    async def __call__(self, partitions: list[Partition]) -> Acks:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap_servers, request_timeout_ms=5000
            )
            await asyncio.wait_for(consumer.start(), 10)
            self._consumer = consumer
        asked = [TopicPartition(t, p) for t, p in partitions]
        try:
            ends = await asyncio.wait_for(self._consumer.end_offsets(asked), 5)
        except Exception:
            await self.close()
            raise
        return {(tp.topic, tp.partition): int(end) for tp, end in ends.items()}

    async def close(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), 5)


def describe(lost: list[Partition], marks: Acks, read: Acks | None = None) -> str:
    if not marks:
        return "every event topic is empty"
    ends = read or {}
    return ", ".join(
        f"{t}[{p}] at {ends.get((t, p), '?')} below {marks[(t, p)]}" for t, p in sorted(lost)
    )
