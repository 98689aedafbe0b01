"""A citizen takes a ticket (kiosk, online, mobile) or gives it up: hours, quota and the
journey checked, the ticket numbered and put in the line, its event recorded in the same
transaction (`event_figures.record`, the last step)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import date, datetime
from uuid import UUID

import orjson

from services.ticketing import booking
from services.ticketing.domain import quota
from services.ticketing.domain import tickets as rules
from services.ticketing.errors import (
    IdempotencyKeyReused,
    InvalidRequest,
    NotFound,
    NotTakingTickets,
)
from services.ticketing.repositories import idempotency, sites, tickets
from services.ticketing.repositories.sites import IssueContext, Site
from services.ticketing.usecases.commands import CancelTicket, EnterQueue, IssueTicket
from services.ticketing.usecases.entering import Context, enter_queue
from services.ticketing.usecases.event_figures import completed, record
from services.ticketing.usecases.opening import issued_by_channel, opening_of
from services.ticketing.usecases.views import TicketState, describe, reload
from shared.database import Connection
from shared.sites import ServiceRules


def request_fingerprint(body: dict[str, object]) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def issue_ticket(
    conn: Connection, command: IssueTicket, *, token_secret: str, site: Site | None = None
) -> TicketState:
    """A citizen takes a ticket. With an Idempotency-Key, a retry returns the first ticket,
    as its holder's only when the same requester made the first.

    Every later service of the journey is checked for hours and quota now. Online tickets
    follow the site's anti-calo rules (`booking`): rate limits per address and phone first
    (counted even when refused), then, in the transaction, the proven phone and one active
    ticket per phone. `site`: the site's row if the caller has read it already."""
    site = site if site is not None else await sites.site(conn, command.site_id)
    if site is None:
        raise NotFound("site not found")
    proven = None
    if command.channel == "online":
        await booking.online_limits(conn, site, command.phone, command.client_address)
        proven = booking.proven_phone(command.verification_token, site["id"], token_secret)
    async with conn.transaction():
        service = await _service(conn, command, site)
        ticket_id = uuid.uuid4()
        if command.idempotency_key:
            replay = await _replay(conn, command, ticket_id)
            if replay is not None:
                return replay
        context = await _take_day(conn, command, site, service)
        await _check_journey(conn, command, site, context.now, context.day_row["day"])
        if command.channel == "online":
            await booking.check_online_ticket(conn, site, command.service_id, command.phone, proven)
        entering = EnterQueue(
            command.site_id,
            command.service_id,
            command.priority,
            command.channel,
            command.phone,
            ticket_id=ticket_id,
            journey=command.journey,
        )
        return await enter_queue(conn, entering, context)


async def _service(conn: Connection, command: IssueTicket, site: Site) -> IssueContext:
    """The command's service, if still offered, with the clock and today's override."""
    service = await sites.issue_context(conn, command.site_id, command.service_id, site["timezone"])
    if service is None:
        raise NotFound(f"service {command.service_id!r} not found at this site")
    if not service["active"]:
        raise NotTakingTickets(f"Layanan {service['name']} tidak lagi menerima antrean")
    return service


async def _take_day(
    conn: Connection, command: IssueTicket, site: Site, service: IssueContext
) -> Context:
    """The service's day row, locked (issuing is serialised per service and day), if the
    service takes tickets of the command's channel now: open, with quota left."""
    now, override = service["now"], service["override"]
    service_rules = ServiceRules.model_validate(service["rules"])
    open_now = opening_of(site, service, service_rules, now, override)
    if not open_now.open:
        raise NotTakingTickets(open_now.reason)
    day = rules.local_day(now, site["timezone"])
    counts = await sites.lock_service_day(conn, command.site_id, command.service_id, day)
    refusal = quota.quota_refusal(
        service["name"],
        service_rules,
        issued_by_channel(counts),
        command.channel,
        override["quota"] if override else None,
    )
    if refusal:
        raise NotTakingTickets(refusal)
    return Context(site, service, now, override, counts)


async def _replay(conn: Connection, command: IssueTicket, ticket_id: UUID) -> TicketState | None:
    """Claim the Idempotency-Key for `ticket_id`; if a first request claimed it, the first
    ticket again (its holder's only when the same requester made the first), or a refusal
    when the first request was a different one. None: this is the first request."""
    assert command.idempotency_key is not None
    fingerprint = request_fingerprint(
        {
            "service_id": command.service_id,
            "priority": command.priority,
            "channel": command.channel,
            "phone": command.phone,
            "journey": list(command.journey),
        }
    )
    first = await idempotency.claim(
        conn, command.site_id, command.idempotency_key, fingerprint, ticket_id, command.requester
    )
    if first is None:
        return None
    if first["request_hash"] != fingerprint:
        raise IdempotencyKeyReused("Idempotency-Key was already used for a different request")
    row = await reload(conn, first["ticket_id"])
    state = await describe(conn, row, replayed=True)
    same = command.requester is not None and first["requester"] == command.requester
    return replace(state, holder=same)


MAX_JOURNEY = 5


async def _check_journey(
    conn: Connection, command: IssueTicket, site: Site, now: datetime, day: date
) -> None:
    """Every later step exists, is open today and has quota left (counted when reached)."""
    journey = command.journey
    if len(journey) > MAX_JOURNEY:
        raise InvalidRequest("journey", f"at most {MAX_JOURNEY} further services")
    if len({command.service_id, *journey}) != len(journey) + 1:
        raise InvalidRequest("journey", "a service appears twice in the journey")
    for step in journey:
        service = await sites.service(conn, site["id"], step)
        if service is None or not service["active"]:
            raise InvalidRequest("journey", f"unknown service {step!r}")
        step_rules = ServiceRules.model_validate(service["rules"])
        override = await sites.day_override(conn, site["id"], step, day)
        open_now = opening_of(site, service, step_rules, now, override)
        if not open_now.open:
            raise NotTakingTickets(open_now.reason)
        counts = await sites.issued_today(conn, site["id"], day)
        refusal = quota.quota_refusal(
            service["name"],
            step_rules,
            issued_by_channel(counts.get(step)),
            command.channel,
            override["quota"] if override else None,
        )
        if refusal:
            raise NotTakingTickets(refusal)


async def cancel_ticket(conn: Connection, command: CancelTicket) -> TicketState:
    """The citizen gives up a waiting ticket (the API has checked the holder's key)."""
    ticket_id = command.ticket_id
    async with conn.transaction():
        before = await tickets.ticket(conn, ticket_id, lock=True)
        if before is None:
            raise NotFound("ticket not found")
        rules.check_action("cancel", before["status"])
        after = await tickets.update_ticket(
            conn, ticket_id, status="cancelled", outcome="cancelled", completed_at=tickets.NOW
        )
        await record(conn, before["site_id"], [await completed(conn, before, after, "cancelled")])
        return await describe(conn, after)
