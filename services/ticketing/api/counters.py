"""A counter's desk: call the next citizen, and find the ticket open at it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.ticketing import errors
from services.ticketing import repository as repo
from services.ticketing.api.deps import Db, Operator
from services.ticketing.api.schemas import Ticket
from services.ticketing.usecases import counter_actions, views

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
    state = await counter_actions.call_next(conn, actor, site_id, counter_id)
    if state is None:
        return Response(status_code=204)
    return Ticket.of(state)


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
    if await repo.site(conn, site_id) is None:
        raise errors.NotFound("site not found")
    if not any(c["id"] == counter_id for c in await repo.counters(conn, site_id)):
        raise errors.NotFound("counter not found at this site")
    if not actor.may_use_counter(site_id, counter_id):
        raise errors.NotAllowed(f"{actor.username} may not act for {counter_id}")
    row = await repo.open_ticket_at_counter(conn, site_id, counter_id)
    if row is None:
        return Response(status_code=204)
    return Ticket.of(await views.describe(conn, row))
