"""A site's configuration as the database holds it: the site, its agencies and services,
today's numbering and overrides of a service, and what loading `config/sites/` writes.
Every function takes the caller's connection; the caller owns the transaction."""

from __future__ import annotations

import zlib
from datetime import date, datetime
from typing import TypedDict

from services.ticketing.repositories.records import many, maybe, one
from shared.database import Connection
from shared.sites import LoadedSite

Json = dict[str, object]
"""A jsonb object column, as decoded."""


class Site(TypedDict):
    id: str
    name: str
    timezone: str
    address: str
    always_open: bool
    config_version: int
    config_digest: str
    loaded_at: datetime
    info: Json
    schedule: list[Json]


class Agency(TypedDict):
    id: str
    name: str


class ServiceListed(TypedDict):
    """An active service as a site's lists show it."""

    id: str
    name: str
    prefix: str
    agency_id: str
    target_minutes: int
    avg_service_s: int
    rules: Json
    standard: Json


class Service(ServiceListed):
    """A service (active or not) with its agency's name."""

    site_id: str
    position: int
    active: bool
    agency_name: str


class OverrideFacts(TypedDict):
    """What a day override decides (`IssueContext.override`)."""

    closed: bool
    quota: int | None


class IssueContext(Service):
    """A service with the database clock and today's override, read in one trip."""

    now: datetime
    override: OverrideFacts | None


class DayOverride(OverrideFacts):
    site_id: str
    service_id: str
    day: date
    updated_by: str
    updated_at: datetime


class DayNumbers(TypedDict):
    """A service's numbering of one day, and the tickets issued per channel."""

    site_id: str
    service_id: str
    day: date
    last_number: int
    issued_kiosk: int
    issued_online: int
    issued_mobile: int


async def site(conn: Connection, site_id: str) -> Site | None:
    return maybe(Site, await conn.fetchrow("SELECT * FROM ticketing.sites WHERE id = $1", site_id))


async def site_ids(conn: Connection) -> set[str]:
    return {r["id"] for r in await conn.fetch("SELECT id FROM ticketing.sites")}


async def agencies(conn: Connection, site_id: str) -> list[Agency]:
    rows = await conn.fetch(
        """SELECT id, name FROM ticketing.agencies WHERE site_id = $1 AND active
           ORDER BY id""",
        site_id,
    )
    return many(Agency, rows)


async def services(conn: Connection, site_id: str) -> list[ServiceListed]:
    rows = await conn.fetch(
        """SELECT id, name, prefix, agency_id, target_minutes, avg_service_s, rules, standard
             FROM ticketing.services WHERE site_id = $1 AND active ORDER BY position""",
        site_id,
    )
    return many(ServiceListed, rows)


async def service(conn: Connection, site_id: str, service_id: str) -> Service | None:
    row = await conn.fetchrow(
        """SELECT s.*, a.name AS agency_name FROM ticketing.services s
             JOIN ticketing.agencies a ON a.site_id = s.site_id AND a.id = s.agency_id
            WHERE s.site_id = $1 AND s.id = $2""",
        site_id,
        service_id,
    )
    return maybe(Service, row)


async def issue_context(
    conn: Connection, site_id: str, service_id: str, timezone: str
) -> IssueContext | None:
    """What issuing a ticket reads first, in one trip: the service (with its agency's name),
    the database clock (`now`) and today's override of the service (`override`, a dict or
    None; "today" in the site's time zone)."""
    row = await conn.fetchrow(
        """SELECT s.*, a.name AS agency_name, n.now, to_jsonb(o) AS override
             FROM ticketing.services s
             JOIN ticketing.agencies a ON a.site_id = s.site_id AND a.id = s.agency_id
            CROSS JOIN (SELECT clock_timestamp() AS now) n
             LEFT JOIN ticketing.service_day_overrides o
               ON o.site_id = s.site_id AND o.service_id = s.id
              AND o.day = (n.now AT TIME ZONE $3)::date
            WHERE s.site_id = $1 AND s.id = $2""",
        site_id,
        service_id,
        timezone,
    )
    return maybe(IssueContext, row)


async def service_rules(conn: Connection, site_id: str, service_ids: list[str]) -> dict[str, Json]:
    rows = await conn.fetch(
        "SELECT id, rules FROM ticketing.services WHERE site_id = $1 AND id = ANY($2)",
        site_id,
        service_ids,
    )
    return {r["id"]: r["rules"] for r in rows}


async def database_now(conn: Connection) -> datetime:
    now: datetime = await conn.fetchval("SELECT clock_timestamp()")
    return now


# --- a service's day: numbering, quotas, overrides --------------------------------------


async def lock_service_day(
    conn: Connection, site_id: str, service_id: str, day: date
) -> DayNumbers:
    """Today's numbering row of a service, locked until commit (issuing is serialised per
    service and day, which keeps the quota exact)."""
    row = await conn.fetchrow(
        """INSERT INTO ticketing.service_day_numbers AS d (site_id, service_id, day, last_number)
           VALUES ($1, $2, $3, 0)
           ON CONFLICT (site_id, service_id, day) DO UPDATE SET last_number = d.last_number
           RETURNING *""",
        site_id,
        service_id,
        day,
    )
    assert row is not None
    return one(DayNumbers, row)


async def issued_today(conn: Connection, site_id: str, day: date) -> dict[str, DayNumbers]:
    rows = await conn.fetch(
        "SELECT * FROM ticketing.service_day_numbers WHERE site_id = $1 AND day = $2",
        site_id,
        day,
    )
    return {r["service_id"]: one(DayNumbers, r) for r in rows}


