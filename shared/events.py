"""The events that cross service boundaries (CONTRACT.md, Events).

Events are immutable facts in the past tense. Every event carries the envelope
(`event_id` … `agency_name`); consumers drop duplicates by `event_id`. Fields
beyond the contract (`sequence`, `waiting`, `queue_head`) are additive
extensions documented in the README; unknown fields are ignored on read so
producers may add more without breaking consumers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_serializer

from shared import topics

SCHEMA_VERSION: Literal[1] = 1

Priority = Literal["regular", "priority"]
Channel = Literal["kiosk", "online", "mobile"]
Outcome = Literal["served", "no_show", "transferred", "cancelled"]


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    phone: str = Field(description="E.164 phone number, +62…, normalised by ticketing")


class QueuePosition(BaseModel):
    """One waiting ticket near the head of a service queue, after the change."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    ticket_id: UUID = Field(description="The waiting ticket")
    ticket_number: str = Field(description="Its number, e.g. A-014")
    waiting_ahead: int = Field(ge=0, description="Tickets that will be called before it")


def utc_rfc3339(value: datetime) -> str:
    """UTC, RFC 3339, `Z` suffix: how every event writes its instants."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: UUID = Field(description="Unique id; consumers drop duplicates by it")
    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, description="Event schema version")
    occurred_at: datetime = Field(description="When the state change committed (UTC)")
    site_id: str = Field(min_length=1, description="The MPP site id; also the Kafka key")
    site_name: str = Field(description="The MPP's name")
    ticket_id: UUID = Field(description="The ticket this event is about")
    ticket_number: str = Field(
        pattern=r"^[A-Z0-9]+-\d{3,}$",
        description="Service prefix, dash, daily sequence of at least 3 digits",
    )
    service_id: str = Field(description="Service the ticket is in (before a transfer)")
    service_name: str = Field(description="Human name of the service")
    agency_id: str = Field(description="Agency that owns the service")
    agency_name: str = Field(description="Human name of the agency")
    # -- extensions beyond CONTRACT.md (optional so contract-only producers still parse) --
    sequence: int | None = Field(
        default=None,
        description="Per-site commit order of state changes (gapless from ticketing's outbox)",
    )
    waiting: dict[str, int] = Field(
        default_factory=dict,
        description="Tickets waiting, per service touched by this change, after it committed",
    )

    @field_serializer("occurred_at")
    def _utc_rfc3339(self, value: datetime) -> str:
        return utc_rfc3339(value)

    @property
    def topic(self) -> str:
        return str(getattr(self, "event_type"))  # noqa: B009 — every subclass defines it

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))


class TicketIssued(_Event):
    """A citizen took a ticket at a kiosk, online or from a phone."""

    event_type: Literal["ticket-issued"] = topics.TICKET_ISSUED
    priority: Priority = Field(description="regular, or priority (lansia, disabilitas, ibu hamil)")
    channel: Channel = Field(description="Where the ticket was taken")
    waiting_ahead: int = Field(ge=0, description="Tickets to be called before this one")
    estimated_wait_s: int | None = Field(description="Estimated seconds until called")
    contact: Contact | None = Field(description="Where to send SMS, or null")
    quota_runs_out_at: str | None = Field(
        default=None,
        pattern=r"^\d{2}\.\d{2}$",
        description="Extension: local time today's quota of this channel is forecast to run "
        "out (10.40), for the issued SMS; null when there is no quota or it will last",
    )
    reentry: Literal["returned", "appointment"] | None = Field(
        default=None,
        description="Extension: why this ticket enters the line ahead of its issue time — "
        "returned: a no-show came back within the grace period; appointment: checked in "
        "for a slot booked online",
    )


class TicketCalled(_Event):
    """A counter called a ticket (call_count 1), or recalled it (2+)."""

    event_type: Literal["ticket-called"] = topics.TICKET_CALLED
    counter_id: str = Field(description="The counter (loket) the citizen must go to")
    counter_name: str = Field(description="Its name as shown and spoken, e.g. Loket 3")
    call_count: int = Field(ge=1, description="1 for the first call, 2+ for a recall")
    queue_head: list[QueuePosition] = Field(
        default_factory=list,
        description="Extension: the next waiting tickets of this service, after the call",
    )
    call_reason: str | None = Field(
        default=None,
        description="Extension: why a clerk called this number out of turn (CONTRACT.md, "
        "counter tools: call a chosen ticket); null for call-next and recalls",
    )


class ServiceCompleted(_Event):
    """A ticket left the queue: served, no-show, transferred away, or cancelled."""

    event_type: Literal["service-completed"] = topics.SERVICE_COMPLETED
    counter_id: str | None = Field(description="Counter that closed it, null if cancelled")
    outcome: Outcome = Field(description="How the visit ended")
    wait_s: int | None = Field(description="Seconds from issue to first call (or to cancel)")
    service_s: int | None = Field(description="Seconds from call to completion, if served")
    transferred_to_service_id: str | None = Field(description="Target service of a transfer")
    queue_head: list[QueuePosition] = Field(
        default_factory=list,
        description="Extension: the next waiting tickets of the service(s) touched",
    )


Event = Annotated[TicketIssued | TicketCalled | ServiceCompleted, Field(discriminator="event_type")]
_EVENT_ADAPTER: TypeAdapter[TicketIssued | TicketCalled | ServiceCompleted] = TypeAdapter(Event)

EVENT_TYPES: dict[str, type[_Event]] = {
    topics.TICKET_ISSUED: TicketIssued,
    topics.TICKET_CALLED: TicketCalled,
    topics.SERVICE_COMPLETED: ServiceCompleted,
}

AnyEvent = TicketIssued | TicketCalled | ServiceCompleted


class _SiteEvent(BaseModel):
    """The envelope of the events that are not about one ticket (a phone code, a booking,
    a site's status): CONTRACT.md's envelope without the ticket fields. Each subclass sets
    `event_type`, its topic."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: UUID = Field(description="Unique id; consumers drop duplicates by it")
    schema_version: Literal[1] = Field(default=SCHEMA_VERSION)
    occurred_at: datetime = Field(description="When it committed (UTC)")
    site_id: str = Field(min_length=1, description="The MPP; also the Kafka key")
    site_name: str
    sequence: int | None = Field(default=None, description="Per-site commit order")

    @field_serializer("occurred_at")
    def _utc_occurred_at(self, value: datetime) -> str:
        return utc_rfc3339(value)

    @property
    def topic(self) -> str:
        return str(getattr(self, "event_type"))  # noqa: B009 — every subclass defines it

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))


