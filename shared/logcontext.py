"""Structured logs: what a log line knows about the event, ticket and trace it belongs to,
one JSON object per line (LOG_FORMAT=json), and no phone number in any line.

The consumers, the relay and the HTTP middleware (shared/observability.py) set the
context; every log record emitted meanwhile carries it:

    with log_context(event_id=..., ticket_id=...):
        log.info("...")   # → {"ts": …, "event_id": "…", "ticket_id": "…", "trace_id": "…"}

This module imports only the OpenTelemetry API (no SDK): it is cheap to load.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from shared.phone import InvalidPhone, mask_phone, normalise_phone

# kept as given, made text when a record is logged (most handled events log nothing)
_event_id: ContextVar[object | None] = ContextVar("log_event_id", default=None)
_ticket_id: ContextVar[object | None] = ContextVar("log_ticket_id", default=None)
_request_scope: ContextVar[Mapping[str, Any] | None] = ContextVar("log_request", default=None)


@contextmanager
def log_context(*, event_id: object = None, ticket_id: object = None) -> Iterator[None]:
    """Log records emitted inside carry `event_id` / `ticket_id` (None leaves them as they are)."""
    tokens = []
    if event_id is not None:
        tokens.append((_event_id, _event_id.set(event_id)))
    if ticket_id is not None:
        tokens.append((_ticket_id, _ticket_id.set(ticket_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


@contextmanager
def request_context(scope: Mapping[str, Any]) -> Iterator[None]:
    """The HTTP request being served: its route's `ticket_id` path parameter, once the router
    has matched it (read when a record is logged, so lines logged by the endpoint have it)."""
    token = _request_scope.set(scope)
    try:
        yield
    finally:
        _request_scope.reset(token)


def current_log_context() -> dict[str, str]:
    """event_id, ticket_id and trace_id/span_id where known."""
    found: dict[str, str] = {}
    if (event_id := _event_id.get()) is not None:
        found["event_id"] = str(event_id)
    ticket_id = _ticket_id.get()
    if ticket_id is None and (scope := _request_scope.get()) is not None:
        params = scope.get("path_params") or {}
        if "ticket_id" in params:
            ticket_id = params["ticket_id"]
    if ticket_id is not None:
        found["ticket_id"] = str(ticket_id)
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        found["trace_id"] = format(span.trace_id, "032x")
        found["span_id"] = format(span.span_id, "016x")
    return found


# +62 / 62 followed by 8-12 more digits, or 08… (mobile), with optional separators; not
# inside a word or number, nor a UUID's group (hex digit, dash).
_PHONE = re.compile(
    r"(?<![\w+])(?<![0-9a-fA-F]-)(?:\+62[ .\-]?\d|(?:62|0)[ .\-]?8)(?:[ .\-]?\d){7,11}(?!\d)"
)


def _mask_one(match: re.Match[str]) -> str:
    raw = match.group(0)
    try:
        return mask_phone(normalise_phone(raw))
    except InvalidPhone:
        return mask_phone(re.sub(r"\D", "", raw))


def mask_phones(text: str) -> str:
    """Every Indonesian phone number in `text` masked as shared.phone.mask_phone does."""
    return _PHONE.sub(_mask_one, text)


class PhoneMaskFilter(logging.Filter):
    """Masks phone numbers in the message and the traceback of every record it sees.

    Attach it to the handler (a logger's filters do not see its children's records)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the formatter to report
            return True
        masked = mask_phones(message)
        if masked != message or record.args:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_phones(record.stack_info)
        return True


class ContextFilter(logging.Filter):
    """Adds event_id / ticket_id / trace_id (as attributes) to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in current_log_context().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


_CONTEXT_KEYS = ("event_id", "ticket_id", "trace_id", "span_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, service, logger, message, and the context."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _CONTEXT_KEYS:
            if (value := getattr(record, key, None)) is not None:
                line[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The development format, with the context appended when there is some."""

    def __init__(self, service: str) -> None:
        super().__init__(f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extra = " ".join(
            f"{key}={value}"
            for key in ("event_id", "ticket_id", "trace_id")
            if (value := getattr(record, key, None)) is not None
        )
        if not extra:
            return text
        first, newline, rest = text.partition("\n")
        return f"{first} [{extra}]{newline}{rest}"
