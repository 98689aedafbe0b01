"""Complaints and suggestions (pengaduan, saran) of citizens, answered by the site's staff.

A citizen files one from the page `/pengaduan/{site}` — anonymously, or linked to their
ticket, with a phone number for a reply if they wish. Filing is rate-limited per client
address (`PER_HOUR`), counted in the database so every replica shares the limit; the
address is kept only as a keyed hash. The site's supervisor (or an admin) reads and answers
them: received → in_process → resolved, each step with its time and an entry in the audit
log. Phone numbers are stored normalised and shown masked everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from services.ticketing.actors import Actor, require_supervisor
from services.ticketing.domain.tickets import local_day_span
from services.ticketing.errors import InvalidRequest, NotFound
from services.ticketing.export import csv_table
from services.ticketing.repositories import audit
from services.ticketing.repositories import complaints as stored
from services.ticketing.repositories import sites as repo
from services.ticketing.repositories import tickets as ticket_rows
from services.ticketing.repositories.complaints import Complaint, NewComplaint
from shared.database import Connection
from shared.phone import mask_phone

PER_HOUR = 5
"""Complaints one client address may file per hour (a family at one phone, not a flood)."""
WINDOW = timedelta(hours=1)

STATUSES = ("received", "in_process", "resolved")
STATUS_ID = {"received": "Diterima", "in_process": "Diproses", "resolved": "Selesai"}
KIND_LAPOR = {"complaint": "Pengaduan", "suggestion": "Aspirasi"}
LAPOR_COLUMNS = [
    "tanggal",
    "judul",
    "isi laporan",
    "kategori",
    "instansi tujuan",
    "lokasi",
    "status",
    "tanggapan",
    "nomor",
    "kontak",
]


class RateLimited(Exception):
    """Too many complaints from this address this hour (HTTP 429 with Retry-After)."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            f"at most {PER_HOUR} complaints per hour from one address; "
            f"try again in {max(1, retry_after_s // 60)} minutes"
        )
        self.retry_after_s = retry_after_s


class ComplaintClosed(Exception):
    """The complaint is already resolved (HTTP 409)."""


def client_key(site_id: str, address: str, secret: str) -> str:
    """A keyed hash of the client's address at this site: enough to count, not enough to
    recover it."""
    message = f"complaint:{site_id}:{address}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def _public(c: Complaint) -> dict[str, Any]:
    """A complaint as staff see it: the phone masked."""
    return {
        "id": c.id,
        "number": c.number,
        "site_id": c.site_id,
        "kind": c.kind,
        "text": c.text,
        "ticket_id": c.ticket_id,
        "ticket_number": c.ticket_number,
        "service_id": c.service_id,
        "service_name": c.service_name,
        "agency_id": c.agency_id,
        "agency_name": c.agency_name,
        "contact_phone": mask_phone(c.contact_phone) if c.contact_phone else None,
        "status": c.status,
        "received_at": c.received_at,
        "in_process_at": c.in_process_at,
        "resolved_at": c.resolved_at,
        "resolution_s": None
        if c.resolved_at is None
        else round((c.resolved_at - c.received_at).total_seconds()),
    }


async def file_complaint(
    conn: Connection,
    site_id: str,
    kind: str,
    text: str,
    ticket_id: UUID | None,
    phone: str | None,
    agency_id: str | None,
    client_address: str,
    secret: str,
) -> dict[str, Any]:
    """File a complaint or suggestion (phone already normalised). Raises RateLimited."""
    key = client_key(site_id, client_address, secret)
    async with conn.transaction():
        if await repo.site(conn, site_id) is None:
            raise NotFound("site not found")
        service_id = None
        if ticket_id is not None:
            ticket = await ticket_rows.ticket(conn, ticket_id)
            if ticket is None or ticket["site_id"] != site_id:
                raise InvalidRequest("ticket_id", "no such ticket at this site")
            service_id = ticket["service_id"]
            service = await repo.service(conn, site_id, service_id)
            agency_id = service["agency_id"] if service else agency_id
        elif agency_id is not None and not await stored.agency_exists(conn, site_id, agency_id):
            raise InvalidRequest("agency_id", "no such agency at this site")
        await stored.lock_client(conn, key)
        recent = await stored.recent(conn, key, WINDOW)
        if recent.n >= PER_HOUR:
            assert recent.oldest is not None
            wait = recent.oldest + WINDOW - recent.now
            raise RateLimited(max(1, int(wait.total_seconds()) + 1))
        seq = await stored.next_number(conn, site_id)
        complaint_id = uuid.uuid4()
        await stored.insert(
            conn,
            NewComplaint(
                id=complaint_id,
                site_id=site_id,
                number=f"ADU-{seq:06d}",
                kind=kind,
                text=text.strip(),
                ticket_id=ticket_id,
                service_id=service_id,
                agency_id=agency_id,
                contact_phone=phone,
                client_key=key,
            ),
        )
        row = await stored.complaint(conn, complaint_id)
    assert row is not None
    # the citizen learns the number and status, never anything stored about others
    return {
        "id": row.id,
        "number": row.number,
        "kind": row.kind,
        "status": row.status,
        "received_at": row.received_at,
    }


