"""Online booking: prove a phone with a one-time SMS code, see free appointment slots, book
one, and check in at the kiosk with the booking code (or its QR)."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.ticketing import appointment_access, booking, errors, ticket_keys
from services.ticketing.api.deps import Db, Settings
from services.ticketing.api.kiosks import KIOSK_REFUSALS, CheckInCaller
from services.ticketing.api.pages import tracking_url
from services.ticketing.api.schemas import IssuedTicket, required_phone
from services.ticketing.appointment_access import MISS_WINDOW_S
from services.ticketing.domain import booking as slots_rules
from services.ticketing.guessing import record_miss, refuse_if_guessing
from services.ticketing.repositories import appointments
from services.ticketing.repositories import sites as repo
from shared.phone import mask_phone

router = APIRouter(tags=["online booking"])


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str = Field(max_length=32, description="Indonesian phone number to text the code to")

    _phone = field_validator("phone")(required_phone)


class CodeSent(BaseModel):
    verification_id: UUID
    expires_at: datetime
    phone: str = Field(description="Masked: where the code went")


class CodeConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^\s*\d{6}\s*$", description="The 6 digits from the SMS")


class PhoneProof(BaseModel):
    verification_token: str = Field(description="Send with an online ticket or booking")
    expires_in: int


class SlotOut(BaseModel):
    start: datetime
    end: datetime
    time: str = Field(description="Local start, e.g. 09.30")  # noqa: RUF100
    free: int
    capacity: int


class BookingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_id: str = Field(min_length=1, max_length=64)
    date: dt.date
    time: dt.time = Field(description="Local start of the slot, e.g. 09:30")
    phone: str = Field(max_length=32)
    verification_token: str = Field(max_length=1024)

    _phone = field_validator("phone")(required_phone)


class Appointment(BaseModel):
    id: UUID
    code: str = Field(description="Typed at the kiosk or scanned from the QR")
    site_id: str
    service_id: str
    date: dt.date
    slot_start: datetime
    slot_end: datetime
    status: str
    ticket_id: UUID | None
    phone: str = Field(description="Masked")
    # -- extension beyond CONTRACT.md --
    check_in_from: datetime = Field(description="The kiosk takes the check-in from then…")
    check_in_until: datetime = Field(description="…until then (the slot's end)")

    @classmethod
    def of(cls, row: appointments.Appointment) -> Appointment:
        opens, closes = slots_rules.check_in_window(row.slot_start, row.slot_end)
        return cls(
            id=row.id,
            code=row.code,
            site_id=row.site_id,
            service_id=row.service_id,
            date=row.day,
            slot_start=row.slot_start,
            slot_end=row.slot_end,
            status=row.status,
            ticket_id=row.ticket_id,
            phone=mask_phone(row.phone),
            check_in_from=opens,
            check_in_until=closes,
        )


@router.post(
    "/api/sites/{site_id}/phone-verifications",
    status_code=202,
    response_model=CodeSent,
    responses={404: {"description": "Unknown site"}, 429: {"description": "Too many codes"}},
)
async def request_code(site_id: str, body: CodeRequest, conn: Db, request: Request) -> CodeSent:
    """Text a one-time code (valid 5 minutes) to the phone."""
    client_ip = request.client.host if request.client else None
    started = await booking.request_code(conn, site_id, body.phone, client_ip)
    return CodeSent(
        verification_id=started.verification_id,
        expires_at=started.expires_at,
        phone=mask_phone(body.phone),
    )


@router.post(
    "/api/phone-verifications/{verification_id}/confirm",
    response_model=PhoneProof,
    responses={
        422: {"description": "Wrong or expired code"},
        429: {"description": "Too many tries"},
    },
)
async def confirm_code(
    verification_id: UUID, body: CodeConfirm, conn: Db, settings: Settings
) -> PhoneProof:
    """Check the code; the answer proves the phone for 30 minutes."""
    _, proof = await booking.confirm_code(conn, verification_id, body.code, settings.token_secret)
    return PhoneProof(verification_token=proof, expires_in=booking.PROOF_TTL_S)


@router.get("/api/sites/{site_id}/services/{service_id}/slots", response_model=list[SlotOut])
async def slots(site_id: str, service_id: str, date: date, conn: Db) -> list[SlotOut]:
    """Appointment slots of one day with how many places are free."""
    site = await repo.site(conn, site_id)
    zone = ZoneInfo(site["timezone"]) if site else None
    return [
        SlotOut(
            start=s.start,
            end=s.end,
            time=f"{s.start.astimezone(zone):%H.%M}",
            free=s.free,
            capacity=s.capacity,
        )
        for s in await booking.free_slots(conn, site_id, service_id, date)
    ]


class BookedAppointment(Appointment):
    appointment_key: str = Field(
        description="Only in this answer: with Appointment-Key the holder reads or cancels it"
    )


@router.post(
    "/api/sites/{site_id}/appointments",
    status_code=201,
    response_model=BookedAppointment,
    responses={
        409: {"description": "Full, or the phone already has one"},
        429: {"description": "Too many"},
    },
)
async def book(
    site_id: str, body: BookingRequest, conn: Db, request: Request, settings: Settings
) -> BookedAppointment:
    """Book a slot on a day ahead for a proven phone."""
    site = await repo.site(conn, site_id)
    if site is None:
        raise errors.NotFound("site not found")
    client_ip = request.client.host if request.client else None
    await booking.online_limits(conn, site, body.phone, client_ip)
    if booking.proven_phone(body.verification_token, site_id, settings.token_secret) != body.phone:
        raise errors.InvalidRequest(
            "verification_token", "nomor HP belum diverifikasi dengan kode SMS"
        )
    start = datetime.combine(body.date, body.time, ZoneInfo(site["timezone"]))
    row = await booking.book(
        conn,
        site_id,
        body.service_id,
        body.date,
        start,
        body.phone,
        public_base_url=settings.public_base_url,
    )
    return BookedAppointment(
        **Appointment.of(row).model_dump(),
        appointment_key=appointment_access.appointment_key(row.id, settings.token_secret),
    )


_HOLDER: dict[int | str, dict[str, str]] = {
    401: {"description": "Neither Phone-Last4 nor Appointment-Key"},
    403: {"description": "The proof does not match"},
    404: {"description": "Unknown code"},
    429: {"description": "Too many misses from this address"},
}


async def holder_proof(
    request: Request,
    settings: Settings,
    phone_last4: Annotated[
        str | None, Header(max_length=4, description="The last 4 digits of the booking phone")
    ] = None,
    appointment_key: Annotated[
        str | None, Header(max_length=64, description="The key from the booking answer")
    ] = None,
) -> appointment_access.HolderProof:
    """What the caller offers as proof of holding an appointment, and whom misses count
    against (the client address)."""
    return appointment_access.HolderProof(
        phone_last4=phone_last4 or None,
        key=appointment_key or None,
        secret=settings.token_secret,
        caller=request.client.host if request.client else "-",
    )


Proof = Annotated[appointment_access.HolderProof, Depends(holder_proof)]
AppointmentCode = Annotated[str, Path(max_length=32)]


@router.get("/api/appointments/{code}", response_model=Appointment, responses=_HOLDER)
async def get_appointment(code: AppointmentCode, conn: Db, proof: Proof) -> Appointment:
    """The holder's appointment (CONTRACT.md "Appointments")."""
    return Appointment.of(await appointment_access.holders_appointment(conn, code, proof))


