"""The write side of the outbox: record events in the caller's transaction.

Every state change in ticketing calls `record_events` inside the same transaction
that changes the ticket, so the change and its event commit together or not at all.
`sequence` (per-site, gapless, commit-ordered) and `occurred_at` are stamped here.
The relay (`relay.py`) publishes them; it is woken by NOTIFY on commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar, cast

from shared.database import Connection
from shared.events import (
    AnyEvent,
    AppointmentBooked,
    PhoneVerificationRequested,
    SiteStatusChanged,
)
from shared.tracecontext import current_traceparent

NOTIFY_CHANNEL = "ticketing_outbox"


@dataclass(frozen=True)
class SiteSequence:
    """The site's sequence row, locked by this transaction until commit."""

    site_id: str
    last_seq: int
    locked_at: datetime


async def lock_site_sequence(conn: Connection, site_id: str) -> SiteSequence:
    """Take the site's sequence row lock now (it is held until commit).

    Whatever the transaction reads AFTER this sees every state change of the site that
    comes before it in sequence order, and none that comes after: the place to compute
    figures an event carries about the queue (waiting counts, the head of the line)."""
    row = await conn.fetchrow(
        """INSERT INTO ticketing.site_event_sequences AS s (site_id, last_seq) VALUES ($1, 0)
           ON CONFLICT (site_id) DO UPDATE SET last_seq = s.last_seq
           RETURNING last_seq, clock_timestamp() AS now""",
        site_id,
    )
    assert row is not None
    return SiteSequence(site_id, row["last_seq"], row["now"])


OutboxEvent = TypeVar(
    "OutboxEvent",
    bound=AnyEvent | PhoneVerificationRequested | SiteStatusChanged | AppointmentBooked,
)


async def record_events(
    conn: Connection,
    site_id: str,
    events: list[OutboxEvent],
    sequence: SiteSequence | None = None,
) -> list[OutboxEvent]:
    """Stamp `sequence` and `occurred_at` on `events` and insert them into the outbox.

    Must run inside a transaction (asserted). Take this as the LAST step of the
    transaction: the per-site sequence row stays locked until commit, which is what
    makes sequence order equal commit order, so keep the lock short. `sequence`: the
    lock this transaction already took (`lock_site_sequence`), else it is taken here;
    `occurred_at` is when it was taken. The sequence, the outbox rows and the relay's
    NOTIFY are written in one trip.
    Returns the stamped events (events are immutable; these are new copies).
    """
    if not conn.is_in_transaction():
        raise RuntimeError("record_events must run inside the state change's transaction")
    if not events:
        return []
    if sequence is None:
        sequence = await lock_site_sequence(conn, site_id)
    if sequence.site_id != site_id:
        raise ValueError(f"the lock taken is {sequence.site_id!r}'s, not {site_id!r}'s")
    first = sequence.last_seq + 1
    stamped: list[OutboxEvent] = [
        cast(
            OutboxEvent,
            e.model_copy(update={"sequence": first + i, "occurred_at": sequence.locked_at}),
        )
        for i, e in enumerate(events)
    ]
    await conn.execute(
        """WITH next AS (
               UPDATE ticketing.site_event_sequences SET last_seq = $2 WHERE site_id = $1),
           rows AS (
               INSERT INTO ticketing.outbox
                      (site_id, site_seq, topic, event_id, payload, traceparent)
               SELECT $1, e.site_seq, e.topic, e.event_id, e.payload, $7
                 FROM unnest($3::bigint[], $4::text[], $5::uuid[], $6::text[])
                      AS e(site_seq, topic, event_id, payload))
           SELECT pg_notify($8, $1)""",
        site_id,
        first + len(stamped) - 1,
        [e.sequence for e in stamped],
        [e.topic for e in stamped],
        [e.event_id for e in stamped],
        [e.to_json().decode() for e in stamped],
        current_traceparent(),  # the request's trace, continued by the consumers
        NOTIFY_CHANNEL,
    )
    return stamped
