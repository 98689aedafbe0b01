"""Metrics, traces, log context and the AsyncAPI document, wired into a service in one call:

    instrument(app, broker, "notifier", settings)

adds to the FastAPI app
- an ASGI middleware: the HTTP latency histogram by route template, an OpenTelemetry
  server span per request (continuing a `traceparent` the client sent), and the request
  as log context (a route's `ticket_id` lands in its log lines);
- `GET /metrics` (Prometheus text; see shared/metrics.py) and `GET /asyncapi.json`;

and to the FastStream broker
- KafkaTelemetryMiddleware: a consumer span per message, child of the `traceparent` header
  the relay copied from the ticket's outbox row, and producer spans that inject it;
- KafkaPrometheusMiddleware (faststream_* metrics, app_name = the service);

(the event's `event_id` / `ticket_id` as log context while a handler runs, and on its
consumer span: shared/consuming.py, which decodes the event).

Tracing is off unless OTEL_EXPORTER is `console` or `otlp` (or a test installs its own
SDK TracerProvider): without a provider the OpenTelemetry API is a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any, cast

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import REGISTRY, Gauge
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.asyncapi import asyncapi_document
from shared.logcontext import request_context
from shared.metrics import HTTP_REQUEST_DURATION, AppMetrics, ScrapeHook
from shared.settings import ServiceSettings
from shared.tracecontext import PROPAGATOR

log = logging.getLogger(__name__)

_TRACER_NAME = "antrian-mpp"
_UNTRACED_PATHS = frozenset({"/metrics", "/health", "/favicon.ico"})
_configured_exporters: set[str] = set()


# -- tracing -------------------------------------------------------------------------------


def configure_tracing(service: str, exporter: str) -> None:
    """Install the SDK TracerProvider with the chosen exporter (once per process)."""
    if exporter == "none" or exporter in _configured_exporters:
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        trace.set_tracer_provider(provider)
    span_exporter: SpanExporter
    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter()  # OTEL_EXPORTER_OTLP_ENDPOINT, … from the environment
    else:
        span_exporter = ConsoleSpanExporter(  # one JSON object per line, as the logs
            service_name=service, formatter=lambda span: span.to_json(indent=None) + "\n"
        )
    provider.add_span_processor(BatchSpanProcessor(span_exporter))
    _configured_exporters.add(exporter)
    log.info("tracing: spans go to %s", exporter)


# -- FastStream ----------------------------------------------------------------------------


def instrument_broker(broker: KafkaBroker, service: str) -> None:
    """Traces and faststream_* metrics on every subscriber and publisher of `broker` (also
    those registered before this call), outside the middlewares the broker has already
    (shared/consuming.py's, which puts the event's ids in the log context and on the
    consumer span: its dead letters and failures are traced and measured). The telemetry
    middleware is the outermost: the others run inside the consumer span."""
    broker.insert_middleware(KafkaPrometheusMiddleware(registry=REGISTRY, app_name=service))
    broker.insert_middleware(KafkaTelemetryMiddleware())


async def _end_offsets(consumer: Any, partitions: list[Any]) -> dict[Any, int]:
    try:
        ends: dict[Any, int] = await asyncio.wait_for(consumer.end_offsets(partitions), 0.75)
        return ends
    except Exception:  # the last fetch's high watermark is nearly as good
        return {tp: hw for tp in partitions if (hw := consumer.highwater(tp)) is not None}


async def _consumer_lag(consumer: Any) -> dict[tuple[str, int], int]:
    """Lag of each assigned partition whose offsets could be read within a second."""
    partitions = list(consumer.assignment())
    if not partitions:
        return {}
    ends = await _end_offsets(consumer, partitions)
    grouped = getattr(consumer, "_group_id", None) is not None

    async def consumed_up_to(tp: Any) -> int:
        committed = await consumer.committed(tp) if grouped else None
        return int(committed if committed is not None else await consumer.position(tp))

    known = [tp for tp in partitions if tp in ends]
    done = await asyncio.gather(
        *(asyncio.wait_for(consumed_up_to(tp), 1.0) for tp in known), return_exceptions=True
    )
    return {
        (tp.topic, tp.partition): max(0, ends[tp] - offset)
        for tp, offset in zip(known, done, strict=True)
        if isinstance(offset, int)
    }


def kafka_lag_hook(broker: KafkaBroker, service: str, metrics: AppMetrics) -> ScrapeHook:
    """Lag per assigned partition of each of the broker's consumers: end offset minus the
    group's committed offset, or minus the position for a consumer without a group
    (partitions being rebalanced or unreadable within the time limit are left out)."""
    gauge = Gauge(
        "mpp_kafka_consumer_lag",
        "Records in the partition not yet consumed (committed) by this service",
        ["service", "topic", "partition"],
        registry=metrics.registry,
    )

    async def collect() -> None:
        consumers = [
            c for s in broker.subscribers if (c := getattr(s, "consumer", None)) is not None
        ]
        lags = await asyncio.gather(*(_consumer_lag(c) for c in consumers))
        gauge.clear()
        for values in lags:
            for (topic, partition), lag in values.items():
                gauge.labels(service, topic, str(partition)).set(lag)

    return collect


# -- HTTP ----------------------------------------------------------------------------------


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class HttpObservabilityMiddleware:
    """Latency histogram by route template, a server span per request, the request as log
    context. Pure ASGI: streaming responses (SSE) pass through untouched; their latency
    is the time to their headers."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self.tracer = trace.get_tracer(_TRACER_NAME)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        method = str(scope.get("method", "GET"))
        status = 500
        observed = False

        def observe() -> None:
            nonlocal observed
            if not observed:
                observed = True
                HTTP_REQUEST_DURATION.labels(
                    self.service, method, _route_of(scope), str(status)
                ).observe(time.perf_counter() - start)

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                observe()
            await send(message)

        with contextlib.ExitStack() as stack:
            span = None
            if scope.get("path") not in _UNTRACED_PATHS:
                headers = {
                    k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])
                }
                span = stack.enter_context(
                    self.tracer.start_as_current_span(
                        method,
                        context=PROPAGATOR.extract(headers),
                        kind=SpanKind.SERVER,
                        attributes={
                            "http.request.method": method,
                            "url.path": scope["path"],
                            "mpp.service": self.service,
                        },
                        record_exception=True,
                        set_status_on_exception=True,
                    )
                )
            stack.enter_context(request_context(cast(Mapping[str, Any], scope)))
            try:
                await self.app(scope, receive, send_observed)
            finally:
                observe()
                if span is not None and span.is_recording():
                    route = _route_of(scope)
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))


