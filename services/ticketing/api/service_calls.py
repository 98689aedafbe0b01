"""Calls another service of this deployment makes for a citizen, with a service token
(role `service`, signed with TOKEN_SECRET; CONTRACT.md "Service credential"): the notifier
cancels the waiting ticket of a citizen who replied `BATAL` on WhatsApp."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.ticketing import errors
from services.ticketing.api.deps import Db, Service
from services.ticketing.api.schemas import Ticket
from services.ticketing.domain.tickets import local_day
from services.ticketing.repositories import sites as repo
from services.ticketing.usecases import issuing
from services.ticketing.usecases.commands import CancelTicket
from shared.phone import InvalidPhone, normalise_phone

router = APIRouter(tags=["service calls"])


class CancelByPhone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(max_length=32, description="The citizen's phone, as they wrote from it")
    ticket_number: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{1,3}-\d{3,}$",
        description="Which one, when they hold several",
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        try:
            return normalise_phone(value)
        except InvalidPhone as exc:
            raise ValueError(str(exc)) from None


@router.post(
    "/api/sites/{site_id}/tickets/cancel-by-phone",
    response_model=Ticket,
    responses={
        401: {"description": "No valid service token"},
        404: {"description": "No waiting ticket of today for this phone (and number)"},
        409: {"description": "Several waiting tickets and none named: their numbers"},
    },
)
async def cancel_by_phone(site_id: str, body: CancelByPhone, conn: Db, _: Service) -> Ticket:
    """Cancel this phone's only waiting ticket of today at the site, or the one named."""
    site = await repo.site(conn, site_id)
    if site is None:
        raise errors.NotFound("lokasi MPP tidak ditemukan")
    today = local_day(await repo.database_now(conn), site["timezone"])
    rows = await conn.fetch(
        """SELECT id, number FROM ticketing.tickets
            WHERE site_id = $1 AND day = $2 AND phone = $3 AND status = 'waiting'
              AND ($4::text IS NULL OR number = $4)
            ORDER BY issued_at""",
        site_id,
        today,
        body.phone,
        body.ticket_number,
    )
    if not rows:
        raise errors.NotFound(
            "tidak ada antrean menunggu hari ini untuk nomor ini"
            + (f" dengan nomor {body.ticket_number}" if body.ticket_number else "")
        )
    if len(rows) > 1:
        numbers = ", ".join(r["number"] for r in rows)
        raise errors.LimitReached(f"nomor ini memegang beberapa antrean: {numbers}; sebutkan satu")
    return Ticket.of(await issuing.cancel_ticket(conn, CancelTicket(rows[0]["id"])))
