"""GET /health: 200 when PostgreSQL and Kafka answer, 503 naming what is down."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    app_state = request.app.state
    database = "down"
    pool = getattr(app_state, "pool", None)
    if pool is not None:
        try:
            async with asyncio.timeout(2):
                async with pool.acquire() as conn:
                    await conn.fetchval("SELECT 1")
            database = "ok"
        except Exception:
            database = "down"
    broker = "down"
    try:
        if await app_state.broker.ping(2.0):
            broker = "ok"
    except Exception:
        broker = "down"
    ok = database == "ok" and broker == "ok"
    body: dict[str, Any] = {
        "status": "ok" if ok else "degraded",
        "service": "notifier",
        "database": database,
        "broker": broker,
        "sms_provider": app_state.settings.sms_provider,
        "channels": list(app_state.settings.channels),
    }
    if not ok:
        body["down"] = [name for name in ("database", "broker") if body[name] != "ok"]
    return JSONResponse(body, status_code=200 if ok else 503)
