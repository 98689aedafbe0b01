"""What the queue looks like to whoever reads it: one ticket with its place and estimate,
and every service's line of a site. Reads only; nothing here changes a ticket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from services.ticketing import repository as repo
from services.ticketing.domain import forecast, quota
from services.ticketing.domain import tickets as rules
from services.ticketing.errors import NotFound
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

    row: Any
    waiting_ahead: int
    estimated_wait_s: int | None
    replayed: bool = False
    holder: bool = True
    """The answer goes to the ticket's holder (false: a replay to another caller)."""


def estimated_wait_s(row: Any, standing: Any) -> int | None:
    """Seconds until called: the counters serving the service free up one by one (a busy one
    after what is left of an average service), each taking the tickets ahead in turn.
    Measured on replayed busy days against ahead × average / counters, this errs less on
    every demo site (docs/simulation.md). `standing`: `repo.ticket_standing` of the ticket."""
    recent = list(reversed(standing["recent"]))  # oldest first
    avg = rules.smoothed_service_s(recent, float(row["avg_service_s"]))
    return forecast.estimate_wait_busy_counters_s(standing["ahead"], avg, list(standing["busy"]))


async def describe(conn: Connection, row: Any, replayed: bool = False) -> TicketState:
    if row["status"] != "waiting":
        return TicketState(row, 0, None, replayed)
    standing = await repo.ticket_standing(conn, row)
    return TicketState(row, standing["ahead"], estimated_wait_s(row, standing), replayed)


async def get_ticket(conn: Connection, ticket_id: UUID) -> TicketState:
    row = await repo.ticket(conn, ticket_id)
    if row is None:
        raise NotFound("ticket not found")
    return await describe(conn, row)


async def queues(conn: Connection, site_id: str) -> list[dict[str, Any]]:
    """Every service's line now: waiting, estimate, whether it takes tickets and why not,
    and how much of today's quota is left per channel. A fixed number of trips, however
    many services the site has."""
    site = await repo.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    now = await repo.database_now(conn)
    day = rules.local_day(now, site["timezone"])
    waiting = await repo.all_waiting_counts(conn, site_id)
    overrides = await repo.day_overrides(conn, site_id, day)
    issued = await repo.issued_today(conn, site_id, day)
    services = await repo.services(conn, site_id)
    lines = await repo.service_lines(conn, site_id)
    times = await repo.issue_times(conn, site_id, [s["id"] for s in services], site_day(site, now))
    out = []
    for s in services:
        n = waiting.get(s["id"], 0)
        avg = rules.smoothed_service_s(list(lines[s["id"]]["recent"]), float(s["avg_service_s"]))
        counters = int(lines[s["id"]]["open_counters"])
        service_rules = ServiceRules.model_validate(s["rules"])
        override = overrides.get(s["id"])
        open_now = opening_of(site, s, service_rules, now, override)
        counts = issued_by_channel(issued.get(s["id"]))
        quota_today = override["quota"] if override else None
        out.append(
            {
                "service_id": s["id"],
                "service_name": s["name"],
                "agency_id": s["agency_id"],
                "prefix": s["prefix"],
                "waiting": n,
                "open_counters": counters,
                # what a citizen taking a ticket now would wait: everyone waiting is ahead
                "estimated_wait_s": rules.estimate_wait_s(n, avg, counters),
                "open": open_now.open,
                "closed_reason": open_now.reason,
                "place": open_now.place,
                "issued_today": sum(counts.values()),
                "quota_left": {
                    channel: quota.quota_left(service_rules, counts, channel, quota_today)
                    for channel in ("kiosk", "online")
                },
                "quota_runs_out_at": await quota_runs_out_at(
                    conn, site, s, service_rules, now, "kiosk", quota_today, times[s["id"]]
                )
                if open_now.open
                else None,
            }
        )
    return out


async def reload(conn: Connection, ticket_id: UUID) -> Any:
    row = await repo.ticket(conn, ticket_id)
    assert row is not None, "a ticket changed in this transaction exists"
    return row
