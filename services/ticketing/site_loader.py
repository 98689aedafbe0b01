"""Load `config/sites/*.toml` into the database: what each site offers and who works there.

A site is written again only when its file changed (by digest), in one transaction under
an advisory lock, so two replicas starting together load it once. Nothing is deleted:
agencies, services and counters no longer in the file are marked inactive, so tickets
issued for them stay readable. Operator accounts: every counter's id is a username whose
password is MPP_DEMO_PASSWORD (CONTRACT.md, Demo site), and so are the configured staff.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import zlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.ticketing.settings import TicketingSettings
from shared.database import Connection
from shared.sites import LoadedSite, load_deployment, load_sites

log = logging.getLogger("ticketing.sites")

_hasher = PasswordHasher()


async def _demo_hashes_current(conn: Connection, site_id: str, password: str) -> bool:
    """True when the site's accounts already hash `password` (one argon2 verify)."""
    sample = await conn.fetchval(
        """SELECT password_hash FROM ticketing.staff
            WHERE site_id = $1 AND source = 'config' AND NOT 'password' = ANY (api_fields)
            LIMIT 1""",
        site_id,
    )
    if sample is None:
        return False
    try:
        return bool(await asyncio.to_thread(_hasher.verify, sample, password))
    except (VerificationError, InvalidHashError):
        return False


async def load_site(conn: Connection, loaded: LoadedSite, demo_password: str) -> bool:
    """Write one site's configuration; False when it was already current."""
    config = loaded.config
    site = config.site
    async with conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock($1)", zlib.crc32(f"site:{site.id}".encode())
        )
        digest = await conn.fetchval(
            "SELECT config_digest FROM ticketing.sites WHERE id = $1", site.id
        )
        passwords_current = await _demo_hashes_current(conn, site.id, demo_password)
        if digest == loaded.digest and passwords_current:
            return False
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
        await conn.execute(
            "UPDATE ticketing.agencies SET active = false WHERE site_id = $1", site.id
        )
        await conn.executemany(
            """INSERT INTO ticketing.agencies (site_id, id, name, active) VALUES ($1, $2, $3, true)
               ON CONFLICT (site_id, id) DO UPDATE SET name = EXCLUDED.name, active = true""",
            [(site.id, a.id, a.name) for a in config.agencies],
        )
        # retire every service first so a prefix can move from one service to another
        await conn.execute(
            "UPDATE ticketing.services SET active = false WHERE site_id = $1", site.id
        )
        await conn.executemany(
            """INSERT INTO ticketing.services (site_id, id, agency_id, name, prefix,
                   target_minutes, avg_service_s, position, rules, active)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, true)
               ON CONFLICT (site_id, id) DO UPDATE SET
                   agency_id = EXCLUDED.agency_id, name = EXCLUDED.name,
                   prefix = EXCLUDED.prefix, target_minutes = EXCLUDED.target_minutes,
                   avg_service_s = EXCLUDED.avg_service_s, position = EXCLUDED.position,
                   rules = EXCLUDED.rules, active = true""",
            [
                (
                    site.id,
                    s.id,
                    s.agency,
                    s.name,
                    s.prefix,
                    s.target_minutes,
                    s.avg_service_s,
                    i,
                    s.rules.model_dump(mode="json"),
                )
                for i, s in enumerate(config.services)
            ],
        )
        await conn.execute(
            "UPDATE ticketing.counters SET active = false WHERE site_id = $1", site.id
        )
        await conn.executemany(
            """INSERT INTO ticketing.counters
                   (site_id, id, name, service_ids, position, call_order, active)
               VALUES ($1, $2, $3, $4, $5, $6, true)
               ON CONFLICT (site_id, id) DO UPDATE SET
                   name = EXCLUDED.name, service_ids = EXCLUDED.service_ids,
                   position = EXCLUDED.position, call_order = EXCLUDED.call_order,
                   active = true""",
            [
                (site.id, c.id, c.name, c.services, i, c.call_order)
                for i, c in enumerate(config.counters)
            ],
        )
        accounts = [(c.id, "operator", [c.id]) for c in config.counters] + [
            (s.username, s.role, s.counters) for s in config.staff
        ]
        existing = {
            r["username"]
            for r in await conn.fetch(
                "SELECT username FROM ticketing.staff WHERE site_id = $1 AND source = 'config'",
                site.id,
            )
        }
        to_hash = [u for u, _, _ in accounts if not (passwords_current and u in existing)]
        # One argon2 hash for all of this load's accounts: they share the demo password
        # anyway, and each hash costs ~0.2 s of CPU and 64 MiB, which made a deployment of
        # 300 sites take an hour to start (make bench).
        shared_hash = await asyncio.to_thread(_hasher.hash, demo_password) if to_hash else None
        hashes = {username: shared_hash for username in to_hash}
        # the file creates accounts and sets only what an admin has not changed by the API
        await conn.execute(
            """UPDATE ticketing.staff SET active = false
                WHERE site_id = $1 AND source = 'config' AND NOT 'active' = ANY (api_fields)""",
            site.id,
        )
        await conn.executemany(
            """INSERT INTO ticketing.staff AS st (username, site_id, role, counter_ids,
                   password_hash, active, source)
               VALUES ($1, $2, $3, $4, coalesce($5, ''), true, 'config')
               ON CONFLICT (username) DO UPDATE SET
                   site_id = EXCLUDED.site_id,
                   role = CASE WHEN 'role' = ANY (st.api_fields) THEN st.role
                               ELSE EXCLUDED.role END,
                   counter_ids = CASE WHEN 'counter_ids' = ANY (st.api_fields)
                                      THEN st.counter_ids ELSE EXCLUDED.counter_ids END,
                   password_hash = CASE WHEN 'password' = ANY (st.api_fields)
                                        THEN st.password_hash
                                        ELSE coalesce($5, st.password_hash) END,
                   active = CASE WHEN 'active' = ANY (st.api_fields) THEN st.active
                                 ELSE true END,
                   source = 'config'
               WHERE st.source <> 'deployment'""",
            [(u, site.id, role, counters, hashes.get(u)) for u, role, counters in accounts],
        )
    log.info(
        "loaded site %s (config_version %d): %d agencies, %d services, %d counters",
        site.id,
        config.config_version,
        len(config.agencies),
        len(config.services),
        len(config.counters),
    )
    return True


