"""Operator login: argon2id password hashes, HS256 tokens that expire and carry the
staff member's site, role and counters (the scope every operator call checks)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.ticketing import repository as repo
from services.ticketing.queue import Actor
from shared.database import Connection

_hasher = PasswordHasher()
ALGORITHM = "HS256"
# verified against when the username is unknown, so both paths cost one argon2 verify
_DUMMY_HASH = _hasher.hash("no-such-user")


class BadCredentials(Exception):
    pass


async def authenticate(conn: Connection, username: str, password: str) -> Actor:
    row = await repo.staff(conn, username)
    stored = row["password_hash"] if row is not None else _DUMMY_HASH
    try:
        await asyncio.to_thread(_hasher.verify, stored, password)
    except (VerificationError, InvalidHashError):
        raise BadCredentials from None
    if row is None:
        raise BadCredentials
    return Actor(
        username=row["username"],
        site_id=row["site_id"],
        role=row["role"],
        counter_ids=tuple(row["counter_ids"]),
    )


def issue_token(actor: Actor, secret: str, ttl_s: int) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": actor.username,
        "site": actor.site_id,
        "role": actor.role,
        "counters": list(actor.counter_ids),
        "iat": now,
        "exp": now + ttl_s,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, secret: str) -> Actor:
    """The actor a token speaks for; raises jwt.InvalidTokenError if forged or expired."""
    claims = jwt.decode(
        token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "site"]}
    )
    return Actor(
        username=str(claims["sub"]),
        site_id=str(claims["site"]),
        role=str(claims.get("role", "operator")),
        counter_ids=tuple(str(c) for c in claims.get("counters", [])),
    )
