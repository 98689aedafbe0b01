"""A citizen takes a ticket (kiosk, online, mobile) or gives it up: hours, quota and the
journey checked, the ticket numbered and put in the line, its event recorded in the same
transaction (`event_figures.record`, the last step)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from services.ticketing import repository as repo
from services.ticketing.domain import quota
from services.ticketing.domain import tickets as rules
from services.ticketing.errors import (
    IdempotencyKeyReused,
    InvalidRequest,
    NotFound,
    NotTakingTickets,
)
from services.ticketing.usecases.event_figures import completed, record
from services.ticketing.usecases.opening import issued_by_channel, opening_of, quota_runs_out_at
from services.ticketing.usecases.views import TicketState, describe, reload
from shared.database import Connection
from shared.events import Channel, Contact, Priority, TicketIssued
from shared.sites import ServiceRules


def request_fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


BeforeIssue = Callable[[Any], Awaitable[None]]
"""Extra checks of a channel, run inside the issuing transaction with the site row."""


async def issue_ticket(
    conn: Connection,
    site_id: str,
    service_id: str,
    priority: Priority,
    channel: Channel,
    phone: str | None,
    idempotency_key: str | None = None,
    before_issue: BeforeIssue | None = None,
    journey: list[str] | None = None,
    site: Any = None,
    requester: str | None = None,
) -> TicketState:
    """A citizen takes a ticket. With an Idempotency-Key, a retry returns the first ticket,
    as its holder's only when `requester` (who asks, see kiosks.Caller) made the first.

    `journey`: the services to visit after this one, in order (one visit across agencies:
    KK at Disdukcapil, then KTP-el, then the bank), each checked for hours and quota now.
    `site`: the site's row if the caller has read it already."""
    journey = journey or []
    async with conn.transaction():
        site = site if site is not None else await repo.site(conn, site_id)
        if site is None:
            raise NotFound("site not found")
        service = await repo.issue_context(conn, site_id, service_id, site["timezone"])
        if service is None:
            raise NotFound(f"service {service_id!r} not found at this site")
        if not service["active"]:
            raise NotTakingTickets(f"Layanan {service['name']} tidak lagi menerima antrian")
        ticket_id = uuid.uuid4()
        if idempotency_key:
            fingerprint = request_fingerprint(
                {
                    "service_id": service_id,
                    "priority": priority,
                    "channel": channel,
                    "phone": phone,
                    "journey": journey,
                }
            )
            replay = await _replay(
                conn, site_id, idempotency_key, fingerprint, ticket_id, requester
            )
            if replay is not None:
                return replay
        now = service["now"]
        day = rules.local_day(now, site["timezone"])
        override = service["override"]
        service_rules = ServiceRules.model_validate(service["rules"])
        open_now = opening_of(site, service, service_rules, now, override)
        if not open_now.open:
            raise NotTakingTickets(open_now.reason)
        counts = await repo.lock_service_day(conn, site_id, service_id, day)
        refusal = quota.quota_refusal(
            service["name"],
            service_rules,
            issued_by_channel(counts),
            channel,
            override["quota"] if override else None,
        )
        if refusal:
            raise NotTakingTickets(refusal)
        await _check_journey(conn, site, service_id, journey, channel, now, day)
        if before_issue is not None:
            await before_issue(site)
        return await enter_queue(
            conn,
            site_id,
            service_id,
            priority,
            channel,
            phone,
            ticket_id=ticket_id,
            journey=journey,
            site=site,
            service=service,
            now=now,
            override=override,
            day_row=counts,
        )


async def _replay(
    conn: Connection,
    site_id: str,
    idempotency_key: str,
    fingerprint: str,
    ticket_id: UUID,
    requester: str | None,
) -> TicketState | None:
    """Claim the Idempotency-Key for `ticket_id`; if a first request claimed it, the first
    ticket again (its holder's only when `requester` made the first), or a refusal when the
    first request was a different one. None: this is the first request."""
    first = await repo.claim_idempotency_key(
        conn, site_id, idempotency_key, fingerprint, ticket_id, requester
    )
    if first is None:
        return None
    if first["request_hash"] != fingerprint:
        raise IdempotencyKeyReused("Idempotency-Key was already used for a different request")
    row = await reload(conn, first["ticket_id"])
    state = await describe(conn, row, replayed=True)
    same = requester is not None and first["requester"] == requester
    return replace(state, holder=same)


MAX_JOURNEY = 5


