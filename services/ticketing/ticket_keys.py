"""The ticket's holder (CONTRACT.md "Who may do what"): the `ticket_key` that only the
answer to the one who took the ticket carries, and the check of it where the holder acts
(cancel, survey).

The key is derived, not stored: base64url(HMAC-SHA256(TOKEN_SECRET, "ticket-key:<id>")),
cut to 192 bits. Nothing in the database, an event or a log can give it away, and an
Idempotency-Key replay to the same caller can answer it again. Whoever holds TOKEN_SECRET
could derive every key, but could also sign any staff token: the secret guards both alike.

A wrong key counts a miss against the ticket (in ticketing.rate_limits, outside any
transaction, so the refusal keeps it); after `MAX_MISSES` misses the ticket answers 429
to every further key, right or wrong, so the answer is no oracle."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from uuid import UUID

from services.ticketing.booking import TooManyRequests
from services.ticketing.queue import NotAllowed, NotFound
from shared.database import Connection

KEY_BYTES = 24
"""192 bits: above the contract's 128, and still a short QR code."""

MAX_MISSES = 10
"""Wrong keys one ticket takes before it refuses every key (429)."""

LOCKED_RETRY_S = 24 * 3600
"""What a locked ticket's 429 says in Retry-After: a ticket lives one day."""

_MISSES_SINCE = datetime(1970, 1, 1, tzinfo=UTC)
"""The misses of a ticket are counted over its whole life: one window, from the epoch."""


class KeyRequired(Exception):
    """The call needs the holder's key and none came (HTTP 401)."""


def ticket_key(ticket_id: UUID | str, secret: str) -> str:
    """The holder's key of a ticket."""
    message = f"ticket-key:{UUID(str(ticket_id))}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()[:KEY_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def is_holder(ticket_id: UUID | str, key: str, secret: str) -> bool:
    """Whether `key` is the ticket's key, compared in constant time."""
    expected = ticket_key(ticket_id, secret).encode()
    return hmac.compare_digest(expected, key.strip().encode("utf-8", "replace"))


async def check(conn: Connection, ticket_id: UUID, key: str | None, secret: str) -> None:
    """Let the call through only for the ticket's holder: 404 unknown ticket, 401 no key,
    429 after too many misses, 403 a wrong key (counted). Run it outside a transaction."""
    if not await conn.fetchval("SELECT true FROM ticketing.tickets WHERE id = $1", ticket_id):
        raise NotFound("ticket not found")
    if not key:
        raise KeyRequired("header Ticket-Key wajib: kunci tiket ada di tautan struk (/t/…#key=…)")
    counter = f"ticket-key:{ticket_id}"
    misses = await conn.fetchval(
        "SELECT hits FROM ticketing.rate_limits WHERE key = $1 AND window_start = $2",
        counter,
        _MISSES_SINCE,
    )
    if misses is not None and misses >= MAX_MISSES:
        raise _locked()
    if is_holder(ticket_id, key, secret):
        return
    misses = await conn.fetchval(
        """INSERT INTO ticketing.rate_limits AS r (key, window_start, hits) VALUES ($1, $2, 1)
           ON CONFLICT (key, window_start) DO UPDATE SET hits = r.hits + 1
           RETURNING hits""",
        counter,
        _MISSES_SINCE,
    )
    if misses > MAX_MISSES:
        raise _locked()
    raise NotAllowed("Ticket-Key salah untuk tiket ini")


def _locked() -> TooManyRequests:
    return TooManyRequests(
        f"kunci tiket salah {MAX_MISSES} kali; tiket ini tidak menerima kunci lagi",
        LOCKED_RETRY_S,
    )
