"""Kafka plumbing shared by the services: broker, topics, dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream._internal.context import Context as ContextField  # the class Context() builds
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage as _KafkaMessage
from faststream.message import StreamMessage

from shared import topics
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


class _OnTheLoop(ContextField):
    """FastStream's `Context`, resolved on the event loop. fast_depends runs a custom
    field's synchronous `use` in a worker thread: with `faststream.kafka.KafkaMessage`
    every consumed message paid a thread hop (seen in py-spy of the display and the
    notifier: anyio's worker thread and its Condition on every event)."""

    async def use(self, /, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        resolved: dict[str, Any] = super().use(**kwargs)
        return resolved


ConsumedMessage = Annotated[_KafkaMessage, _OnTheLoop("message")]
"""The message a subscriber handles (`faststream.kafka.KafkaMessage`, minus the thread hop)."""


class _NoPerRecordPair(logging.Filter):
    """Drops FastStream's "Received" / "Processed" lines (its logging middleware's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in ("Received", "Processed")


def new_broker(settings: ServiceSettings, client_id: str) -> KafkaBroker:
    """A FastStream broker configured from the settings (idempotence only on real Kafka).
    FastStream's own Received/Processed pair per record is dropped: the consumption
    middleware (shared/consuming.py) logs one DEBUG line per event, with its outcome."""
    logger = logging.getLogger(f"{client_id}.kafka")
    if not any(isinstance(f, _NoPerRecordPair) for f in logger.filters):
        logger.addFilter(_NoPerRecordPair())
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        enable_idempotence=settings.kafka_enable_idempotence,
        acks="all",
        logger=logger,
        log_level=logging.DEBUG,  # FastStream's per-record lines; errors keep their level
        graceful_timeout=10.0,
    )


async def ensure_topics(
    bootstrap_servers: str,
    partitions: int = 3,
    names: Iterable[str] = topics.ALL_TOPICS,
    replication_factor: int = 1,
) -> None:
    """Create the event topics and their dead-letter topics if they do not exist yet."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            # another process may create one between list and create
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(n, partitions, replication_factor) for n in missing]
                )
            log.info("created topics %s", ", ".join(missing))
    finally:
        await admin.close()


async def start_broker(broker: KafkaBroker, what: str, stop: asyncio.Event) -> None:
    """Start the broker, retrying with backoff until it connects or `stop` is set.

    Runs as a background task so HTTP (and /health, which then says 503) is up
    while Kafka is still unreachable.
    """
    delay = 0.5
    while not stop.is_set():
        try:
            await broker.start()
            log.info("%s connected to Kafka", what)
            return
        except Exception as exc:
            log.warning("%s cannot reach Kafka (%s); retrying in %.1fs", what, exc, delay)
            with contextlib.suppress(Exception):
                await broker.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, 10.0)


