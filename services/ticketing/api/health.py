"""GET /health: 200 when PostgreSQL and Kafka answer, 503 (status degraded) naming what is
down. Also reports the outbox: events waiting to be published and the oldest one's age."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    state = request.app.state
    body: dict[str, Any] = {"service": "ticketing", "database": "down", "broker": "down"}
    if state.pool is not None:
        try:
            async with asyncio.timeout(2):
                async with state.pool.acquire() as conn:
                    row = await conn.fetchrow(
                        """SELECT count(*) AS depth,
                                  extract(epoch FROM clock_timestamp() - min(created_at))
                                      AS oldest_s
                             FROM ticketing.outbox WHERE published_at IS NULL"""
                    )
            body["database"] = "ok"
            body["outbox"] = {
                "pending": row["depth"],
                "oldest_pending_s": round(float(row["oldest_s"] or 0.0), 3),
            }
        except Exception:
            body["database"] = "down"
    try:
        if await state.broker.ping(2.0):
            body["broker"] = "ok"
    except Exception:  # noqa: S110
        pass
    relay = state.relay
    body["relay"] = {
        "leader": relay.is_leader,
        "published": relay.published,
        "last_error": relay.last_error,
    }
    down = [name for name in ("database", "broker") if body[name] != "ok"]
    body["status"] = "degraded" if down else "ok"
    if down:
        body["down"] = down
    return JSONResponse(body, status_code=503 if down else 200)
