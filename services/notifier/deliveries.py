"""What each channel did with a message: hand-overs, reported statuses, fallbacks, and the
citizens' inbound messages. SQL kept as SQL; the caller owns the transaction, except where a
function says it opens its own.

The rule (CONTRACT.md "Messaging channels"): a message goes by its next channel only while it
is 'accepted' — taken by a channel that reports later — and that channel reports `failed`,
or reports no `sent` before `status_deadline`. Once `sent`, it never goes again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from services.notifier.repository import Connection

RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3}
"""Statuses only move forward (webhooks may arrive out of order); `failed` and `timeout`
are final for that hand-over."""

FINAL = frozenset({"failed", "timeout"})


async def _lock_handover(conn: Connection, channel: str, provider_id: str) -> None:
    """Serialise the API's answer and the webhook's statuses of one hand-over: whichever
    commits second sees the other (a status may arrive before the answer is recorded)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2))", channel, provider_id
    )


def moves_forward(old: str, new: str) -> bool:
    """Whether a hand-over's status `old` becomes `new`."""
    if old in FINAL:
        return False
    if new in FINAL:
        return True
    return RANK.get(new, -1) > RANK.get(old, -1)


@dataclass(frozen=True)
class Effect:
    """What a reported status did to its message."""

    message_id: int
    channel: str
    status: str
    fell_back_to: str | None = None
    """The next channel, when the report made the message go again."""
    gave_up: bool = False
    """`failed` on the last channel: the message failed."""


async def set_channels(conn: Connection, message_id: int, channels: tuple[str, ...]) -> None:
    await conn.execute(
        "UPDATE notifier.messages SET channels = $2 WHERE id = $1 AND channels IS NULL",
        message_id,
        list(channels),
    )


async def record_sent(conn: Connection, message_id: int, channel: str) -> None:
    """A channel that answers for good (SMS) took the message: sent."""
    async with conn.transaction():
        await conn.execute(
            """UPDATE notifier.messages
               SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL,
                   delivery_status = 'sent'
               WHERE id = $1 AND status = 'sending'""",
            message_id,
        )
        await conn.execute(
            """INSERT INTO notifier.deliveries (message_id, channel, status)
               VALUES ($1, $2, 'sent')""",
            message_id,
            channel,
        )


async def record_accepted(
    conn: Connection, message_id: int, channel: str, provider_id: str, deadline_s: float
) -> list[Effect]:
    """The channel took the message and reports later: 'accepted' until its `sent` (or a
    fallback after `deadline_s`). Applies any status its webhook already reported."""
    async with conn.transaction():
        await _lock_handover(conn, channel, provider_id)
        await conn.execute(
            """UPDATE notifier.messages
               SET status = 'accepted', attempts = attempts + 1, last_error = NULL,
                   delivery_status = 'accepted',
                   status_deadline = now() + make_interval(secs => $2)
               WHERE id = $1 AND status = 'sending'""",
            message_id,
            deadline_s,
        )
        await conn.execute(
            """INSERT INTO notifier.deliveries (message_id, channel, provider_message_id, status)
               VALUES ($1, $2, $3, 'accepted') ON CONFLICT (channel, provider_message_id)
               DO NOTHING""",
            message_id,
            channel,
            provider_id,
        )
        early = await conn.fetch(
            """SELECT status, error FROM notifier.channel_statuses
               WHERE channel = $1 AND provider_message_id = $2 ORDER BY reported_at""",
            channel,
            provider_id,
        )
        effects = []
        for row in early:
            effect = await _apply(conn, channel, provider_id, row["status"], row["error"])
            if effect is not None:
                effects.append(effect)
        return effects


async def record_status(
    conn: Connection, channel: str, provider_id: str, status: str, error: str | None
) -> Effect | None:
    """One status from a channel's webhook, in its own transaction. None when it was a
    repeat, or is about a hand-over not recorded yet (applied when it is)."""
    async with conn.transaction():
        await _lock_handover(conn, channel, provider_id)
        new = await conn.fetchval(
            """INSERT INTO notifier.channel_statuses (channel, provider_message_id, status, error)
               VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true""",
            channel,
            provider_id,
            status,
            error,
        )
        if not new:
            return None
        return await _apply(conn, channel, provider_id, status, error)


