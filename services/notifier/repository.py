"""SQL of the notifier schema, kept as SQL. Functions take an asyncpg connection;
the caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeAlias
from uuid import UUID

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

from services.notifier.channels import Template
from shared.events import AnyEvent, parse_event
from shared.tracecontext import current_traceparent

Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
"""A plain connection or one borrowed from the pool: both run the same SQL."""

SCHEMA = "notifier"
NOTIFY_CHANNEL = "notifier_messages"


@dataclass(frozen=True)
class Contact:
    ticket_id: UUID
    site_id: str
    site_name: str
    phone: str
    ticket_number: str
    service_name: str
    issued_event_id: UUID


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    event_id: UUID
    kind: str
    ticket_id: UUID
    phone: str
    text: str
    attempts: int
    site_id: str = ""
    channels: tuple[str, ...] | None = None
    """Its channel order, fixed when first claimed (None: not yet, the site's order)."""
    channel_index: int = 0
    template: Template | None = None
    traceparent: str | None = None
    """The trace of the event it was queued for (its lines and spans belong to it)."""


def _template_json(template: Template | None) -> dict[str, object] | None:
    """For the jsonb column (the pool's codec encodes it)."""
    if template is None:
        return None
    return {"name": template.name, "values": list(template.values), "copy_code": template.copy_code}


def _template_of(value: object) -> Template | None:
    if value is None:
        return None
    data = orjson.loads(value) if isinstance(value, str | bytes) else value
    if not isinstance(data, dict):
        return None
    return Template(str(data["name"]), tuple(data["values"]), data.get("copy_code"))


_CONTACT_COLUMNS = (
    "ticket_id, site_id, site_name, phone, ticket_number, service_name, issued_event_id"
)


async def mark_processed(conn: Connection, event_id: UUID) -> bool:
    """Record the event as handled; False when it already was (a duplicate)."""
    inserted = await conn.fetchval(
        """INSERT INTO notifier.processed_events (event_id) VALUES ($1)
           ON CONFLICT (event_id) DO NOTHING RETURNING true""",
        event_id,
    )
    return bool(inserted)


async def add_contact(conn: Connection, contact: Contact) -> bool:
    """Remember where to text a ticket's holder; False if the ticket already had a contact."""
    inserted = await conn.fetchval(
        f"""INSERT INTO notifier.contacts ({_CONTACT_COLUMNS})
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (ticket_id) DO NOTHING RETURNING true""",
        contact.ticket_id,
        contact.site_id,
        contact.site_name,
        contact.phone,
        contact.ticket_number,
        contact.service_name,
        contact.issued_event_id,
    )
    return bool(inserted)


def _contact(row: asyncpg.Record) -> Contact:
    return Contact(**{k: row[k] for k in _CONTACT_COLUMNS.split(", ")})


async def contact_of(conn: Connection, ticket_id: UUID) -> Contact | None:
    row = await conn.fetchrow(
        f"SELECT {_CONTACT_COLUMNS} FROM notifier.contacts WHERE ticket_id = $1", ticket_id
    )
    return _contact(row) if row else None


async def mark_called(conn: Connection, ticket_id: UUID, called: bool = True) -> None:
    await conn.execute(
        "UPDATE notifier.contacts SET called = $2 WHERE ticket_id = $1", ticket_id, called
    )


async def mark_served(conn: Connection, ticket_id: UUID, at: datetime) -> None:
    await conn.execute(
        "UPDATE notifier.contacts SET served_at = $2 WHERE ticket_id = $1", ticket_id, at
    )


async def served_at(conn: Connection, ticket_id: UUID) -> datetime | None:
    value = await conn.fetchval(
        "SELECT served_at FROM notifier.contacts WHERE ticket_id = $1", ticket_id
    )
    return value if isinstance(value, datetime) else None


async def claim_near_turn(conn: Connection, ticket_id: UUID) -> Contact | None:
    """Flip near_turn_sent once: the contact if this call claimed it, else None
    (no contact, already sent, or the ticket was already called)."""
    row = await conn.fetchrow(
        f"""UPDATE notifier.contacts SET near_turn_sent = true
            WHERE ticket_id = $1 AND NOT near_turn_sent AND NOT called
            RETURNING {_CONTACT_COLUMNS}""",
        ticket_id,
    )
    return _contact(row) if row else None


async def has_contact(conn: Connection, ticket_id: UUID) -> bool:
    return bool(
        await conn.fetchval("SELECT true FROM notifier.contacts WHERE ticket_id = $1", ticket_id)
    )


async def remember_early_near_turn(conn: Connection, ticket_id: UUID, waiting_ahead: int) -> None:
    await conn.execute(
        """INSERT INTO notifier.early_near_turns (ticket_id, waiting_ahead) VALUES ($1, $2)
           ON CONFLICT (ticket_id) DO UPDATE
           SET waiting_ahead = LEAST(early_near_turns.waiting_ahead, EXCLUDED.waiting_ahead)""",
        ticket_id,
        waiting_ahead,
    )


async def take_early_near_turn(conn: Connection, ticket_id: UUID) -> int | None:
    """waiting_ahead seen before the ticket's ticket-issued was handled, if any (and forget it)."""
    value = await conn.fetchval(
        "DELETE FROM notifier.early_near_turns WHERE ticket_id = $1 RETURNING waiting_ahead",
        ticket_id,
    )
    return int(value) if value is not None else None


async def keep_early_event(conn: Connection, event: AnyEvent) -> None:
    await conn.execute(
        """INSERT INTO notifier.early_events (event_id, ticket_id, occurred_at, sequence, event)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING""",
        event.event_id,
        event.ticket_id,
        event.occurred_at,
        event.sequence,
        event.model_dump(mode="json"),
    )


async def take_early_events(conn: Connection, ticket_id: UUID) -> list[AnyEvent]:
    """The ticket's events that came before its ticket-issued, in commit order (and forget them)."""
    rows = await conn.fetch(
        """DELETE FROM notifier.early_events WHERE ticket_id = $1
           RETURNING sequence, occurred_at, event""",
        ticket_id,
    )
    rows = sorted(rows, key=lambda r: (r["sequence"] is None, r["sequence"] or 0, r["occurred_at"]))
    return [parse_event(orjson.dumps(r["event"])) for r in rows]


async def queue_message(
    conn: Connection,
    *,
    event_id: UUID,
    kind: str,
    contact: Contact,
    text: str,
    skipped_reason: str | None = None,
    template: Template | None = None,
    channels: tuple[str, ...] | None = None,
) -> bool:
    """Queue one message; False when this (event_id, kind) was already queued (never twice).

    `template` is what WhatsApp sends instead of `text`; `channels` fixes the order (a
    reply goes back by the channel it answers), None leaves it to the site's.
    With `skipped_reason` the message is recorded as not sent on purpose (status
    'skipped'): staff see it and why in the history, the sender never claims it."""
    inserted = await conn.fetchval(
        """INSERT INTO notifier.messages
               (event_id, kind, ticket_id, site_id, phone, text, status, skipped_reason,
                template, channels, traceparent)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)
           ON CONFLICT (event_id, kind) DO NOTHING RETURNING true""",
        event_id,
        kind,
        contact.ticket_id,
        contact.site_id,
        contact.phone,
        text,
        "pending" if skipped_reason is None else "skipped",
        skipped_reason,
        _template_json(template),
        list(channels) if channels is not None else None,
        current_traceparent(),  # the consumed event's trace, continued by the sender
    )
    return bool(inserted)


async def count_issued(
    conn: Connection, *, site_id: str, phone: str, day: date, cap: int | None
) -> bool:
    """Count one more `issued` SMS to `phone` at `site_id` on the site-local `day`; False
    (nothing counted) when the phone already had `cap` of them (None: no cap). The row lock
    of the upsert serialises concurrent handlers of one phone: the count cannot overshoot."""
    if cap is not None and cap <= 0:
        return False
    counted = await conn.fetchval(
        """INSERT INTO notifier.issued_counts (site_id, phone, day, issued)
           VALUES ($1, $2, $3, 1)
           ON CONFLICT (site_id, phone, day) DO UPDATE
               SET issued = issued_counts.issued + 1
               WHERE $4::integer IS NULL OR issued_counts.issued < $4::integer
           RETURNING issued""",
        site_id,
        phone,
        day,
        cap,
    )
    return counted is not None


async def wake_senders(conn: Connection) -> None:
    """NOTIFY the senders; delivered when the surrounding transaction commits."""
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


# -- the sender's side ---------------------------------------------------------------


async def claim_due_messages(conn: Connection, limit: int, lease_s: float) -> list[OutgoingMessage]:
    """Take up to `limit` messages due now, or left 'sending' past the lease by a dead process.

    A ticket's messages go one at a time, oldest first (issued before called), unless
    the older one is waiting out a retry backoff: a failing SMS never delays a call.

    SKIP LOCKED lets several senders (replicas) share the table without waiting on each other.
    """
    rows = await conn.fetch(
        """UPDATE notifier.messages m SET status = 'sending', claimed_at = now()
           WHERE m.id IN (
               SELECT id FROM notifier.messages
               WHERE ((status = 'pending' AND next_attempt_at <= now())
                   OR (status = 'sending' AND claimed_at < now() - make_interval(secs => $2)))
                 -- one ticket's SMS go out in the order they were queued: wait while an
                 -- older one of the same ticket is in flight or due (not while it backs off)
                 AND NOT EXISTS (
                     SELECT 1 FROM notifier.messages older
                     WHERE older.ticket_id = messages.ticket_id AND older.id < messages.id
                       AND (older.status = 'sending'
                            OR (older.status = 'pending' AND older.next_attempt_at <= now())))
               ORDER BY next_attempt_at, id
               LIMIT $1
               FOR UPDATE SKIP LOCKED)
           RETURNING m.id, m.event_id, m.kind, m.ticket_id, m.phone, m.text, m.attempts,
                     m.site_id, m.channels, m.channel_index, m.template, m.traceparent""",
        limit,
        lease_s,
    )
    return [
        OutgoingMessage(
            **{k: v for k, v in dict(r).items() if k not in ("channels", "template")},
            channels=tuple(r["channels"]) if r["channels"] is not None else None,
            template=_template_of(r["template"]),
        )
        for r in rows
    ]


async def mark_attempt_failed(
    conn: Connection, message_id: int, error: str, retry_in_s: float | None
) -> None:
    """Count a failed attempt: retry after `retry_in_s`, or give up (status failed) when None."""
    if retry_in_s is None:
        await conn.execute(
            """UPDATE notifier.messages
               SET status = 'failed', attempts = attempts + 1, last_error = $2
               WHERE id = $1 AND status = 'sending'""",
            message_id,
            error,
        )
    else:
        await conn.execute(
            """UPDATE notifier.messages
               SET status = 'pending', attempts = attempts + 1, last_error = $2,
                   next_attempt_at = now() + make_interval(secs => $3)
               WHERE id = $1 AND status = 'sending'""",
            message_id,
            error,
            retry_in_s,
        )


async def seconds_until_next_due(conn: Connection) -> float | None:
    value = await conn.fetchval(
        """SELECT EXTRACT(EPOCH FROM min(due) - now()) FROM (
               SELECT min(next_attempt_at) AS due FROM notifier.messages
               WHERE status = 'pending'
               UNION ALL
               SELECT min(status_deadline) FROM notifier.messages WHERE status = 'accepted'
           ) d"""
    )
    return max(0.0, float(value)) if value is not None else None


async def forget_old_bookkeeping(conn: Connection) -> None:
    """Early near-turn sightings of tickets that never got a contact are useless after a day;
    processed event ids only matter while Kafka could redeliver them (messages keep their
    own (event_id, kind) guard forever)."""
    await conn.execute(
        "DELETE FROM notifier.early_near_turns WHERE seen_at < now() - interval '1 day'"
    )
    await conn.execute("DELETE FROM notifier.early_events WHERE seen_at < now() - interval '1 day'")
    await conn.execute(
        "DELETE FROM notifier.processed_events WHERE processed_at < now() - interval '30 days'"
    )
    # a site-local day is over everywhere two days after it began in UTC terms
    await conn.execute("DELETE FROM notifier.issued_counts WHERE day < current_date - 2")


# -- operators' read side --------------------------------------------------------------


async def messages_of_ticket(conn: Connection, ticket_id: UUID) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            """SELECT id, event_id, kind, ticket_id, site_id, phone, text, status, attempts,
                      next_attempt_at, last_error, skipped_reason, created_at, sent_at,
                      channels, channel_index, delivery_status
               FROM notifier.messages WHERE ticket_id = $1 ORDER BY id""",
            ticket_id,
        )
    )


async def message_counts(conn: Connection, site_id: str | None) -> list[asyncpg.Record]:
    """Messages by kind and status, of one site (None: every site)."""
    return list(
        await conn.fetch(
            """SELECT kind, status, count(*) AS n FROM notifier.messages
               WHERE $1::text IS NULL OR site_id = $1 GROUP BY kind, status""",
            site_id,
        )
    )
