"""The ticket's holder (CONTRACT.md "Who may do what"): the `ticket_key` that only the
answer to the one who took the ticket carries, and the check of it where the holder acts
(cancel, survey).

The key is derived, not stored: base64url(HMAC-SHA256(TOKEN_SECRET, "ticket-key:<id>")),
cut to 192 bits. Nothing in the database, an event or a log can give it away, and an
Idempotency-Key replay to the same caller can answer it again. Whoever holds TOKEN_SECRET
could derive every key, but could also sign any staff token: the secret guards both alike.

A wrong key counts a miss against the ticket (`guessing`, outside any transaction, so the
refusal keeps it); after `MAX_MISSES` misses in a day (a ticket's life) the ticket answers
429 to every further key, right or wrong, so the answer is no oracle."""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

from services.ticketing.errors import NotAllowed, NotAuthenticated, NotFound
from services.ticketing.guessing import record_miss, refuse_if_guessing
from shared.database import Connection

KEY_BYTES = 24
"""192 bits: above the contract's 128, and still a short QR code."""

MAX_MISSES = 10
"""Wrong keys one ticket takes before it refuses every key (429)."""

MISS_WINDOW_S = 24 * 3600
"""Misses are counted per day: a ticket lives one."""


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
        raise NotAuthenticated(
            "header Ticket-Key wajib: kunci tiket ada di tautan QR struk (/t/…#key=…)"
        )
    guard = f"ticket-key:{ticket_id}"
    await refuse_if_guessing(conn, guard, MAX_MISSES, MISS_WINDOW_S, "kunci tiket")
    if is_holder(ticket_id, key, secret):
        return
    await record_miss(conn, guard, MISS_WINDOW_S)
    raise NotAllowed("Ticket-Key salah untuk tiket ini")
