"""The shared access log (shared/access_log.py) around a real Starlette app: by default a
fast 200 and the polling 401/404 are not logged, errors and slow requests are; ACCESS_LOG=all
logs every request. And every service's uvicorn runs behind it, with uvicorn's own off."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from services.display.app import create_app as display_app
from services.display.settings import DisplaySettings
from shared.access_log import AccessLog, AccessLogMode, worth_logging
from shared.serve import uvicorn_config

SLOW_S = 0.2


async def answer(request: Request) -> PlainTextResponse:
    status = int(request.query_params.get("status", "200"))
    await asyncio.sleep(float(request.query_params.get("sleep", "0")))
    if status == 599:
        raise RuntimeError("boom")
    return PlainTextResponse("ok", status_code=status)


async def logged(caplog: pytest.LogCaptureFixture, mode: AccessLogMode, *queries: str) -> list[str]:
    app = AccessLog(Starlette(routes=[Route("/x", answer)]), mode, SLOW_S)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="access"):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for query in queries:
                await client.get(f"/x?{query}")
    return [r.getMessage() for r in caplog.records if r.name == "access"]


async def test_by_default_a_fast_200_and_polling_refusals_are_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert (
        await logged(caplog, "errors", "status=200", "status=304", "status=401", "status=404") == []
    )


async def test_slow_requests_errors_and_other_refusals_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lines = await logged(caplog, "errors", "sleep=0.3", "status=409", "status=503", "status=599")
    assert len(lines) == 4, lines
    assert '"GET /x?sleep=0.3 HTTP/1.1" 200' in lines[0] and lines[0].endswith("s (slow)")
    assert " 409 " in lines[1] and " 503 " in lines[2]
    assert '"GET /x?status=599 HTTP/1.1" 500' in lines[3]  # an exception: uvicorn answers 500


async def test_access_log_all_logs_every_request(caplog: pytest.LogCaptureFixture) -> None:
    lines = await logged(caplog, "all", "status=200", "status=404", "status=401")
    assert [line.split('" ')[1].split()[0] for line in lines] == ["200", "404", "401"]


def test_the_rule() -> None:
    assert not worth_logging("errors", 200, 0.99, 1.0)
    assert worth_logging("errors", 200, 1.01, 1.0)
    assert worth_logging("errors", 404, 1.5, 1.0)  # slow even when quiet otherwise
    assert worth_logging("errors", 429, 0.0, 1.0) and worth_logging("errors", 500, 0.0, 1.0)
    assert worth_logging("all", 200, 0.0, 1.0)


def test_every_service_runs_behind_it_with_uvicorns_own_access_log_off() -> None:
    settings = DisplaySettings(_env_file=None, access_log="all", slow_request_s=2.5)
    config = uvicorn_config(settings, display_app(settings), 8003)
    assert config.access_log is False
    assert isinstance(config.app, AccessLog)
    assert (config.app.mode, config.app.slow_s) == ("all", 2.5)
    assert DisplaySettings(_env_file=None).access_log == "errors"
    assert DisplaySettings(_env_file=None).slow_request_s == 1.0
