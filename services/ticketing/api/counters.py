"""A counter's desk: call the next citizen, and find the ticket open at it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.ticketing.api.deps import Db, Operator
from services.ticketing.api.schemas import Ticket
from services.ticketing.usecases import counter_actions
from services.ticketing.usecases.commands import CallNext, OpenTicketAt

router = APIRouter(prefix="/api/sites/{site_id}/counters", tags=["counters"])


@router.post(
    "/{counter_id}/call-next",
    response_model=Ticket,
    responses={
        204: {"description": "Nobody waits for this counter's services"},
        403: {"description": "The staff member may not act for this counter"},
        404: {"description": "Unknown site or counter"},
    },
)
async def call_next(site_id: str, counter_id: str, conn: Db, actor: Operator) -> Ticket | Response:
    """Complete the counter's open ticket as served, then call the head of its line."""
    state = await counter_actions.call_next(conn, CallNext(site_id, counter_id), actor)
    return Response(status_code=204) if state is None else Ticket.of(state)


@router.get(
    "/{counter_id}/current",
    response_model=Ticket,
    responses={
        204: {"description": "No ticket is open at this counter"},
        403: {"description": "The staff member may not act for this counter"},
        404: {"description": "Unknown site or counter"},
    },
)
async def current(site_id: str, counter_id: str, conn: Db, actor: Operator) -> Ticket | Response:
    """The ticket called to this counter and not completed yet, so a console that was
    reloaded (or opened on another PC) carries on with it."""
    state = await counter_actions.open_ticket_at(conn, OpenTicketAt(site_id, counter_id), actor)
    return Response(status_code=204) if state is None else Ticket.of(state)
