"""Against guessing (CONTRACT.md "Cost and abuse limits"): a secret that can be tried —
an appointment code, a ticket key — gets 429 after a number of misses per key (an address,
a kiosk, a ticket) in a window. Only misses count, and counting them is the only write a
refused request makes. Counters live in `ticketing.rate_limits`, so they hold across
replicas."""

from __future__ import annotations

import time
from datetime import datetime

from services.ticketing.booking import TooManyRequests
from services.ticketing.repositories import rate_limits
from shared.database import Connection


def _window(window_s: int) -> tuple[datetime, int]:
    now = time.time()
    start = datetime.fromtimestamp(now - now % window_s).astimezone()
    return start, int(window_s - now % window_s) + 1


async def refuse_if_guessing(
    conn: Connection, key: str, allowed: int, window_s: int, what: str
) -> None:
    """429 once `key` has missed `allowed` times in this window."""
    start, retry = _window(window_s)
    misses = await rate_limits.hits(conn, f"miss:{key}", start)
    if misses is not None and misses >= allowed:
        raise TooManyRequests(f"terlalu banyak percobaan {what} yang salah; coba lagi nanti", retry)


async def record_miss(conn: Connection, key: str, window_s: int) -> None:
    start, _ = _window(window_s)
    await rate_limits.hit(conn, f"miss:{key}", start)
