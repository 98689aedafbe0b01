"""Delivers queued messages: claims due ones, sends each by its current channel, retries
with backoff, and moves a message to its next channel when the current one cannot carry it.

Woken by NOTIFY from the event handler's transaction, with a poll as fallback (a
lost NOTIFY, another replica's retries, a restart). Each message is its own task,
so one slow or failing gateway call never holds the others back.

A channel that answers for good (SMS) makes the message 'sent'; one that reports later
(WhatsApp, Fonnte) makes it 'accepted' until its webhook says `sent` — or `failed`, or
nothing before WHATSAPP_STATUS_TIMEOUT_S, and then the next channel takes it (deliveries.py).
A channel that refuses the message for this citizen (Undeliverable) hands it on at once; one
that is busy (ChannelBusy: timeouts, 5xx, rate limits) is retried with backoff, up to
CHANNEL_MAX_ATTEMPTS when a later channel exists, SMS_MAX_ATTEMPTS on the last one.

Delivery is at most once per `(event_id, kind)` except in one narrow window: a
process that dies after the gateway accepted a message but before recording it leaves the
row 'sending'; after the lease it is sent again by the same channel. The SMS webhook
payload carries `event_id` and `kind` so the gateway can drop that repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
from collections.abc import Callable

import asyncpg

from services.notifier import deliveries, repository
from services.notifier.channels import Channel, Outgoing, Undeliverable
from services.notifier.deliveries import Effect
from services.notifier.messages import history_error
from services.notifier.metrics import CHANNEL_ATTEMPTS, count_effects
from services.notifier.repository import NOTIFY_CHANNEL, OutgoingMessage
from services.notifier.settings import NotifierSettings
from shared.phone import mask_phone
from shared.tracecontext import continued_trace

log = logging.getLogger("notifier.sender")

_PHONE_LIKE = re.compile(r"\+?\d{9,15}")


def backoff_s(attempt: int, base_s: float, max_s: float, rand: float) -> float:
    """Delay before retry number `attempt` (1 = after the first failure).

    Doubles from `base_s` up to `max_s` (1, 2, 4 … 60 s), with "equal jitter": a
    random point in the upper half of that, so retries of many messages spread out.
    `rand` is in [0, 1).
    """
    ceiling = min(max_s, base_s * 2 ** max(0, attempt - 1))
    return float(ceiling / 2 + ceiling / 2 * rand)


def scrub_phones(text: str) -> str:
    """Mask anything that looks like a phone number (gateway errors may echo it)."""
    return _PHONE_LIKE.sub(lambda m: mask_phone(m.group(0)), text)


def loggable_error(kind: str, error: str) -> str:
    """A channel's error as the logs and the message row keep it: no phone, and for an SMS
    carrying a code (verification, appointment) nothing past the gateway's status — a
    gateway may echo the text back, code and all."""
    return scrub_phones(history_error(kind, error) or "")[:500]


RECORD_FOR_S = 300.0
"""How long a delivery outcome is retried while the database is away."""


class Sender:
    def __init__(
        self,
        pool: asyncpg.Pool,
        channels: dict[str, Channel],
        settings: NotifierSettings,
        channels_of: Callable[[str], tuple[str, ...]],
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._pool = pool
        self._channels = channels
        self._channels_of = channels_of
        self._settings = settings
        self._rand = rand
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._unrecorded = 0  # outcomes waiting for the database: no claims meanwhile
        self.sent = 0
        self.failed_attempts = 0

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        listener = asyncio.create_task(self._listen(stop))
        housekeeping = asyncio.create_task(self._housekeeping(stop))
        try:
            await self._deliver_until(stop)
        finally:
            listener.cancel()
            housekeeping.cancel()
            await asyncio.gather(listener, housekeeping, return_exceptions=True)
            if self._in_flight:
                # Let in-flight sends finish (bounded by the provider's timeout).
                await asyncio.wait(
                    self._in_flight,
                    timeout=self._settings.sms_timeout_s + self._settings.whatsapp_timeout_s,
                )
                for task in self._in_flight:
                    task.cancel()

    async def _deliver_until(self, stop: asyncio.Event) -> None:
        settings = self._settings
        while not stop.is_set():
            self._wake.clear()
            # while an outcome waits for the database, claim nothing: a message sent but not
            # yet marked would be claimed again once its lease ran out, and sent twice
            free = 0 if self._unrecorded else settings.sms_concurrency - len(self._in_flight)
            claimed: list[OutgoingMessage] = []
            wait_s = settings.sms_poll_s
            if free > 0:
                try:
                    async with self._pool.acquire() as conn:
                        count_effects(await deliveries.expire_unanswered(conn))
                        claimed = await repository.claim_due_messages(
                            conn, free, settings.sms_lease_s
                        )
                        if len(claimed) < free:
                            due = await repository.seconds_until_next_due(conn)
                            if due is not None:
                                wait_s = min(wait_s, due)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("cannot claim messages (%s); retrying", exc)
            for message in claimed:
                task = asyncio.create_task(self._deliver(message))
                self._in_flight.add(task)
                task.add_done_callback(self._done)
            if free > 0 and len(claimed) == free:
                continue  # more may be due right now
            await _wait(self._wake, stop, wait_s)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()  # a slot is free

    async def _deliver(self, message: OutgoingMessage) -> None:
        """Send one message by its next channel, in the trace of the event it is for."""
        with continued_trace(
            message.traceparent, event_id=message.event_id, ticket_id=message.ticket_id
        ):
            await self._deliver_traced(message)

    async def _deliver_traced(self, message: OutgoingMessage) -> None:
        order = message.channels or self._channels_of(message.site_id)
        if message.channels is None:
            await self._record(deliveries.set_channels, message.id, order)
        index = min(message.channel_index, len(order) - 1)
        name = order[index]
        has_next = index + 1 < len(order)
        outgoing = Outgoing(
            to=message.phone,
            kind=message.kind,
            text=message.text,
            event_id=str(message.event_id),
            template=message.template,
        )
        channel = self._channels.get(name)
        try:
            if channel is None:
                raise Undeliverable(f"{name}: channel not set up in MESSAGE_CHANNELS")
            receipt = await channel.send(outgoing)
        except Undeliverable as exc:
            CHANNEL_ATTEMPTS.labels(name, message.kind, "undeliverable").inc()
            await self._fall_back(message, name, loggable_error(message.kind, f"{exc}"))
            return
        except Exception as exc:
            CHANNEL_ATTEMPTS.labels(name, message.kind, "busy").inc()
            error = loggable_error(message.kind, f"{exc}") or type(exc).__name__
            await self._failed(message, error, name, has_next)
            return
        if receipt.reports_later and receipt.provider_message_id:
            CHANNEL_ATTEMPTS.labels(name, message.kind, "accepted").inc()
            effects = await self._record(
                deliveries.record_accepted,
                message.id,
                name,
                receipt.provider_message_id,
                self._settings.whatsapp_status_timeout_s,
            )
            count_effects(effects if isinstance(effects, list) else [])
        else:
            CHANNEL_ATTEMPTS.labels(name, message.kind, "sent").inc()
            await self._record(deliveries.record_sent, message.id, name)
        self.sent += 1
        log.info(
            "%s %s by %s to %s (ticket %s, attempt %d)",
            "handed over" if receipt.reports_later else "sent",
            message.kind,
            name,
            mask_phone(message.phone),
            message.ticket_id,
            message.attempts + 1,
        )

    async def _fall_back(self, message: OutgoingMessage, channel: str, reason: str) -> None:
        log.warning(
            "%s to %s: %s will not carry it (%s)",
            message.kind,
            mask_phone(message.phone),
            channel,
            reason,
        )

        async def step(conn: repository.Connection) -> Effect:
            async with conn.transaction():
                return await deliveries.fall_back(conn, message.id, channel, reason)

        effect = await self._record(step)
        if isinstance(effect, Effect):
            count_effects([effect])
            if effect.fell_back_to is not None:
                self._wake.set()

    async def _failed(
        self, message: OutgoingMessage, error: str, channel: str, has_next: bool
    ) -> None:
        self.failed_attempts += 1
        attempt = message.attempts + 1
        settings = self._settings
        limit = settings.sms_max_attempts
        if has_next:
            limit = min(limit, settings.channel_max_attempts)
        if attempt >= limit and has_next:
            await self._fall_back(message, channel, f"{error} (after {attempt} attempts)")
            return
        if attempt >= limit:
            log.error(
                "giving up %s to %s after %d attempts: %s",
                message.kind,
                mask_phone(message.phone),
                attempt,
                error,
            )
            await self._record(repository.mark_attempt_failed, message.id, error, None)
            return
        delay = backoff_s(
            attempt, settings.sms_backoff_base_s, settings.sms_backoff_max_s, self._rand()
        )
        log.warning(
            "%s to %s not sent by %s (attempt %d: %s); retry in %.1fs",
            message.kind,
            mask_phone(message.phone),
            channel,
            attempt,
            error,
            delay,
        )
        await self._record(repository.mark_attempt_failed, message.id, error, delay)
        asyncio.get_running_loop().call_later(delay, self._wake.set)

    async def _record(self, update: Callable[..., object], *args: object) -> object:
        """Write a delivery outcome, retried while the database is away (and no message is
        claimed meanwhile); only after RECORD_FOR_S does the lease bring it back."""
        delay, deadline = 0.2, asyncio.get_running_loop().time() + RECORD_FOR_S
        self._unrecorded += 1
        try:
            while True:
                try:
                    async with self._pool.acquire() as conn:
                        return await update(conn, *args)  # type: ignore[misc]
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    if asyncio.get_running_loop().time() > deadline:
                        log.error("cannot record delivery outcome (%s): %s", args[:1], exc)
                        return None
                    log.warning(
                        "cannot record delivery outcome (%s) yet: %s; retrying in %.1fs",
                        args[:1],
                        exc,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2.0)
        finally:
            self._unrecorded -= 1
            self._wake.set()

    async def _listen(self, stop: asyncio.Event) -> None:
        """LISTEN on a dedicated connection; reconnect when it drops (the poll covers gaps)."""
        delay = 0.5
        while not stop.is_set():
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self._settings.database_url)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(NOTIFY_CHANNEL, lambda *_a: self._wake.set())
                self._wake.set()  # anything queued while we were not listening
                delay = 0.5
                await _wait(lost, stop, None)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("LISTEN connection failed (%s); polling meanwhile", exc)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)
            await _wait(asyncio.Event(), stop, delay)
            delay = min(delay * 2, 10.0)

    async def _housekeeping(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with self._pool.acquire() as conn:
                    await repository.forget_old_bookkeeping(conn)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("housekeeping failed: %s", exc)
            await _wait(asyncio.Event(), stop, 3600)


async def _wait(event: asyncio.Event, stop: asyncio.Event, timeout_s: float | None) -> None:
    """Until `event` or `stop` is set, or `timeout_s` passes."""
    waiters = [asyncio.create_task(event.wait()), asyncio.create_task(stop.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
