"""What a site's supervisor and an admin do: see every counter, open or close a service
for today, change today's quota, reassign a counter's services, manage staff accounts and
reload site files. Every action is one transaction that also writes the audit log (who,
what, when, before and after)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import date
from typing import Any

from argon2 import PasswordHasher

from services.ticketing.actors import Actor, require_admin, require_supervisor
from services.ticketing.domain import tickets as rules
from services.ticketing.errors import InvalidRequest, NotAllowed, NotFound
from services.ticketing.repositories import audit, staff
from services.ticketing.repositories import counters as counter_rows
from services.ticketing.repositories import sites as repo
from services.ticketing.repositories import supervision as counter_board
from services.ticketing.repositories.staff import AccountChanges, StaffAccount
from services.ticketing.settings import TicketingSettings
from services.ticketing.site_loader import load_all_sites
from services.ticketing.usecases.site_status import record_status
from shared.database import Connection

_hasher = PasswordHasher()


async def _audit(
    conn: Connection,
    actor: Actor,
    site_id: str | None,
    action: str,
    target: str,
    before: object,
    after: object,
) -> None:
    await audit.record(
        conn,
        site_id=site_id,
        actor=actor.username,
        role=actor.role,
        action=action,
        target=target,
        before=before,
        after=after,
    )


async def counter_states(conn: Connection, actor: Actor, site_id: str) -> list[dict[str, Any]]:
    require_supervisor(actor, site_id)
    if await repo.site(conn, site_id) is None:
        raise NotFound("site not found")
    return [
        {
            "id": c.id,
            "name": c.name,
            "service_ids": list(c.service_ids),
            "call_order": c.call_order,
            "last_active_at": c.last_active_at,
            "paused": None
            if c.paused_at is None
            else {"reason": c.paused_reason, "since": c.paused_at},
            "current": None
            if c.ticket_id is None
            else {
                "ticket_id": c.ticket_id,
                "number": c.number,
                "service_id": c.service_id,
                "called_at": c.called_at,
                "call_count": c.call_count,
            },
        }
        for c in await counter_board.counter_states(conn, site_id)
    ]


async def _service_today(conn: Connection, site_id: str, service_id: str) -> tuple[Any, Any]:
    site = await repo.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    service = await repo.service(conn, site_id, service_id)
    if service is None or not service["active"]:
        raise NotFound(f"service {service_id!r} not found at this site")
    day = rules.local_day(await repo.database_now(conn), site["timezone"])
    return service, day


def _override_json(row: Any) -> dict[str, Any] | None:
    return None if row is None else {"closed": row["closed"], "quota": row["quota"]}


async def set_service_open(
    conn: Connection,
    actor: Actor,
    site_id: str,
    service_id: str,
    open_now: bool,
    reason: str | None = None,
) -> dict[str, Any]:
    """Close a service for the rest of today (or open it again): kiosks answer 409. The
    supervisor's reason, when given, is kept in the audit log's `after`."""
    require_supervisor(actor, site_id)
    async with conn.transaction():
        service, day = await _service_today(conn, site_id, service_id)
        before = await repo.day_override(conn, site_id, service_id, day)
        after = await repo.set_day_override(
            conn, site_id, service_id, day, actor.username, closed=not open_now
        )
        await _audit(
            conn,
            actor,
            site_id,
            "service.open" if open_now else "service.close",
            service_id,
            _override_json(before),
            {**(_override_json(after) or {}), **({"reason": reason} if reason else {})},
        )
        await record_status(
            conn,
            site_id,
            "service_opened" if open_now else "service_closed",
            service=(service_id, service["name"]),
            reason=reason,
        )
        return {"service_id": service_id, "day": day, **(_override_json(after) or {})}


async def set_quota_today(
    conn: Connection, actor: Actor, site_id: str, service_id: str, quota: int | None
) -> dict[str, Any]:
    """Change today's daily quota of a service (None: back to the standard's quota)."""
    require_supervisor(actor, site_id)
    if quota is not None and quota < 0:
        raise InvalidRequest("quota", "a quota cannot be negative")
    async with conn.transaction():
        service, day = await _service_today(conn, site_id, service_id)
        before = await repo.day_override(conn, site_id, service_id, day)
        after = await repo.set_day_override(
            conn, site_id, service_id, day, actor.username, quota=quota, clear_quota=quota is None
        )
        await _audit(
            conn,
            actor,
            site_id,
            "service.quota_today",
            service_id,
            _override_json(before),
            _override_json(after),
        )
        await record_status(
            conn, site_id, "quota_changed", service=(service_id, service["name"]), quota=quota
        )
        return {"service_id": service_id, "day": day, **(_override_json(after) or {})}


async def reassign_counter(
    conn: Connection,
    actor: Actor,
    site_id: str,
    counter_id: str,
    service_ids: list[str],
    call_order: str | None,
) -> dict[str, Any]:
    """Change what a counter serves (until the site file changes and is reloaded)."""
    require_supervisor(actor, site_id)
    async with conn.transaction():
        counter = await counter_rows.lock_counter(conn, site_id, counter_id)
        if counter is None:
            raise NotFound("counter not found at this site")
        known = {s["id"] for s in await repo.services(conn, site_id)}
        unknown = [s for s in service_ids if s not in known]
        if unknown:
            raise InvalidRequest("service_ids", f"unknown services: {', '.join(unknown)}")
        if len(set(service_ids)) != len(service_ids):
            raise InvalidRequest("service_ids", "a service is listed twice")
        before = {"service_ids": list(counter["service_ids"]), "call_order": counter["call_order"]}
        order: str = call_order or counter["call_order"]
        after = {"service_ids": service_ids, "call_order": order}
        await counter_board.reassign_counter(conn, site_id, counter_id, service_ids, order)
        await _audit(conn, actor, site_id, "counter.reassign", counter_id, before, after)
        await record_status(
            conn,
            site_id,
            "counter_services_changed",
            counter=(counter_id, counter["name"]),
            service_ids=service_ids,
        )
        return {"id": counter_id, **after}


async def audit_log(
    conn: Connection,
    actor: Actor,
    site_id: str,
    limit: int,
    *,
    action: str | None = None,
    by: str | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[dict[str, Any]]:
    """The audit log, newest first; `first`..`last` are days in the site's own zone."""
    require_supervisor(actor, site_id)
    site = await repo.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    if first is not None and last is not None and first > last:
        raise InvalidRequest("from", "tanggal awal setelah tanggal akhir")
    period = None if first is None and last is None else (first, last, site["timezone"])
    found = await audit.entries(conn, site_id, limit, action=action, actor=by, period=period)
    return [asdict(e) for e in found]


