"""Operators' view of the SMS queue (an extension of CONTRACT.md); phones are masked."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from services.notifier import repository
from shared.phone import mask_phone

router = APIRouter(prefix="/api")


@router.get("/messages")
async def messages_of_ticket(request: Request, ticket_id: UUID) -> dict[str, Any]:
    async with request.app.state.pool.acquire() as conn:
        rows = await repository.messages_of_ticket(conn, ticket_id)
    return {
        "ticket_id": str(ticket_id),
        "messages": [
            {
                "id": r["id"],
                "event_id": str(r["event_id"]),
                "kind": r["kind"],
                "to": mask_phone(r["phone"]),
                "text": r["text"],
                "status": r["status"],
                "attempts": r["attempts"],
                "next_attempt_at": r["next_attempt_at"].isoformat(),
                "last_error": r["last_error"],
                "created_at": r["created_at"].isoformat(),
                "sent_at": r["sent_at"].isoformat() if r["sent_at"] else None,
            }
            for r in rows
        ],
    }


@router.get("/stats")
async def stats(request: Request) -> dict[str, Any]:
    async with request.app.state.pool.acquire() as conn:
        rows = await repository.message_counts(conn)
    by_status: dict[str, int] = {"pending": 0, "sending": 0, "sent": 0, "failed": 0}
    by_kind: dict[str, dict[str, int]] = {}
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + r["n"]
        by_kind.setdefault(r["kind"], {})[r["status"]] = r["n"]
    consumer = request.app.state.consumer
    return {
        "messages": by_status,
        "by_kind": by_kind,
        "consumer": {
            "handled": consumer.handled,
            "duplicates": consumer.duplicates,
            "dead_lettered": consumer.dead_lettered,
            "consecutive_failures": consumer.consecutive_failures,
        },
    }
