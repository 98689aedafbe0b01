"""What the queue looks like to whoever reads it: one ticket with its place and estimate,
and every service's line of a site. Reads only; nothing here changes a ticket."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from pydantic import BaseModel, Field

from services.ticketing.domain import forecast, quota
from services.ticketing.domain import tickets as rules
from services.ticketing.errors import NotFound
from services.ticketing.repositories import lines, sites, tickets
from services.ticketing.repositories.lines import Standing
from services.ticketing.repositories.tickets import Ticket
from services.ticketing.usecases.opening import (
    issued_by_channel,
    opening_of,
    quota_runs_out_at,
    site_day,
)
from shared.database import Connection
from shared.sites import ServiceRules


@dataclass(frozen=True)
class TicketState:
    """A ticket as the API returns it, with where it stands in the line now."""

    row: Ticket
    waiting_ahead: int
    estimated_wait_s: int | None
    replayed: bool = False
    holder: bool = True
    """The answer goes to the ticket's holder (false: a replay to another caller)."""


# One service's line as kiosks and boards read it (`GET …/queues`); no docstring: it would
# become the schema's description in the OpenAPI document.
class ServiceQueue(BaseModel):
    service_id: str
    service_name: str
    agency_id: str
    prefix: str
    waiting: int
    open_counters: int
    estimated_wait_s: int | None = Field(description="What a ticket taken now would wait")
    open: bool = Field(description="Takes tickets now")
    closed_reason: str | None = Field(description="Why not, for the kiosk (Indonesian)")
    place: str | None = Field(description="Where a mobile MPP stands today")
    issued_today: int
    quota_left: dict[str, int | None] = Field(
        description="Tickets each channel (kiosk, online) may still take today; null: no cap"
    )
    quota_runs_out_at: str | None = Field(
        description="Local time today's kiosk quota is forecast to run out (10.40); null: "
        "no quota, or it lasts until closing at the present pace"
    )


def estimated_wait_s(row: Ticket, standing: Standing) -> int | None:
    """Seconds until called: the counters serving the service free up one by one (a busy one
    after what is left of an average service), each taking the tickets ahead in turn.
    Measured on replayed busy days against ahead × average / counters, this errs less on
    every demo site (docs/simulation.md). `standing`: `lines.ticket_standing` of the ticket."""
    recent = list(reversed(standing["recent"]))  # oldest first
    avg = rules.smoothed_service_s(recent, float(row["avg_service_s"]))
    return forecast.estimate_wait_busy_counters_s(standing["ahead"], avg, list(standing["busy"]))


async def describe(conn: Connection, row: Ticket, replayed: bool = False) -> TicketState:
    if row["status"] != "waiting":
        return TicketState(row, 0, None, replayed)
    standing = await lines.ticket_standing(conn, row)
    return TicketState(row, standing["ahead"], estimated_wait_s(row, standing), replayed)


async def get_ticket(conn: Connection, ticket_id: UUID) -> TicketState:
    row = await tickets.ticket(conn, ticket_id)
    if row is None:
        raise NotFound("ticket not found")
    return await describe(conn, row)


async def queues(conn: Connection, site_id: str) -> list[ServiceQueue]:
    """Every service's line now: waiting, estimate, whether it takes tickets and why not,
    and how much of today's quota is left per channel. A fixed number of trips, however
    many services the site has."""
    site = await sites.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    now = await sites.database_now(conn)
    day = rules.local_day(now, site["timezone"])
    waiting = await lines.all_waiting_counts(conn, site_id)
    overrides = await sites.day_overrides(conn, site_id, day)
    issued = await sites.issued_today(conn, site_id, day)
    listed = await sites.services(conn, site_id)
    paces = await lines.service_lines(conn, site_id)
    times = await lines.issue_times(conn, site_id, [s["id"] for s in listed], site_day(site, now))
    out: list[ServiceQueue] = []
    for s in listed:
        n = waiting.get(s["id"], 0)
        avg = rules.smoothed_service_s(list(paces[s["id"]]["recent"]), float(s["avg_service_s"]))
        counters = int(paces[s["id"]]["open_counters"])
        service_rules = ServiceRules.model_validate(s["rules"])
        override = overrides.get(s["id"])
        open_now = opening_of(site, s, service_rules, now, override)
        counts = issued_by_channel(issued.get(s["id"]))
        quota_today = override["quota"] if override else None
        out.append(
            ServiceQueue(
                service_id=s["id"],
                service_name=s["name"],
                agency_id=s["agency_id"],
                prefix=s["prefix"],
                waiting=n,
                open_counters=counters,
                # what a citizen taking a ticket now would wait: everyone waiting is ahead
                estimated_wait_s=rules.estimate_wait_s(n, avg, counters),
                open=open_now.open,
                closed_reason=open_now.reason,
                place=open_now.place,
                issued_today=sum(counts.values()),
                quota_left={
                    channel: quota.quota_left(service_rules, counts, channel, quota_today)
                    for channel in ("kiosk", "online")
                },
                quota_runs_out_at=await quota_runs_out_at(
                    conn, site, s, service_rules, now, "kiosk", quota_today, times[s["id"]]
                )
                if open_now.open
                else None,
            )
        )
    return out


async def reload(conn: Connection, ticket_id: UUID) -> Ticket:
    row = await tickets.ticket(conn, ticket_id)
    assert row is not None, "a ticket changed in this transaction exists"
    return row
