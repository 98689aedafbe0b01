"""Enrolled kiosks: a site's supervisor (or an admin) enrols, lists and revokes them; and
the check of who asks for a kiosk ticket or a check-in (`IssuingCaller`, `CheckInCaller`).

A kiosk-channel ticket without a live kiosk token answers 401 before anything else of the
request is looked at, even a body that is not JSON: the check runs in `KioskFirst`, the
route class of the issuing route, ahead of FastAPI's own body parsing."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.ticketing import kiosks
from services.ticketing.api.deps import DatabaseUnavailable, Db, Operator

router = APIRouter(tags=["kiosks"])

_AUTH: dict[int | str, dict[str, str]] = {
    401: {"description": "No valid staff token"},
    403: {"description": "Not a supervisor of this site (or not an admin)"},
    404: {"description": "Unknown site or kiosk"},
}

KIOSK_REFUSALS: dict[int | str, dict[str, str]] = {
    401: {
        "description": "A kiosk call on a site that requires enrolled kiosks, without a live "
        "kiosk token of that site (checked first)"
    },
    429: {"description": "The kiosk issued its tickets per minute (Retry-After)"},
}


class NewKiosk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, description="e.g. Kiosk lobi utara")

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("nama kiosk tidak boleh kosong")
        return value.strip()


class Kiosk(BaseModel):
    id: UUID
    site_id: str
    name: str
    enrolled_at: datetime
    enrolled_by: str
    revoked_at: datetime | None
    revoked_by: str | None


class EnrolledKiosk(Kiosk):
    token: str = Field(description="Shown this once: the kiosk sends it as Bearer token")


@router.post(
    "/api/sites/{site_id}/kiosks", status_code=201, response_model=EnrolledKiosk, responses=_AUTH
)
async def enrol(site_id: str, body: NewKiosk, conn: Db, actor: Operator) -> dict[str, Any]:
    """Enrol a kiosk of the site (supervisor); its token is in this answer only."""
    return await kiosks.enrol(conn, actor, site_id, body.name)


@router.get("/api/sites/{site_id}/kiosks", response_model=list[Kiosk], responses=_AUTH)
async def site_kiosks(site_id: str, conn: Db, actor: Operator) -> list[dict[str, Any]]:
    """The site's kiosks, live and revoked (supervisor); no tokens."""
    return await kiosks.site_kiosks(conn, actor, site_id)


@router.delete("/api/sites/{site_id}/kiosks/{kiosk_id}", response_model=Kiosk, responses=_AUTH)
async def revoke(site_id: str, kiosk_id: UUID, conn: Db, actor: Operator) -> dict[str, Any]:
    """Revoke a kiosk (supervisor): its token stops working at once."""
    return await kiosks.revoke(conn, actor, site_id, kiosk_id)


# --- who asks for a ticket ------------------------------------------------------------------


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def kiosk_channel(body: bytes) -> bool:
    """Whether an issuing body asks for a kiosk or mobile ticket: anything but a JSON object
    whose channel is "online" (an omitted channel means kiosk)."""
    try:
        data = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return True
    return not (isinstance(data, dict) and data.get("channel") == "online")


class KioskFirst(APIRoute):
    """The issuing route: who asks is known (or refused) before FastAPI reads the body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def identified(request: Request) -> Response:
            pool = getattr(request.app.state, "pool", None)
            if pool is None:
                raise DatabaseUnavailable("database not connected yet")
            async with pool.acquire() as conn:
                request.state.caller = await kiosks.identify(
                    conn,
                    request.path_params["site_id"],
                    request.headers.get("authorization"),
                    _address(request),
                    kiosk_call=kiosk_channel(await request.body()),
                )
            return await handler(request)

        return identified


async def _issuing_caller(
    request: Request,
    authorization: Annotated[
        str | None, Header(description="Bearer <kiosk token>: kiosk and mobile tickets")
    ] = None,
) -> kiosks.Caller:
    caller: kiosks.Caller = request.state.caller  # set by KioskFirst
    return caller


async def _check_in_caller(
    site_id: str,
    request: Request,
    conn: Db,
    authorization: Annotated[str | None, Header(description="Bearer <kiosk token>")] = None,
) -> kiosks.Caller:
    return await kiosks.identify(conn, site_id, authorization, _address(request), kiosk_call=True)


IssuingCaller = Annotated[kiosks.Caller, Depends(_issuing_caller)]
CheckInCaller = Annotated[kiosks.Caller, Depends(_check_in_caller)]
