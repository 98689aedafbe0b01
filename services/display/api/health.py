"""GET /health: 200 when Kafka answers, 503 (status "degraded") when it does not."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    state = request.app.state
    broker = "down"
    try:
        if await state.broker.ping(2.0):
            broker = "ok"
    except Exception:
        broker = "down"
    ok = broker == "ok"
    outcomes = state.consumption.outcomes
    body: dict[str, Any] = {
        "status": "ok" if ok else "degraded",
        "service": "display",
        "broker": broker,
        "events": {
            "applied": outcomes["applied"],
            "duplicates": outcomes["duplicate"],
            "earlier_day": outcomes["earlier_day"],
            "dead_lettered": outcomes["dead_lettered"],
            "failed": outcomes["failed"],
        },
        "sse_clients": state.boards.hub.clients(),
    }
    if not ok:
        body["down"] = ["broker"]
    return JSONResponse(body, status_code=200 if ok else 503)
