"""Service reports of one site over a period of site-local days: volumes, outcomes, waits,
service times, the service standard (SLA), arrivals by hour and weekday, counters,
complaints and the IKM. Every figure is computed in SQL from the ticket history
(`percentile_cont` for medians and P90); Python only names and arranges them.

Definitions (docs/reports.md):
- a ticket belongs to the period of its site-local day of issue (`tickets.day`);
- wait = first_called_at − issued_at, for every ticket that was called;
- service time = completed_at − called_at, for served tickets;
- within standard: a served ticket whose completed_at − issued_at ≤ its service's
  target_minutes (the standard's time to serve, waiting included);
- transfers come from the service-completed events in the outbox (the ticket row only
  keeps its last outcome), counted by the time of the transfer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.ticketing import repository as repo
from services.ticketing.actors import Actor, require_supervisor
from services.ticketing.domain import ikm as ikm_rules
from services.ticketing.domain import report_charts as charts
from services.ticketing.errors import InvalidRequest, NotFound
from services.ticketing.export import Table
from shared.database import Connection

MAX_DAYS = 366

REPORT_WORK_MEM = "128MB"
"""Memory for the report's sorts (medians, P90s of up to a year of tickets) in its own
read-only transaction, so a year of a busy site sorts in memory instead of on disk."""

CHANNELS = ("kiosk", "online", "mobile")


@dataclass(frozen=True)
class Period:
    """A report's scope: site, days (inclusive), optional agency/service/counter."""

    site_id: str
    site_name: str
    timezone: str
    first: date
    last: date
    agency_id: str | None
    service_id: str | None
    counter_id: str | None
    service_ids: list[str] | None  # the services the agency/service filter allows
    services: dict[str, Any]
    agencies: dict[str, str]
    counters: dict[str, str]

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), ZoneInfo(self.timezone))

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), ZoneInfo(self.timezone))

    def ticket_args(self) -> tuple[Any, ...]:
        return (self.site_id, self.first, self.last, self.service_ids, self.counter_id)

    def as_json(self) -> dict[str, Any]:
        return {
            "site": {"id": self.site_id, "name": self.site_name, "timezone": self.timezone},
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "days": (self.last - self.first).days + 1,
            "filters": {
                "agency_id": self.agency_id,
                "service_id": self.service_id,
                "counter_id": self.counter_id,
            },
        }


async def period(
    conn: Connection,
    actor: Actor,
    site_id: str,
    first: date,
    last: date,
    agency_id: str | None = None,
    service_id: str | None = None,
    counter_id: str | None = None,
) -> Period:
    """Check the caller and the scope; raise NotAllowed, NotFound or InvalidRequest."""
    require_supervisor(actor, site_id)
    site = await repo.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    if last < first:
        raise InvalidRequest("to", "the period ends before it starts")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidRequest("to", f"a report covers at most {MAX_DAYS} days")
    services = {
        r["id"]: r
        for r in await conn.fetch(
            """SELECT id, name, agency_id, target_minutes, active FROM ticketing.services
                WHERE site_id = $1 ORDER BY position, id""",
            site_id,
        )
    }
    agencies = {
        r["id"]: r["name"]
        for r in await conn.fetch(
            "SELECT id, name FROM ticketing.agencies WHERE site_id = $1 ORDER BY id", site_id
        )
    }
    counters = {
        r["id"]: r["name"]
        for r in await conn.fetch(
            "SELECT id, name FROM ticketing.counters WHERE site_id = $1 ORDER BY position, id",
            site_id,
        )
    }
    allowed: list[str] | None = None
    if agency_id is not None:
        if agency_id not in agencies:
            raise InvalidRequest("agency_id", "unknown agency at this site")
        allowed = [s for s, row in services.items() if row["agency_id"] == agency_id]
    if service_id is not None:
        if service_id not in services:
            raise InvalidRequest("service_id", "unknown service at this site")
        allowed = [s for s in (allowed if allowed is not None else [service_id]) if s == service_id]
    if counter_id is not None and counter_id not in counters:
        raise InvalidRequest("counter_id", "unknown counter at this site")
    return Period(
        site_id,
        site["name"],
        site["timezone"],
        first,
        last,
        agency_id,
        service_id,
        counter_id,
        allowed,
        services,
        agencies,
        counters,
    )


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
    "transfers": TRANSFERS_SQL,
    "complaints": COMPLAINTS_SQL,
    "ikm": IKM_SQL,
}
"""Every report query by name (scripts/generate_history.py EXPLAINs them)."""


