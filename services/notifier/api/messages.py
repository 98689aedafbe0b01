"""Staff's view of the message queue, every channel (an extension of CONTRACT.md):
supervisors and admins, for their own site (api.access). Phones are masked, and no answer
holds a one-time code."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Request

from services.notifier import deliveries, repository
from services.notifier.api.access import Staff, site_allowed
from services.notifier.messages import history_error, history_text
from shared.phone import mask_phone

router = APIRouter(
    prefix="/api",
    responses={
        401: {"description": "No valid staff token (Authorization: Bearer)"},
        403: {"description": "Not a supervisor or admin, or another site's data"},
        503: {"description": "Ticketing, which checks staff tokens, does not answer"},
    },
)

STATUSES = ("pending", "sending", "accepted", "sent", "failed", "skipped")


def message_view(
    row: asyncpg.Record, handovers: list[dict[str, object]] | None = None
) -> dict[str, Any]:
    """One message as staff see it: its current channel (of its order), what that channel
    last reported, and every hand-over to a channel with its status."""
    channels = list(row["channels"] or [])
    index = row["channel_index"]
    return {
        "id": row["id"],
        "event_id": str(row["event_id"]),
        "kind": row["kind"],
        "to": mask_phone(row["phone"]),
        "text": history_text(row["kind"], row["text"]),
        "status": row["status"],
        "skipped_reason": row["skipped_reason"],
        "attempts": row["attempts"],
        "next_attempt_at": row["next_attempt_at"].isoformat(),
        "last_error": history_error(row["kind"], row["last_error"]),
        "created_at": row["created_at"].isoformat(),
        "sent_at": row["sent_at"].isoformat() if row["sent_at"] else None,
        "channels": channels,
        "channel": channels[index] if index < len(channels) else None,
        "delivery_status": row["delivery_status"],
        "deliveries": [
            {**d, "error": history_error(row["kind"], str(d["error"]) if d["error"] else None)}
            for d in handovers or []
        ],
    }


@router.get("/messages")
async def messages_of_ticket(request: Request, ticket_id: UUID, staff: Staff) -> dict[str, Any]:
    """The SMS of one ticket (or phone verification), oldest first; 403 when they belong to
    another site than the caller's."""
    async with request.app.state.pool.acquire() as conn:
        rows = await repository.messages_of_ticket(conn, ticket_id)
        for site_id in {r["site_id"] for r in rows}:
            site_allowed(staff, site_id)
        handovers = await deliveries.deliveries_of(conn, [r["id"] for r in rows])
    return {
        "ticket_id": str(ticket_id),
        "messages": [message_view(r, handovers.get(r["id"])) for r in rows],
    }


@router.get("/stats")
async def stats(request: Request, staff: Staff, site_id: str | None = None) -> dict[str, Any]:
    """Messages of one site (the caller's unless `site_id` names another they may read) by
    status and kind, and this process's consumer counters."""
    site = site_id or staff.site_id
    site_allowed(staff, site)
    async with request.app.state.pool.acquire() as conn:
        rows = await repository.message_counts(conn, site)
        by_channel_rows = await deliveries.channel_counts(conn, site)
    by_status: dict[str, int] = dict.fromkeys(STATUSES, 0)
    by_kind: dict[str, dict[str, int]] = {}
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + r["n"]
        by_kind.setdefault(r["kind"], {})[r["status"]] = r["n"]
    by_channel: dict[str, dict[str, int]] = {}
    for c in by_channel_rows:
        by_channel.setdefault(str(c["channel"]), {})[str(c["status"])] = int(str(c["n"]))
    consumption = request.app.state.consumption
    return {
        "site_id": site,
        "messages": by_status,
        "by_kind": by_kind,
        "by_channel": by_channel,
        "consumer": {
            "handled": consumption.outcomes["handled"],
            "duplicates": consumption.outcomes["duplicate"],
            "dead_lettered": consumption.outcomes["dead_lettered"],
            "consecutive_failures": consumption.consecutive_failures,
        },
    }
