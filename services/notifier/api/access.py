"""The notifier's HTTP API is for staff (CONTRACT.md "Who may do what"): every path but the
open ones below needs the bearer token of a supervisor or admin, checked with ticketing.

Default deny: a middleware, so a route added later is closed unless it is listed here.
The site a supervisor may read is checked by the route itself (`site_allowed`), since only
the route knows whose data it answers with.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from services.notifier.staff import StaffDirectory, StaffMember, TicketingUnavailable, may_read_site

log = logging.getLogger("notifier.access")

OPEN_PATHS = frozenset({"/health", "/metrics", "/openapi.json", "/asyncapi.json"})
OPEN_PREFIXES = ("/docs/", "/webhooks/")
"""Swagger UI (/docs and its static files) and the messaging channels' webhooks, which
check their own signatures."""

_STAFF = "notifier.staff"


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path == "/docs" or path.startswith(OPEN_PREFIXES)


def _refusal(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


class StaffOnly:
    """401 without a valid staff token, 403 for a staff member who is no supervisor or
    admin, 503 when ticketing cannot say; otherwise the request goes on with the staff
    member in its scope."""

    def __init__(self, app: ASGIApp, directory: StaffDirectory) -> None:
        self.app = app
        self.directory = directory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        answer = await self._check(_bearer(scope))
        if isinstance(answer, JSONResponse):
            await answer(scope, receive, send)
            return
        scope[_STAFF] = answer
        await self.app(scope, receive, send)

    async def _check(self, token: str | None) -> StaffMember | JSONResponse:
        unauthorized = {"WWW-Authenticate": "Bearer"}
        if token is None:
            return _refusal(401, "token staf wajib (Authorization: Bearer <token>)", unauthorized)
        try:
            staff = await self.directory.who(token)
        except TicketingUnavailable as exc:
            log.warning("cannot check a staff token: %s", exc)
            return _refusal(
                503,
                "token staf tidak dapat diperiksa: layanan tiket tidak menjawab",
                {"Retry-After": "5"},
            )
        if staff is None:
            return _refusal(401, "token staf tidak valid atau kedaluwarsa", unauthorized)
        if not may_read_site(staff, staff.site_id):
            return _refusal(403, "hanya supervisor atau admin yang boleh membuka ini")
        return staff


def _staff(request: Request) -> StaffMember:
    staff = request.scope.get(_STAFF)
    if not isinstance(staff, StaffMember):  # the middleware is missing: refuse, never open
        raise HTTPException(401, detail="token staf wajib")
    return staff


Staff = Annotated[StaffMember, Depends(_staff)]


def site_allowed(staff: StaffMember, site_id: str) -> None:
    """403 unless `staff` may read `site_id`'s data."""
    if not may_read_site(staff, site_id):
        raise HTTPException(403, detail=f"data situs {site_id!r} bukan untuk akun ini")
