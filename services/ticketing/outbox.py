"""The write side of the outbox: record events in the caller's transaction.

Every state change in ticketing calls `record_events` inside the same transaction
that changes the ticket, so the change and its event commit together or not at all.
`sequence` (per-site, gapless, commit-ordered) and `occurred_at` are stamped here.
The relay (`relay.py`) publishes them; it is woken by NOTIFY on commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, cast

from shared.database import Connection
from shared.events import AnyEvent, PhoneVerificationRequested
from shared.tracecontext import current_traceparent

NOTIFY_CHANNEL = "ticketing_outbox"


async def lock_site_sequence(conn: Connection, site_id: str) -> None:
    """Take the site's sequence row lock now (it is held until commit).

    Whatever the transaction reads AFTER this sees every state change of the site that
    comes before it in sequence order, and none that comes after: the place to compute
    figures an event carries about the queue (waiting counts, the head of the line)."""
    await conn.execute(
        """INSERT INTO ticketing.site_event_sequences AS s (site_id, last_seq) VALUES ($1, 0)
           ON CONFLICT (site_id) DO UPDATE SET last_seq = s.last_seq""",
        site_id,
    )


OutboxEvent = TypeVar("OutboxEvent", bound=AnyEvent | PhoneVerificationRequested)


async def record_events(
    conn: Connection, site_id: str, events: list[OutboxEvent]
) -> list[OutboxEvent]:
    """Stamp `sequence` and `occurred_at` on `events` and insert them into the outbox.

    Must run inside a transaction (asserted). Take this as the LAST step of the
    transaction: the per-site sequence row stays locked until commit, which is what
    makes sequence order equal commit order, so keep the lock short.
    Returns the stamped events (events are immutable; these are new copies).
    """
    if not conn.is_in_transaction():
        raise RuntimeError("record_events must run inside the state change's transaction")
    if not events:
        return []
    row = await conn.fetchrow(
        """INSERT INTO ticketing.site_event_sequences AS s (site_id, last_seq) VALUES ($1, $2)
           ON CONFLICT (site_id) DO UPDATE SET last_seq = s.last_seq + EXCLUDED.last_seq
           RETURNING last_seq, clock_timestamp() AS now""",
        site_id,
        len(events),
    )
    assert row is not None
    first: int = row["last_seq"] - len(events) + 1
    now: datetime = row["now"]
    stamped: list[OutboxEvent] = [
        cast(OutboxEvent, e.model_copy(update={"sequence": first + i, "occurred_at": now}))
        for i, e in enumerate(events)
    ]
    traceparent = current_traceparent()  # the request's trace, continued by the consumers
    records: list[tuple[Any, ...]] = [
        (site_id, e.sequence, e.topic, e.event_id, e.to_json().decode(), traceparent)
        for e in stamped
    ]
    await conn.executemany(
        """INSERT INTO ticketing.outbox (site_id, site_seq, topic, event_id, payload, traceparent)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        records,
    )
    await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, site_id)
    return stamped
