"""SQL of the queue, kept as SQL. Every function takes the caller's connection; the
caller (a use case in services/ticketing/usecases/) owns the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.ticketing.domain.tickets import call_class, call_order_sql
from shared.database import Connection

Row = asyncpg.Record


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


# --- sites -----------------------------------------------------------------------------


async def site(conn: Connection, site_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM ticketing.sites WHERE id = $1", site_id)


async def agencies(conn: Connection, site_id: str) -> list[Row]:
    return await conn.fetch(
        """SELECT id, name FROM ticketing.agencies WHERE site_id = $1 AND active
           ORDER BY id""",
        site_id,
    )


async def services(conn: Connection, site_id: str) -> list[Row]:
    return await conn.fetch(
        """SELECT id, name, prefix, agency_id, target_minutes, avg_service_s, rules
             FROM ticketing.services WHERE site_id = $1 AND active ORDER BY position""",
        site_id,
    )


async def service(conn: Connection, site_id: str, service_id: str) -> Row | None:
    return await conn.fetchrow(
        """SELECT s.*, a.name AS agency_name FROM ticketing.services s
             JOIN ticketing.agencies a ON a.site_id = s.site_id AND a.id = s.agency_id
            WHERE s.site_id = $1 AND s.id = $2""",
        site_id,
        service_id,
    )


async def issue_context(
    conn: Connection, site_id: str, service_id: str, timezone: str
) -> Row | None:
    """What issuing a ticket reads first, in one trip: the service (with its agency's name),
    the database clock (`now`) and today's override of the service (`override`, a dict or
    None; "today" in the site's time zone)."""
    return await conn.fetchrow(
        """SELECT s.*, a.name AS agency_name, n.now, to_jsonb(o) AS override
             FROM ticketing.services s
             JOIN ticketing.agencies a ON a.site_id = s.site_id AND a.id = s.agency_id
            CROSS JOIN (SELECT clock_timestamp() AS now) n
             LEFT JOIN ticketing.service_day_overrides o
               ON o.site_id = s.site_id AND o.service_id = s.id
              AND o.day = (n.now AT TIME ZONE $3)::date
            WHERE s.site_id = $1 AND s.id = $2""",
        site_id,
        service_id,
        timezone,
    )


async def counters(conn: Connection, site_id: str) -> list[Row]:
    return await conn.fetch(
        """SELECT id, name, service_ids, call_order, last_active_at FROM ticketing.counters
            WHERE site_id = $1 AND active ORDER BY position""",
        site_id,
    )


async def lock_counter(conn: Connection, site_id: str, counter_id: str) -> Row | None:
    """The counter, locked until commit: one counter's calls happen one at a time."""
    return await conn.fetchrow(
        """SELECT * FROM ticketing.counters WHERE site_id = $1 AND id = $2 AND active
           FOR UPDATE""",
        site_id,
        counter_id,
    )


async def service_lines(conn: Connection, site_id: str) -> dict[str, Row]:
    """Per active service of the site, in one trip: `recent`, the seconds of its last 20
    services completed as served (oldest first), and `open_counters`, the counters serving
    it that called in the last 30 minutes (before any has, early morning, every counter
    configured for it)."""
    rows = await conn.fetch(
        """SELECT s.id,
                  ARRAY(SELECT r.s FROM (
                          SELECT extract(epoch FROM t.completed_at - t.called_at)::float8 AS s,
                                 t.completed_at
                            FROM ticketing.tickets t
                           WHERE t.site_id = $1 AND t.service_id = s.id
                             AND t.outcome = 'served' AND t.status = 'served'
                             AND t.called_at IS NOT NULL AND t.completed_at IS NOT NULL
                           ORDER BY t.completed_at DESC LIMIT 20) r
                         ORDER BY r.completed_at) AS recent,
                  (SELECT coalesce(nullif(count(*) FILTER (
                              WHERE c.last_active_at > clock_timestamp() - interval '30 minutes'),
                            0), count(*))
                     FROM ticketing.counters c
                    WHERE c.site_id = $1 AND c.active AND s.id = ANY(c.service_ids))
                  AS open_counters
             FROM ticketing.services s
            WHERE s.site_id = $1 AND s.active""",
        site_id,
    )
    return {r["id"]: r for r in rows}


# --- tickets ---------------------------------------------------------------------------


async def number_and_insert_ticket(
    conn: Connection, channel: str, number: str, last_number: int, **ticket: Any
) -> Row:
    """Take the service's next daily number (the day row is locked by `lock_service_day`, so
    `last_number` is the caller's to take), count it against the channel's quota and insert
    the ticket, in one trip; returns the ticket as `ticket()` does."""
    if channel not in ("kiosk", "online", "mobile"):
        raise ValueError(channel)
    values = {**ticket, "channel": channel, "number": number}
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
    return row


async def claim_idempotency_key(
    conn: Connection,
    site_id: str,
    key: str,
    request_hash: str,
    ticket_id: UUID,
    requester: str | None = None,
) -> Row | None:
    """Claim `key` for `ticket_id` (and who asks); if another request holds it, wait for
    that request's transaction and return its (request_hash, ticket_id, requester) row."""
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
    return await conn.fetchrow(
        """SELECT request_hash, ticket_id, requester FROM ticketing.idempotency_keys
            WHERE site_id = $1 AND key = $2""",
        site_id,
        key,
    )


async def ticket(conn: Connection, ticket_id: UUID, *, lock: bool = False) -> Row | None:
    if lock:
        await conn.execute("SELECT 1 FROM ticketing.tickets WHERE id = $1 FOR UPDATE", ticket_id)
    return await conn.fetchrow(f"{TICKET_VIEW} WHERE t.id = $1", ticket_id)


async def open_ticket_at_counter(conn: Connection, site_id: str, counter_id: str) -> Row | None:
    return await conn.fetchrow(
        f"""{TICKET_VIEW} WHERE t.site_id = $1 AND t.counter_id = $2 AND t.status = 'called'
            ORDER BY t.called_at LIMIT 1""",
        site_id,
        counter_id,
    )


async def update_ticket(conn: Connection, ticket_id: UUID, **changes: Any) -> Row:
    """Set columns of one ticket; the value `NOW` means the statement's clock time.
    Returns the ticket after, as `ticket()` does (same trip)."""
    sets, params = [], [ticket_id]
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
    return row


class _Now:
    def __repr__(self) -> str:
        return "NOW"


NOW: Any = _Now()


async def ticket_standing(conn: Connection, t: Row) -> Row:
    """Where a waiting ticket stands, in one trip: `waiting` in its service, `ahead` of it,
    `recent` service times (seconds, newest first; as `recent_service_times`) and `busy`
    (seconds each open counter of the service has been serving, NULL if free)."""
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
    return row


async def queue_figures(
    conn: Connection, site_id: str, service_ids: list[str], head: int
) -> dict[str, tuple[int, list[Row]]]:
    """Per service: how many wait, and the first `head` waiting tickets in call order
    (id, number, priority, queued_at), in one trip."""
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
    figures: dict[str, tuple[int, list[Row]]] = {}
    for r in rows:
        _, heads = figures.setdefault(r["service_id"], (r["waiting"], []))
        if r["id"] is not None:
            heads.append(r)
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


async def staff(conn: Connection, username: str) -> Row | None:
    return await conn.fetchrow(
        "SELECT * FROM ticketing.staff WHERE username = $1 AND active", username
    )


async def database_now(conn: Connection) -> datetime:
    now: datetime = await conn.fetchval("SELECT clock_timestamp()")
    return now


# --- service standards: quotas, fairness, overrides -------------------------------------


async def lock_service_day(conn: Connection, site_id: str, service_id: str, day: Any) -> Row:
    """Today's numbering row of a service, locked until commit (issuing is serialised per
    service and day, which keeps the quota exact)."""
    row = await conn.fetchrow(
        """INSERT INTO ticketing.service_day_numbers AS d (site_id, service_id, day, last_number)
           VALUES ($1, $2, $3, 0)
           ON CONFLICT (site_id, service_id, day) DO UPDATE SET last_number = d.last_number
           RETURNING *""",
        site_id,
        service_id,
        day,
    )
    assert row is not None
    return row


async def day_override(conn: Connection, site_id: str, service_id: str, day: Any) -> Row | None:
    return await conn.fetchrow(
        """SELECT * FROM ticketing.service_day_overrides
            WHERE site_id = $1 AND service_id = $2 AND day = $3""",
        site_id,
        service_id,
        day,
    )


async def day_overrides(conn: Connection, site_id: str, day: Any) -> dict[str, Row]:
    rows = await conn.fetch(
        "SELECT * FROM ticketing.service_day_overrides WHERE site_id = $1 AND day = $2",
        site_id,
        day,
    )
    return {r["service_id"]: r for r in rows}


async def set_day_override(
    conn: Connection,
    site_id: str,
    service_id: str,
    day: Any,
    actor: str,
    *,
    closed: bool | None = None,
    quota: int | None = None,
    clear_quota: bool = False,
) -> Row:
    row = await conn.fetchrow(
        """INSERT INTO ticketing.service_day_overrides AS o
               (site_id, service_id, day, closed, quota, updated_by)
           VALUES ($1, $2, $3, coalesce($4, false), $5, $6)
           ON CONFLICT (site_id, service_id, day) DO UPDATE SET
               closed = coalesce($4, o.closed),
               quota = CASE WHEN $7 THEN NULL ELSE coalesce($5, o.quota) END,
               updated_by = $6, updated_at = now()
           RETURNING *""",
        site_id,
        service_id,
        day,
        closed,
        quota,
        actor,
        clear_quota,
    )
    assert row is not None
    return row


async def issued_today(conn: Connection, site_id: str, day: Any) -> dict[str, Row]:
    rows = await conn.fetch(
        "SELECT * FROM ticketing.service_day_numbers WHERE site_id = $1 AND day = $2",
        site_id,
        day,
    )
    return {r["service_id"]: r for r in rows}


async def call_choice(conn: Connection, site_id: str, service_ids: list[str]) -> list[Row]:
    """What choosing a counter's next ticket reads, in one trip: per service (in the order
    given; unknown ones left out) its `rules`, its priority `streak` (NULL before the first
    call) and the first waiting ticket of each class (`id`, `priority`, `queued_at`; NULL
    when the class is empty), each row with the database clock `now`."""
    return await conn.fetch(
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


async def call_to_counter(
    conn: Connection, site_id: str, ticket_id: UUID, counter_id: str, streak: int
) -> Row | None:
    """Call a waiting ticket to a counter, set its service's priority streak and mark the
    counter active, in one trip; returns the called ticket as `ticket()` does, or None if
    another counter took it first (nothing is changed then).

    The `status = 'waiting'` condition is checked again after any concurrent call of the
    same row commits (row lock), so two counters can never both call it."""
    return await conn.fetchrow(
        f"""WITH called AS (
                UPDATE ticketing.tickets
                   SET status = 'called', counter_id = $3, call_count = 1, outcome = NULL,
                       called_at = clock_timestamp(),
                       first_called_at = coalesce(first_called_at, clock_timestamp())
                 WHERE id = $2 AND status = 'waiting'
                RETURNING *),
            streak AS (
                INSERT INTO ticketing.service_call_streaks (site_id, service_id, priority_streak)
                SELECT site_id, service_id, $4 FROM called
                ON CONFLICT (site_id, service_id) DO UPDATE SET priority_streak = $4),
            active AS (
                UPDATE ticketing.counters SET last_active_at = clock_timestamp()
                 WHERE site_id = $1 AND id = $3 AND EXISTS (SELECT 1 FROM called))
            {_TICKET_VIEW_OF.format(tickets="called")}""",
        site_id,
        ticket_id,
        counter_id,
        streak,
    )


async def service_rules(conn: Connection, site_id: str, service_ids: list[str]) -> dict[str, Any]:
    rows = await conn.fetch(
        "SELECT id, rules FROM ticketing.services WHERE site_id = $1 AND id = ANY($2)",
        site_id,
        service_ids,
    )
    return {r["id"]: r["rules"] for r in rows}


async def touch_counter(conn: Connection, site_id: str, counter_id: str) -> None:
    await conn.execute(
        """UPDATE ticketing.counters SET last_active_at = clock_timestamp()
            WHERE site_id = $1 AND id = $2""",
        site_id,
        counter_id,
    )


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


async def audit(
    conn: Connection,
    *,
    site_id: str | None,
    actor: str,
    role: str,
    action: str,
    target: str,
    before: Any,
    after: Any,
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


# For each open counter serving service $2 of site $1 (called in the last 30 minutes, else
# every counter configured for it): seconds its current citizen has been served, NULL if free.
_COUNTER_LOAD = """
    WITH serving AS (
        SELECT c.id, c.last_active_at > clock_timestamp() - interval '30 minutes' AS recent
          FROM ticketing.counters c
         WHERE c.site_id = $1 AND c.active AND $2 = ANY(c.service_ids)),
    open AS (
        SELECT id FROM serving
         WHERE recent OR NOT EXISTS (SELECT 1 FROM serving WHERE recent))
    SELECT (SELECT extract(epoch FROM clock_timestamp() - t.called_at)::float8
              FROM ticketing.tickets t
             WHERE t.site_id = $1 AND t.counter_id = o.id AND t.status = 'called'
             ORDER BY t.called_at DESC LIMIT 1) AS busy_s
      FROM open o"""


async def issue_times(
    conn: Connection, site_id: str, service_ids: list[str], day: Any
) -> dict[str, list[Row]]:
    """Today's tickets of the services: when issued (UTC) and by which channel."""
    rows = await conn.fetch(
        """SELECT service_id, issued_at, channel FROM ticketing.tickets
            WHERE site_id = $1 AND service_id = ANY($2::text[]) AND day = $3
              AND appointment_id IS NULL""",
        site_id,
        service_ids,
        day,
    )
    out: dict[str, list[Row]] = {sid: [] for sid in service_ids}
    for r in rows:
        out[r["service_id"]].append(r)
    return out
