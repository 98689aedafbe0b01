"""Server-Sent Events wire format (WHATWG HTML, "Server-sent events"): pure functions."""

from __future__ import annotations

import re

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _field_value(name: str, value: str) -> str:
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError(f"SSE {name} must be one line without NUL: {value!r}")
    return value


def frame(data: str, *, event: str | None = None, event_id: str | None = None) -> bytes:
    """One SSE event. `data` may span lines: each becomes a `data:` line, and the
    browser joins them back with "\\n", so the client reads `data` unchanged
    (a trailing line break aside, which the format cannot carry)."""
    lines: list[str] = []
    if event is not None:
        lines.append(f"event: {_field_value('event', event)}")
    if event_id is not None:
        lines.append(f"id: {_field_value('id', event_id)}")
    lines.extend(f"data: {line}" for line in _LINE_BREAK.split(data))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def retry(milliseconds: int) -> bytes:
    """Tell EventSource how long to wait before reconnecting."""
    return f"retry: {int(milliseconds)}\n\n".encode()


def comment(text: str = "") -> bytes:
    """A comment line: ignored by clients, keeps proxies and idle sockets alive."""
    return f": {_field_value('comment', text)}\n\n".encode()
