"""Idempotency-Keys: a retried issuing request gets the first request's ticket."""

from __future__ import annotations

from typing import TypedDict
from uuid import UUID

from services.ticketing.repositories.records import maybe
from shared.database import Connection


class Claim(TypedDict):
    """Who holds a key: the first request's fingerprint, ticket and requester."""

    request_hash: str
    ticket_id: UUID
    requester: str | None


async def claim(
    conn: Connection,
    site_id: str,
    key: str,
    request_hash: str,
    ticket_id: UUID,
    requester: str | None = None,
) -> Claim | None:
    """Claim `key` for `ticket_id` (and who asks); if another request holds it, wait for
    that request's transaction and return its claim."""
    claimed = await conn.fetchval(
        """INSERT INTO ticketing.idempotency_keys
               (site_id, key, request_hash, ticket_id, requester)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (site_id, key) DO NOTHING
           RETURNING ticket_id""",
        site_id,
        key,
        request_hash,
        ticket_id,
        requester,
    )
    if claimed is not None:
        return None
    row = await conn.fetchrow(
        """SELECT request_hash, ticket_id, requester FROM ticketing.idempotency_keys
            WHERE site_id = $1 AND key = $2""",
        site_id,
        key,
    )
    return maybe(Claim, row)
