"""What every route needs: a pooled connection, the settings, and the caller's identity."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from services.ticketing.auth import verify_token
from services.ticketing.queue import Actor
from services.ticketing.settings import TicketingSettings
from shared.database import Connection

_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


class DatabaseUnavailable(Exception):
    pass


async def connection(request: Request) -> AsyncIterator[Connection]:
    pool = getattr(request.app.state, "pool", None)
    if pool is None:
        raise DatabaseUnavailable("database not connected yet")
    async with pool.acquire() as conn:
        yield conn


async def settings(request: Request) -> TicketingSettings:  # async: no thread pool hop
    value: TicketingSettings = request.app.state.settings
    return value


async def actor(
    token: Annotated[str | None, Depends(_bearer)],
    config: Annotated[TicketingSettings, Depends(settings)],
    conn: Annotated[Connection, Depends(connection)],
) -> Actor:
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail="a valid operator token is required",
        headers={"WWW-Authenticate": "Bearer"},
    )
    if not token:
        raise unauthorized
    try:
        who = verify_token(token, config.token_secret)
    except jwt.InvalidTokenError:
        raise unauthorized from None
    # a deactivated account's tokens stop working at once, not when they expire
    if not await conn.fetchval(
        "SELECT active FROM ticketing.staff WHERE username = $1", who.username
    ):
        raise unauthorized
    return who


Db = Annotated[Connection, Depends(connection)]
Operator = Annotated[Actor, Depends(actor)]
Settings = Annotated[TicketingSettings, Depends(settings)]
