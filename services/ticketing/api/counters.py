"""A counter's desk: call the next citizen."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.ticketing import queue
from services.ticketing.api.deps import Db, Operator
from services.ticketing.api.schemas import Ticket

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
    state = await queue.call_next(conn, actor, site_id, counter_id)
    if state is None:
        return Response(status_code=204)
    return Ticket.of(state)
