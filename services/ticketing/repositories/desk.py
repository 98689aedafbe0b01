"""What a counter's console reads besides its open ticket, kept as SQL: the tickets waiting
for its services (to call one out of turn), its no-shows still in their grace period (to
bring one back), and its own figures today. Reads only; the day is the site's own."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict
from uuid import UUID

from services.ticketing.domain.tickets import call_order_sql
from services.ticketing.repositories.records import many, one
from shared.database import Connection
from shared.events import Priority


class WaitingTicket(TypedDict):
    id: UUID
    number: str
    service_id: str
    priority: Priority
    queued_at: datetime


class ReturnableNoShow(TypedDict):
    id: UUID
    number: str
    service_id: str
    marked_at: datetime
    returnable_until: datetime


class CounterDay(TypedDict):
    served: int
    no_shows: int
    recalls: int
    average_service_s: float | None


_TODAY = "t.day = (clock_timestamp() AT TIME ZONE si.timezone)::date"


async def waiting_for(
    conn: Connection, site_id: str, service_ids: list[str], limit: int = 200
) -> list[WaitingTicket]:
    """The tickets waiting today in `service_ids`, in call order per service."""
    rows = await conn.fetch(
        f"""SELECT t.id, t.number, t.service_id, t.priority, t.queued_at
              FROM ticketing.tickets t JOIN ticketing.sites si ON si.id = t.site_id
             WHERE t.site_id = $1 AND t.service_id = ANY($2::text[]) AND t.status = 'waiting'
               AND {_TODAY}
             ORDER BY t.service_id, {call_order_sql("t")} LIMIT $3""",
        site_id,
        service_ids,
        limit,
    )
    return many(WaitingTicket, rows)


async def returnable_no_shows(
    conn: Connection, site_id: str, counter_id: str
) -> list[ReturnableNoShow]:
    """The counter's no-shows of today whose service's grace period has not run out."""
    rows = await conn.fetch(
        f"""SELECT t.id, t.number, t.service_id, t.completed_at AS marked_at,
                   t.completed_at + make_interval(
                       mins => coalesce((s.rules->>'no_show_grace_minutes')::int, 30))
                   AS returnable_until
              FROM ticketing.tickets t
              JOIN ticketing.sites si ON si.id = t.site_id
              JOIN ticketing.services s ON s.site_id = t.site_id AND s.id = t.service_id
             WHERE t.site_id = $1 AND t.counter_id = $2 AND t.status = 'no_show' AND {_TODAY}
               AND t.completed_at + make_interval(
                       mins => coalesce((s.rules->>'no_show_grace_minutes')::int, 30))
                   > clock_timestamp()
             ORDER BY t.completed_at DESC""",
        site_id,
        counter_id,
    )
    return many(ReturnableNoShow, rows)


async def counter_day(conn: Connection, site_id: str, counter_id: str) -> CounterDay:
    """The counter's figures today: served, no-shows, recalls, average service time."""
    row = await conn.fetchrow(
        f"""SELECT count(*) FILTER (WHERE t.outcome = 'served' AND t.status = 'served')
                       AS served,
                   count(*) FILTER (WHERE t.status = 'no_show') AS no_shows,
                   coalesce(sum(greatest(t.call_count - 1, 0)), 0)::int AS recalls,
                   avg(extract(epoch FROM t.completed_at - t.called_at)::float8)
                       FILTER (WHERE t.outcome = 'served' AND t.status = 'served')
                       AS average_service_s
              FROM ticketing.tickets t JOIN ticketing.sites si ON si.id = t.site_id
             WHERE t.site_id = $1 AND t.counter_id = $2 AND {_TODAY}""",
        site_id,
        counter_id,
    )
    assert row is not None
    return one(CounterDay, row)