async def list_complaints(
    conn: Connection,
    actor: Actor,
    site_id: str,
    status: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    require_supervisor(actor, site_id)
    if await repo.site(conn, site_id) is None:
        raise NotFound("site not found")
    return [_public(c) for c in await stored.site_complaints(conn, site_id, status, limit, offset)]


async def _answers(conn: Connection, complaint_id: UUID) -> list[dict[str, Any]]:
    return [asdict(a) for a in await stored.answers(conn, complaint_id)]


async def get_complaint(conn: Connection, actor: Actor, complaint_id: UUID) -> dict[str, Any]:
    row = await stored.complaint(conn, complaint_id)
    if row is None:
        raise NotFound("complaint not found")
    require_supervisor(actor, row.site_id)
    return {**_public(row), "answers": await _answers(conn, complaint_id)}


async def answer(
    conn: Connection, actor: Actor, complaint_id: UUID, text: str, status: str
) -> dict[str, Any]:
    """Answer a complaint and move it to in_process or resolved (a resolved one is closed)."""
    if status not in ("in_process", "resolved"):
        raise InvalidRequest("status", "status must be in_process or resolved")
    async with conn.transaction():
        before = await stored.lock(conn, complaint_id)
        if before is None:
            raise NotFound("complaint not found")
        require_supervisor(actor, before.site_id)
        if before.status == "resolved":
            raise ComplaintClosed("this complaint is already resolved")
        await stored.set_status(conn, complaint_id, status)
        await stored.add_answer(conn, complaint_id, actor.username, status, text.strip())
        await audit.record(
            conn,
            site_id=before.site_id,
            actor=actor.username,
            role=actor.role,
            action="complaint.answer",
            target=before.number,
            before={"status": before.status},
            after={"status": status, "answer": text.strip()},
        )
        row = await stored.complaint(conn, complaint_id)
    assert row is not None
    return {**_public(row), "answers": await _answers(conn, complaint_id)}


def _local(masked: str) -> str:
    """'+62812*****890' → '0812*****890': how a clerk writes it, and a leading '+' would
    make a spreadsheet read the cell as a formula."""
    return "0" + masked[3:] if masked.startswith("+62") else masked


def _title(kind: str, service: str | None, text: str) -> str:
    head = " ".join(text.split())
    head = head if len(head) <= 60 else head[:57].rstrip() + "..."
    what = "Pengaduan" if kind == "complaint" else "Saran"
    return f"{what} layanan {service}: {head}" if service else f"{what}: {head}"


async def lapor_csv(
    conn: Connection, actor: Actor, site_id: str, first: date | None, last: date | None
) -> bytes:
    """The site's complaints in the columns SP4N-LAPOR! asks for, to carry there by hand."""
    require_supervisor(actor, site_id)
    site = await repo.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    zone = ZoneInfo(site["timezone"])
    start = local_day_span(first, site["timezone"])[0] if first else None
    end = local_day_span(last, site["timezone"])[1] if last else None
    rows = await stored.received_between(conn, site_id, start, end)
    answers = await stored.site_answer_texts(conn, site_id)
    return csv_table(
        LAPOR_COLUMNS,
        (
            (
                r.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                _title(r.kind, r.service_name, r.text),
                r.text,
                KIND_LAPOR[r.kind],
                r.agency_name or site["name"],
                site["name"],
                STATUS_ID[r.status],
                " | ".join(answers.get(r.id, [])),
                r.number,
                _local(mask_phone(r.contact_phone)) if r.contact_phone else "",
            )
            for r in rows
        ),
    )