@router.delete("/api/appointments/{code}", response_model=Appointment, responses=_HOLDER)
async def cancel_appointment(code: AppointmentCode, conn: Db, proof: Proof) -> Appointment:
    """The holder cancels a booked appointment."""
    return Appointment.of(await appointment_access.cancel(conn, code, proof))


@router.post(
    "/api/sites/{site_id}/appointments/{code}/check-in",
    status_code=201,
    response_model=IssuedTicket,
    responses={
        **KIOSK_REFUSALS,
        404: {"description": "No such appointment at this site (a miss, counted)"},
        200: {"description": "Checked in before by this same kiosk: that ticket again"},
        409: {"description": "Outside the slot window, or already checked in elsewhere"},
        429: {"description": "This kiosk's tickets per minute, or 10 unknown codes in 10 min"},
    },
)
async def check_in(
    site_id: str,
    code: str,
    conn: Db,
    caller: CheckInCaller,
    settings: Settings,
    request: Request,
    response: Response,
) -> IssuedTicket:
    """At the kiosk (its Bearer token where the site requires enrolled kiosks): the
    appointment becomes a ticket placed at its slot's time; the answer carries the holder's
    `ticket_key`. The same kiosk (without one, the same address) checking the code in again
    gets that ticket back (200, `replayed`); anyone else 409. Unknown codes count as misses
    of the kiosk (without one, the address): 429 after 10 in 10 minutes, as for reading an
    appointment."""
    guard = f"appointment:{caller.kiosk_id or caller.address or '-'}"
    await refuse_if_guessing(
        conn, guard, appointment_access.MISSES_ALLOWED, MISS_WINDOW_S, "kode janji temu"
    )
    try:
        state = await booking.check_in(
            conn,
            site_id,
            appointment_access.normalise_code(code),
            caller.requester(settings.token_secret),
        )
    except errors.NotFound:
        await record_miss(conn, guard, MISS_WINDOW_S)
        raise
    if state.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    key = ticket_keys.ticket_key(state.row["id"], settings.token_secret)
    return IssuedTicket.of_holder(state, key, tracking_url(request, state.row["id"]))
