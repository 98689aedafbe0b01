"""Service reports of a site for its supervisor (or an admin): JSON, CSV, XLSX, the charts
as SVG, and the report page `/reports/{site_id}`. 401 without a token, 403 for another
site's supervisor or an operator, 422 for a bad period or filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from services.ticketing import export, reports
from services.ticketing.actors import Actor
from services.ticketing.api.deps import Db, Operator
from services.ticketing.api.pages import SECURITY_HEADERS, _page
from services.ticketing.api.schemas import file_answer
from shared.database import Connection

router = APIRouter(tags=["reports"])

_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No valid token"},
    403: {"description": "Not a supervisor of this site (or an admin)"},
    404: {"description": "Unknown site"},
    422: {"description": "Bad period (to before from, more than 366 days) or unknown filter"},
}

From = Annotated[
    date | None, Query(alias="from", description="First site-local day (default: 29 days ago)")
]
To = Annotated[date | None, Query(alias="to", description="Last site-local day (default: today)")]
Filter = Annotated[str | None, Query(max_length=64)]


@dataclass(frozen=True)
class Scope:
    """The query every report format takes: the period's days and its filters."""

    first: date | None
    last: date | None
    agency_id: str | None
    service_id: str | None
    counter_id: str | None


def _scope(
    first: From = None,
    last: To = None,
    agency_id: Filter = None,
    service_id: Filter = None,
    counter_id: Filter = None,
) -> Scope:
    return Scope(first, last, agency_id, service_id, counter_id)


ReportScope = Annotated[Scope, Depends(_scope)]


async def _period(conn: Connection, actor: Actor, site_id: str, q: Scope) -> reports.Period:
    return await reports.period(
        conn, actor, site_id, q.first, q.last, q.agency_id, q.service_id, q.counter_id
    )


def _download(body: bytes, media_type: str, p: reports.Period, ext: str) -> Response:
    name = f"laporan-{p.site_id}-{p.first.isoformat()}-{p.last.isoformat()}.{ext}"
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/api/sites/{site_id}/reports", responses=_ERRORS)
async def report(site_id: str, conn: Db, actor: Operator, q: ReportScope) -> dict[str, Any]:
    """Volumes by channel and outcome, wait and service time (mean, median, P90), the service
    standard, arrivals by hour and weekday, daily wait trend, agencies, counters, complaints
    and the IKM of the period."""
    p = await _period(conn, actor, site_id, q)
    return await reports.build(conn, p)


@router.get(
    "/api/sites/{site_id}/reports.csv",
    response_class=Response,
    responses=file_answer("text/csv", _ERRORS),
)
async def report_csv(site_id: str, conn: Db, actor: Operator, q: ReportScope) -> Response:
    """The report's tables in one CSV (UTF-8 with BOM): title row, header, rows, blank row."""
    p = await _period(conn, actor, site_id, q)
    body = export.to_csv(reports.tables(await reports.build(conn, p)))
    return _download(body, "text/csv; charset=utf-8", p, "csv")


@router.get(
    "/api/sites/{site_id}/reports.xlsx",
    response_class=Response,
    responses=file_answer(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ERRORS
    ),
)
async def report_xlsx(site_id: str, conn: Db, actor: Operator, q: ReportScope) -> Response:
    """The report as an Excel workbook, one sheet per table."""
    p = await _period(conn, actor, site_id, q)
    body = export.to_xlsx(reports.tables(await reports.build(conn, p)))
    return _download(
        body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", p, "xlsx"
    )


@router.get(
    "/api/sites/{site_id}/reports/charts/{chart}.svg",
    response_class=Response,
    responses=file_answer("image/svg+xml", _ERRORS),
)
async def report_chart(
    site_id: str,
    chart: Literal["heatmap", "wait-trend", "sla"],
    conn: Db,
    actor: Operator,
    q: ReportScope,
) -> Response:
    """A chart of the report as SVG, drawn on the server (no script, no style, no network)."""
    p = await _period(conn, actor, site_id, q)
    return Response(
        await reports.chart(conn, p, chart),
        media_type="image/svg+xml",
        headers={**SECURITY_HEADERS, "Cache-Control": "private, no-store"},
    )


@router.get("/reports/{site_id}", include_in_schema=False)
async def report_page(site_id: str, request: Request) -> Response:
    """The supervisor's report page (it logs in and fetches the data itself)."""
    return _page(request, "report.html")