class PhoneVerificationRequested(_SiteEvent):
    """A citizen booking online asked for a one-time code to prove the phone is theirs.

    Not a ticket event (no ticket yet): its own topic, read by the notifier only. The code
    travels in the event because the notifier must text it; it is valid for minutes and
    ticketing keeps only its hash.
    """

    event_type: Literal["phone-verification-requested"] = topics.PHONE_VERIFICATION_REQUESTED
    verification_id: UUID = Field(description="The verification this code confirms")
    phone: str = Field(description="E.164 number to text the code to")
    code: str = Field(pattern=r"^\d{6}$", description="The one-time code")
    expires_at: datetime = Field(description="The code is refused after this (UTC)")

    @field_serializer("expires_at")
    def _utc_instants(self, value: datetime) -> str:
        return utc_rfc3339(value)


class AppointmentBooked(_SiteEvent):
    """A citizen booked an online appointment: a slot on a day, for a proven phone.

    Not a ticket event (the ticket comes at check-in): its own topic, read by the notifier
    only, which texts the code, the kiosk's check-in window and the holder's cancel link.
    The code travels in the event because the notifier must text it (as a verification's
    code does); the holder's key never does. Recorded in the booking's transaction.
    """

    event_type: Literal["appointment-booked"] = topics.APPOINTMENT_BOOKED
    timezone: str = Field(
        min_length=1, description="The site's IANA zone (Asia/Makassar): the SMS's clock"
    )
    appointment_id: UUID = Field(description="The appointment booked")
    code: str = Field(
        pattern=r"^[A-Z0-9]{4,16}$", description="Typed at the kiosk to check in; the holder's"
    )
    service_id: str
    service_name: str = Field(description="Human name of the service")
    slot_start: datetime = Field(description="The slot's start (UTC)")
    slot_end: datetime = Field(description="The slot's end (UTC)")
    check_in_from: datetime = Field(description="The kiosk takes the check-in from (UTC)…")
    check_in_until: datetime = Field(description="…until (UTC): the slot's end")
    phone: str = Field(pattern=r"^\+\d{8,15}$", description="E.164 number to text")
    link: str = Field(
        description="The holder's page of the appointment (shows it, cancels it), on "
        "PUBLIC_BASE_URL; the code in its fragment, never in a server's log"
    )

    @field_serializer("slot_start", "slot_end", "check_in_from", "check_in_until")
    def _utc_instants(self, value: datetime) -> str:
        return utc_rfc3339(value)


