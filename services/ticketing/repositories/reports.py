"""The service reports' queries, kept as SQL: every figure is computed in the database from
the ticket history (`percentile_cont` for medians and P90); each function answers with a
typed row. Definitions: services/ticketing/reports/__init__.py and docs/reports.md."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from services.ticketing.repositories.rows import row_of, rows_of
from services.ticketing.repositories.surveys import IkmSums
from shared.database import Connection

REPORT_WORK_MEM = "128MB"
"""Memory for the report's sorts (medians, P90s of up to a year of tickets) in its own
read-only transaction, so a year of a busy site sorts in memory instead of on disk."""


class Scope(Protocol):
    """What the queries filter on (a report's Period has all of it)."""

    @property
    def site_id(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def first(self) -> date: ...
    @property
    def last(self) -> date: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def service_ids(self) -> list[str] | None: ...
    @property
    def counter_id(self) -> str | None: ...


# --- the site's names -------------------------------------------------------------------


@dataclass(frozen=True)
class ReportService:
    id: str
    name: str
    agency_id: str
    target_minutes: int
    active: bool


@dataclass(frozen=True)
class Named:
    id: str
    name: str


async def services(conn: Connection, site_id: str) -> list[ReportService]:
    """Every service of the site, inactive ones too (they may have history)."""
    rows = await conn.fetch(
        """SELECT id, name, agency_id, target_minutes, active FROM ticketing.services
            WHERE site_id = $1 ORDER BY position, id""",
        site_id,
    )
    return rows_of(ReportService, rows)


async def agencies(conn: Connection, site_id: str) -> list[Named]:
    rows = await conn.fetch(
        "SELECT id, name FROM ticketing.agencies WHERE site_id = $1 ORDER BY id", site_id
    )
    return rows_of(Named, rows)


async def counters(conn: Connection, site_id: str) -> list[Named]:
    rows = await conn.fetch(
        "SELECT id, name FROM ticketing.counters WHERE site_id = $1 ORDER BY position, id",
        site_id,
    )
    return rows_of(Named, rows)


# --- the queries -------------------------------------------------------------------------
# $1 site, $2 first day, $3 last day, $4 allowed services (NULL: all), $5 counter (NULL: all)

TICKETS = """
    SELECT t.*,
           extract(epoch FROM t.first_called_at - t.issued_at)::float8 AS wait_s,
           CASE WHEN t.status = 'served'
                THEN extract(epoch FROM t.completed_at - t.called_at)::float8 END AS service_s
      FROM ticketing.tickets t
     WHERE t.site_id = $1 AND t.day BETWEEN $2 AND $3
       AND ($4::text[] IS NULL OR t.service_id = ANY ($4::text[]))
       AND ($5::text IS NULL OR t.counter_id = $5::text)
"""

SUMMARY_SQL = f"""
WITH t AS ({TICKETS})
SELECT count(*) AS issued,
       count(*) FILTER (WHERE channel = 'kiosk') AS kiosk,
       count(*) FILTER (WHERE channel = 'online') AS online,
       count(*) FILTER (WHERE channel = 'mobile') AS mobile,
       count(*) FILTER (WHERE priority = 'priority') AS priority,
       count(*) FILTER (WHERE status = 'served') AS served,
       count(*) FILTER (WHERE status = 'no_show') AS no_show,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE status IN ('waiting', 'called')) AS open,
       count(wait_s) AS wait_n,
       avg(wait_s) AS wait_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_s) AS wait_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY wait_s) AS wait_p90,
       count(service_s) AS service_n,
       avg(service_s) AS service_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY service_s) AS service_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY service_s) AS service_p90
  FROM t
"""

BY_SERVICE_SQL = f"""
WITH t AS ({TICKETS})
SELECT t.service_id,
       count(*) AS issued,
       count(*) FILTER (WHERE t.status = 'served') AS served,
       count(*) FILTER (WHERE t.status = 'no_show') AS no_show,
       count(*) FILTER (WHERE t.status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE t.status = 'served'
                          AND t.completed_at - t.issued_at
                              <= make_interval(mins => s.target_minutes)) AS within_target,
       avg(t.wait_s) AS wait_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY t.wait_s) AS wait_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY t.wait_s) AS wait_p90,
       avg(t.service_s) AS service_mean
  FROM t JOIN ticketing.services s ON s.site_id = t.site_id AND s.id = t.service_id
 GROUP BY t.service_id
"""

ARRIVALS_SQL = f"""
WITH t AS ({TICKETS})
SELECT extract(isodow FROM issued_at AT TIME ZONE $6::text)::int AS weekday,
       extract(hour FROM issued_at AT TIME ZONE $6::text)::int AS hour,
       count(*) AS tickets
  FROM t GROUP BY 1, 2 ORDER BY 1, 2
"""

TREND_SQL = f"""
WITH t AS ({TICKETS})
SELECT day,
       count(*) AS issued,
       count(*) FILTER (WHERE status = 'served') AS served,
       avg(wait_s) AS wait_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_s) AS wait_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY wait_s) AS wait_p90
  FROM t GROUP BY day ORDER BY day
"""

COUNTERS_SQL = f"""
WITH t AS ({TICKETS})
SELECT counter_id,
       count(*) AS served,
       avg(service_s) AS service_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY service_s) AS service_median
  FROM t WHERE status = 'served' AND counter_id IS NOT NULL
 GROUP BY counter_id
"""

IDLE_GAP_LIMIT = "30 minutes"
"""A clerk's gap between completing one ticket and calling the next counts as idle time up
to this long; a longer one is a break or the end of a shift (CONTRACT.md: a counter is
staffed when its operator acted in the last 30 minutes)."""

CLERKS_SQL = f"""
WITH t AS ({TICKETS}),
calls AS (
    SELECT called_by, counter_id, day, status, call_count, service_s, called_at,
           called_at - lag(completed_at) OVER (
               PARTITION BY called_by, day ORDER BY called_at) AS gap
      FROM t WHERE called_by IS NOT NULL AND called_at IS NOT NULL
)
SELECT called_by AS username, counter_id,
       count(*) FILTER (WHERE status = 'served') AS served,
       avg(service_s) AS service_mean,
       count(*) FILTER (WHERE status = 'no_show') AS no_show,
       coalesce(sum(call_count - 1), 0)::int AS recalls,
       coalesce(extract(epoch FROM sum(gap) FILTER (
           WHERE gap >= interval '0' AND gap <= interval '{IDLE_GAP_LIMIT}')), 0)::float8 AS idle_s
  FROM calls
 GROUP BY called_by, counter_id
 ORDER BY called_by, counter_id
"""

# transfers: $1 site, $2 start, $3 end, $4 allowed services (NULL: all), $5 counter
TRANSFERS_SQL = """
SELECT count(*) FROM (
    SELECT payload::jsonb AS e FROM ticketing.outbox
     WHERE site_id = $1 AND created_at >= $2 AND created_at < $3
       AND topic = 'service-completed' AND payload LIKE '%"outcome":"transferred"%'
) x
 WHERE ($4::text[] IS NULL OR e->>'service_id' = ANY ($4::text[]))
   AND ($5::text IS NULL OR e->>'counter_id' = $5::text)
"""

# complaints: $1 site, $2 start, $3 end, $4 allowed services (NULL: all)
COMPLAINTS_SQL = """
SELECT
  (SELECT count(*) FROM ticketing.complaints
    WHERE site_id = $1 AND received_at >= $2 AND received_at < $3
      AND ($4::text[] IS NULL OR service_id = ANY ($4::text[]))) AS received,
  (SELECT count(*) FROM ticketing.complaints
    WHERE site_id = $1 AND received_at >= $2 AND received_at < $3 AND kind = 'complaint'
      AND ($4::text[] IS NULL OR service_id = ANY ($4::text[]))) AS complaints,
  (SELECT count(*) FROM ticketing.complaints
    WHERE site_id = $1 AND received_at >= $2 AND received_at < $3 AND status <> 'resolved'
      AND ($4::text[] IS NULL OR service_id = ANY ($4::text[]))) AS still_open,
  r.resolved, r.resolution_mean_s
  FROM (SELECT count(*) AS resolved,
               avg(extract(epoch FROM resolved_at - received_at))::float8 AS resolution_mean_s
          FROM ticketing.complaints
         WHERE site_id = $1 AND resolved_at >= $2 AND resolved_at < $3
           AND ($4::text[] IS NULL OR service_id = ANY ($4::text[]))) r
"""

# IKM: $1 site, $2 first day, $3 last day, $4 allowed services (NULL: all), $5 counter
IKM_SQL = """
SELECT count(*) AS n, sum(u1) AS s1, sum(u2) AS s2, sum(u3) AS s3, sum(u4) AS s4,
       sum(u5) AS s5, sum(u6) AS s6, sum(u7) AS s7, sum(u8) AS s8, sum(u9) AS s9
  FROM ticketing.survey_responses
 WHERE site_id = $1 AND day BETWEEN $2 AND $3
   AND ($4::text[] IS NULL OR service_id = ANY ($4::text[]))
   AND ($5::text IS NULL OR counter_id = $5::text)
"""

QUERIES = {
    "summary": SUMMARY_SQL,
    "by_service": BY_SERVICE_SQL,
    "arrivals": ARRIVALS_SQL,
    "trend": TREND_SQL,
    "counters": COUNTERS_SQL,
    "clerks": CLERKS_SQL,
    "transfers": TRANSFERS_SQL,
    "complaints": COMPLAINTS_SQL,
    "ikm": IKM_SQL,
}
"""Every report query by name (scripts/generate_history.py EXPLAINs them)."""

QueryArg = str | date | datetime | list[str] | None


def _ticket_args(p: Scope) -> tuple[QueryArg, ...]:
    return (p.site_id, p.first, p.last, p.service_ids, p.counter_id)


def query_args(name: str, p: Scope) -> tuple[QueryArg, ...]:
    """The parameters `QUERIES[name]` takes for the scope `p`."""
    if name == "arrivals":
        return (*_ticket_args(p), p.timezone)
    if name == "transfers":
        return (p.site_id, p.start, p.end, p.service_ids, p.counter_id)
    if name == "complaints":
        return (p.site_id, p.start, p.end, p.service_ids)
    return _ticket_args(p)


@asynccontextmanager
async def snapshot(conn: Connection) -> AsyncIterator[None]:
    """One read-only snapshot for every query of a report (the figures agree with each
    other), with enough sort memory for a year."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        await conn.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        yield


# --- the rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    issued: int
    kiosk: int
    online: int
    mobile: int
    priority: int
    served: int
    no_show: int
    cancelled: int
    open: int
    wait_n: int
    wait_mean: float | None
    wait_median: float | None
    wait_p90: float | None
    service_n: int
    service_mean: float | None
    service_median: float | None
    service_p90: float | None

    def by_channel(self, channel: str) -> int:
        counts = {"kiosk": self.kiosk, "online": self.online, "mobile": self.mobile}
        return counts[channel]


@dataclass(frozen=True)
class ServiceFigures:
    service_id: str
    issued: int
    served: int
    no_show: int
    cancelled: int
    within_target: int
    wait_mean: float | None
    wait_median: float | None
    wait_p90: float | None
    service_mean: float | None


@dataclass(frozen=True)
class Arrivals:
    weekday: int
    hour: int
    tickets: int


@dataclass(frozen=True)
class DayTrend:
    day: date
    issued: int
    served: int
    wait_mean: float | None
    wait_median: float | None
    wait_p90: float | None


@dataclass(frozen=True)
class CounterFigures:
    counter_id: str
    served: int
    service_mean: float | None
    service_median: float | None


@dataclass(frozen=True)
class ClerkFigures:
    username: str
    counter_id: str | None
    served: int
    service_mean: float | None
    no_show: int
    recalls: int
    idle_s: float


@dataclass(frozen=True)
class ComplaintFigures:
    received: int
    complaints: int
    still_open: int
    resolved: int
    resolution_mean_s: float | None


async def summary(conn: Connection, p: Scope) -> Summary:
    row = await conn.fetchrow(SUMMARY_SQL, *query_args("summary", p))
    assert row is not None  # an aggregate without GROUP BY answers one row
    return row_of(Summary, row)


async def transferred(conn: Connection, p: Scope) -> int:
    count: int = await conn.fetchval(TRANSFERS_SQL, *query_args("transfers", p))
    return count


async def by_service(conn: Connection, p: Scope) -> list[ServiceFigures]:
    return rows_of(ServiceFigures, await conn.fetch(BY_SERVICE_SQL, *query_args("by_service", p)))


async def arrivals(conn: Connection, p: Scope) -> list[Arrivals]:
    return rows_of(Arrivals, await conn.fetch(ARRIVALS_SQL, *query_args("arrivals", p)))


async def trend(conn: Connection, p: Scope) -> list[DayTrend]:
    return rows_of(DayTrend, await conn.fetch(TREND_SQL, *query_args("trend", p)))


async def counter_figures(conn: Connection, p: Scope) -> list[CounterFigures]:
    return rows_of(CounterFigures, await conn.fetch(COUNTERS_SQL, *query_args("counters", p)))


async def clerk_figures(conn: Connection, p: Scope) -> list[ClerkFigures]:
    return rows_of(ClerkFigures, await conn.fetch(CLERKS_SQL, *query_args("clerks", p)))


async def complaints(conn: Connection, p: Scope) -> ComplaintFigures:
    row = await conn.fetchrow(COMPLAINTS_SQL, *query_args("complaints", p))
    assert row is not None
    return row_of(ComplaintFigures, row)


async def ikm(conn: Connection, p: Scope) -> IkmSums:
    row = await conn.fetchrow(IKM_SQL, *query_args("ikm", p))
    assert row is not None
    return row_of(IkmSums, row)
