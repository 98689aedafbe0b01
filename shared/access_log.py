"""The access log of every service (uvicorn's own is off): by default only the requests
an operator needs to see, so pages' static files and polling do not drown the log.

- `ACCESS_LOG=errors` (default): a request is logged when its answer is a server error
  (≥ 500), a client error other than 401 and 404, or slow (headers sent after more than
  `SLOW_REQUEST_S`, default 1.0 s). 401 and 404 are left out because polling produces them
  in bulk and they are expected: a kiosk or board whose token expired polls with it until
  it pairs again, a tracking page polls a ticket that was purged. Every other 4xx
  (400, 403, 409, 422, 429…) is a refusal worth seeing.
- `ACCESS_LOG=all`: every request, as uvicorn logs it.

The time measured is until the response's headers: a Server-Sent Events stream stays open
for hours, which is not slowness.
"""

from __future__ import annotations

import logging
import time
from typing import Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

AccessLogMode = Literal["errors", "all"]
QUIET_CLIENT_ERRORS = frozenset({401, 404})

log = logging.getLogger("access")


def worth_logging(mode: AccessLogMode, status: int, seconds: float, slow_s: float) -> bool:
    """Whether a request answered `status` after `seconds` goes to the access log."""
    if mode == "all" or seconds > slow_s or status >= 500:
        return True
    return 400 <= status < 500 and status not in QUIET_CLIENT_ERRORS


class AccessLog:
    """ASGI middleware: one line per HTTP request `worth_logging`, in uvicorn's format plus
    the time to the headers: `client - "GET /path HTTP/1.1" 500 1.234s`."""

    def __init__(self, app: ASGIApp, mode: AccessLogMode = "errors", slow_s: float = 1.0) -> None:
        self.app = app
        self.mode = mode
        self.slow_s = slow_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered: list[float | int] = []  # [status, seconds] once the headers go

        async def send_noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered[:] = [int(message["status"]), time.perf_counter() - started]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        except BaseException:
            if not answered:  # uvicorn answers 500 for it
                answered[:] = [500, time.perf_counter() - started]
            raise
        finally:
            if answered:
                self._log(scope, int(answered[0]), float(answered[1]))

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        if not worth_logging(self.mode, status, seconds, self.slow_s):
            return
        client = scope.get("client")
        who = f"{client[0]}:{client[1]}" if client else "-"
        path = scope.get("path", "")
        query = scope.get("query_string", b"")
        target = f"{path}?{query.decode('latin-1')}" if query else path
        level = logging.WARNING if status >= 500 or seconds > self.slow_s else logging.INFO
        log.log(
            level,
            '%s - "%s %s HTTP/%s" %d %.3fs%s',
            who,
            scope.get("method", ""),
            target,
            scope.get("http_version", "1.1"),
            status,
            seconds,
            " (slow)" if seconds > self.slow_s else "",
        )
