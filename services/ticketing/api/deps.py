"""What every route needs: a pooled connection, the settings, and the caller's identity."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from services.ticketing.actors import Actor
from services.ticketing.auth import (
    InvalidToken,
    ServiceCaller,
    service_caller,
    staff_actor,
)
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


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def actor(
    token: Annotated[str | None, Depends(_bearer)],
    config: Annotated[TicketingSettings, Depends(settings)],
    conn: Annotated[Connection, Depends(connection)],
) -> Actor:
    """The staff account the token names, read now: a demoted, moved or deactivated
    account's old token follows the change at once, not when it expires."""
    if not token:
        raise _unauthorized("perlu token petugas yang sah (Authorization: Bearer)")
    try:
        return await staff_actor(conn, token, config.token_secret)
    except InvalidToken:
        raise _unauthorized("token petugas tidak sah, kedaluwarsa, atau akunnya nonaktif") from None


async def service(
    token: Annotated[str | None, Depends(_bearer)],
    config: Annotated[TicketingSettings, Depends(settings)],
) -> ServiceCaller:
    """Another service of this deployment (role `service`), e.g. the notifier."""
    if not token:
        raise _unauthorized("perlu token layanan (Authorization: Bearer)")
    try:
        return service_caller(token, config.token_secret)
    except InvalidToken:
        raise _unauthorized("token layanan tidak sah atau kedaluwarsa") from None


Db = Annotated[Connection, Depends(connection)]
Operator = Annotated[Actor, Depends(actor)]
Settings = Annotated[TicketingSettings, Depends(settings)]
Service = Annotated[ServiceCaller, Depends(service)]
