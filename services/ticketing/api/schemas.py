"""What the ticketing HTTP API reads and returns (CONTRACT.md, Ticketing HTTP API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.ticketing.usecases.commands import IssueTicket
from services.ticketing.usecases.views import ServiceQueue, TicketState
from shared.events import Channel, Priority
from shared.phone import InvalidPhone, normalise_phone


def optional_phone(value: str | None) -> str | None:
    """An optional phone field of a request: blank is no phone, anything else is normalised
    to +62… or refused with the reason (a plain ValueError, for pydantic's 422)."""
    if value is None or not value.strip():
        return None
    try:
        return normalise_phone(value)
    except InvalidPhone as exc:
        raise ValueError(str(exc)) from None


def required_phone(value: str) -> str:
    """A phone field that must be given (a code or a booking goes to it)."""
    phone = optional_phone(value)
    if phone is None:
        raise ValueError("nomor HP wajib diisi")
    return phone


class IssueTicketRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_id: str = Field(min_length=1, max_length=64, description="A service of the site")
    priority: Priority = Field(
        default="regular", description="priority: lansia, disabilitas, ibu hamil"
    )
    channel: Channel = Field(default="kiosk", description="Where the ticket is taken")
    phone: str | None = Field(
        default=None,
        max_length=32,
        description="Optional Indonesian phone number for SMS (08…, 62…, +62…)",
    )
    journey: list[str] = Field(
        default_factory=list,
        max_length=5,
        description="Extension: services to visit after this one, in order (one visit across "
        "agencies); completing a step queues the ticket in the next, keeping its place",
    )
    verification_token: str | None = Field(
        default=None,
        max_length=1024,
        description="Extension: proof of the phone from /api/phone-verifications/{id}/confirm; "
        "required for channel online where the site verifies phones",
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return optional_phone(value)

    def command(
        self,
        site_id: str,
        idempotency_key: str | None,
        requester: str | None,
        client_address: str | None,
    ) -> IssueTicket:
        return IssueTicket(
            site_id,
            self.service_id,
            self.priority,
            self.channel,
            self.phone,
            journey=tuple(self.journey),
            idempotency_key=idempotency_key,
            requester=requester,
            verification_token=self.verification_token,
            client_address=client_address,
        )


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_id: str = Field(min_length=1, max_length=64, description="The service to go to")


class CallChosenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_number: str = Field(
        min_length=5, max_length=16, pattern=r"^[A-Za-z0-9]+-\d{3,}$", description="e.g. B-014"
    )
    reason: str = Field(
        min_length=3, max_length=200, description="Why out of turn; shown in the fairness ledger"
    )


class PauseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1, max_length=40, description="One of the site's break reasons (istirahat…)"
    )


class CounterBreak(BaseModel):
    """A counter's break state after pause/resume."""

    counter_id: str
    counter_name: str
    paused: bool
    reason: str | None = Field(description="The break's reason, null when working")
    paused_at: datetime | None


class BreakNow(BaseModel):
    reason: str
    since: datetime


class DeskWaiting(BaseModel):
    id: UUID
    number: str
    service_id: str
    priority: Priority
    queued_at: datetime


class DeskNoShow(BaseModel):
    id: UUID
    number: str
    service_id: str
    marked_at: datetime
    returnable_until: datetime = Field(description="The end of its grace period")


class CounterToday(BaseModel):
    served: int
    no_shows: int
    recalls: int
    average_service_s: float | None


class Desk(BaseModel):
    """A counter's console beside its open ticket (staff of that counter, supervisors)."""

    counter_id: str
    paused: BreakNow | None
    break_reasons: list[str]
    waiting: list[DeskWaiting] = Field(description="Waiting for its services, in call order")
    returnable: list[DeskNoShow] = Field(description="Its no-shows still in their grace period")
    today: CounterToday


class Ticket(BaseModel):
    id: UUID
    number: str = Field(description="e.g. A-012")
    site_id: str
    service_id: str = Field(description="The service it waits in or was served by")
    priority: Priority
    channel: Channel
    status: Literal["waiting", "called", "served", "no_show", "cancelled"]
    waiting_ahead: int = Field(description="Tickets called before it (0 unless waiting)")
    estimated_wait_s: int | None = Field(description="Estimated seconds until called")
    counter_id: str | None
    call_count: int
    issued_at: datetime
    called_at: datetime | None
    completed_at: datetime | None
    # -- extensions beyond CONTRACT.md --
    outcome: Literal["served", "no_show", "transferred", "cancelled"] | None = Field(
        description="How its last visit to a service ended (transferred: it waits again)"
    )
    service_name: str
    agency_id: str
    counter_name: str | None
    journey: list[str] = Field(description="Services still to visit after this one, in order")

    @classmethod
    def of(cls, state: TicketState) -> Ticket:
        r = state.row
        return cls(
            id=r["id"],
            number=r["number"],
            site_id=r["site_id"],
            service_id=r["service_id"],
            priority=r["priority"],
            channel=r["channel"],
            status=r["status"],
            waiting_ahead=state.waiting_ahead,
            estimated_wait_s=state.estimated_wait_s,
            counter_id=r["counter_id"],
            call_count=r["call_count"],
            issued_at=r["issued_at"],
            called_at=r["called_at"],
            completed_at=r["completed_at"],
            outcome=r["outcome"],
            service_name=r["service_name"],
            agency_id=r["agency_id"],
            counter_name=r["counter_name"],
            journey=list(r["journey"]),
        )


class IssuedTicket(Ticket):
    """The answer to whoever took the ticket: the Ticket and the holder's key."""

    ticket_key: str | None = Field(
        description="The holder's secret (192 bits, base64url): send it as the `Ticket-Key` "
        "header to cancel or answer the survey; links carry it as `/t/{id}#key=…`, never in "
        "a query. Null on an Idempotency-Key replay to another caller than the first"
    )
    tracking_url: str = Field(
        description="The holder's tracking link, `…/t/{id}#key=…` (what the kiosk's QR "
        "encodes); without the fragment when ticket_key is null"
    )
    replayed: bool = Field(
        description="This answer repeats an earlier one (the same Idempotency-Key, or the same "
        "kiosk checking the same appointment in again)"
    )

    @classmethod
    def of_holder(cls, state: TicketState, ticket_key: str | None, link: str) -> IssuedTicket:
        """`link`: the ticket's tracking page; the key goes in its fragment."""
        url = f"{link}#key={ticket_key}" if ticket_key else link
        return cls(
            **Ticket.of(state).model_dump(),
            ticket_key=ticket_key,
            tracking_url=url,
            replayed=state.replayed,
        )


class Agency(BaseModel):
    id: str
    name: str


class ServiceStandard(BaseModel):
    """Its standar pelayanan, as the site file gives it (shared.sites.ServiceStandard)."""

    requirements: list[str] = Field(description="Persyaratan: what to bring")
    cost_rupiah: int | None = Field(
        description="Official cost in rupiah; 0: free (Gratis); null: varies (see cost_note)"
    )
    cost_note: str = Field(description="The tariff's basis or variations; may be empty")
    completion: str = Field(description="Time to complete (e.g. 'Selesai di tempat'); may be empty")


class Service(BaseModel):
    id: str
    name: str
    prefix: str
    agency_id: str
    target_minutes: int
    # -- extension beyond CONTRACT.md --
    standard: ServiceStandard


class Counter(BaseModel):
    id: str
    name: str
    service_ids: list[str]
    # -- extension beyond CONTRACT.md: its break, as the board shows it --
    paused_reason: str | None = Field(
        default=None, description="Why the counter is on a break; null when it works"
    )


class Site(BaseModel):
    id: str
    name: str
    timezone: str
    address: str
    agencies: list[Agency]
    services: list[Service]
    counters: list[Counter]
    # -- extension beyond CONTRACT.md --
    kiosk_required: bool = Field(
        description="Kiosk and mobile tickets need an enrolled kiosk's token (the kiosk page "
        "pairs first)"
    )
    pledge: str = Field(description="The MPP's service pledge (maklumat pelayanan); may be empty")
    complaint_channels: list[str] = Field(description="Where to complain: SP4N-LAPOR! by default")
    break_reasons: list[str] = Field(description="Why a counter may pause (istirahat, shalat…)")


Queues = dict[str, ServiceQueue]
"""Per service id: its waiting line now."""


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 — the OAuth2 token type
    expires_in: int
    username: str
    site_id: str
    role: str
    counter_ids: list[str]
    deployment_admin: bool = False


class Me(BaseModel):
    """CONTRACT.md: `GET /api/auth/me` → the account a staff token speaks for."""

    username: str
    role: str
    site_id: str
    counter_ids: list[str]
    deployment_admin: bool = False


def file_answer(media_type: str, errors: dict[int | str, dict[str, str]]) -> dict[int | str, Any]:
    """OpenAPI `responses` of a route that answers a file (CSV, XLSX, SVG), not JSON."""
    return {200: {"description": "The file", "content": {media_type: {}}}, **errors}
