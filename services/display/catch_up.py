"""A started display rebuilds today's boards from the topics before it follows them live.

Reading the log through the subscriber (services/display/consumer.py) costs ~340 µs an
event, ~250 of them FastStream's per-message pipeline (context scopes, tracing and metrics
middleware, dependency injection, filters); the fold itself is ~90 µs with the parse. A
full day of three busy sites (~16,000 events) took 6-7 s from spawn to a complete board,
CPU-bound. So on start a plain aiokafka consumer reads every partition from offset 0 to
its end and folds each record straight into the boards (`BoardService.fold`: the same
fold, the same hub publish, so a lobby page connected meanwhile misses nothing), counted
as the subscriber counts them; then the subscriber starts and is put where this left
each partition (`seek_to`), so no record is skipped and none but the few it fetched
before the seek is read twice (those are dropped as duplicates by event_id).

- Only today's: a record the broker stamped an hour or more before the earliest
  midnight of any board's zone happened before every board's today; it is counted
  `earlier_day` without being parsed. (ListOffsets by timestamp would skip them without
  reading them; the embedded broker answers it with 0.)
- A record that does not parse is left to the subscriber, which dead-letters it: its
  partition is handed over at that record.
- Any failure here, or `deadline_s` passed: the subscriber reads on from where this got
  (from 0 if nowhere), as it did before this existed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker

from services.display.service import BoardService
from shared import topics
from shared.consuming import Consumption, parse_record
from shared.events import AnyEvent, SiteStatusChanged, UnprocessableMessage
from shared.kafka import CATCH_UP_FETCH_WAIT_MS, running_consumers

log = logging.getLogger("display.catch_up")

BOARD_TOPICS = (*topics.EVENT_TOPICS, topics.SITE_STATUS_CHANGED)
"""What boards fold: the ticket events and the site's status changes."""

Positions = dict[tuple[str, int], int]
"""Where the catch-up left each partition: the next offset to read."""

MARGIN = timedelta(hours=1)
"""How much earlier than a day's start a record's broker timestamp must be to be skipped
unread (a producer's clock may run a little behind)."""


def earliest_today(boards: BoardService, now: datetime) -> datetime:
    """The earliest start of today among the zones boards are kept in (the configured
    sites', and UTC: a site without configuration)."""
    zones = {ZoneInfo("UTC")} | {ZoneInfo(c.site.timezone) for c in boards.boards.configs.values()}
    starts = []
    for zone in zones:
        local = now.astimezone(zone)
        starts.append(local.replace(hour=0, minute=0, second=0, microsecond=0))
    return min(starts).astimezone(UTC)


class CatchUp:
    """One catch-up read: `run` it, then `seek_to` the subscriber's consumers."""

    def __init__(
        self,
        boards: BoardService,
        consumption: Consumption,
        bootstrap_servers: str,
        *,
        deadline_s: float = 60.0,
        fetch_wait_ms: int = CATCH_UP_FETCH_WAIT_MS,
    ) -> None:
        self.boards = boards
        self.consumption = consumption
        self.bootstrap_servers = bootstrap_servers
        self.deadline_s = deadline_s
        self.fetch_wait_ms = fetch_wait_ms
        self.positions: Positions = {}
        self.read = 0
        self.skipped = 0

    async def run(self, stop: asyncio.Event) -> Positions:
        """Read every board topic to its end (or `deadline_s`, or `stop`), folding."""
        started = time.monotonic()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            client_id="display-catch-up",
            group_id=None,
            enable_auto_commit=False,
            # a log whose start moved on (real Kafka's retention): from its first record
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.fetch_wait_ms,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_bytes=16 * 1024 * 1024,
        )
        try:
            await consumer.start()
            parts = [
                TopicPartition(topic, p)
                for topic in BOARD_TOPICS
                for p in sorted(consumer.partitions_for_topic(topic) or ())
            ]
            consumer.assign(parts)
            for tp in parts:
                consumer.seek(tp, 0)
            await self._read(consumer, parts, stop, started + self.deadline_s)
        except Exception as exc:
            log.warning("catch-up read stopped (%r): the subscriber reads on from there", exc)
        finally:
            try:
                await consumer.stop()
            except Exception as exc:
                log.debug("catch-up consumer stop: %r", exc)
        log.info(
            "caught up: %d events in %.2f s (%d of earlier days unread), %d partitions",
            self.read,
            time.monotonic() - started,
            self.skipped,
            len(self.positions),
        )
        return self.positions

    async def _read(
        self,
        consumer: AIOKafkaConsumer,
        parts: list[TopicPartition],
        stop: asyncio.Event,
        deadline: float,
    ) -> None:
        handed_over: set[TopicPartition] = set()
        before_ms = (earliest_today(self.boards, self.boards.clock()) - MARGIN).timestamp() * 1000
        while not stop.is_set() and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=self.fetch_wait_ms * 2)
            for tp, records in batches.items():
                for record in records:
                    if not self._fold(tp.topic, record, before_ms):
                        consumer.pause(tp)  # the subscriber dead-letters it
                        handed_over.add(tp)
                        self.positions[(tp.topic, tp.partition)] = record.offset
                        break
                    self.positions[(tp.topic, tp.partition)] = record.offset + 1
            if all(tp in handed_over or self._at_end(consumer, tp) for tp in parts):
                return

    def _at_end(self, consumer: AIOKafkaConsumer, tp: TopicPartition) -> bool:
        """A fetch reported the partition's end and the read has reached it."""
        highwater: int | None = consumer.highwater(tp)
        if highwater is None:
            return False
        return self.positions.get((tp.topic, tp.partition), 0) >= highwater

    def _fold(self, topic: str, record: Any, before_ms: float) -> bool:
        """Fold one record as the subscriber would; False: it does not parse."""
        if record.timestamp is not None and record.timestamp < before_ms:
            self.skipped += 1
            self.consumption.count(topic, "earlier_day")
            return True
        raw: bytes = record.value or b""
        try:
            event = parse_record(topic, raw)
        except UnprocessableMessage:
            return False
        if not isinstance(event, AnyEvent | SiteStatusChanged):
            return False  # not a board's topic: the subscriber says so
        self.read += 1
        try:
            outcome = self.boards.fold(event, raw)
        except Exception as exc:  # the subscriber's rule: logged, skipped (a board in memory)
            self.consumption.consecutive_failures += 1
            self.consumption.last_error = f"{type(exc).__name__}: {exc}"
            self.consumption.count(topic, "failed")
            log.error("cannot apply %s@%s", topic, record.offset, exc_info=exc)
            return True
        self.consumption.consecutive_failures = 0
        self.consumption.count(topic, outcome.value)
        return True


async def seek_to(broker: KafkaBroker, positions: Positions) -> None:
    """Put the subscriber's consumers where the catch-up left each partition (partitions
    it did not reach stay where they are: at 0)."""
    for consumer in running_consumers(broker):
        partitions: Iterable[TopicPartition] = consumer.assignment()
        for tp in partitions:
            offset = positions.get((tp.topic, tp.partition))
            if offset is not None:
                consumer.seek(tp, offset)
