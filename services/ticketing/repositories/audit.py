"""The audit log, kept as SQL: who did what to what, when, with the state before and after
(JSON). Written inside the transaction of the action it records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from services.ticketing.repositories.rows import rows_of
from shared.database import Connection


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    before: object  # JSON as decoded: a dict, a list, a scalar or None
    after: object


async def record(
    conn: Connection,
    *,
    site_id: str | None,
    actor: str,
    role: str,
    action: str,
    target: str,
    before: object,
    after: object,
) -> None:
    await conn.execute(
        """INSERT INTO ticketing.audit_log (site_id, actor, role, action, target, before, after)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        site_id,
        actor,
        role,
        action,
        target,
        before,
        after,
    )


async def entries(
    conn: Connection,
    site_id: str,
    limit: int,
    *,
    action: str | None = None,
    actor: str | None = None,
    period: tuple[date | None, date | None, str] | None = None,
) -> list[AuditEntry]:
    """The site's latest `limit` entries, newest first; only one action or actor when given,
    and only those of the days `period` (first day, last day, the site's zone) when given."""
    first, last, zone = period if period else (None, None, "UTC")
    rows = await conn.fetch(
        """SELECT id, at, actor, role, action, target, before, after FROM ticketing.audit_log
            WHERE site_id = $1
              AND ($3::text IS NULL OR action = $3)
              AND ($4::text IS NULL OR actor = $4)
              AND ($5::date IS NULL OR (at AT TIME ZONE $7)::date >= $5)
              AND ($6::date IS NULL OR (at AT TIME ZONE $7)::date <= $6)
            ORDER BY id DESC LIMIT $2""",
        site_id,
        limit,
        action,
        actor,
        first,
        last,
        zone,
    )
    return rows_of(AuditEntry, rows)