def query_args(name: str, p: Period) -> tuple[Any, ...]:
    """The parameters `QUERIES[name]` takes for the period `p`."""
    if name == "arrivals":
        return (*p.ticket_args(), p.timezone)
    if name == "transfers":
        return (p.site_id, p.start, p.end, p.service_ids, p.counter_id)
    if name == "complaints":
        return (p.site_id, p.start, p.end, p.service_ids)
    return p.ticket_args()


def _r(value: Any, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _stats(row: Any, prefix: str) -> dict[str, Any]:
    return {
        "n": row[f"{prefix}_n"],
        "mean": _r(row[f"{prefix}_mean"]),
        "median": _r(row[f"{prefix}_median"]),
        "p90": _r(row[f"{prefix}_p90"]),
    }


# --- the pieces ------------------------------------------------------------------------


async def arrivals(conn: Connection, p: Period) -> list[dict[str, int]]:
    rows = await conn.fetch(ARRIVALS_SQL, *query_args("arrivals", p))
    return [{"weekday": r["weekday"], "hour": r["hour"], "tickets": r["tickets"]} for r in rows]


async def trend(conn: Connection, p: Period) -> list[dict[str, Any]]:
    rows = await conn.fetch(TREND_SQL, *p.ticket_args())
    return [
        {
            "day": r["day"].isoformat(),
            "issued": r["issued"],
            "served": r["served"],
            "wait_mean_s": _r(r["wait_mean"]),
            "wait_median_s": _r(r["wait_median"]),
            "wait_p90_s": _r(r["wait_p90"]),
        }
        for r in rows
    ]


async def by_service(conn: Connection, p: Period) -> list[dict[str, Any]]:
    rows = {r["service_id"]: r for r in await conn.fetch(BY_SERVICE_SQL, *p.ticket_args())}
    out = []
    for service_id, svc in p.services.items():
        r = rows.get(service_id)
        if r is None:
            if not svc["active"]:
                continue
            if p.service_ids is not None and service_id not in p.service_ids:
                continue
            if p.service_ids is None and p.counter_id is not None:
                continue
        out.append(
            {
                "service_id": service_id,
                "service_name": svc["name"],
                "agency_id": svc["agency_id"],
                "target_minutes": svc["target_minutes"],
                "issued": r["issued"] if r else 0,
                "served": r["served"] if r else 0,
                "no_show": r["no_show"] if r else 0,
                "cancelled": r["cancelled"] if r else 0,
                "within_target": r["within_target"] if r else 0,
                "sla_share": _share(r["within_target"], r["served"]) if r else None,
                "wait_mean_s": _r(r["wait_mean"]) if r else None,
                "wait_median_s": _r(r["wait_median"]) if r else None,
                "wait_p90_s": _r(r["wait_p90"]) if r else None,
                "service_mean_s": _r(r["service_mean"]) if r else None,
            }
        )
    return out


def sla_by_agency(p: Period, services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sum the per-service counts into their agencies (counts add up exactly)."""
    out = []
    for agency_id, name in p.agencies.items():
        mine = [s for s in services if s["agency_id"] == agency_id]
        if not mine:
            continue
        served = sum(s["served"] for s in mine)
        within = sum(s["within_target"] for s in mine)
        out.append(
            {
                "agency_id": agency_id,
                "agency_name": name,
                "issued": sum(s["issued"] for s in mine),
                "served": served,
                "within_target": within,
                "sla_share": _share(within, served),
            }
        )
    return out


async def counters(conn: Connection, p: Period) -> list[dict[str, Any]]:
    rows = await conn.fetch(COUNTERS_SQL, *p.ticket_args())
    out = [
        {
            "counter_id": r["counter_id"],
            "counter_name": p.counters.get(r["counter_id"], r["counter_id"]),
            "served": r["served"],
            "service_mean_s": _r(r["service_mean"]),
            "service_median_s": _r(r["service_median"]),
        }
        for r in rows
    ]
    order = {c: i for i, c in enumerate(p.counters)}
    return sorted(out, key=lambda c: (order.get(c["counter_id"], len(order)), c["counter_id"]))


async def ikm_of(conn: Connection, p: Period) -> ikm_rules.Ikm:
    row = await conn.fetchrow(IKM_SQL, *p.ticket_args())
    assert row is not None
    return ikm_rules.of_row(row)


async def complaints_of(conn: Connection, p: Period) -> dict[str, Any]:
    row = await conn.fetchrow(COMPLAINTS_SQL, *query_args("complaints", p))
    assert row is not None
    return {
        "received": row["received"],
        "complaints": row["complaints"],
        "suggestions": row["received"] - row["complaints"],
        "still_open": row["still_open"],
        "resolved": row["resolved"],
        "resolution_mean_s": _r(row["resolution_mean_s"]),
    }


@asynccontextmanager
async def report_snapshot(conn: Connection) -> AsyncIterator[None]:
    """One read-only snapshot for every query of a report (the figures agree with each
    other), with enough sort memory for a year."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        await conn.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        yield


async def build(conn: Connection, p: Period) -> dict[str, Any]:
    """The whole report of a period as JSON-ready data."""
    async with report_snapshot(conn):
        return await _build(conn, p)


async def _build(conn: Connection, p: Period) -> dict[str, Any]:
    summary = await conn.fetchrow(SUMMARY_SQL, *p.ticket_args())
    assert summary is not None
    transferred = await conn.fetchval(TRANSFERS_SQL, *query_args("transfers", p))
    services = await by_service(conn, p)
    cells = await arrivals(conn, p)
    per_hour = {h: 0 for h in range(24)}
    for c in cells:
        per_hour[c["hour"]] += c["tickets"]
    served = sum(s["served"] for s in services)
    within = sum(s["within_target"] for s in services)
    return {
        **p.as_json(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "totals": {
            "issued": summary["issued"],
            "served": summary["served"],
            "no_show": summary["no_show"],
            "cancelled": summary["cancelled"],
            "transferred": transferred,
            "open": summary["open"],
            "priority": summary["priority"],
        },
        "by_channel": {c: summary[c] for c in CHANNELS},
        "wait_s": _stats(summary, "wait"),
        "service_s": _stats(summary, "service"),
        "sla": {"served": served, "within_target": within, "share": _share(within, served)},
        "arrivals_by_hour": [{"hour": h, "tickets": n} for h, n in per_hour.items()],
        "arrivals_heatmap": cells,
        "wait_trend": await trend(conn, p),
        "sla_by_agency": sla_by_agency(p, services),
        "by_service": services,
        "counters": await counters(conn, p),
        "complaints": await complaints_of(conn, p),
        "ikm": (await ikm_of(conn, p)).as_json(),
    }


# --- charts ----------------------------------------------------------------------------


async def chart(conn: Connection, p: Period, name: str) -> str:
    """One of the report's charts as SVG: heatmap, wait-trend or sla."""
    async with report_snapshot(conn):
        return await _chart(conn, p, name)


async def _chart(conn: Connection, p: Period, name: str) -> str:
    if name == "heatmap":
        cells = {(c["weekday"], c["hour"]): c["tickets"] for c in await arrivals(conn, p)}
        return charts.heatmap(cells)
    if name == "wait-trend":
        points = [
            (date.fromisoformat(d["day"]), d["wait_mean_s"], d["wait_p90_s"])
            for d in await trend(conn, p)
        ]
        return charts.wait_trend(points)
    if name == "sla":
        rows = sla_by_agency(p, await by_service(conn, p))
        return charts.sla_bars([(a["agency_name"], a["sla_share"], a["served"]) for a in rows])
    raise NotFound(f"no chart {name!r}")


# --- exports ---------------------------------------------------------------------------


def tables(report: dict[str, Any]) -> list[Table]:
    """The report as named tables (sheet name ≤ 31 characters, header, rows)."""
    totals = report["totals"]
    wait, svc, sla = report["wait_s"], report["service_s"], report["sla"]
    complaints = report["complaints"]
    ikm = report["ikm"]
    summary_rows: list[list[Any]] = [
        ["lokasi", report["site"]["name"]],
        ["dari", report["from"]],
        ["sampai", report["to"]],
        *[[f"filter {k}", v] for k, v in report["filters"].items() if v],
        ["tiket diambil", totals["issued"]],
        *[[f"kanal {c}", report["by_channel"][c]] for c in CHANNELS],
        ["dilayani", totals["served"]],
        ["tidak hadir", totals["no_show"]],
        ["dibatalkan", totals["cancelled"]],
        ["dialihkan", totals["transferred"]],
        ["masih terbuka", totals["open"]],
        ["tunggu rata-rata (detik)", wait["mean"]],
        ["tunggu median (detik)", wait["median"]],
        ["tunggu P90 (detik)", wait["p90"]],
        ["layanan rata-rata (detik)", svc["mean"]],
        ["layanan median (detik)", svc["median"]],
        ["layanan P90 (detik)", svc["p90"]],
        ["sesuai standar waktu", sla["within_target"]],
        ["sesuai standar waktu (porsi)", sla["share"]],
        ["pengaduan/saran diterima", complaints["received"]],
        ["pengaduan selesai", complaints["resolved"]],
        ["rata-rata waktu penyelesaian (detik)", complaints["resolution_mean_s"]],
        ["IKM", ikm["ikm"]],
        ["mutu IKM", ikm["category"]],
        ["responden SKM", ikm["respondents"]],
    ]
    return [
        ("Ringkasan", ["ukuran", "nilai"], summary_rows),
        (
            "Kedatangan per jam",
            ["jam", "tiket"],
            [[a["hour"], a["tickets"]] for a in report["arrivals_by_hour"]],
        ),
        (
            "Kedatangan jam x hari",
            ["hari (1=Senin)", "jam", "tiket"],
            [[c["weekday"], c["hour"], c["tickets"]] for c in report["arrivals_heatmap"]],
        ),
        (
            "Tren tunggu harian",
            ["tanggal", "tiket", "dilayani", "tunggu rata2 (s)", "tunggu median (s)", "P90 (s)"],
            [
                [
                    d["day"],
                    d["issued"],
                    d["served"],
                    d["wait_mean_s"],
                    d["wait_median_s"],
                    d["wait_p90_s"],
                ]
                for d in report["wait_trend"]
            ],
        ),
        (
            "Standar waktu per instansi",
            ["instansi", "tiket", "dilayani", "sesuai standar", "porsi"],
            [
                [a["agency_name"], a["issued"], a["served"], a["within_target"], a["sla_share"]]
                for a in report["sla_by_agency"]
            ],
        ),
        (
            "Per layanan",
            [
                "layanan",
                "instansi",
                "standar (menit)",
                "tiket",
                "dilayani",
                "tidak hadir",
                "dibatalkan",
                "sesuai standar",
                "porsi",
                "tunggu rata2 (s)",
                "tunggu median (s)",
                "tunggu P90 (s)",
                "layanan rata2 (s)",
            ],
            [
                [
                    s["service_name"],
                    s["agency_id"],
                    s["target_minutes"],
                    s["issued"],
                    s["served"],
                    s["no_show"],
                    s["cancelled"],
                    s["within_target"],
                    s["sla_share"],
                    s["wait_mean_s"],
                    s["wait_median_s"],
                    s["wait_p90_s"],
                    s["service_mean_s"],
                ]
                for s in report["by_service"]
            ],
        ),
        (
            "Produktivitas loket",
            ["loket", "dilayani", "layanan rata2 (s)", "layanan median (s)"],
            [
                [c["counter_name"], c["served"], c["service_mean_s"], c["service_median_s"]]
                for c in report["counters"]
            ],
        ),
        (
            "IKM",
            ["unsur", "nama", "nilai rata-rata"],
            [[e["element"], e["name"], e["mean"]] for e in ikm["elements"]]
            + [["IKM", ikm["quality"] or "-", ikm["ikm"]], ["responden", "", ikm["respondents"]]],
        ),
    ]
