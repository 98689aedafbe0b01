"""Staff login (`POST /api/auth/token`, OAuth2 form) and `GET /api/auth/me`: the account a
token speaks for, as it is now (the notifier checks staff tokens with it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request

from services.ticketing.api.deps import Db, Operator, Settings
from services.ticketing.api.schemas import Me, Token
from services.ticketing.auth import (
    BadCredentials,
    authenticate,
    check_login_allowed,
    clear_login_failures,
    issue_token,
    record_login_failure,
    sign_in_at_counters,
)
from services.ticketing.booking import limit

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/token",
    response_model=Token,
    responses={401: {"description": "Bad credentials"}, 429: {"description": "Too many tries"}},
)
async def login(
    username: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=256)],
    conn: Db,
    settings: Settings,
    request: Request,
) -> Token:
    """Log in. Wrong passwords slow down, then block, this username from this address only
    (growing delays, 429 with Retry-After); each address also has a cap on all its logins."""
    address = request.client.host if request.client else "-"
    await check_login_allowed(conn, username, address)
    await limit(conn, f"login-ip:{address}", settings.login_attempts_per_ip, 15 * 60, "masuk")
    try:
        actor = await authenticate(conn, username, password)
    except BadCredentials:
        await record_login_failure(conn, username, address)
        raise HTTPException(
            401,
            detail="nama pengguna atau kata sandi salah",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None
    await clear_login_failures(conn, username, address)
    await sign_in_at_counters(conn, actor)
    return Token(
        access_token=issue_token(actor, settings.token_secret, settings.token_ttl_s),
        expires_in=settings.token_ttl_s,
        username=actor.username,
        site_id=actor.site_id,
        role=actor.role,
        counter_ids=list(actor.counter_ids),
        deployment_admin=actor.deployment_admin,
    )


@router.get("/me", response_model=Me, responses={401: {"description": "No valid staff token"}})
async def me(actor: Operator) -> Me:
    """The staff account this token speaks for, as it is now."""
    return Me(
        username=actor.username,
        role=actor.role,
        site_id=actor.site_id,
        counter_ids=list(actor.counter_ids),
        deployment_admin=actor.deployment_admin,
    )
