"""Enrolled kiosks, kept as SQL. Only a token's sha256 is stored; no row read here carries
it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.ticketing.repositories.rows import maybe_row, row_of, rows_of
from shared.database import Connection


@dataclass(frozen=True)
class Kiosk:
    id: UUID
    site_id: str
    name: str
    enrolled_at: datetime
    enrolled_by: str
    revoked_at: datetime | None
    revoked_by: str | None


_COLUMNS = "id, site_id, name, enrolled_at, enrolled_by, revoked_at, revoked_by"


@dataclass(frozen=True)
class LiveKiosk:
    id: UUID
    site_id: str
    name: str


async def enrol(
    conn: Connection, kiosk_id: UUID, site_id: str, name: str, token_hash: str, by: str
) -> Kiosk:
    row = await conn.fetchrow(
        f"""INSERT INTO ticketing.kiosks (id, site_id, name, token_hash, enrolled_by)
            VALUES ($1, $2, $3, $4, $5) RETURNING {_COLUMNS}""",
        kiosk_id,
        site_id,
        name,
        token_hash,
        by,
    )
    assert row is not None
    return row_of(Kiosk, row)


async def site_kiosks(conn: Connection, site_id: str) -> list[Kiosk]:
    """Live and revoked, oldest first."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM ticketing.kiosks WHERE site_id = $1
            ORDER BY enrolled_at, id""",
        site_id,
    )
    return rows_of(Kiosk, rows)


async def lock_kiosk(conn: Connection, site_id: str, kiosk_id: UUID) -> Kiosk | None:
    row = await conn.fetchrow(
        f"""SELECT {_COLUMNS} FROM ticketing.kiosks WHERE id = $1 AND site_id = $2
            FOR UPDATE""",
        kiosk_id,
        site_id,
    )
    return maybe_row(Kiosk, row)


async def revoke(conn: Connection, kiosk_id: UUID, by: str) -> Kiosk:
    row = await conn.fetchrow(
        f"""UPDATE ticketing.kiosks SET revoked_at = clock_timestamp(), revoked_by = $2
             WHERE id = $1 RETURNING {_COLUMNS}""",
        kiosk_id,
        by,
    )
    assert row is not None  # the caller holds the kiosk's lock
    return row_of(Kiosk, row)


async def live_kiosk(conn: Connection, site_id: str, token_hash: str) -> LiveKiosk | None:
    """The unrevoked kiosk of `site_id` whose token has this hash."""
    row = await conn.fetchrow(
        """SELECT id, site_id, name FROM ticketing.kiosks
            WHERE token_hash = $1 AND site_id = $2 AND revoked_at IS NULL""",
        token_hash,
        site_id,
    )
    return maybe_row(LiveKiosk, row)
