"""HTTP hardening every service can wrap its app in: a request body size limit and the
headers an API answer should carry. CORS stays closed unless origins are configured."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class BodyTooLarge(Exception):
    pass


class RequestLimits:
    """413 for a request body over `max_bytes` — by Content-Length up front, or counted as
    it streams in (chunked bodies) — and nosniff/no-referrer on every answer."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await _too_large(send, self.max_bytes)
                return
        seen = 0
        exceeded = False
        answered = False

        async def limited_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal answered
            if exceeded:
                # the app failed reading the body (it may answer 400): answer 413 instead
                if not answered:
                    answered = True
                    await _too_large(send, self.max_bytes)
                return
            if message["type"] == "http.response.start":
                answered = True
                names = {n.lower() for n, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in API_HEADERS if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if not answered:
                answered = True
                await _too_large(send, self.max_bytes)


async def _too_large(send: Send, max_bytes: int) -> None:
    body = f'{{"detail": "request body larger than {max_bytes} bytes"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *API_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def harden(app: Starlette, *, max_body_bytes: int, cors_origins: Sequence[str] = ()) -> None:
    """Add the body limit and API headers to `app`; CORS only for the configured origins
    (none by default: browsers then refuse cross-site calls to the API)."""
    app.add_middleware(RequestLimits, max_bytes=max_body_bytes)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )
