"""A ticket: numbered and inserted, read, changed, called to a counter. Every function
takes the caller's connection; the caller (a use case) owns the transaction. Each answers
with the ticket as `Ticket`: its columns and the names its events and responses carry."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, TypedDict
from uuid import UUID

from services.ticketing.domain.tickets import Status
from services.ticketing.repositories.records import maybe, one
from shared.database import Connection
from shared.events import Channel, Outcome, Priority

# A ticket with the names its events and responses carry; `{tickets}` is the table, or a
# data-modifying CTE's name when a statement changes a ticket and returns it in one trip.
_TICKET_VIEW_OF = """
    SELECT t.*, s.name AS service_name, s.agency_id, s.prefix, s.avg_service_s,
           a.name AS agency_name, si.name AS site_name, si.timezone,
           c.name AS counter_name
      FROM {tickets} t
      JOIN ticketing.services s ON s.site_id = t.site_id AND s.id = t.service_id
      JOIN ticketing.agencies a ON a.site_id = s.site_id AND a.id = s.agency_id
      JOIN ticketing.sites si ON si.id = t.site_id
      LEFT JOIN ticketing.counters c ON c.site_id = t.site_id AND c.id = t.counter_id
"""
TICKET_VIEW = _TICKET_VIEW_OF.format(tickets="ticketing.tickets")


class NewTicket(TypedDict):
    """The columns issuing sets; the rest take their defaults."""

    id: UUID
    site_id: str
    service_id: str
    day: date
    priority: Priority
    phone: str | None
    status: Literal["waiting"]
    issued_at: datetime
    queued_at: datetime
    appointment_id: UUID | None
    journey: list[str]


class Ticket(TypedDict):
    """A ticket as read: every column, and the names of its service, agency, site and
    counter (with the service's prefix and first estimate, the site's time zone)."""

    id: UUID
    site_id: str
    service_id: str
    number: str
    day: date
    priority: Priority
    channel: Channel
    phone: str | None
    status: Status
    outcome: Outcome | None
    counter_id: str | None
    call_count: int
    called_at: datetime | None
    completed_at: datetime | None
    first_called_at: datetime | None
    issued_at: datetime
    queued_at: datetime
    returned_at: datetime | None
    appointment_id: UUID | None
    journey: list[str]
    service_name: str
    agency_id: str
    prefix: str
    avg_service_s: int
    agency_name: str
    site_name: str
    timezone: str
    counter_name: str | None


class _Now:
    """The statement's clock time, as a value `update_ticket` sets."""

    def __repr__(self) -> str:
        return "NOW"


NOW = _Now()


async def number_and_insert_ticket(
    conn: Connection, channel: Channel, number: str, last_number: int, ticket: NewTicket
) -> Ticket:
    """Take the service's next daily number (the day row is locked by
    `sites.lock_service_day`, so `last_number` is the caller's to take), count it against
    the channel's quota and insert the ticket, in one trip; returns the ticket as `ticket()`
    does."""
    if channel not in ("kiosk", "online", "mobile"):
        raise ValueError(channel)
    values: dict[str, object] = {**ticket, "channel": channel, "number": number}
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(2, len(values) + 2))
    row = await conn.fetchrow(
        f"""WITH numbered AS (
                UPDATE ticketing.service_day_numbers
                   SET last_number = $1, issued_{channel} = issued_{channel} + 1
                 WHERE site_id = ${2 + list(values).index("site_id")}
                   AND service_id = ${2 + list(values).index("service_id")}
                   AND day = ${2 + list(values).index("day")}
                RETURNING last_number),
            inserted AS (
                INSERT INTO ticketing.tickets ({columns})
                SELECT {params} FROM numbered
                RETURNING *)
            {_TICKET_VIEW_OF.format(tickets="inserted")}""",
        last_number,
        *values.values(),
    )
    assert row is not None, "the day row exists: lock_service_day created it"
    return one(Ticket, row)


