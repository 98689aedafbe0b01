"""A counter's desk: call the next citizen or a chosen one, take a break and come back,
and find the ticket open at it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.ticketing.api.deps import Db, Operator
from services.ticketing.api.schemas import (
    CallChosenRequest,
    CounterBreak,
    Desk,
    PauseRequest,
    Ticket,
)
from services.ticketing.repositories.counters import Counter
from services.ticketing.usecases import counter_actions, counter_breaks
from services.ticketing.usecases.commands import (
    CallChosen,
    CallNext,
    OpenTicketAt,
    PauseCounter,
    ResumeCounter,
)

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


@router.post(
    "/{counter_id}/call",
    response_model=Ticket,
    responses={
        403: {"description": "The staff member may not act for this counter"},
        404: {"description": "Unknown site or counter, or no such number today"},
        409: {"description": "Not waiting, not a service of this counter, or on a break"},
        422: {"description": "No reason (3–200 characters) or not a ticket number"},
    },
)
async def call_chosen(
    site_id: str, counter_id: str, body: CallChosenRequest, conn: Db, actor: Operator
) -> Ticket:
    """Call a chosen waiting ticket out of turn, with the reason the fairness ledger shows;
    the counter's open ticket is completed as served first, as call-next does."""
    command = CallChosen(site_id, counter_id, body.ticket_number, body.reason)
    return Ticket.of(await counter_actions.call_chosen(conn, command, actor))


def _break(counter: Counter) -> CounterBreak:
    return CounterBreak(
        counter_id=counter["id"],
        counter_name=counter["name"],
        paused=counter["paused_at"] is not None,
        reason=counter["paused_reason"],
        paused_at=counter["paused_at"],
    )


@router.post(
    "/{counter_id}/pause",
    response_model=CounterBreak,
    responses={
        409: {"description": "The counter serves a ticket, or is already paused"},
        422: {"description": "Not one of the site's break reasons"},
    },
)
async def pause(
    site_id: str, counter_id: str, body: PauseRequest, conn: Db, actor: Operator
) -> CounterBreak:
    """Take a break (istirahat, shalat, rapat, gangguan sistem…): the board shows it, the
    counter calls nobody and leaves the estimates until it resumes."""
    command = PauseCounter(site_id, counter_id, body.reason)
    return _break(await counter_breaks.pause(conn, command, actor))


@router.post(
    "/{counter_id}/resume",
    response_model=CounterBreak,
    responses={409: {"description": "The counter is not paused"}},
)
async def resume(site_id: str, counter_id: str, conn: Db, actor: Operator) -> CounterBreak:
    """Back from the break."""
    return _break(await counter_breaks.resume(conn, ResumeCounter(site_id, counter_id), actor))


@router.get(
    "/{counter_id}/desk",
    response_model=Desk,
    responses={403: {"description": "The staff member may not act for this counter"}},
)
async def desk(site_id: str, counter_id: str, conn: Db, actor: Operator) -> dict[str, object]:
    """What the counter's console shows beside its ticket: its break, the numbers waiting
    for its services, its returnable no-shows and its figures today."""
    return await counter_breaks.desk(conn, site_id, counter_id, actor)