# -- wiring --------------------------------------------------------------------------------


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    app_metrics: AppMetrics = request.app.state.metrics
    return Response(
        await app_metrics.render(),
        media_type="text/plain; version=0.0.4; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


@router.get("/asyncapi.json", include_in_schema=False)
async def asyncapi_json(request: Request) -> JSONResponse:
    """The AsyncAPI 3.0 document of the events this service publishes or consumes."""
    state = request.app.state
    if getattr(state, "asyncapi", None) is None:
        state.asyncapi = asyncapi_document(state.broker, state.metrics.service)
    return JSONResponse(state.asyncapi)


def instrument(
    app: FastAPI,
    broker: KafkaBroker,
    service: str,
    settings: ServiceSettings,
) -> AppMetrics:
    """Metrics, traces, log context, /metrics and /asyncapi.json for one service's app.

    Consumer lag is collected when the broker has subscribers (so call this after they
    are registered); a service adds its own scrape-time gauges to the returned
    AppMetrics (`registry`, `hooks`)."""
    configure_tracing(service, settings.otel_exporter)
    app_metrics = AppMetrics(service)
    app.state.metrics = app_metrics
    app.state.broker = broker
    app.state.asyncapi = None
    instrument_broker(broker, service)
    if broker.subscribers:
        app_metrics.hooks["kafka_lag"] = kafka_lag_hook(broker, service, app_metrics)
    app.add_middleware(HttpObservabilityMiddleware, service=service)
    app.include_router(router)
    return app_metrics
