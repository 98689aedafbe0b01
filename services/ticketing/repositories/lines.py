"""The waiting lines of a site's services as read: how many wait, the heads in call order,
where one ticket stands, what choosing a counter's next ticket reads, the pace of issuing
and serving. Reads only, each in one trip whatever the number of services."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict
from uuid import UUID

from services.ticketing.domain.tickets import call_class, call_order_sql
from services.ticketing.repositories.records import many, one
from services.ticketing.repositories.sites import Json
from services.ticketing.repositories.tickets import Ticket
from shared.database import Connection
from shared.events import Channel, Priority


class ServiceLine(TypedDict):
    """`recent`: the seconds of its last 20 services completed as served (oldest first);
    `open_counters`: the staffed counters serving it — their operator acted in the last 30
    minutes (CONTRACT.md: with none, the estimate is null, not a guess)."""

    id: str
    recent: list[float]
    open_counters: int


class Standing(TypedDict):
    """Where a waiting ticket stands: `waiting` in its service, `ahead` of it, `recent`
    service times (seconds, newest first) and `busy` (seconds each open counter of the
    service has been serving, None if free)."""

    waiting: int
    ahead: int
    recent: list[float]
    busy: list[float | None]


class Head(TypedDict):
    """A waiting ticket near the head of its line."""

    id: UUID
    number: str
    priority: Priority
    queued_at: datetime


class ChoiceRow(TypedDict):
    """One row of `call_choice`: a service, and one class's first waiting ticket (`id`,
    `priority`, `queued_at` all None when the class is empty)."""

    service_id: str
    rules: Json
    streak: int | None
    now: datetime
    id: UUID | None
    priority: Priority | None
    queued_at: datetime | None


class IssueTime(TypedDict):
    service_id: str
    issued_at: datetime
    channel: Channel


QueueFigures = dict[str, tuple[int, list[Head]]]
"""Per service: tickets waiting, and the first of them in call order."""


STAFFED = "(c.paused_at IS NULL AND c.last_active_at > clock_timestamp() - interval '30 minutes')"
"""The one staffed-counter rule (CONTRACT.md), over `ticketing.counters c`: its operator
signed in or acted in the last 30 minutes, and it is not on a break."""


async def service_lines(conn: Connection, site_id: str) -> dict[str, ServiceLine]:
    """Per active service of the site: its `ServiceLine`."""
    rows = await conn.fetch(
        f"""SELECT s.id,
                  ARRAY(SELECT r.s FROM (
                          SELECT extract(epoch FROM t.completed_at - t.called_at)::float8 AS s,
                                 t.completed_at
                            FROM ticketing.tickets t
                           WHERE t.site_id = $1 AND t.service_id = s.id
                             AND t.outcome = 'served' AND t.status = 'served'
                             AND t.called_at IS NOT NULL AND t.completed_at IS NOT NULL
                           ORDER BY t.completed_at DESC LIMIT 20) r
                         ORDER BY r.completed_at) AS recent,
                  (SELECT count(*) FILTER (WHERE {STAFFED})
                     FROM ticketing.counters c
                    WHERE c.site_id = $1 AND c.active AND s.id = ANY(c.service_ids))
                  AS open_counters
             FROM ticketing.services s
            WHERE s.site_id = $1 AND s.active""",
        site_id,
    )
    return {r["id"]: one(ServiceLine, r) for r in rows}


# For each staffed counter serving service $2 of site $1 (its operator acted in the last 30
# minutes; CONTRACT.md: estimates count staffed counters only): seconds its current citizen
# has been served, NULL if free.
_COUNTER_LOAD = f"""
    WITH serving AS (
        SELECT c.id, {STAFFED} AS recent
          FROM ticketing.counters c
         WHERE c.site_id = $1 AND c.active AND $2 = ANY(c.service_ids)),
    open AS (SELECT id FROM serving WHERE recent)
    SELECT (SELECT extract(epoch FROM clock_timestamp() - t.called_at)::float8
              FROM ticketing.tickets t
             WHERE t.site_id = $1 AND t.counter_id = o.id AND t.status = 'called'
             ORDER BY t.called_at DESC LIMIT 1) AS busy_s
      FROM open o"""


async def ticket_standing(conn: Connection, t: Ticket) -> Standing:
    """Where a waiting ticket stands (`Standing`)."""
    row = await conn.fetchrow(
        f"""SELECT
              (SELECT count(*) FROM ticketing.tickets w
                WHERE w.site_id = $1 AND w.service_id = $2 AND w.status = 'waiting') AS waiting,
              (SELECT count(*) FROM ticketing.tickets w
                WHERE w.site_id = $1 AND w.service_id = $2 AND w.status = 'waiting'
                  AND ({call_order_sql("w")}) < ($3, $4, $5)) AS ahead,
              ARRAY(SELECT extract(epoch FROM completed_at - called_at)::float8
                      FROM ticketing.tickets
                     WHERE site_id = $1 AND service_id = $2 AND outcome = 'served'
                       AND status = 'served' AND called_at IS NOT NULL
                       AND completed_at IS NOT NULL
                     ORDER BY completed_at DESC LIMIT 20) AS recent,
              ARRAY({_COUNTER_LOAD}) AS busy""",
        t["site_id"],
        t["service_id"],
        call_class(t["priority"]),
        t["queued_at"],
        t["id"],
    )
    assert row is not None
    return one(Standing, row)


async def queue_figures(
    conn: Connection, site_id: str, service_ids: list[str], head: int
) -> QueueFigures:
    """Per service: how many wait, and the first `head` waiting tickets in call order."""
    rows = await conn.fetch(
        f"""SELECT s.id AS service_id,
                   (SELECT count(*) FROM ticketing.tickets w
                     WHERE w.site_id = $1 AND w.service_id = s.id AND w.status = 'waiting')
                   AS waiting,
                   h.id, h.number, h.priority, h.queued_at
              FROM unnest($2::text[]) WITH ORDINALITY AS s(id, position)
              LEFT JOIN LATERAL (
                  SELECT t.id, t.number, t.priority, t.queued_at
                    FROM ticketing.tickets t
                   WHERE t.site_id = $1 AND t.service_id = s.id AND t.status = 'waiting'
                   ORDER BY {call_order_sql("t")} LIMIT $3) h ON true
             ORDER BY s.position, {call_order_sql("h")}""",
        site_id,
        service_ids,
        head,
    )
    figures: QueueFigures = {}
    for r in rows:
        _, heads = figures.setdefault(r["service_id"], (r["waiting"], []))
        if r["id"] is not None:
            heads.append(
                Head(
                    id=r["id"], number=r["number"], priority=r["priority"], queued_at=r["queued_at"]
                )
            )
    return figures


async def all_waiting_counts(conn: Connection, site_id: str) -> dict[str, int]:
    rows = await conn.fetch(
        """SELECT s.id, count(t.id) AS n
             FROM ticketing.services s
             LEFT JOIN ticketing.tickets t
               ON t.site_id = s.site_id AND t.service_id = s.id AND t.status = 'waiting'
            WHERE s.site_id = $1 AND s.active
            GROUP BY s.id""",
        site_id,
    )
    return {r["id"]: r["n"] for r in rows}


async def call_choice(conn: Connection, site_id: str, service_ids: list[str]) -> list[ChoiceRow]:
    """What choosing a counter's next ticket reads, in one trip: per service (in the order
    given; unknown ones left out) its `rules`, its priority `streak` (None before the first
    call) and the first waiting ticket of each class, each row with the database clock
    `now`."""
    rows = await conn.fetch(
        f"""SELECT s.id AS service_id, s.rules, k.priority_streak AS streak,
                  clock_timestamp() AS now, h.id, h.priority, h.queued_at
             FROM unnest($2::text[]) WITH ORDINALITY AS u(id, position)
             JOIN ticketing.services s ON s.site_id = $1 AND s.id = u.id
             LEFT JOIN ticketing.service_call_streaks k
               ON k.site_id = $1 AND k.service_id = s.id
             LEFT JOIN LATERAL (
                 SELECT t.id, t.priority, t.queued_at
                   FROM (VALUES ('priority'), ('regular')) AS c(priority)
                  CROSS JOIN LATERAL (
                      SELECT t.id, t.priority, t.queued_at
                        FROM ticketing.tickets t
                       WHERE t.site_id = $1 AND t.service_id = s.id
                         AND t.priority = c.priority AND t.status = 'waiting'
                       ORDER BY {call_order_sql("t", within_class=True)}
                       LIMIT 1) t) h ON true
            ORDER BY u.position, {call_order_sql("h")}""",
        site_id,
        service_ids,
    )
    return many(ChoiceRow, rows)


async def waiting_line(
    conn: Connection, site_id: str, service_id: str, priority: str, exclude: UUID
) -> list[datetime]:
    """queued_at of one class's waiting tickets of a service, in call order."""
    rows = await conn.fetch(
        f"""SELECT queued_at FROM ticketing.tickets
            WHERE site_id = $1 AND service_id = $2 AND priority = $3 AND status = 'waiting'
              AND id <> $4
            ORDER BY {call_order_sql("ticketing.tickets", within_class=True)}""",
        site_id,
        service_id,
        priority,
        exclude,
    )
    return [r["queued_at"] for r in rows]


async def issue_times(
    conn: Connection, site_id: str, service_ids: list[str], day: date
) -> dict[str, list[IssueTime]]:
    """Today's tickets of the services: when issued (UTC) and by which channel."""
    rows = await conn.fetch(
        """SELECT service_id, issued_at, channel FROM ticketing.tickets
            WHERE site_id = $1 AND service_id = ANY($2::text[]) AND day = $3
              AND appointment_id IS NULL""",
        site_id,
        service_ids,
        day,
    )
    out: dict[str, list[IssueTime]] = {sid: [] for sid in service_ids}
    for r in rows:
        out[r["service_id"]].append(one(IssueTime, r))
    return out
