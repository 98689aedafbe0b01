"""POST /api/auth/token: counter staff log in with username and password (OAuth2 form)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request

from services.ticketing.api.deps import Db, Settings
from services.ticketing.api.schemas import Token
from services.ticketing.auth import BadCredentials, authenticate, issue_token
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
    """Log in; attempts are limited per username and per client address (429 with
    Retry-After) so a password cannot be guessed by trying."""
    window = 15 * 60
    await limit(conn, f"login-user:{username}", settings.login_attempts_per_user, window, "masuk")
    if request.client:
        await limit(
            conn, f"login-ip:{request.client.host}", settings.login_attempts_per_ip, window, "masuk"
        )
    try:
        actor = await authenticate(conn, username, password)
    except BadCredentials:
        raise HTTPException(
            401, detail="wrong username or password", headers={"WWW-Authenticate": "Bearer"}
        ) from None
    return Token(
        access_token=issue_token(actor, settings.token_secret, settings.token_ttl_s),
        expires_in=settings.token_ttl_s,
        username=actor.username,
        site_id=actor.site_id,
        role=actor.role,
        counter_ids=list(actor.counter_ids),
    )
