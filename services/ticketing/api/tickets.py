"""Tickets: citizens take, follow and cancel them (the holder, with the ticket's key);
counter staff recall, complete, mark no-show and transfer them. Errors map in
`api/errors.py` (404, 401, 403, 409, 422, 429)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Request, Response

from services.ticketing import ticket_keys
from services.ticketing.api.deps import Db, Operator, Settings
from services.ticketing.api.kiosks import KIOSK_REFUSALS, IssuingCaller, KioskFirst
from services.ticketing.api.pages import tracking_url
from services.ticketing.api.schemas import IssuedTicket, IssueTicketRequest, Ticket, TransferRequest
from services.ticketing.usecases import counter_actions, issuing, views
from services.ticketing.usecases.commands import (
    CancelTicket,
    Complete,
    NoShow,
    Recall,
    ReturnNoShow,
    Transfer,
)

router = APIRouter(tags=["tickets"])

_ERRORS: dict[int | str, dict[str, str]] = {
    403: {"description": "The staff member may not act for this counter or site"},
    404: {"description": "Unknown ticket"},
    409: {"description": "The ticket is in the wrong state for this call"},
}


async def issue_ticket(
    site_id: str,
    body: IssueTicketRequest,
    conn: Db,
    caller: IssuingCaller,
    request: Request,
    response: Response,
    settings: Settings,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> IssuedTicket:
    """A citizen takes a ticket; the answer carries the holder's `ticket_key`. A retry with
    the same `Idempotency-Key` returns the first ticket (with its key only to the same kiosk,
    or without a kiosk token the same address).

    Where the site requires enrolled kiosks, a kiosk or mobile ticket needs the kiosk's
    Bearer token (401 first, before hours, quotas and the body), and each kiosk issues at
    most its tickets per minute (429). Online tickets (channel `online`) follow the site's
    anti-calo rules: a phone proven by a one-time SMS code, one active ticket per phone per
    service per day, and rate limits per phone and per client address (429)."""
    requester = caller.requester(settings.token_secret)
    command = body.command(site_id, idempotency_key, requester, caller.address)
    state = await issuing.issue_ticket(
        conn, command, token_secret=settings.token_secret, site=caller.site
    )
    if state.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    key = ticket_keys.ticket_key(state.row["id"], settings.token_secret) if state.holder else None
    return IssuedTicket.of_holder(state, key, tracking_url(request, state.row["id"]))


router.add_api_route(
    "/api/sites/{site_id}/tickets",
    issue_ticket,
    methods=["POST"],
    status_code=201,
    response_model=IssuedTicket,
    responses={
        **KIOSK_REFUSALS,
        404: {"description": "Unknown site or service"},
        409: {"description": "The service does not take tickets now (the reason is for the kiosk)"},
        422: {"description": "Invalid body (which field, why)"},
        429: {"description": "Too many: this kiosk per minute, or online this phone or address"},
    },
    route_class_override=KioskFirst,
)


@router.get("/api/tickets/{ticket_id}", response_model=Ticket, responses={404: _ERRORS[404]})
async def get_ticket(ticket_id: UUID, conn: Db) -> Ticket:
    return Ticket.of(await views.get_ticket(conn, ticket_id))


TicketKey = Annotated[
    str | None,
    Header(max_length=128, description="The holder's `ticket_key` from the issuing answer"),
]


@router.delete(
    "/api/tickets/{ticket_id}",
    response_model=Ticket,
    responses={
        401: {"description": "No Ticket-Key header"},
        403: {"description": "Wrong Ticket-Key (counted)"},
        404: _ERRORS[404],
        409: _ERRORS[409],
        429: {"description": "Too many wrong keys for this ticket"},
    },
)
async def cancel_ticket(
    ticket_id: UUID, conn: Db, settings: Settings, ticket_key: TicketKey = None
) -> Ticket:
    """The holder gives up a waiting ticket: outcome `cancelled`."""
    await ticket_keys.check(conn, ticket_id, ticket_key, settings.token_secret)
    return Ticket.of(await issuing.cancel_ticket(conn, CancelTicket(ticket_id)))


@router.post("/api/tickets/{ticket_id}/recall", response_model=Ticket, responses=_ERRORS)
async def recall(ticket_id: UUID, conn: Db, actor: Operator) -> Ticket:
    """Call the same ticket again (call_count + 1)."""
    return Ticket.of(await counter_actions.recall(conn, Recall(ticket_id), actor))


@router.post("/api/tickets/{ticket_id}/complete", response_model=Ticket, responses=_ERRORS)
async def complete(ticket_id: UUID, conn: Db, actor: Operator) -> Ticket:
    """The citizen was served."""
    return Ticket.of(await counter_actions.complete(conn, Complete(ticket_id), actor))


@router.post("/api/tickets/{ticket_id}/no-show", response_model=Ticket, responses=_ERRORS)
async def no_show(ticket_id: UUID, conn: Db, actor: Operator) -> Ticket:
    """The citizen did not come to the counter."""
    return Ticket.of(await counter_actions.no_show(conn, NoShow(ticket_id), actor))


@router.post("/api/tickets/{ticket_id}/transfer", response_model=Ticket, responses=_ERRORS)
async def transfer(ticket_id: UUID, body: TransferRequest, conn: Db, actor: Operator) -> Ticket:
    """Send the ticket to another service; it keeps its number and its place by issue time."""
    command = Transfer(ticket_id, body.service_id)
    return Ticket.of(await counter_actions.transfer(conn, command, actor))


@router.post("/api/tickets/{ticket_id}/return", response_model=Ticket, responses=_ERRORS)
async def return_no_show(ticket_id: UUID, conn: Db, actor: Operator) -> Ticket:
    """A no-show came back within the grace period: it waits again near the front.
    409 when the ticket is not a no-show or the grace period is over."""
    return Ticket.of(await counter_actions.return_no_show(conn, ReturnNoShow(ticket_id), actor))
