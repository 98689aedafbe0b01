"""Complaints and suggestions: citizens file them (no login, rate-limited per address),
the site's supervisor or an admin lists, reads, answers and exports them (SP4N-LAPOR!)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.ticketing import complaints
from services.ticketing.api.deps import Db, Operator, Settings
from services.ticketing.api.pages import _page
from services.ticketing.api.schemas import file_answer, optional_phone

router = APIRouter(tags=["complaints"])

_STAFF: dict[int | str, dict[str, str]] = {
    401: {"description": "No valid token"},
    403: {"description": "Not a supervisor of this site (or an admin)"},
    404: {"description": "Unknown site or complaint"},
}


class NewComplaint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["complaint", "suggestion"] = Field(description="pengaduan or saran")
    text: str = Field(min_length=5, max_length=4000)
    ticket_id: UUID | None = Field(default=None, description="The citizen's ticket, if any")
    agency_id: str | None = Field(default=None, max_length=64, description="Agency concerned")
    contact_phone: str | None = Field(
        default=None, max_length=32, description="For a reply (08…, 62…, +62…); optional"
    )

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if len(value.strip()) < 5:
            raise ValueError("tulis minimal beberapa kata")
        return value

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return optional_phone(value)


class ComplaintFiled(BaseModel):
    id: UUID
    number: str
    kind: str
    status: str
    received_at: datetime


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)
    status: Literal["in_process", "resolved"]


@router.get("/pengaduan/{site_id}", include_in_schema=False)
async def complaint_page(site_id: str, request: Request) -> Response:
    """The citizen's complaint and suggestion form (`?ticket=` links it to a ticket)."""
    return _page(request, "complaint.html")


@router.post(
    "/api/sites/{site_id}/complaints",
    status_code=201,
    response_model=ComplaintFiled,
    responses={
        404: {"description": "Unknown site"},
        422: {"description": "Invalid body"},
        429: {"description": "Too many from this address this hour (see Retry-After)"},
    },
)
async def file_complaint(
    site_id: str, body: NewComplaint, request: Request, conn: Db, settings: Settings
) -> Any:
    """A citizen files a complaint or a suggestion, anonymously or with their ticket."""
    address = request.client.host if request.client else "unknown"
    try:
        return await complaints.file_complaint(
            conn,
            site_id,
            body.kind,
            body.text,
            body.ticket_id,
            body.contact_phone,
            body.agency_id,
            address,
            settings.token_secret,
        )
    except complaints.RateLimited as exc:
        raise HTTPException(
            429, detail=str(exc), headers={"Retry-After": str(exc.retry_after_s)}
        ) from None


@router.get("/api/sites/{site_id}/complaints", responses=_STAFF)
async def list_complaints(
    site_id: str,
    conn: Db,
    actor: Operator,
    status: Literal["received", "in_process", "resolved"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """The site's complaints, newest first; phone numbers masked."""
    return await complaints.list_complaints(conn, actor, site_id, status, limit, offset)


@router.get(
    "/api/sites/{site_id}/complaints.csv",
    response_class=Response,
    responses=file_answer("text/csv", _STAFF),
)
async def export_complaints(
    site_id: str,
    conn: Db,
    actor: Operator,
    first: Annotated[date | None, Query(alias="from")] = None,
    last: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """CSV for SP4N-LAPOR!: tanggal, judul, isi laporan, kategori, instansi tujuan, lokasi,
    status, tanggapan, nomor, kontak (masked)."""
    body = await complaints.lapor_csv(conn, actor, site_id, first, last)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="pengaduan-{site_id}.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/api/complaints/{complaint_id}", responses=_STAFF)
async def get_complaint(complaint_id: UUID, conn: Db, actor: Operator) -> dict[str, Any]:
    """One complaint with its answers."""
    return await complaints.get_complaint(conn, actor, complaint_id)


@router.post(
    "/api/complaints/{complaint_id}/answer",
    responses={**_STAFF, 409: {"description": "Already resolved"}},
)
async def answer_complaint(
    complaint_id: UUID, body: Answer, conn: Db, actor: Operator
) -> dict[str, Any]:
    """Answer a complaint: in_process (still working on it) or resolved (closes it)."""
    try:
        return await complaints.answer(conn, actor, complaint_id, body.text, body.status)
    except complaints.ComplaintClosed as exc:
        raise HTTPException(409, detail=str(exc)) from None