async def load_all_sites(conn: Connection, settings: TicketingSettings) -> list[str]:
    """Load every site file that changed, then the deployment's admins; the ids written."""
    written = []
    for site_id, loaded in load_sites(settings.sites_dir, settings.environment).items():
        if await load_site(conn, loaded, settings.mpp_demo_password):
            written.append(site_id)
    await load_deployment_admins(conn, settings)
    return written


_deployment_current: set[str] = set()


async def load_deployment_admins(conn: Connection, settings: TicketingSettings) -> None:
    """Deployment-wide admins from the deployment file (README): each administers every
    site; its password is MPP_DEMO_PASSWORD until an admin changes it by the API."""
    admins = load_deployment(settings.deployment_file).admins
    digest = hashlib.sha256(
        repr((sorted(a.model_dump_json() for a in admins), settings.mpp_demo_password)).encode()
    ).hexdigest()
    if f"{settings.database_url}:{digest}" in _deployment_current or not admins:
        return
    sites = {r["id"] for r in await conn.fetch("SELECT id FROM ticketing.sites")}
    password_hash = await asyncio.to_thread(_hasher.hash, settings.mpp_demo_password)
    async with conn.transaction():
        for admin in admins:
            if admin.site_id not in sites:
                log.error("deployment admin %s: unknown site %s", admin.username, admin.site_id)
                continue
            await conn.execute(
                """INSERT INTO ticketing.staff AS st (username, site_id, role, counter_ids,
                       password_hash, active, source, deployment_admin)
                   VALUES ($1, $2, 'admin', '{}', $3, true, 'deployment', true)
                   ON CONFLICT (username) DO UPDATE SET
                       site_id = EXCLUDED.site_id, role = 'admin', deployment_admin = true,
                       source = 'deployment',
                       password_hash = CASE WHEN 'password' = ANY (st.api_fields)
                                            THEN st.password_hash ELSE $3 END,
                       active = CASE WHEN 'active' = ANY (st.api_fields) THEN st.active
                                     ELSE true END""",
                admin.username,
                admin.site_id,
                password_hash,
            )
    _deployment_current.add(f"{settings.database_url}:{digest}")
