"""Fixed-window counters in `ticketing.rate_limits`, kept as SQL, so limits hold across
replicas: one row per key and window."""

from __future__ import annotations

from datetime import datetime

from shared.database import Connection


async def hit(conn: Connection, key: str, window_start: datetime) -> int:
    """Count one more hit of `key` in the window; the hits so far, this one included."""
    hits: int = await conn.fetchval(
        """INSERT INTO ticketing.rate_limits AS r (key, window_start, hits) VALUES ($1, $2, 1)
           ON CONFLICT (key, window_start) DO UPDATE SET hits = r.hits + 1
           RETURNING hits""",
        key,
        window_start,
    )
    return hits


async def hits(conn: Connection, key: str, window_start: datetime) -> int | None:
    """The hits of `key` in the window (None before the first)."""
    count: int | None = await conn.fetchval(
        "SELECT hits FROM ticketing.rate_limits WHERE key = $1 AND window_start = $2",
        key,
        window_start,
    )
    return count