async def _check_journey(
    conn: Connection,
    site: Any,
    first: str,
    journey: list[str],
    channel: str,
    now: datetime,
    day: Any,
) -> None:
    """Every later step exists, is open today and has quota left (counted when reached)."""
    if len(journey) > MAX_JOURNEY:
        raise InvalidRequest("journey", f"at most {MAX_JOURNEY} further services")
    if len({first, *journey}) != len(journey) + 1:
        raise InvalidRequest("journey", "a service appears twice in the journey")
    for step in journey:
        service = await repo.service(conn, site["id"], step)
        if service is None or not service["active"]:
            raise InvalidRequest("journey", f"unknown service {step!r}")
        step_rules = ServiceRules.model_validate(service["rules"])
        override = await repo.day_override(conn, site["id"], step, day)
        open_now = opening_of(site, service, step_rules, now, override)
        if not open_now.open:
            raise NotTakingTickets(open_now.reason)
        counts = await repo.issued_today(conn, site["id"], day)
        refusal = quota.quota_refusal(
            service["name"],
            step_rules,
            issued_by_channel(counts.get(step)),
            channel,
            override["quota"] if override else None,
        )
        if refusal:
            raise NotTakingTickets(refusal)


async def enter_queue(
    conn: Connection,
    site_id: str,
    service_id: str,
    priority: Priority,
    channel: Channel,
    phone: str | None,
    *,
    ticket_id: UUID | None = None,
    queued_at: datetime | None = None,
    appointment_id: UUID | None = None,
    journey: list[str] | None = None,
    site: Any = None,
    service: Any = None,
    now: datetime | None = None,
    override: Any = None,
    day_row: Any = None,
) -> TicketState:
    """Number a new ticket, put it in the line and record its ticket-issued event. The
    caller has checked hours and quota and holds the transaction; rows it already read
    (site, service, the clock, today's override, the day row it locked) are passed along so
    issuing costs as few round trips as possible."""
    site = site if site is not None else await repo.site(conn, site_id)
    service = service if service is not None else await repo.service(conn, site_id, service_id)
    assert site is not None
    assert service is not None
    ticket_id = ticket_id or uuid.uuid4()
    now = now if now is not None else await repo.database_now(conn)
    day = rules.local_day(now, site["timezone"])
    if day_row is None:
        day_row = await repo.lock_service_day(conn, site_id, service_id, day)
        override = await repo.day_override(conn, site_id, service_id, day)
    daily_number = day_row["last_number"] + 1
    number = rules.ticket_number(service["prefix"], daily_number)
    row = await repo.number_and_insert_ticket(
        conn,
        channel,
        number,
        daily_number,
        id=ticket_id,
        site_id=site_id,
        service_id=service_id,
        day=day,
        priority=priority,
        phone=phone,
        status="waiting",
        issued_at=now,
        queued_at=queued_at or now,
        appointment_id=appointment_id,
        journey=journey or [],
    )
    # forecast after the insert: the new ticket counts against the quota
    service_rules = ServiceRules.model_validate(service["rules"])
    quota_today = override["quota"] if override else None
    runs_out = await quota_runs_out_at(
        conn, site, service, service_rules, now, channel, quota_today
    )
    event = TicketIssued(
        event_id=uuid.uuid4(),
        occurred_at=now,
        site_id=site_id,
        site_name=site["name"],
        ticket_id=ticket_id,
        ticket_number=number,
        service_id=service_id,
        service_name=service["name"],
        agency_id=service["agency_id"],
        agency_name=service["agency_name"],
        priority=priority,
        channel=channel,
        waiting_ahead=0,  # the place and the estimate are filled in under the site lock
        estimated_wait_s=None,
        contact=Contact(phone=phone) if phone else None,
        reentry="appointment" if appointment_id is not None else None,
        quota_runs_out_at=runs_out,
    )
    [recorded] = await record(conn, site_id, [event], ticket=row)
    return TicketState(row, recorded.waiting_ahead, recorded.estimated_wait_s)


async def cancel_ticket(conn: Connection, ticket_id: UUID) -> TicketState:
    """The citizen gives up a waiting ticket (the API has checked the holder's key)."""
    async with conn.transaction():
        before = await repo.ticket(conn, ticket_id, lock=True)
        if before is None:
            raise NotFound("ticket not found")
        rules.check_action("cancel", before["status"])
        after = await repo.update_ticket(
            conn, ticket_id, status="cancelled", outcome="cancelled", completed_at=repo.NOW
        )
        await record(conn, before["site_id"], [await completed(conn, before, after, "cancelled")])
        return await describe(conn, after)
