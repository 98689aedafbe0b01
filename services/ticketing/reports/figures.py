"""The report's figures as JSON-ready data, and the data its charts draw: the rows of
`repositories/reports.py` named, rounded and arranged, in one read-only snapshot."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.ticketing.domain import ikm as ikm_rules
from services.ticketing.errors import NotFound
from services.ticketing.reports import charts
from services.ticketing.reports.scope import Period
from services.ticketing.repositories import reports as queries
from shared.database import Connection

CHANNELS = ("kiosk", "online", "mobile")


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _stats(n: int, mean: float | None, median: float | None, p90: float | None) -> dict[str, Any]:
    return {"n": n, "mean": _r(mean), "median": _r(median), "p90": _r(p90)}


# --- the pieces ------------------------------------------------------------------------


async def arrivals(conn: Connection, p: Period) -> list[dict[str, int]]:
    rows = await queries.arrivals(conn, p)
    return [{"weekday": r.weekday, "hour": r.hour, "tickets": r.tickets} for r in rows]


async def trend(conn: Connection, p: Period) -> list[dict[str, Any]]:
    return [
        {
            "day": r.day.isoformat(),
            "issued": r.issued,
            "served": r.served,
            "wait_mean_s": _r(r.wait_mean),
            "wait_median_s": _r(r.wait_median),
            "wait_p90_s": _r(r.wait_p90),
        }
        for r in await queries.trend(conn, p)
    ]


def _shown(p: Period, service: queries.ReportService) -> bool:
    """Whether a service without tickets in the period still gets its (empty) row."""
    if not service.active:
        return False
    if p.service_ids is not None:
        return service.id in p.service_ids
    return p.counter_id is None


async def by_service(conn: Connection, p: Period) -> list[dict[str, Any]]:
    rows = {r.service_id: r for r in await queries.by_service(conn, p)}
    out = []
    for service_id, svc in p.services.items():
        r = rows.get(service_id)
        if r is None and not _shown(p, svc):
            continue
        out.append(
            {
                "service_id": service_id,
                "service_name": svc.name,
                "agency_id": svc.agency_id,
                "target_minutes": svc.target_minutes,
                "issued": r.issued if r else 0,
                "served": r.served if r else 0,
                "no_show": r.no_show if r else 0,
                "cancelled": r.cancelled if r else 0,
                "within_target": r.within_target if r else 0,
                "sla_share": _share(r.within_target, r.served) if r else None,
                "wait_mean_s": _r(r.wait_mean) if r else None,
                "wait_median_s": _r(r.wait_median) if r else None,
                "wait_p90_s": _r(r.wait_p90) if r else None,
                "service_mean_s": _r(r.service_mean) if r else None,
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
    out = [
        {
            "counter_id": r.counter_id,
            "counter_name": p.counters.get(r.counter_id, r.counter_id),
            "served": r.served,
            "service_mean_s": _r(r.service_mean),
            "service_median_s": _r(r.service_median),
        }
        for r in await queries.counter_figures(conn, p)
    ]
    order = {c: i for i, c in enumerate(p.counters)}
    return sorted(out, key=lambda c: (order.get(c["counter_id"], len(order)), c["counter_id"]))


async def clerks(conn: Connection, p: Period) -> list[dict[str, Any]]:
    """Per clerk and counter: served, mean service time, idle time between tickets,
    no-shows and recalls (NovoSGA #314: a supervisor's view of each clerk's day)."""
    return [
        {
            "username": r.username,
            "counter_id": r.counter_id,
            "counter_name": p.counters.get(r.counter_id or "", r.counter_id),
            "served": r.served,
            "service_mean_s": _r(r.service_mean),
            "idle_s": _r(r.idle_s),
            "no_show": r.no_show,
            "recalls": r.recalls,
        }
        for r in await queries.clerk_figures(conn, p)
    ]


async def ikm_of(conn: Connection, p: Period) -> ikm_rules.Ikm:
    sums = await queries.ikm(conn, p)
    return ikm_rules.from_sums(sums.n, sums.sums)


async def complaints_of(conn: Connection, p: Period) -> dict[str, Any]:
    row = await queries.complaints(conn, p)
    return {
        "received": row.received,
        "complaints": row.complaints,
        "suggestions": row.received - row.complaints,
        "still_open": row.still_open,
        "resolved": row.resolved,
        "resolution_mean_s": _r(row.resolution_mean_s),
    }


# --- the whole report ------------------------------------------------------------------


async def build(conn: Connection, p: Period) -> dict[str, Any]:
    """The whole report of a period as JSON-ready data."""
    async with queries.snapshot(conn):
        return await _build(conn, p)


async def _build(conn: Connection, p: Period) -> dict[str, Any]:
    s = await queries.summary(conn, p)
    transferred = await queries.transferred(conn, p)
    services = await by_service(conn, p)
    cells = await arrivals(conn, p)
    per_hour = {h: 0 for h in range(24)}
    for c in cells:
        per_hour[c["hour"]] += c["tickets"]
    served = sum(x["served"] for x in services)
    within = sum(x["within_target"] for x in services)
    return {
        **p.as_json(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "totals": {
            "issued": s.issued,
            "served": s.served,
            "no_show": s.no_show,
            "cancelled": s.cancelled,
            "transferred": transferred,
            "open": s.open,
            "priority": s.priority,
        },
        "by_channel": {c: s.by_channel(c) for c in CHANNELS},
        "wait_s": _stats(s.wait_n, s.wait_mean, s.wait_median, s.wait_p90),
        "service_s": _stats(s.service_n, s.service_mean, s.service_median, s.service_p90),
        "sla": {"served": served, "within_target": within, "share": _share(within, served)},
        "arrivals_by_hour": [{"hour": h, "tickets": n} for h, n in per_hour.items()],
        "arrivals_heatmap": cells,
        "wait_trend": await trend(conn, p),
        "sla_by_agency": sla_by_agency(p, services),
        "by_service": services,
        "counters": await counters(conn, p),
        "clerks": await clerks(conn, p),
        "complaints": await complaints_of(conn, p),
        "ikm": (await ikm_of(conn, p)).as_json(),
    }


# --- the charts' data ------------------------------------------------------------------


async def chart(conn: Connection, p: Period, name: str) -> str:
    """One of the report's charts as SVG: heatmap, wait-trend or sla."""
    async with queries.snapshot(conn):
        return await _chart(conn, p, name)


async def _chart(conn: Connection, p: Period, name: str) -> str:
    if name == "heatmap":
        cells = {(c.weekday, c.hour): c.tickets for c in await queries.arrivals(conn, p)}
        return charts.heatmap(cells)
    if name == "wait-trend":
        points = [(d.day, _r(d.wait_mean), _r(d.wait_p90)) for d in await queries.trend(conn, p)]
        return charts.wait_trend(points)
    if name == "sla":
        rows = sla_by_agency(p, await by_service(conn, p))
        return charts.sla_bars([(a["agency_name"], a["sla_share"], a["served"]) for a in rows])
    raise NotFound(f"no chart {name!r}")
