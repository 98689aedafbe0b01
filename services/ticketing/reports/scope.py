"""A report's scope: who may see it (the site's supervisor or an admin), which days
(at most `MAX_DAYS`) and which agency, service or counter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from services.ticketing.actors import Actor, require_supervisor
from services.ticketing.domain.tickets import local_day, local_day_span
from services.ticketing.errors import InvalidRequest, NotFound
from services.ticketing.repositories import reports as queries
from services.ticketing.repositories import sites as repo
from services.ticketing.repositories.reports import ReportService
from shared.database import Connection

MAX_DAYS = 366
DEFAULT_DAYS = 30
"""Without `from`, a period ends today (or on `to`) and covers this many days."""


@dataclass(frozen=True)
class Period:
    """A report's scope: site, days (inclusive), optional agency/service/counter."""

    site_id: str
    site_name: str
    timezone: str
    first: date
    last: date
    agency_id: str | None
    service_id: str | None
    counter_id: str | None
    service_ids: list[str] | None  # the services the agency/service filter allows
    services: dict[str, ReportService]
    agencies: dict[str, str]
    counters: dict[str, str]

    @property
    def start(self) -> datetime:
        """The first day's local midnight: what counts by instant (complaints, transfers)."""
        return local_day_span(self.first, self.timezone)[0]

    @property
    def end(self) -> datetime:
        """The local midnight after the last day (exclusive)."""
        return local_day_span(self.last, self.timezone)[1]

    def as_json(self) -> dict[str, Any]:
        return {
            "site": {"id": self.site_id, "name": self.site_name, "timezone": self.timezone},
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "days": (self.last - self.first).days + 1,
            "filters": {
                "agency_id": self.agency_id,
                "service_id": self.service_id,
                "counter_id": self.counter_id,
            },
        }


def report_days(
    now: datetime | None, timezone: str, first: date | None, last: date | None
) -> tuple[date, date]:
    """A report's days: `last` left out is the site's today at `now` (its own zone: at
    00:30 WITA it is already tomorrow's report, though UTC is still on yesterday), `first`
    left out is `DEFAULT_DAYS` back from `last`."""
    if last is None:
        assert now is not None, "the site's today needs the clock"
        last = local_day(now, timezone)
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    return first, last


async def period(
    conn: Connection,
    actor: Actor,
    site_id: str,
    first: date | None,
    last: date | None,
    agency_id: str | None = None,
    service_id: str | None = None,
    counter_id: str | None = None,
) -> Period:
    """Check the caller and the scope; raise NotAllowed, NotFound or InvalidRequest. Days
    left out end today (the site's own day) and span `DEFAULT_DAYS`."""
    require_supervisor(actor, site_id)
    site = await repo.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    now = await repo.database_now(conn) if last is None else None
    first, last = report_days(now, site["timezone"], first, last)
    if last < first:
        raise InvalidRequest("to", "the period ends before it starts")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidRequest("to", f"a report covers at most {MAX_DAYS} days")
    services = {s.id: s for s in await queries.services(conn, site_id)}
    agencies = {a.id: a.name for a in await queries.agencies(conn, site_id)}
    counters = {c.id: c.name for c in await queries.counters(conn, site_id)}
    allowed: list[str] | None = None
    if agency_id is not None:
        if agency_id not in agencies:
            raise InvalidRequest("agency_id", "unknown agency at this site")
        allowed = [s for s, row in services.items() if row.agency_id == agency_id]
    if service_id is not None:
        if service_id not in services:
            raise InvalidRequest("service_id", "unknown service at this site")
        allowed = [s for s in (allowed if allowed is not None else [service_id]) if s == service_id]
    if counter_id is not None and counter_id not in counters:
        raise InvalidRequest("counter_id", "unknown counter at this site")
    return Period(
        site_id,
        site["name"],
        site["timezone"],
        first,
        last,
        agency_id,
        service_id,
        counter_id,
        allowed,
        services,
        agencies,
        counters,
    )
