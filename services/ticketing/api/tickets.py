"""Tickets: citizens take, follow and cancel them; counter staff recall, complete,
mark no-show and transfer them. Errors map in `api/errors.py` (404, 403, 409, 422)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Request, Response

from services.ticketing import booking, queue
from services.ticketing import repository as repo
from services.ticketing.api.deps import Db, Operator, Settings
from services.ticketing.api.schemas import IssueTicketRequest, Ticket, TransferRequest

router = APIRouter(tags=["tickets"])

_ERRORS: dict[int | str, dict[str, str]] = {
    403: {"description": "The staff member may not act for this counter or site"},
    404: {"description": "Unknown ticket"},
    409: {"description": "The ticket is in the wrong state for this call"},
}


@router.post(
    "/api/sites/{site_id}/tickets",
    status_code=201,
    response_model=Ticket,
    responses={
        404: {"description": "Unknown site or service"},
        409: {"description": "The service does not take tickets now (the reason is for the kiosk)"},
        422: {"description": "Invalid body (which field, why)"},
        429: {"description": "Online: too many requests from this phone or address"},
    },
)
async def issue_ticket(
    site_id: str,
    body: IssueTicketRequest,
    conn: Db,
    request: Request,
    response: Response,
    settings: Settings,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> Ticket:
    """A citizen takes a ticket. A retry with the same `Idempotency-Key` returns the first one.

    Online tickets (channel `online`) follow the site's anti-calo rules: a phone proven by a
    one-time SMS code, one active ticket per phone per service per day, and rate limits per
    phone and per client address (429 with Retry-After). Kiosk limits are off by default."""
    site = await repo.site(conn, site_id)
    if site is None:
        raise queue.NotFound("site not found")
    client_ip = request.client.host if request.client else None
    before_issue = None
    if body.channel == "online":
        await booking.online_limits(conn, site, body.phone, client_ip)
        proven = booking.proven_phone(body.verification_token, site_id, settings.token_secret)

        async def before_issue(site_row: Any) -> None:
            await booking.check_online_ticket(conn, site_row, body.service_id, body.phone, proven)

    elif body.channel == "kiosk":
        await booking.kiosk_limits(conn, site, client_ip)
    state = await queue.issue_ticket(
        conn,
        site_id,
        body.service_id,
        body.priority,
        body.channel,
        body.phone,
        idempotency_key,
        before_issue,
        body.journey,
        site=site,
    )
    if state.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return Ticket.of(state)


@router.get("/api/tickets/{ticket_id}", response_model=Ticket, responses={404: _ERRORS[404]})
async def get_ticket(ticket_id: UUID, conn: Db) -> Ticket:
    return Ticket.of(await queue.get_ticket(conn, ticket_id))


@router.delete(
    "/api/tickets/{ticket_id}",
    response_model=Ticket,
    responses={404: _ERRORS[404], 409: _ERRORS[409]},
)
async def cancel_ticket(ticket_id: UUID, conn: Db) -> Ticket:
    """The citizen gives up a waiting ticket: outcome `cancelled`."""
    return Ticket.of(await queue.cancel_ticket(conn, ticket_id))


@router.post("/api/tickets/{ticket_id}/recall", response_model=Ticket, responses=_ERRORS)
async def recall(ticket_id: UUID, conn: Db, actor: Operator) -> Ticket:
    """Call the same ticket again (call_count + 1)."""
    return Ticket.of(await queue.recall(conn, actor, ticket_id))


@router.post("/api/tickets/{ticket_id}/complete", response_model=Ticket, responses=_ERRORS)
async def complete(ticket_id: UUID, conn: Db, actor: Operator) -> Ticket:
    """The citizen was served."""
    return Ticket.of(await queue.complete(conn, actor, ticket_id))


@router.post("/api/tickets/{ticket_id}/no-show", response_model=Ticket, responses=_ERRORS)
async def no_show(ticket_id: UUID, conn: Db, actor: Operator) -> Ticket:
    """The citizen did not come to the counter."""
    return Ticket.of(await queue.no_show(conn, actor, ticket_id))


@router.post("/api/tickets/{ticket_id}/transfer", response_model=Ticket, responses=_ERRORS)
async def transfer(ticket_id: UUID, body: TransferRequest, conn: Db, actor: Operator) -> Ticket:
    """Send the ticket to another service; it keeps its number and its place by issue time."""
    return Ticket.of(await queue.transfer(conn, actor, ticket_id, body.service_id))


@router.post("/api/tickets/{ticket_id}/return", response_model=Ticket, responses=_ERRORS)
async def return_no_show(ticket_id: UUID, conn: Db, actor: Operator) -> Ticket:
    """A no-show came back within the grace period: it waits again near the front.
    409 when the ticket is not a no-show or the grace period is over."""
    return Ticket.of(await queue.return_no_show(conn, actor, ticket_id))
