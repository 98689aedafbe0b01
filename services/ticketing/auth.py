"""Staff login and tokens (CONTRACT.md "Who may do what").

Passwords are argon2id hashes. A staff token is an HS256 JWT that names the account and
nothing it could grant: role, site, counters and the active flag are read from the account
on every request, so a demoted, moved or deactivated account's old token follows the change
at its next use. Service tokens (role `service`, e.g. the notifier acting for a citizen's
WhatsApp `BATAL`) are signed with the same secret, carry `typ: service` and open only the
routes that ask for a service caller.

Wrong passwords slow down, then block, one username from one address, with a delay that
doubles per further failure; the same username from another address is not affected, so a
tout on the lobby Wi-Fi cannot lock a clerk out.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.ticketing.actors import Actor
from services.ticketing.booking import TooManyRequests
from services.ticketing.repositories import counters
from services.ticketing.repositories import staff as accounts
from services.ticketing.repositories.staff import StaffAccount
from shared.database import Connection

_hasher = PasswordHasher()
ALGORITHM = "HS256"
# verified against when the username is unknown, so both paths cost one argon2 verify
_DUMMY_HASH = _hasher.hash("no-such-user")
STAFF, SERVICE = "staff", "service"

FREE_FAILURES = 5  # wrong passwords from one address before the first delay
FIRST_DELAY_S = 30
MAX_DELAY_S = 15 * 60
FORGET_AFTER_S = 24 * 3600


class BadCredentials(Exception):
    pass


class InvalidToken(Exception):
    """Forged, expired, of the wrong kind, or naming an account that is gone (HTTP 401)."""


def actor_of(account: StaffAccount) -> Actor:
    return Actor(
        username=account.username,
        site_id=account.site_id,
        role=account.role,
        counter_ids=tuple(account.counter_ids),
        deployment_admin=account.deployment_admin,
    )


# --- login ------------------------------------------------------------------------------


def login_delay_s(failures: int) -> int:
    """How long one username waits at one address after `failures` wrong passwords."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** (failures - FREE_FAILURES)))


async def check_login_allowed(conn: Connection, username: str, address: str) -> None:
    row = await accounts.login_failures(conn, username, address)
    if row is None or row.ago > FORGET_AFTER_S:
        return
    wait = login_delay_s(row.failures) - int(row.ago)
    if wait > 0:
        raise TooManyRequests(
            f"Terlalu banyak kata sandi salah untuk {username} dari perangkat ini; "
            f"coba lagi dalam {_duration(wait)}",
            wait,
        )


def _duration(seconds: int) -> str:
    return f"{seconds} detik" if seconds < 90 else f"{round(seconds / 60)} menit"


async def record_login_failure(conn: Connection, username: str, address: str) -> None:
    await accounts.record_login_failure(conn, username, address, FORGET_AFTER_S)


async def clear_login_failures(conn: Connection, username: str, address: str) -> None:
    await accounts.clear_login_failures(conn, username, address)


async def authenticate(conn: Connection, username: str, password: str) -> Actor:
    row = await accounts.active_account(conn, username)
    stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
    try:
        await asyncio.to_thread(_hasher.verify, stored, password)
    except (VerificationError, InvalidHashError):
        raise BadCredentials from None
    if row is None:
        raise BadCredentials
    return actor_of(row)


async def sign_in_at_counters(conn: Connection, actor: Actor) -> None:
    """A counter clerk who logs in is at the desk: their counters count as staffed from now
    (CONTRACT.md: "signed in or acted in the last 30 minutes"), so the first citizens of
    the morning get an estimate before the first call. Supervisors staff no counter."""
    if actor.role != "operator":
        return
    for counter_id in actor.counter_ids:
        await counters.touch_counter(conn, actor.site_id, counter_id)


# --- tokens -----------------------------------------------------------------------------


def issue_token(actor: Actor, secret: str, ttl_s: int) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"sub": actor.username, "typ": STAFF, "iat": now, "exp": now + ttl_s}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _claims(token: str, secret: str, kind: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "typ"]}
        )
    except jwt.InvalidTokenError:
        raise InvalidToken from None
    if claims.get("typ") != kind:
        raise InvalidToken
    return claims


async def staff_actor(conn: Connection, token: str, secret: str) -> Actor:
    """The account a staff token names, as it is now; InvalidToken when it is gone."""
    claims = _claims(token, secret, STAFF)
    row = await accounts.active_account(conn, str(claims["sub"]))
    if row is None:
        raise InvalidToken
    return actor_of(row)


@dataclass(frozen=True)
class ServiceCaller:
    name: str


def issue_service_token(name: str, secret: str, ttl_s: int = 3600) -> str:
    """A token for another service of this deployment (role `service`)."""
    now = int(time.time())
    claims = {"sub": name, "typ": SERVICE, "role": SERVICE, "iat": now, "exp": now + ttl_s}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def service_caller(token: str, secret: str) -> ServiceCaller:
    return ServiceCaller(str(_claims(token, secret, SERVICE)["sub"]))
