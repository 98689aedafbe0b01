"""W3C trace context across the outbox: the traceparent a request's events are recorded
with, and the context the relay restores while it publishes them. Light to import (the
OpenTelemetry API only): the outbox's writers import it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from opentelemetry import context as otel_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.logcontext import log_context

PROPAGATOR = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, or None when nothing is traced."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def event_ids(payload: bytes) -> tuple[Any, Any]:
    """(event_id, ticket_id) of an event's JSON, None where absent or unreadable."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    return data.get("event_id"), data.get("ticket_id")


@contextmanager
def outgoing_event(payload: bytes, traceparent: str | None) -> Iterator[None]:
    """While the relay publishes one outbox event: the trace of the request that recorded it
    is current (FastStream's producer spans continue it and put it in the Kafka headers),
    and its ids are the log context."""
    event_id, ticket_id = event_ids(payload)
    with continued_trace(traceparent, event_id=event_id, ticket_id=ticket_id):
        yield


@contextmanager
def continued_trace(
    traceparent: str | None, *, event_id: object = None, ticket_id: object = None
) -> Iterator[None]:
    """Work done later for something recorded under `traceparent` (an outbox row, a queued
    message): that trace is current, so log lines carry its trace_id and spans continue
    it, and the ids are the log context."""
    token = None
    if traceparent:
        token = otel_context.attach(PROPAGATOR.extract({"traceparent": traceparent}))
    try:
        with log_context(event_id=event_id, ticket_id=ticket_id):
            yield
    finally:
        if token is not None:
            otel_context.detach(token)