# --- admin ----------------------------------------------------------------------------


def _staff_json(account: StaffAccount) -> dict[str, Any]:
    return {
        "username": account.username,
        "site_id": account.site_id,
        "role": account.role,
        "counter_ids": list(account.counter_ids),
        "active": account.active,
        "source": account.source,
        "deployment_admin": account.deployment_admin,
    }


async def list_staff(conn: Connection, actor: Actor, site_id: str | None) -> list[dict[str, Any]]:
    """One site's accounts (its admin), or every site's (a deployment-wide admin)."""
    require_admin(actor, site_id)
    return [_staff_json(a) for a in await staff.accounts(conn, site_id)]


async def _check_counters(conn: Connection, site_id: str, counter_ids: list[str]) -> None:
    counters = {c["id"] for c in await counter_rows.counters(conn, site_id)}
    unknown = [c for c in counter_ids if c not in counters]
    if unknown:
        raise InvalidRequest("counter_ids", f"loket tidak dikenal: {', '.join(unknown)}")


async def create_staff(
    conn: Connection,
    actor: Actor,
    username: str,
    site_id: str,
    role: str,
    counter_ids: list[str],
    password: str,
) -> dict[str, Any]:
    """Add an account (or replace an admin-made one). Accounts from files stay theirs."""
    require_admin(actor, site_id)
    password_hash = await asyncio.to_thread(_hasher.hash, password)
    async with conn.transaction():
        if await repo.site(conn, site_id) is None:
            raise InvalidRequest("site_id", "lokasi tidak dikenal")
        await _check_counters(conn, site_id, counter_ids)
        existing = await staff.lock_account(conn, username)
        if existing is not None and existing.source != "admin":
            raise InvalidRequest(
                "username", "akun ini berasal dari berkas konfigurasi; ubah dengan PUT"
            )
        if existing is not None:
            require_admin(actor, existing.site_id)
        row = await staff.save_admin_made(conn, username, site_id, role, counter_ids, password_hash)
        after = _staff_json(row)
        before = None if existing is None else _staff_json(existing)
        await _audit(conn, actor, site_id, "staff.create", username, before, after)
        return after


async def update_staff(
    conn: Connection, actor: Actor, username: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """`PUT /api/admin/staff/{username}`: change role, counters, password or the active
    flag. Each field changed here is never reverted by a site-file reload, and applies to
    the account's tokens at their next use."""
    password = changes.pop("password", None)
    if not changes and not password:
        raise InvalidRequest(
            "body", "tidak ada yang diubah: isi role, counter_ids, password atau active"
        )
    password_hash = await asyncio.to_thread(_hasher.hash, password) if password else None
    async with conn.transaction():
        existing = await staff.lock_account(conn, username)
        if existing is None:
            raise NotFound("akun tidak ditemukan")
        require_admin(actor, existing.site_id)
        if existing.deployment_admin and not actor.deployment_admin:
            raise NotAllowed("hanya admin seluruh deployment yang mengubah akun ini")
        if username == actor.username and (
            changes.get("active") is False or changes.get("role", "admin") != "admin"
        ):
            raise InvalidRequest(
                "username", "admin tidak dapat menonaktifkan atau menurunkan akunnya sendiri"
            )
        if "counter_ids" in changes:
            await _check_counters(conn, existing.site_id, changes["counter_ids"])
        fields = sorted({*changes, *(["password"] if password_hash else [])})
        row = await staff.change(
            conn,
            username,
            AccountChanges(
                role=changes.get("role"),
                counter_ids=changes.get("counter_ids"),
                active=changes.get("active"),
                password_hash=password_hash,
                fields=fields,
            ),
        )
        after = _staff_json(row)
        audited = {**after, "password_changed": password_hash is not None}
        await _audit(
            conn,
            actor,
            existing.site_id,
            "staff.update",
            username,
            _staff_json(existing),
            audited,
        )
        return after


async def deactivate_staff(conn: Connection, actor: Actor, username: str) -> dict[str, Any]:
    return await update_staff(conn, actor, username, {"active": False})


async def reload_sites(conn: Connection, actor: Actor, settings: TicketingSettings) -> list[str]:
    """Load changed or new site files now (adding an MPP is a file plus this call): a
    deployment-wide admin's call, since it reads every site's file."""
    require_admin(actor)
    written = await load_all_sites(conn, settings)
    await _audit(
        conn, actor, None, "sites.reload", ",".join(written) or "-", None, {"loaded": written}
    )
    return written
