"""A ticket enters the line: numbered for its service's day, inserted, its ticket-issued
event recorded (`event_figures.record`, the last step). Issuing a ticket and checking an
appointment in both end here; each has checked hours and quota first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.ticketing.domain import tickets as rules
from services.ticketing.repositories import sites, tickets
from services.ticketing.repositories.sites import DayNumbers, OverrideFacts, Service, Site
from services.ticketing.repositories.tickets import NewTicket
from services.ticketing.usecases.commands import EnterQueue
from services.ticketing.usecases.event_figures import record
from services.ticketing.usecases.opening import quota_runs_out_at
from services.ticketing.usecases.views import TicketState
from shared.database import Connection
from shared.events import Contact, TicketIssued
from shared.sites import ServiceRules


@dataclass(frozen=True)
class Context:
    """What entering reads first, when the caller has not read it already: the site, the
    service, the database clock, today's override and the service's day row (locked)."""

    site: Site
    service: Service
    now: datetime
    override: OverrideFacts | None
    day_row: DayNumbers


async def load_context(conn: Connection, site_id: str, service_id: str) -> Context:
    site = await sites.site(conn, site_id)
    service = await sites.service(conn, site_id, service_id)
    assert site is not None
    assert service is not None
    now = await sites.database_now(conn)
    day = rules.local_day(now, site["timezone"])
    day_row = await sites.lock_service_day(conn, site_id, service_id, day)
    override = await sites.day_override(conn, site_id, service_id, day)
    return Context(site, service, now, override, day_row)


async def enter_queue(
    conn: Connection, command: EnterQueue, context: Context | None = None
) -> TicketState:
    """Number a new ticket, put it in the line and record its ticket-issued event. The
    caller holds the transaction; `context`, if it read it already (issuing does, so that
    issuing costs as few round trips as possible)."""
    ctx = context or await load_context(conn, command.site_id, command.service_id)
    site, service, now = ctx.site, ctx.service, ctx.now
    ticket_id = command.ticket_id or uuid.uuid4()
    daily_number = ctx.day_row["last_number"] + 1
    number = rules.ticket_number(service["prefix"], daily_number)
    row = await tickets.number_and_insert_ticket(
        conn,
        command.channel,
        number,
        daily_number,
        NewTicket(
            id=ticket_id,
            site_id=command.site_id,
            service_id=command.service_id,
            day=rules.local_day(now, site["timezone"]),
            priority=command.priority,
            phone=command.phone,
            status="waiting",
            issued_at=now,
            queued_at=command.queued_at or now,
            appointment_id=command.appointment_id,
            journey=list(command.journey),
        ),
    )
    # forecast after the insert: the new ticket counts against the quota
    service_rules = ServiceRules.model_validate(service["rules"])
    quota_today = ctx.override["quota"] if ctx.override else None
    runs_out = await quota_runs_out_at(
        conn, site, service, service_rules, now, command.channel, quota_today
    )
    event = TicketIssued(
        event_id=uuid.uuid4(),
        occurred_at=now,
        site_id=command.site_id,
        site_name=site["name"],
        ticket_id=ticket_id,
        ticket_number=number,
        service_id=command.service_id,
        service_name=service["name"],
        agency_id=service["agency_id"],
        agency_name=service["agency_name"],
        priority=command.priority,
        channel=command.channel,
        waiting_ahead=0,  # the place and the estimate are filled in under the site lock
        estimated_wait_s=None,
        contact=Contact(phone=command.phone) if command.phone else None,
        reentry="appointment" if command.appointment_id is not None else None,
        quota_runs_out_at=runs_out,
    )
    [recorded] = await record(conn, command.site_id, [event], ticket=row)
    assert isinstance(recorded, TicketIssued)
    return TicketState(row, recorded.waiting_ahead, recorded.estimated_wait_s)
