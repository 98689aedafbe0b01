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

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.ticketing.repositories import sites, staff
from services.ticketing.repositories.staff import ConfigAccount
from services.ticketing.settings import TicketingSettings
from shared.database import Connection
from shared.sites import LoadedSite, load_deployment, load_sites

log = logging.getLogger("ticketing.sites")

_hasher = PasswordHasher()

_verified: set[tuple[str, str]] = set()
"""(stored hash, digest of the password) pairs that verified: an argon2 hash (its salt
inside) matches the same passwords forever, so each pair needs one verify per process.
The sites reload every 30 s; a verify per site each time was ~0.5 % of a core of an
idle ticketing (three sites, ~50 ms of argon2 each; docs/performance.md)."""


async def _demo_hashes_current(conn: Connection, site_id: str, password: str) -> bool:
    """True when the site's accounts already hash `password` (one argon2 verify, the
    first time this process sees that stored hash)."""
    sample = await staff.config_password_sample(conn, site_id)
    if sample is None:
        return False
    key = (sample, _digest(password))
    if key in _verified:
        return True
    try:
        current = bool(await asyncio.to_thread(_hasher.verify, sample, password))
    except (VerificationError, InvalidHashError):
        return False
    if current:
        _remember(key)
    return current


def _digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def _remember(key: tuple[str, str]) -> None:
    if len(_verified) > 10_000:
        _verified.clear()
    _verified.add(key)


async def load_site(conn: Connection, loaded: LoadedSite, demo_password: str) -> bool:
    """Write one site's configuration; False when it was already current."""
    config = loaded.config
    site = config.site
    async with conn.transaction():
        digest = await sites.lock_site_config(conn, site.id)
        passwords_current = await _demo_hashes_current(conn, site.id, demo_password)
        if digest == loaded.digest and passwords_current:
            return False
        await sites.write_site(conn, loaded)
        await sites.write_agencies(conn, loaded)
        await sites.write_services(conn, loaded)
        await sites.write_counters(conn, loaded)
        await _write_accounts(conn, loaded, demo_password, passwords_current)
    log.info(
        "loaded site %s (config_version %d): %d agencies, %d services, %d counters",
        site.id,
        config.config_version,
        len(config.agencies),
        len(config.services),
        len(config.counters),
    )
    return True


async def _write_accounts(
    conn: Connection, loaded: LoadedSite, demo_password: str, passwords_current: bool
) -> None:
    """Every counter's id as an operator account, and the configured staff; their password
    hashed again only where it is not current already."""
    config = loaded.config
    accounts = [(c.id, "operator", [c.id]) for c in config.counters] + [
        (s.username, s.role, s.counters) for s in config.staff
    ]
    existing = await staff.config_usernames(conn, config.site.id)
    to_hash = [u for u, _, _ in accounts if not (passwords_current and u in existing)]
    # One argon2 hash for all of this load's accounts: they share the demo password
    # anyway, and each hash costs ~0.2 s of CPU and 64 MiB, which made a deployment of
    # 300 sites take an hour to start (make bench).
    shared_hash = await asyncio.to_thread(_hasher.hash, demo_password) if to_hash else None
    if shared_hash is not None:
        _remember((shared_hash, _digest(demo_password)))  # no verify of it at the next reload
    hashes = {username: shared_hash for username in to_hash}
    rows: list[ConfigAccount] = [
        (u, role, counters, hashes.get(u)) for u, role, counters in accounts
    ]
    await staff.write_config_accounts(conn, config.site.id, rows)


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
    known = await sites.site_ids(conn)
    password_hash = await asyncio.to_thread(_hasher.hash, settings.mpp_demo_password)
    async with conn.transaction():
        for admin in admins:
            if admin.site_id not in known:
                log.error("deployment admin %s: unknown site %s", admin.username, admin.site_id)
                continue
            await staff.write_deployment_admin(conn, admin.username, admin.site_id, password_hash)
    _deployment_current.add(f"{settings.database_url}:{digest}")
