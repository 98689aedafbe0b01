"""The satisfaction survey (SKM) a citizen answers after being served, and the public IKM.

`/survey/{ticket_id}[?sig=…]` is the page the survey SMS links to (`#key=…` when the
holder comes from their tracking page); the API behind it needs the link's `sig` or the
holder's `Ticket-Key` header and answers 401 without either, 404 for an unknown ticket, 403
for a forged or expired link or a wrong key, 409 when the ticket was not served or its
survey is already answered, 422 for anything but nine answers 1–4.
`/ikm/{site_id}` and `/api/sites/{site_id}/ikm` are public: aggregates only."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from services.ticketing import survey
from services.ticketing.api.deps import Db, Settings
from services.ticketing.api.pages import _page
from services.ticketing.api.tickets import TicketKey
from services.ticketing.domain.tickets import local_day
from services.ticketing.errors import NotFound
from services.ticketing.repositories import sites as repo

router = APIRouter(tags=["survey"])

_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Neither the link's sig nor the Ticket-Key header"},
    403: {"description": "The link is forged or expired, or the Ticket-Key is wrong"},
    404: {"description": "Unknown ticket"},
    409: {"description": "The ticket was not served, or its survey is already answered"},
    429: {"description": "Too many wrong keys for this ticket"},
}

Sig = Annotated[str | None, Query(max_length=64, description="The signed link's signature, if any")]


class SurveyAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: list[Annotated[int, Field(strict=True, ge=1, le=4)]] = Field(
        min_length=9,
        max_length=9,
        description="Elements 1–9 in order, each 1 (tidak baik) … 4 (sangat baik)",
    )
    comment: str = Field(default="", max_length=2000, description="Free text, optional")


class SurveyStored(BaseModel):
    ticket_id: UUID
    submitted_at: Any
    answers: list[int]


def _refuse(exc: Exception) -> HTTPException:
    if isinstance(exc, survey.SurveyRefused):
        return HTTPException(403, detail=str(exc))
    return HTTPException(409, detail=str(exc))


@router.get("/survey/{ticket_id}", include_in_schema=False)
async def survey_page(ticket_id: str, request: Request) -> Response:
    """The survey page the SMS links to (the page's script checks the ticket and link)."""
    try:
        UUID(ticket_id)
    except ValueError:
        raise HTTPException(404, detail="tiket tidak ditemukan") from None
    return _page(request, "survey.html")


@router.get("/api/tickets/{ticket_id}/survey", responses=_ERRORS)
async def survey_form(
    ticket_id: UUID, conn: Db, settings: Settings, sig: Sig = None, ticket_key: TicketKey = None
) -> Any:
    """The ticket's number and service, the nine elements, and whether it is answered."""
    try:
        return await survey.survey_form(conn, ticket_id, sig, ticket_key, settings.token_secret)
    except (survey.SurveyRefused, survey.SurveyNotOpen) as exc:
        raise _refuse(exc) from None


@router.post(
    "/api/tickets/{ticket_id}/survey",
    status_code=201,
    response_model=SurveyStored,
    responses={**_ERRORS, 422: {"description": "Not nine answers of 1–4"}},
)
async def submit_survey(
    ticket_id: UUID,
    body: SurveyAnswers,
    conn: Db,
    settings: Settings,
    sig: Sig = None,
    ticket_key: TicketKey = None,
) -> Any:
    """Store the one survey response of a served ticket (signed link or holder's key)."""
    try:
        return await survey.submit(
            conn, ticket_id, body.answers, body.comment, sig, ticket_key, settings.token_secret
        )
    except (survey.SurveyRefused, survey.SurveyNotOpen) as exc:
        raise _refuse(exc) from None


@router.get("/api/sites/{site_id}/ikm", responses={404: {"description": "Unknown site"}})
async def site_ikm(
    site_id: str,
    conn: Db,
    first: Annotated[
        date | None, Query(alias="from", description="Default: 1 January of this year")
    ] = None,
    last: Annotated[date | None, Query(alias="to", description="Default: today")] = None,
) -> dict[str, Any]:
    """The public IKM of a site for a period, and of each agency and service (no login)."""
    if first is None or last is None:
        site = await repo.site(conn, site_id)
        if site is None:
            raise NotFound("site not found")
        # the site's today, not the server's (date.today() is the machine's zone)
        last = last or local_day(await repo.database_now(conn), site["timezone"])
        first = first or date(last.year, 1, 1)
    return await survey.site_ikm(conn, site_id, first, last)


@router.get("/ikm/{site_id}", include_in_schema=False)
async def ikm_page(site_id: str, request: Request) -> Response:
    """The public page of a site's IKM."""
    return _page(request, "survey-ikm.html")
