"""HTTP hardening every service can wrap its app in: a request body size limit, the
headers an API answer should carry, and a 422 for text that is not valid Unicode. CORS
stays closed unless origins are configured."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from urllib.parse import unquote_to_bytes

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


# -- bad text ------------------------------------------------------------------------------

Loc = list[str | int]

BAD_TEXT = "teks bukan Unicode yang sah (misalnya surrogate tunggal seperti \\ud800)"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_JSON_TYPES = re.compile(r"^application/([\w.+-]+\+)?json\b", re.IGNORECASE)
_FORM_TYPE = "application/x-www-form-urlencoded"


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: UTF-8 (and PostgreSQL) cannot hold it
        return False
    return True


def _shown(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def bad_pair_in(encoded: bytes, where: str) -> Loc | None:
    """Where a `name=value&…` string (query, form body) holds bytes that are not UTF-8:
    [where, name], or None when all of it is text."""
    if encoded.isascii() and b"%" not in encoded:  # the usual case: plain ASCII
        return None
    for pair in encoded.split(b"&"):
        name, _, value = pair.partition(b"=")
        name_text = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
        for part in (name, value):
            try:
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                return [where, name_text]
    return None


def bad_text_in_json(body: bytes) -> Loc | None:
    """Where a JSON body holds text that is not Unicode: ["body", field, …] for a string
    (or key) with a lone surrogate escape, ["body"] for bytes that are not UTF-8/16/32.
    None when it is all text, and for a body that is not JSON (the app answers that)."""
    try:
        text = body.decode(json.detect_encoding(body))
    except UnicodeDecodeError:
        return ["body"]
    if not _SURROGATE_ESCAPE.search(text):  # the fast path: no \uD800-\uDFFF escape at all
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[object, Loc]] = [(data, ["body"])]
    while stack:  # no recursion: the nesting is the caller's choice
        value, loc = stack.pop()
        if isinstance(value, str) and not _is_unicode(value):
            return loc
        if isinstance(value, dict):
            for key, item in value.items():
                if not _is_unicode(key):
                    return [*loc, _shown(key)]
                stack.append((item, [*loc, key]))
        elif isinstance(value, list):
            stack.extend((item, [*loc, i]) for i, item in enumerate(value))
    return None


class RefuseBadText:
    """422 naming the field when a request carries text that is not valid Unicode: a path
    or query parameter or form field whose bytes are not UTF-8, a JSON string with a lone
    surrogate (`"\\ud800"`), a JSON body that is not UTF-8. Such text cannot be stored
    (PostgreSQL), logged or answered (UTF-8), so deep in the app it became a 500; here it is
    the caller's error, found once for every route of every service. JSON and form bodies
    are read whole first (the app would read them whole too) and handed on as read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loc = _bad_text_in_url(scope)
        if loc is None and scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
            loc, receive = await _bad_text_in_body(scope, receive)
        if loc is None:
            await self.app(scope, receive, send)
            return
        error = {"type": "string_unicode", "loc": loc, "msg": BAD_TEXT}
        await _answer(send, 422, {"detail": [error]})


def _bad_text_in_url(scope: Scope) -> Loc | None:
    raw_path: bytes = scope.get("raw_path") or b""
    try:
        if not raw_path.isascii() or b"%" in raw_path:
            unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        return ["path"]
    return bad_pair_in(scope.get("query_string", b""), "query")


async def _bad_text_in_body(scope: Scope, receive: Receive) -> tuple[Loc | None, Receive]:
    content_type = None
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            content_type = value.decode("latin-1")
    if content_type is not None and content_type.lower().startswith(_FORM_TYPE):
        body, receive = await _read_whole(receive)
        return bad_pair_in(body, "body"), receive
    if content_type is None or _JSON_TYPES.match(content_type):
        body, receive = await _read_whole(receive)
        loc = bad_text_in_json(body) if body else None
        if content_type is None and loc == ["body"]:
            loc = None  # not declared JSON: its bytes are not ours to judge
        return loc, receive
    return None, receive


async def _read_whole(receive: Receive) -> tuple[bytes, Receive]:
    """The request body, and a `receive` that hands it on in one message."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            first: Message | None = message
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            first = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            break
    body = first.get("body", b"") if first else b""

    async def replay() -> Message:
        nonlocal first
        if first is not None:
            message, first = first, None
            return message
        return await receive()

    return body, replay


async def _answer(send: Send, status: int, content: object) -> None:
    body = json.dumps(content, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *API_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def harden(app: Starlette, *, max_body_bytes: int, cors_origins: Sequence[str] = ()) -> None:
    """Add the bad-text check, the body limit and API headers to `app` (the limit outside,
    so no more than `max_body_bytes` is ever read); CORS only for the configured origins
    (none by default: browsers then refuse cross-site calls to the API)."""
    app.add_middleware(RefuseBadText)
    app.add_middleware(RequestLimits, max_bytes=max_body_bytes)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Ticket-Key"],
        )