async def day_override(
    conn: Connection, site_id: str, service_id: str, day: date
) -> DayOverride | None:
    row = await conn.fetchrow(
        """SELECT * FROM ticketing.service_day_overrides
            WHERE site_id = $1 AND service_id = $2 AND day = $3""",
        site_id,
        service_id,
        day,
    )
    return maybe(DayOverride, row)


async def day_overrides(conn: Connection, site_id: str, day: date) -> dict[str, DayOverride]:
    rows = await conn.fetch(
        "SELECT * FROM ticketing.service_day_overrides WHERE site_id = $1 AND day = $2",
        site_id,
        day,
    )
    return {r["service_id"]: one(DayOverride, r) for r in rows}


async def set_day_override(
    conn: Connection,
    site_id: str,
    service_id: str,
    day: date,
    actor: str,
    *,
    closed: bool | None = None,
    quota: int | None = None,
    clear_quota: bool = False,
) -> DayOverride:
    row = await conn.fetchrow(
        """INSERT INTO ticketing.service_day_overrides AS o
               (site_id, service_id, day, closed, quota, updated_by)
           VALUES ($1, $2, $3, coalesce($4, false), $5, $6)
           ON CONFLICT (site_id, service_id, day) DO UPDATE SET
               closed = coalesce($4, o.closed),
               quota = CASE WHEN $7 THEN NULL ELSE coalesce($5, o.quota) END,
               updated_by = $6, updated_at = now()
           RETURNING *""",
        site_id,
        service_id,
        day,
        closed,
        quota,
        actor,
        clear_quota,
    )
    assert row is not None
    return one(DayOverride, row)


# --- loading config/sites ----------------------------------------------------------------


async def lock_site_config(conn: Connection, site_id: str) -> str | None:
    """Serialise loading the site until commit (two replicas starting together load it
    once); the digest of the file loaded last, None before the first load."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", zlib.crc32(f"site:{site_id}".encode()))
    digest: str | None = await conn.fetchval(
        "SELECT config_digest FROM ticketing.sites WHERE id = $1", site_id
    )
    return digest


async def write_site(conn: Connection, loaded: LoadedSite) -> None:
    config = loaded.config
    site = config.site
    await conn.execute(
        """INSERT INTO ticketing.sites
               (id, name, timezone, address, always_open, config_version, config_digest,
                info, schedule)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (id) DO UPDATE SET
               name = EXCLUDED.name, timezone = EXCLUDED.timezone,
               address = EXCLUDED.address, always_open = EXCLUDED.always_open,
               config_version = EXCLUDED.config_version,
               config_digest = EXCLUDED.config_digest, info = EXCLUDED.info,
               schedule = EXCLUDED.schedule, loaded_at = now()""",
        site.id,
        site.name,
        site.timezone,
        site.address,
        site.always_open,
        config.config_version,
        loaded.digest,
        site.model_dump(mode="json"),
        [stop.model_dump(mode="json") for stop in config.schedule],
    )


async def write_agencies(conn: Connection, loaded: LoadedSite) -> None:
    """The file's agencies, active; the site's others inactive."""
    site_id = loaded.config.site.id
    await conn.execute("UPDATE ticketing.agencies SET active = false WHERE site_id = $1", site_id)
    await conn.executemany(
        """INSERT INTO ticketing.agencies (site_id, id, name, active) VALUES ($1, $2, $3, true)
           ON CONFLICT (site_id, id) DO UPDATE SET name = EXCLUDED.name, active = true""",
        [(site_id, a.id, a.name) for a in loaded.config.agencies],
    )


async def write_services(conn: Connection, loaded: LoadedSite) -> None:
    """The file's services, active, in its order; the site's others inactive."""
    site_id = loaded.config.site.id
    # retire every service first so a prefix can move from one service to another
    await conn.execute("UPDATE ticketing.services SET active = false WHERE site_id = $1", site_id)
    await conn.executemany(
        """INSERT INTO ticketing.services (site_id, id, agency_id, name, prefix,
               target_minutes, avg_service_s, position, rules, standard, active)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, true)
           ON CONFLICT (site_id, id) DO UPDATE SET
               agency_id = EXCLUDED.agency_id, name = EXCLUDED.name,
               prefix = EXCLUDED.prefix, target_minutes = EXCLUDED.target_minutes,
               avg_service_s = EXCLUDED.avg_service_s, position = EXCLUDED.position,
               rules = EXCLUDED.rules, standard = EXCLUDED.standard, active = true""",
        [
            (
                site_id,
                s.id,
                s.agency,
                s.name,
                s.prefix,
                s.target_minutes,
                s.avg_service_s,
                i,
                s.rules.model_dump(mode="json"),
                s.standard.model_dump(mode="json"),
            )
            for i, s in enumerate(loaded.config.services)
        ],
    )


async def write_counters(conn: Connection, loaded: LoadedSite) -> None:
    """The file's counters, active, in its order; the site's others inactive."""
    site_id = loaded.config.site.id
    await conn.execute("UPDATE ticketing.counters SET active = false WHERE site_id = $1", site_id)
    await conn.executemany(
        """INSERT INTO ticketing.counters
               (site_id, id, name, service_ids, position, call_order, active)
           VALUES ($1, $2, $3, $4, $5, $6, true)
           ON CONFLICT (site_id, id) DO UPDATE SET
               name = EXCLUDED.name, service_ids = EXCLUDED.service_ids,
               position = EXCLUDED.position, call_order = EXCLUDED.call_order,
               active = true""",
        [
            (site_id, c.id, c.name, c.services, i, c.call_order)
            for i, c in enumerate(loaded.config.counters)
        ],
    )