StatusChange = Literal[
    "counter_paused",
    "counter_resumed",
    "service_closed",
    "service_opened",
    "quota_changed",
    "counter_services_changed",
]


class SiteStatusChanged(_SiteEvent):
    """A site's counters or services changed state (CONTRACT.md, Site status events): the
    envelope without the ticket fields, `change`, what it is about and the new values."""

    event_type: Literal["site-status-changed"] = topics.SITE_STATUS_CHANGED
    change: StatusChange
    counter_id: str | None = Field(default=None, description="The counter, for counter_*")
    counter_name: str | None = Field(default=None)
    service_id: str | None = Field(default=None, description="The service, for service_*/quota")
    service_name: str | None = Field(default=None)
    reason: str | None = Field(default=None, description="The break's or closure's reason")
    quota: int | None = Field(default=None, description="quota_changed: today's new quota")
    service_ids: list[str] | None = Field(
        default=None, description="counter_services_changed: what the counter serves now"
    )


class UnprocessableMessage(ValueError):
    """A message that no retry can fix; it belongs in the dead-letter topic."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


MAX_EVENT_BYTES = 64 * 1024


_Model = TypeVar("_Model", bound=BaseModel)


def _parse_one(model: type[_Model], event_type: str, raw: bytes) -> _Model:
    """Parse a message of a topic that carries one model, or raise UnprocessableMessage."""
    if len(raw) > MAX_EVENT_BYTES:
        raise UnprocessableMessage(f"message too large: {len(raw)} bytes > {MAX_EVENT_BYTES}")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "value"
        raise UnprocessableMessage(f"invalid {event_type}: {where}: {first['msg']}") from None


def parse_verification(raw: bytes) -> PhoneVerificationRequested:
    """Parse a phone-verification-requested message, or raise UnprocessableMessage."""
    return _parse_one(PhoneVerificationRequested, topics.PHONE_VERIFICATION_REQUESTED, raw)


def parse_status(raw: bytes) -> SiteStatusChanged:
    """Parse a site-status-changed message, or raise UnprocessableMessage."""
    return _parse_one(SiteStatusChanged, topics.SITE_STATUS_CHANGED, raw)


def parse_appointment(raw: bytes) -> AppointmentBooked:
    """Parse an appointment-booked message, or raise UnprocessableMessage."""
    return _parse_one(AppointmentBooked, topics.APPOINTMENT_BOOKED, raw)


def parse_event(raw: bytes, topic: str | None = None) -> AnyEvent:
    """Parse one Kafka message value, or raise UnprocessableMessage saying why.

    When `topic` is given the event_type must match it (CONTRACT.md: "same as the topic").
    """
    if len(raw) > MAX_EVENT_BYTES:
        raise UnprocessableMessage(f"message too large: {len(raw)} bytes > {MAX_EVENT_BYTES}")
    try:
        data: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise UnprocessableMessage(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UnprocessableMessage("value is not a JSON object")
    event_type = data.get("event_type")
    if event_type not in EVENT_TYPES:
        raise UnprocessableMessage(f"unknown event_type: {event_type!r}")
    if topic is not None and event_type != topic:
        raise UnprocessableMessage(f"event_type {event_type!r} on topic {topic!r}")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise UnprocessableMessage(
            f"unsupported schema_version: {data.get('schema_version')!r}"
            f" (expected {SCHEMA_VERSION})"
        )
    try:
        return _EVENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "value"
        raise UnprocessableMessage(
            f"invalid {event_type}: {where}: {first['msg']} ({exc.error_count()} error(s))"
        ) from None