async def _apply(
    conn: Connection, channel: str, provider_id: str, status: str, error: str | None
) -> Effect | None:
    row = await conn.fetchrow(
        """SELECT d.id AS delivery_id, d.status AS delivery_status, m.id, m.status,
                  m.channels, m.channel_index
           FROM notifier.deliveries d JOIN notifier.messages m ON m.id = d.message_id
           WHERE d.channel = $1 AND d.provider_message_id = $2
           FOR UPDATE OF d, m""",
        channel,
        provider_id,
    )
    if row is None:
        return None
    if moves_forward(row["delivery_status"], status):
        await conn.execute(
            """UPDATE notifier.deliveries SET status = $2, error = COALESCE($3, error),
                      updated_at = now() WHERE id = $1""",
            row["delivery_id"],
            status,
            error,
        )
    channels = list(row["channels"] or [])
    index = row["channel_index"]
    current = index < len(channels) and channels[index] == channel
    if not current:
        return Effect(row["id"], channel, status)  # a later channel has it: history only
    if status == "failed":
        if row["status"] != "accepted":
            await _note_status(conn, row["id"], status)  # failed after sent: never again
            return Effect(row["id"], channel, status)
        return await fall_back(conn, row["id"], channel, f"{channel}: {error or 'failed'}")
    await conn.execute(
        """UPDATE notifier.messages
           SET status = CASE WHEN status = 'accepted' THEN 'sent' ELSE status END,
               sent_at = CASE WHEN status = 'accepted' THEN now() ELSE sent_at END,
               status_deadline = NULL,
               delivery_status = CASE
                   WHEN delivery_status IS NULL OR delivery_status = 'accepted' THEN $2
                   WHEN $2 = 'read' OR ($2 = 'delivered' AND delivery_status = 'sent') THEN $2
                   ELSE delivery_status END
           WHERE id = $1""",
        row["id"],
        status,
    )
    return Effect(row["id"], channel, status)


async def _note_status(conn: Connection, message_id: int, status: str) -> None:
    await conn.execute(
        "UPDATE notifier.messages SET delivery_status = $2 WHERE id = $1", message_id, status
    )


async def fall_back(conn: Connection, message_id: int, channel: str, reason: str) -> Effect:
    """The message's current channel will not carry it: the next one takes it now, with
    fresh attempts; with none left, it failed. The caller holds the transaction."""
    row = await conn.fetchrow(
        """UPDATE notifier.messages
           SET channel_index = CASE WHEN channel_index + 1 < cardinality(channels)
                                    THEN channel_index + 1 ELSE channel_index END,
               status = CASE WHEN channel_index + 1 < cardinality(channels)
                             THEN 'pending' ELSE 'failed' END,
               attempts = CASE WHEN channel_index + 1 < cardinality(channels)
                               THEN 0 ELSE attempts END,
               next_attempt_at = now(), status_deadline = NULL,
               delivery_status = 'failed', last_error = $2
           WHERE id = $1
           RETURNING status, channels[channel_index + 1] AS channel""",
        message_id,
        reason[:500],
    )
    if row is not None and row["status"] == "pending":
        await conn.execute("SELECT pg_notify('notifier_messages', '')")
        return Effect(message_id, channel, "failed", fell_back_to=row["channel"])
    return Effect(message_id, channel, "failed", gave_up=True)


async def expire_unanswered(conn: Connection, limit: int = 100) -> list[Effect]:
    """Messages still 'accepted' past their deadline (no `sent`): the hand-over timed out,
    the next channel takes them. One transaction; SKIP LOCKED lets replicas share it."""
    async with conn.transaction():
        rows = await conn.fetch(
            """SELECT id, channels[channel_index + 1] AS channel FROM notifier.messages
               WHERE status = 'accepted' AND status_deadline < now()
               ORDER BY status_deadline LIMIT $1 FOR UPDATE SKIP LOCKED""",
            limit,
        )
        effects = []
        for row in rows:
            await conn.execute(
                """UPDATE notifier.deliveries SET status = 'timeout', updated_at = now()
                   WHERE message_id = $1 AND channel = $2 AND status = 'accepted'""",
                row["id"],
                row["channel"],
            )
            reason = f"{row['channel']}: no `sent` status in time"
            effect = await fall_back(conn, row["id"], row["channel"], reason)
            effects.append(replace(effect, status="timeout"))
        return effects


async def deliveries_of(
    conn: Connection, message_ids: list[int]
) -> dict[int, list[dict[str, object]]]:
    rows = await conn.fetch(
        """SELECT message_id, channel, status, error, requested_at, updated_at
           FROM notifier.deliveries WHERE message_id = ANY($1::bigint[]) ORDER BY id""",
        message_ids,
    )
    out: dict[int, list[dict[str, object]]] = {}
    for r in rows:
        out.setdefault(r["message_id"], []).append(
            {
                "channel": r["channel"],
                "status": r["status"],
                "error": r["error"],
                "requested_at": r["requested_at"].isoformat(),
                "updated_at": r["updated_at"].isoformat(),
            }
        )
    return out


async def channel_counts(conn: Connection, site_id: str | None) -> list[dict[str, object]]:
    rows = await conn.fetch(
        """SELECT d.channel, d.status, count(*) AS n
           FROM notifier.deliveries d JOIN notifier.messages m ON m.id = d.message_id
           WHERE $1::text IS NULL OR m.site_id = $1 GROUP BY d.channel, d.status""",
        site_id,
    )
    return [dict(r) for r in rows]


# -- inbound ---------------------------------------------------------------------------


async def record_inbound(
    conn: Connection, channel: str, provider_id: str, phone: str, body: str
) -> bool:
    """Remember a citizen's message; False when it was already (a redelivered webhook)."""
    return bool(
        await conn.fetchval(
            """INSERT INTO notifier.inbound_messages (channel, provider_message_id, phone, body)
               VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true""",
            channel,
            provider_id,
            phone,
            body[:1000],
        )
    )
