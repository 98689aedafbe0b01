"""Complaints and suggestions, their numbers and answers, kept as SQL. A complaint is read
with the names of its ticket, service and agency; the client's keyed hash stays here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from services.ticketing.repositories.rows import maybe_row, row_of, rows_of
from shared.database import Connection


@dataclass(frozen=True)
class Complaint:
    id: UUID
    number: str
    site_id: str
    kind: str
    text: str
    ticket_id: UUID | None
    ticket_number: str | None
    service_id: str | None
    service_name: str | None
    agency_id: str | None
    agency_name: str | None
    contact_phone: str | None
    status: str
    received_at: datetime
    in_process_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class Answer:
    at: datetime
    actor: str
    status: str
    text: str


@dataclass(frozen=True)
class NewComplaint:
    id: UUID
    site_id: str
    number: str
    kind: str
    text: str
    ticket_id: UUID | None
    service_id: str | None
    agency_id: str | None
    contact_phone: str | None
    client_key: str


@dataclass(frozen=True)
class Recent:
    """A client's complaints in the window: how many, the oldest, and the database's now."""

    n: int
    oldest: datetime | None
    now: datetime


@dataclass(frozen=True)
class Locked:
    id: UUID
    site_id: str
    number: str
    status: str


SELECT = """
SELECT c.*, t.number AS ticket_number, s.name AS service_name, a.name AS agency_name
  FROM ticketing.complaints c
  LEFT JOIN ticketing.tickets t ON t.id = c.ticket_id
  LEFT JOIN ticketing.services s ON s.site_id = c.site_id AND s.id = c.service_id
  LEFT JOIN ticketing.agencies a ON a.site_id = c.site_id AND a.id = c.agency_id
"""


async def agency_exists(conn: Connection, site_id: str, agency_id: str) -> bool:
    found = await conn.fetchval(
        "SELECT true FROM ticketing.agencies WHERE site_id = $1 AND id = $2", site_id, agency_id
    )
    return bool(found)


async def lock_client(conn: Connection, client_key: str) -> None:
    """One client at a time until commit, so two requests at once cannot both pass."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", client_key)


async def recent(conn: Connection, client_key: str, window: timedelta) -> Recent:
    row = await conn.fetchrow(
        """SELECT count(*) AS n, min(received_at) AS oldest, now() AS now
             FROM ticketing.complaints
            WHERE client_key = $1 AND received_at > now() - $2::interval""",
        client_key,
        window,
    )
    assert row is not None  # an aggregate without GROUP BY answers one row
    return row_of(Recent, row)


async def next_number(conn: Connection, site_id: str) -> int:
    """The site's next complaint number (1, 2, …), taken until commit."""
    seq: int = await conn.fetchval(
        """INSERT INTO ticketing.complaint_numbers AS n (site_id, last_number) VALUES ($1, 1)
           ON CONFLICT (site_id) DO UPDATE SET last_number = n.last_number + 1
           RETURNING last_number""",
        site_id,
    )
    return seq


async def insert(conn: Connection, c: NewComplaint) -> None:
    await conn.execute(
        """INSERT INTO ticketing.complaints
               (id, site_id, number, kind, text, ticket_id, service_id, agency_id,
                contact_phone, client_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        c.id,
        c.site_id,
        c.number,
        c.kind,
        c.text,
        c.ticket_id,
        c.service_id,
        c.agency_id,
        c.contact_phone,
        c.client_key,
    )


async def complaint(conn: Connection, complaint_id: UUID) -> Complaint | None:
    return maybe_row(Complaint, await conn.fetchrow(SELECT + " WHERE c.id = $1", complaint_id))


async def site_complaints(
    conn: Connection, site_id: str, status: str | None, limit: int, offset: int
) -> list[Complaint]:
    """Newest first, of one status or all (None)."""
    rows = await conn.fetch(
        SELECT
        + """ WHERE c.site_id = $1 AND ($2::text IS NULL OR c.status = $2)
              ORDER BY c.received_at DESC, c.number DESC LIMIT $3 OFFSET $4""",
        site_id,
        status,
        limit,
        offset,
    )
    return rows_of(Complaint, rows)


async def received_between(
    conn: Connection, site_id: str, start: datetime | None, end: datetime | None
) -> list[Complaint]:
    """Received in [start, end) (an open end when None), oldest first."""
    rows = await conn.fetch(
        SELECT
        + """ WHERE c.site_id = $1
                AND ($2::timestamptz IS NULL OR c.received_at >= $2)
                AND ($3::timestamptz IS NULL OR c.received_at < $3)
              ORDER BY c.received_at, c.number""",
        site_id,
        start,
        end,
    )
    return rows_of(Complaint, rows)


async def lock(conn: Connection, complaint_id: UUID) -> Locked | None:
    row = await conn.fetchrow(
        """SELECT id, site_id, number, status FROM ticketing.complaints
            WHERE id = $1 FOR UPDATE""",
        complaint_id,
    )
    return maybe_row(Locked, row)


async def set_status(conn: Connection, complaint_id: UUID, status: str) -> None:
    """in_process keeps its first time; resolved is stamped now."""
    await conn.execute(
        """UPDATE ticketing.complaints
              SET status = $2,
                  in_process_at = CASE WHEN $2 = 'in_process'
                                       THEN coalesce(in_process_at, clock_timestamp())
                                       ELSE in_process_at END,
                  resolved_at = CASE WHEN $2 = 'resolved' THEN clock_timestamp() END
            WHERE id = $1""",
        complaint_id,
        status,
    )


async def add_answer(
    conn: Connection, complaint_id: UUID, actor: str, status: str, text: str
) -> None:
    await conn.execute(
        """INSERT INTO ticketing.complaint_answers (complaint_id, actor, status, text)
           VALUES ($1, $2, $3, $4)""",
        complaint_id,
        actor,
        status,
        text,
    )


async def answers(conn: Connection, complaint_id: UUID) -> list[Answer]:
    rows = await conn.fetch(
        """SELECT at, actor, status, text FROM ticketing.complaint_answers
            WHERE complaint_id = $1 ORDER BY at, id""",
        complaint_id,
    )
    return rows_of(Answer, rows)


async def site_answer_texts(conn: Connection, site_id: str) -> dict[UUID, list[str]]:
    """Every answer's text of the site's complaints, by complaint, oldest first."""
    out: dict[UUID, list[str]] = {}
    for a in await conn.fetch(
        """SELECT a.complaint_id, a.text FROM ticketing.complaint_answers a
             JOIN ticketing.complaints c ON c.id = a.complaint_id
            WHERE c.site_id = $1 ORDER BY a.at, a.id""",
        site_id,
    ):
        out.setdefault(a["complaint_id"], []).append(a["text"])
    return out
