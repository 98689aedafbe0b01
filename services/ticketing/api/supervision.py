"""Supervisor (per site) and admin calls. 401 without a token, 403 without the role."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from services.ticketing import supervision
from services.ticketing.api.deps import Db, Operator, Settings

router = APIRouter(tags=["supervision"])

_AUTH: dict[int | str, dict[str, str]] = {
    401: {"description": "No valid token"},
    403: {"description": "Not a supervisor of this site (or not an admin)"},
    404: {"description": "Unknown site, service, counter or account"},
}


class CurrentTicket(BaseModel):
    ticket_id: UUID
    number: str
    service_id: str
    called_at: datetime | None
    call_count: int


class CounterBreakState(BaseModel):
    reason: str
    since: datetime


class CounterState(BaseModel):
    id: str
    name: str
    service_ids: list[str]
    call_order: str
    last_active_at: datetime | None
    paused: CounterBreakState | None = Field(description="The counter's break, if on one")
    current: CurrentTicket | None


class DayOverride(BaseModel):
    service_id: str
    day: date
    closed: bool
    quota: int | None


class QuotaChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quota: int | None = Field(ge=0, description="Today's daily quota; null: back to the standard")


class CounterAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_ids: list[str] = Field(min_length=1, max_length=30)
    call_order: Literal["longest_wait", "configured"] | None = None


class CounterAssigned(BaseModel):
    id: str
    service_ids: list[str]
    call_order: str


class Closing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(
        default=None, max_length=200, description="Why it closes (kept in the audit log)"
    )


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    before: Any
    after: Any


class StaffAccount(BaseModel):
    username: str
    site_id: str
    role: str
    counter_ids: list[str]
    active: bool
    source: str
    deployment_admin: bool = False


class NewStaff(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,62}$")
    site_id: str = Field(min_length=1, max_length=64)
    role: Literal["operator", "supervisor", "admin"]
    counter_ids: list[str] = Field(default_factory=list, max_length=30)
    password: str = Field(min_length=10, max_length=256, description="At least 10 characters")


class StaffChange(BaseModel):
    """Any of role, counters, password, active; what is set here outlives site reloads."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["operator", "supervisor", "admin"] | None = None
    counter_ids: list[str] | None = Field(default=None, max_length=30)
    password: str | None = Field(
        default=None, min_length=10, max_length=256, description="At least 10 characters"
    )
    active: bool | None = None


class Reloaded(BaseModel):
    loaded: list[str]


@router.get("/api/sites/{site_id}/counters", response_model=list[CounterState], responses=_AUTH)
async def counters(site_id: str, conn: Db, actor: Operator) -> list[dict[str, Any]]:
    """Every counter's state: what it serves and the ticket it has open (supervisor)."""
    return await supervision.counter_states(conn, actor, site_id)


@router.put(
    "/api/sites/{site_id}/counters/{counter_id}/services",
    response_model=CounterAssigned,
    responses=_AUTH,
)
async def reassign(
    site_id: str, counter_id: str, body: CounterAssignment, conn: Db, actor: Operator
) -> dict[str, Any]:
    """Change the services a counter calls (supervisor); kept until its site file changes."""
    return await supervision.reassign_counter(
        conn, actor, site_id, counter_id, body.service_ids, body.call_order
    )


@router.post(
    "/api/sites/{site_id}/services/{service_id}/close", response_model=DayOverride, responses=_AUTH
)
async def close_service(
    site_id: str, service_id: str, conn: Db, actor: Operator, body: Closing | None = None
) -> dict[str, Any]:
    """Stop issuing tickets for a service for the rest of today (supervisor); an optional
    body `{"reason"}` is kept in the audit log."""
    reason = body.reason.strip() if body and body.reason else None
    return await supervision.set_service_open(
        conn, actor, site_id, service_id, open_now=False, reason=reason or None
    )


@router.post(
    "/api/sites/{site_id}/services/{service_id}/open", response_model=DayOverride, responses=_AUTH
)
async def open_service(site_id: str, service_id: str, conn: Db, actor: Operator) -> dict[str, Any]:
    """Issue tickets again for a service closed earlier today (supervisor)."""
    return await supervision.set_service_open(conn, actor, site_id, service_id, open_now=True)


@router.put(
    "/api/sites/{site_id}/services/{service_id}/quota-today",
    response_model=DayOverride,
    responses=_AUTH,
)
async def quota_today(
    site_id: str, service_id: str, body: QuotaChange, conn: Db, actor: Operator
) -> dict[str, Any]:
    """Change today's quota of a service (supervisor)."""
    return await supervision.set_quota_today(conn, actor, site_id, service_id, body.quota)


@router.get("/api/sites/{site_id}/audit", response_model=list[AuditEntry], responses=_AUTH)
async def audit(
    site_id: str,
    conn: Db,
    actor: Operator,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: Annotated[str | None, Query(max_length=64, description="Only this action")] = None,
    by: Annotated[
        str | None, Query(alias="actor", max_length=64, description="Only this staff member")
    ] = None,
    first: Annotated[
        date | None, Query(alias="from", description="From this day (the site's zone)")
    ] = None,
    last: Annotated[
        date | None, Query(alias="to", description="Up to this day (the site's zone)")
    ] = None,
) -> list[dict[str, Any]]:
    """The site's audit log, newest first (supervisor); filters are optional."""
    return await supervision.audit_log(
        conn, actor, site_id, limit, action=action or None, by=by or None, first=first, last=last
    )


@router.get("/api/admin/staff", response_model=list[StaffAccount], responses=_AUTH)
async def staff(conn: Db, actor: Operator, site_id: str | None = None) -> list[dict[str, Any]]:
    """Staff accounts, of one site or all (admin)."""
    return await supervision.list_staff(conn, actor, site_id)


@router.post("/api/admin/staff", status_code=201, response_model=StaffAccount, responses=_AUTH)
async def create_staff(body: NewStaff, conn: Db, actor: Operator) -> dict[str, Any]:
    """Add a staff account (admin)."""
    return await supervision.create_staff(
        conn, actor, body.username, body.site_id, body.role, body.counter_ids, body.password
    )


@router.put("/api/admin/staff/{username}", response_model=StaffAccount, responses=_AUTH)
async def update_staff(
    username: str, body: StaffChange, conn: Db, actor: Operator
) -> dict[str, Any]:
    """Change an account (admin of its site): its tokens follow at their next use."""
    changes = body.model_dump(exclude_none=True)
    return await supervision.update_staff(conn, actor, username, changes)


@router.delete("/api/admin/staff/{username}", response_model=StaffAccount, responses=_AUTH)
async def deactivate_staff(username: str, conn: Db, actor: Operator) -> dict[str, Any]:
    """Deactivate a staff account: its tokens stop working at their next use (admin)."""
    return await supervision.deactivate_staff(conn, actor, username)


@router.post("/api/admin/sites/reload", response_model=Reloaded, responses=_AUTH)
async def reload_sites(conn: Db, actor: Operator, settings: Settings) -> dict[str, Any]:
    """Load new or changed site files now (admin)."""
    return {"loaded": await supervision.reload_sites(conn, actor, settings)}
