"""A site's counters: the active ones, one locked for its calls, marked active, paused for a
break and back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypedDict

from services.ticketing.repositories.records import many, maybe, one
from shared.database import Connection


class CounterListed(TypedDict):
    id: str
    name: str
    service_ids: list[str]
    call_order: Literal["longest_wait", "configured"]
    last_active_at: datetime | None
    paused_at: datetime | None
    paused_reason: str | None


class Counter(CounterListed):
    site_id: str
    position: int
    active: bool


async def counters(conn: Connection, site_id: str) -> list[CounterListed]:
    rows = await conn.fetch(
        """SELECT id, name, service_ids, call_order, last_active_at, paused_at, paused_reason
             FROM ticketing.counters
            WHERE site_id = $1 AND active ORDER BY position""",
        site_id,
    )
    return many(CounterListed, rows)


async def counter(
    conn: Connection, site_id: str, counter_id: str, *, lock: bool = False
) -> Counter | None:
    """An active counter; with `lock`, locked until commit: one counter's calls happen one
    at a time."""
    row = await conn.fetchrow(
        f"""SELECT * FROM ticketing.counters WHERE site_id = $1 AND id = $2 AND active
            {"FOR UPDATE" if lock else ""}""",
        site_id,
        counter_id,
    )
    return maybe(Counter, row)


async def lock_counter(conn: Connection, site_id: str, counter_id: str) -> Counter | None:
    """The counter, locked until commit: one counter's calls happen one at a time."""
    return await counter(conn, site_id, counter_id, lock=True)


async def touch_counter(conn: Connection, site_id: str, counter_id: str) -> None:
    await conn.execute(
        """UPDATE ticketing.counters SET last_active_at = clock_timestamp()
            WHERE site_id = $1 AND id = $2""",
        site_id,
        counter_id,
    )


async def set_break(conn: Connection, site_id: str, counter_id: str, reason: str | None) -> Counter:
    """Start the counter's break with `reason` (None: end it); it counts as active now."""
    row = await conn.fetchrow(
        """UPDATE ticketing.counters
              SET paused_reason = $3,
                  paused_at = CASE WHEN $3::text IS NULL THEN NULL ELSE clock_timestamp() END,
                  last_active_at = clock_timestamp()
            WHERE site_id = $1 AND id = $2 RETURNING *""",
        site_id,
        counter_id,
        reason,
    )
    assert row is not None, f"counter {counter_id} exists"
    return one(Counter, row)