async def ticket(conn: Connection, ticket_id: UUID, *, lock: bool = False) -> Ticket | None:
    if lock:
        await conn.execute("SELECT 1 FROM ticketing.tickets WHERE id = $1 FOR UPDATE", ticket_id)
    return maybe(Ticket, await conn.fetchrow(f"{TICKET_VIEW} WHERE t.id = $1", ticket_id))


async def ticket_by_number_today(conn: Connection, site_id: str, number: str) -> Ticket | None:
    """The site's ticket numbered `number` on the site's own today, locked until commit."""
    row = await conn.fetchrow(
        f"""{TICKET_VIEW}
            WHERE t.site_id = $1 AND t.number = $2
              AND t.day = (clock_timestamp() AT TIME ZONE si.timezone)::date
            FOR UPDATE OF t""",
        site_id,
        number,
    )
    return maybe(Ticket, row)


async def open_ticket_at_counter(conn: Connection, site_id: str, counter_id: str) -> Ticket | None:
    row = await conn.fetchrow(
        f"""{TICKET_VIEW} WHERE t.site_id = $1 AND t.counter_id = $2 AND t.status = 'called'
            ORDER BY t.called_at LIMIT 1""",
        site_id,
        counter_id,
    )
    return maybe(Ticket, row)


async def update_ticket(conn: Connection, ticket_id: UUID, **changes: object) -> Ticket:
    """Set columns of one ticket; the value `NOW` means the statement's clock time.
    Returns the ticket after, as `ticket()` does (same trip)."""
    sets: list[str] = []
    params: list[object] = [ticket_id]
    for column, value in changes.items():
        if value is NOW:
            sets.append(f"{column} = clock_timestamp()")
        else:
            params.append(value)
            sets.append(f"{column} = ${len(params)}")
    row = await conn.fetchrow(
        f"""WITH changed AS (
                UPDATE ticketing.tickets SET {", ".join(sets)} WHERE id = $1 RETURNING *)
            {_TICKET_VIEW_OF.format(tickets="changed")}""",
        *params,
    )
    assert row is not None, f"ticket {ticket_id} exists"
    return one(Ticket, row)


async def call_to_counter(
    conn: Connection,
    site_id: str,
    ticket_id: UUID,
    counter_id: str,
    streak: int | None,
    *,
    called_by: str | None = None,
) -> Ticket | None:
    """Call a waiting ticket to a counter, set its service's priority streak (None: keep
    it, for a ticket called out of turn) and mark the counter active, in one trip; returns
    the called ticket as `ticket()` does, or None if another counter took it first
    (nothing is changed then).

    The `status = 'waiting'` condition is checked again after any concurrent call of the
    same row commits (row lock), so two counters can never both call it."""
    row = await conn.fetchrow(
        f"""WITH called AS (
                UPDATE ticketing.tickets
                   SET status = 'called', counter_id = $3, call_count = 1, outcome = NULL,
                       called_at = clock_timestamp(), called_by = $5,
                       first_called_at = coalesce(first_called_at, clock_timestamp())
                 WHERE id = $2 AND status = 'waiting'
                RETURNING *),
            streak AS (
                INSERT INTO ticketing.service_call_streaks (site_id, service_id, priority_streak)
                SELECT site_id, service_id, coalesce($4::int, 0) FROM called
                ON CONFLICT (site_id, service_id) DO UPDATE
                SET priority_streak = coalesce($4::int, service_call_streaks.priority_streak)),
            active AS (
                UPDATE ticketing.counters SET last_active_at = clock_timestamp()
                 WHERE site_id = $1 AND id = $3 AND EXISTS (SELECT 1 FROM called))
            {_TICKET_VIEW_OF.format(tickets="called")}""",
        site_id,
        ticket_id,
        counter_id,
        streak,
        called_by,
    )
    return maybe(Ticket, row)
