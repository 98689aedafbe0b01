"""Kiosks are enrolled devices (CONTRACT.md "Who may do what"). A supervisor or admin of a
site enrols a kiosk and gets its token once (only its sha256 is kept), lists the site's
kiosks and revokes one, each in the audit log. On a site whose `kiosk.require_device` holds,
kiosk and mobile tickets and appointment check-ins need a live token of that site, and each
kiosk issues at most `kiosk.per_minute` tickets a minute.

A kiosk token is no staff token: it is not a JWT, so the staff verifier refuses it, and it
opens nothing but issuing and check-in."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

from services.ticketing.actors import Actor, require_supervisor
from services.ticketing.booking import limit
from services.ticketing.errors import NotAuthenticated, NotFound
from services.ticketing.repositories import audit
from services.ticketing.repositories import kiosks as enrolled
from services.ticketing.repositories import sites as repo
from services.ticketing.repositories.kiosks import Kiosk, LiveKiosk
from services.ticketing.usecases.opening import site_calendar
from shared.database import Connection

TOKEN_PREFIX = "kiosk_"  # noqa: S105 — a prefix, not a secret
"""Kiosk tokens start so: told apart at a glance from staff JWTs in a support call."""


class KioskRequired(NotAuthenticated):
    """This call needs the token of an enrolled kiosk of the site (HTTP 401, Bearer)."""


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _kiosk_json(kiosk: Kiosk) -> dict[str, Any]:
    return asdict(kiosk)


def _audited(kiosk: Kiosk) -> dict[str, object]:
    return {"id": str(kiosk.id), "name": kiosk.name, "revoked": kiosk.revoked_at is not None}


async def _site(conn: Connection, site_id: str) -> Any:
    site = await repo.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    return site


async def enrol(conn: Connection, actor: Actor, site_id: str, name: str) -> dict[str, Any]:
    """A new kiosk of the site; the answer is the only place its token ever appears."""
    require_supervisor(actor, site_id)
    token = new_token()
    async with conn.transaction():
        await _site(conn, site_id)
        row = await enrolled.enrol(
            conn, uuid.uuid4(), site_id, name, token_hash(token), actor.username
        )
        await _audit(conn, actor, site_id, "kiosk.enrol", row, None, _audited(row))
    return {**_kiosk_json(row), "token": token}


async def site_kiosks(conn: Connection, actor: Actor, site_id: str) -> list[dict[str, Any]]:
    """The site's kiosks, live and revoked, oldest first; never a token."""
    require_supervisor(actor, site_id)
    await _site(conn, site_id)
    return [_kiosk_json(k) for k in await enrolled.site_kiosks(conn, site_id)]


async def revoke(conn: Connection, actor: Actor, site_id: str, kiosk_id: UUID) -> dict[str, Any]:
    """The kiosk's token stops working now. Revoking a revoked kiosk changes nothing."""
    require_supervisor(actor, site_id)
    async with conn.transaction():
        before = await enrolled.lock_kiosk(conn, site_id, kiosk_id)
        if before is None:
            raise NotFound("kiosk not found at this site")
        if before.revoked_at is not None:
            return _kiosk_json(before)
        after = await enrolled.revoke(conn, kiosk_id, actor.username)
        await _audit(conn, actor, site_id, "kiosk.revoke", after, _audited(before), _audited(after))
    return _kiosk_json(after)


async def _audit(
    conn: Connection,
    actor: Actor,
    site_id: str,
    action: str,
    kiosk: Kiosk,
    before: object,
    after: object,
) -> None:
    await audit.record(
        conn,
        site_id=site_id,
        actor=actor.username,
        role=actor.role,
        action=action,
        target=f"{kiosk.name} ({kiosk.id})",
        before=before,
        after=after,
    )


# --- who is asking ------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """Who sends a ticket or check-in request: an enrolled kiosk, or an address."""

    kiosk_id: UUID | None
    address: str | None
    site: Any = None
    """The site's row, read while identifying (None for an unknown site)."""

    def requester(self, secret: str) -> str | None:
        """A keyed hash naming the caller, stored with an Idempotency-Key: a replay returns
        the ticket's key only to the same kiosk (or, without one, the same address)."""
        if self.kiosk_id is not None:
            who = f"kiosk:{self.kiosk_id}"
        elif self.address:
            who = f"address:{self.address}"
        else:
            return None
        return hmac.new(secret.encode(), f"requester:{who}".encode(), hashlib.sha256).hexdigest()


def bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


async def live_kiosk(conn: Connection, site_id: str, token: str) -> LiveKiosk | None:
    """The enrolled, unrevoked kiosk of `site_id` this token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return await enrolled.live_kiosk(conn, site_id, token_hash(token))


async def identify(
    conn: Connection,
    site_id: str,
    authorization: str | None,
    address: str | None,
    kiosk_call: bool,
) -> Caller:
    """Who asks, checked before anything else of the request (hours, quotas, the body).

    `kiosk_call`: a kiosk or mobile ticket, or a check-in. On a site that requires enrolled
    kiosks such a call without a live kiosk token of the site is refused (401). A kiosk
    token counts against its kiosk's tickets per minute (429 past it), whatever the call."""
    site = await repo.site(conn, site_id)
    if site is None:
        return Caller(None, address)  # the route answers 404
    token = bearer(authorization)
    kiosk = await live_kiosk(conn, site_id, token) if token else None
    info, _ = site_calendar(site)
    if kiosk is None:
        if kiosk_call and info.kiosk.require_device:
            raise KioskRequired(
                "kiosk belum terdaftar: tiket kiosk dan lapor hadir memerlukan token kiosk "
                "MPP ini (Authorization: Bearer); daftarkan kiosk lewat supervisor"
            )
        return Caller(None, address, site)
    if info.kiosk.per_minute:
        await limit(conn, f"kiosk:{kiosk.id}", info.kiosk.per_minute, 60, "dari kiosk ini")
    return Caller(kiosk.id, address, site)