async def connect_kafka(
    broker: KafkaBroker,
    what: str,
    stop: asyncio.Event,
    settings: ServiceSettings,
    *,
    logger: logging.Logger,
    consumes: bool = False,
    before_start: Callable[[], Awaitable[None]] | None = None,
    on_started: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Ensure the topics exist, then start the broker; both retried with backoff until
    they succeed or `stop` is set. A service's background task at start-up: its HTTP
    (and /health, which says 503 meanwhile) is up while Kafka is still unreachable.

    `what` names the service in start_broker's log lines; `logger` is the service's own
    logger, which says when the topics cannot be ensured yet. `consumes`: the broker has
    subscribers, which then reread their partitions after every outage
    (`reread_after_outages`): the embedded broker may come back without its log, and a
    consumer group without its offsets; and fetch with a long wait while far behind
    (`wait_longer_when_behind`). `on_started` runs once the broker has started, before
    those watches (the notifier seeks its consumers to its stored offsets there);
    `before_start` once the topics exist, before the broker starts (the display reads
    the log up to its end there: services/display/catch_up.py)."""
    delay = 0.5
    while not stop.is_set():
        try:
            await ensure_topics(settings.kafka_bootstrap_servers, settings.kafka_topic_partitions)
            break
        except Exception as exc:
            logger.warning("cannot ensure topics (%s); retrying in %.1fs", exc, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 10.0)
    if before_start is not None and not stop.is_set():
        await before_start()
    await start_broker(broker, what, stop)
    if on_started is not None and not stop.is_set():
        await on_started()
    if consumes:
        await asyncio.gather(
            reread_after_outages(broker, stop), wait_longer_when_behind(broker, stop)
        )


MAX_DEAD_LETTER_BYTES = 512 * 1024
"""A dead letter keeps at most this much of the message: a producer's default request
limit is 1 MiB, so a message that big could never be dead-lettered whole (and a
consumer that cannot dead-letter a poison message stalls on it or loses it)."""


async def send_to_dead_letters(
    broker: KafkaBroker, msg: StreamMessage[Any], reason: str, consumer: str | None = None
) -> None:
    """Publish an unprocessable message to `<topic>.dlq` with the reason.

    Unchanged, unless it is larger than MAX_DEAD_LETTER_BYTES: then its first bytes,
    with its size in `x-dlq-original-size`. `consumer` (header `x-dlq-consumer`) says
    which consumer gave up on it: every consumer of a topic dead-letters a poison
    message on its own, so each copy records one consumer's failure.
    """
    raw = msg.raw_message
    topic = str(getattr(raw, "topic", ""))
    headers = {
        topics.DLQ_REASON_HEADER: reason[:1000],
        "x-original-topic": topic,
        "x-original-partition": str(getattr(raw, "partition", "")),
        "x-original-offset": str(getattr(raw, "offset", "")),
    }
    if consumer:
        headers["x-dlq-consumer"] = consumer
    body = msg.body
    if len(body) > MAX_DEAD_LETTER_BYTES:
        headers["x-dlq-original-size"] = str(len(body))
        body = body[:MAX_DEAD_LETTER_BYTES]
    key = getattr(raw, "key", None)
    await broker.publish(body, topics.dlq_topic(topic), key=key, headers=headers)
    log.warning(
        "dead-lettered %s[%s]@%s: %s",
        topic,
        headers["x-original-partition"],
        headers["x-original-offset"],
        reason,
    )


def running_consumers(broker: KafkaBroker) -> list[Any]:
    """The aiokafka consumers of the broker's subscribers that have started."""
    return [c for s in broker.subscribers if (c := getattr(s, "consumer", None)) is not None]


async def reread_after_outages(
    broker: KafkaBroker, stop: asyncio.Event, every_s: float = 0.5
) -> None:
    """Pause the broker's consumers while it is unreachable; when it answers again, read
    every assigned partition from its beginning.

    A broker may come back with a NEW, empty log: the embedded broker (Tansu) keeps
    memory storage, so `make run` restarts it empty and recreates the topics, and its
    consumer groups' offsets are gone too. A consumer that lives through that keeps its
    in-memory positions: real Kafka would answer a fetch beyond the end with
    OFFSET_OUT_OF_RANGE (and the consumer resets), Tansu answers with no records, so
    once the relay has flushed its outbox past that position the consumer silently
    skips the first `position` records of the new log. Reading from offset 0 reads the
    new log whole; on a broker that kept its log it re-reads records that every
    consumer here drops as duplicates by event_id (the display does that on every
    start; for the notifier it costs one duplicate check per retained event).
    Offset 0, not seek_to_beginning: Tansu's ListOffsets answers are not to be trusted;
    on real Kafka a log whose start moved on answers OFFSET_OUT_OF_RANGE and the
    consumer resets to its earliest record by itself.
    """
    away = False
    shrunk = LogShrinkWatch()
    while not stop.is_set():
        try:
            up = bool(await broker.ping(2.0))
        except Exception:
            up = False
        try:
            consumers = running_consumers(broker)
            if up and not away:
                shrunk.check(consumers)
            if not up and not away:
                away = True
                for consumer in consumers:
                    consumer.pause(*consumer.assignment())
                log.warning("Kafka unreachable: fetching paused until it answers again")
            elif up and away:
                for consumer in consumers:
                    partitions = list(consumer.assignment())
                    for tp in partitions:
                        consumer.seek(tp, 0)
                    consumer.resume(*partitions)
                away = False
                log.warning(
                    "Kafka answers again: reading the topics from the beginning (its log may "
                    "be new); records already handled are dropped as duplicates"
                )
        except Exception as exc:  # never let the watch die; the next round tries again
            log.warning("broker outage watch: %r", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


SHRUNK_CONFIRM_S = 1.0
"""How long a partition's log end must stay below the consumer's position before it is read
again from 0 (Tansu's reported log end can trail by a record for a moment)."""


class LogShrinkWatch:
    """Partitions whose log now ends BELOW where the consumer stands: the broker came back
    with a new, shorter log (the embedded broker's nightly rotation, a crash of its memory
    storage, a topic recreated by mistake) so fast that the ping never saw it down. Left
    alone the consumer would skip the first `position` records of the new log; read from 0
    instead once the shrink has held for SHRUNK_CONFIRM_S (records already handled are
    dropped as duplicates by event_id)."""

    def __init__(self, confirm_s: float = SHRUNK_CONFIRM_S) -> None:
        self.confirm_s = confirm_s
        self._since: dict[tuple[int, Any], float] = {}

    def check(self, consumers: list[Any]) -> list[Any]:
        """One round; the partitions it sent back to 0."""
        now = time.monotonic()
        seen: set[tuple[int, Any]] = set()
        reset: list[Any] = []
        for consumer in consumers:
            for tp, highwater, position in _log_ends(consumer):
                if highwater >= position:
                    continue
                key = (id(consumer), tp)
                seen.add(key)
                first = self._since.setdefault(key, now)
                if now - first >= self.confirm_s:
                    consumer.seek(tp, 0)
                    reset.append(tp)
                    seen.discard(key)
                    log.warning(
                        "%s[%d] now ends at %d, below the %d already read: the broker has a new "
                        "log; reading it from the beginning",
                        tp.topic,
                        tp.partition,
                        highwater,
                        position,
                    )
        self._since = {k: v for k, v in self._since.items() if k in seen}
        return reset


def _log_ends(consumer: Any) -> list[tuple[Any, int, int]]:
    """(partition, last reported log end, position) of each fetched assigned partition."""
    subscription = consumer._subscription.subscription
    assignment = subscription.assignment if subscription is not None else None
    if assignment is None:
        return []
    out = []
    for tp in consumer.assignment():
        state = assignment.state_value(tp)
        if state is None or state.highwater is None or not state.has_valid_position:
            continue
        out.append((tp, state.highwater, state.position))
    return out


CATCH_UP_FETCH_WAIT_MS = 500
"""The fetch wait while a consumer is far behind (see `wait_longer_when_behind`)."""


def records_behind(consumer: Any) -> int:
    """Records between the consumer's position and the last high watermark a fetch
    reported, summed over its assigned partitions (partitions not fetched yet count 0)."""
    return sum(max(0, highwater - position) for _, highwater, position in _log_ends(consumer))


def fetch_wait(consumer: Any) -> int | None:
    """The `fetch_max_wait_ms` the consumer's fetcher puts in its next requests."""
    fetcher = getattr(consumer, "_fetcher", None)
    wait = getattr(fetcher, "_fetch_max_wait_ms", None)
    return wait if isinstance(wait, int) else None


def set_fetch_wait(consumer: Any, wait_ms: int) -> None:
    """Change the `fetch_max_wait_ms` of the consumer's next fetch requests (aiokafka's
    fetcher reads it each time it builds a request)."""
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is not None:
        fetcher._fetch_max_wait_ms = wait_ms


async def wait_longer_when_behind(
    broker: KafkaBroker,
    stop: asyncio.Event,
    *,
    catch_up_ms: int = CATCH_UP_FETCH_WAIT_MS,
    behind: int = 200,
    every_s: float = 0.25,
) -> None:
    """Fetch with `catch_up_ms` while a consumer is more than `behind` records behind, and
    with its own configured wait again once it has caught up.

    The embedded broker (Tansu, memory storage) answers a fetch with what it gathered
    within the fetch's wait, and on a long log gathering even one batch can take longer
    than a 10 ms wait: at the end of a 30-minute soak (~50,000 one-record batches) a
    consumer reading from offset 0 with a 10 ms wait got 8 records in 8 s; with a 500 ms
    wait 19,193 (one topic) and 56,530 (all three). A restarted display reads the whole
    log, and a consumer that fell behind must catch up, so both read with the long wait.
    The short wait is what keeps a live call on the board within milliseconds, so it comes
    back once caught up. On real Kafka, which answers as soon as records are there, the
    long wait costs nothing. (`_subscription` and `_fetcher` are aiokafka internals:
    aiokafka has no public way to read positions without awaiting, or to change a
    running consumer's wait; tests/integration/test_fetch_wait.py runs it on the broker.)"""
    live: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
    while not stop.is_set():
        try:
            for consumer in running_consumers(broker):
                if consumer not in live:
                    configured = fetch_wait(consumer)
                    if configured is None:
                        continue
                    live[consumer] = configured
                wanted = catch_up_ms if records_behind(consumer) > behind else live[consumer]
                if fetch_wait(consumer) != wanted:
                    set_fetch_wait(consumer, wanted)
                    log.info(
                        "%s: fetch wait %d ms (%s)",
                        "/".join(sorted(consumer.subscription())) or "consumer",
                        wanted,
                        "catching up" if wanted == catch_up_ms else "caught up",
                    )
        except Exception as exc:  # never let the watch die
            log.warning("fetch wait watch: %r", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


async def finish_task(task: asyncio.Task[None], timeout_s: float = 5.0) -> None:
    """Let a background Kafka task end by itself after its stop event; cancel it after
    `timeout_s`. Joining a consumer group can take as long as the previous member's
    session timeout, and a SIGTERM must not wait for that."""
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout_s)
    except TimeoutError:
        log.warning("%s did not finish in %.0fs; cancelling it", task.get_name(), timeout_s)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    except Exception as exc:
        log.warning("%s ended with %r", task.get_name(), exc)
