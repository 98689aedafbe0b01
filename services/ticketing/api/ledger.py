"""The public fairness ledger: JSON feed and page, per site and day. No login, no personal
data: ticket numbers, services, times and reasons only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from services.ticketing import ledger
from services.ticketing.api.deps import Db
from services.ticketing.api.pages import _page
from services.ticketing.api.refusal_words import no_ticket_on

router = APIRouter(tags=["fairness ledger"])


class Overtaking(BaseModel):
    number: str
    reason: str = Field(
        description="priority, transfer, journey, returned, appointment, fairness, unexplained"
    )
    explanation: str
    entered_at: datetime
    called_at: datetime | None


class LedgerTicket(BaseModel):
    number: str
    service_id: str
    service_name: str
    priority: str
    channel: str
    entry: str = Field(description="How it entered this line: issued, transfer, journey, …")
    issued_at: datetime
    entered_at: datetime
    called_at: datetime | None
    counter_name: str | None
    call_reason: str | None = Field(
        default=None, description="Why a clerk called it out of turn (a chosen call), if so"
    )
    outcome: str | None
    overtaken_by: list[Overtaking] = Field(
        description="Tickets called before it although they entered this line later, and why"
    )


class Ledger(BaseModel):
    site_id: str
    site_name: str
    date: date
    timezone: str
    events: int
    tickets: list[LedgerTicket]


@router.get(
    "/api/sites/{site_id}/ledger",
    response_model=Ledger,
    responses={404: {"description": "Unknown site"}},
)
async def day(site_id: str, conn: Db, date: date | None = None) -> dict[str, Any]:
    """Every ticket of the day (default today, site time) and who was called before it."""
    return await ledger.day_ledger(conn, site_id, date)


@router.get(
    "/api/sites/{site_id}/ledger/{number}",
    response_model=Ledger,
    responses={404: {"description": "Unknown site, or no such number that day"}},
)
async def one_number(
    site_id: str, number: str, conn: Db, date: date | None = None
) -> dict[str, Any]:
    """One ticket number of the day: each line it stood in, when called, who went first, why."""
    found = await ledger.day_ledger(conn, site_id, date)
    found["tickets"] = [t for t in found["tickets"] if t["number"] == number.upper()]
    if not found["tickets"]:
        shown = number.upper()
        raise HTTPException(404, detail=no_ticket_on(shown, found["date"], today=date is None))
    return found


@router.get("/transparansi/{site_id}", include_in_schema=False)
async def page(site_id: str, request: Request) -> Response:
    """The public page: type a ticket number, see whether anyone went before it and why."""
    return _page(request, "ledger.html")
