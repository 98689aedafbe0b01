"""Prometheus metrics of every service, served as text on `GET /metrics`.

Counters and histograms live in the process's default registry (one service per
process in production; labelled by `service` so several apps in one test process stay
apart). Figures that are read from elsewhere when Prometheus scrapes (consumer lag,
outbox depth) are gauges in the app's own registry, refreshed by its scrape hooks.

Metric (labels): what.

- mpp_http_request_duration_seconds (service, method, route, status): time to the
  response's headers, by route template (`/api/tickets/{ticket_id}`, never a raw path).
- mpp_events_consumed_total (service, topic, outcome): events read, by what became of
  them: handled / duplicate / dead_lettered / failed / earlier_day.
- mpp_events_published_total (service, topic): events the outbox relay published
  (acknowledged by Kafka).
- mpp_kafka_consumer_lag (service, topic, partition): end offset minus the group's
  committed offset (display, without a group: minus its position).
- mpp_outbox_depth, mpp_outbox_oldest_unpublished_age_seconds (service): ticketing's
  outbox rows not yet published and the age of the oldest (0 when none).
- mpp_sms_sent_total, mpp_sms_failed_total (provider, kind): notifier gateway calls that
  succeeded / failed (a failed attempt is retried later); every kind's series from 0.
- mpp_tickets_waiting (site_id, service_id): ticketing's tickets waiting now.
- mpp_ticket_wait_seconds, mpp_service_time_seconds (site_id, service_id): histograms of
  citizens' waits (issue to first call) and of service times (call to completion), from
  the service-completed events ticketing publishes (services/ticketing/metrics.py).
- mpp_board_clients (site_id): lobby boards (SSE streams) connected to the display now.
- mpp_metrics_collect_errors_total (service, collector): a scrape hook failed or timed out.
- faststream_* (app_name = service, handler or destination = topic, status): FastStream's
  KafkaPrometheusMiddleware: messages received, processed, published, and durations.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

# no `*_created` series beside every counter and histogram
disable_created_metrics()  # type: ignore[no-untyped-call]

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST

HTTP_REQUEST_DURATION = Histogram(
    "mpp_http_request_duration_seconds",
    "HTTP request latency until the response's headers, by route template and status",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_CONSUMED = Counter(
    "mpp_events_consumed",
    "Events read from Kafka, by topic and what became of them",
    ["service", "topic", "outcome"],
)
EVENTS_PUBLISHED = Counter(
    "mpp_events_published",
    "Events the outbox relay published to Kafka (acknowledged), by topic",
    ["service", "topic"],
)
SMS_SENT = Counter("mpp_sms_sent", "SMS the provider accepted", ["provider", "kind"])
SMS_FAILED = Counter(
    "mpp_sms_failed", "SMS sending attempts the provider refused or failed", ["provider", "kind"]
)
COLLECT_ERRORS = Counter(
    "mpp_metrics_collect_errors",
    "Scrape-time collectors that failed or timed out",
    ["service", "collector"],
)


def count_event(service: str, topic: str, outcome: str) -> None:
    """One consumed event: outcome handled / duplicate / dead_lettered / failed / earlier_day."""
    EVENTS_CONSUMED.labels(service, topic, outcome).inc()


ScrapeHook = Callable[[], Awaitable[None]]
"""Refreshes some gauges of the app's registry just before a scrape renders them."""


@dataclass
class AppMetrics:
    """One app's scrape-time gauges and the hooks that refresh them."""

    service: str
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    hooks: dict[str, ScrapeHook] = field(default_factory=dict)
    hook_timeout_s: float = 2.0

    async def render(self) -> bytes:
        """Run the hooks (each bounded by `hook_timeout_s`), then the text exposition."""
        if self.hooks:
            names = list(self.hooks)
            results = await asyncio.gather(
                *(asyncio.wait_for(self.hooks[n](), self.hook_timeout_s) for n in names),
                return_exceptions=True,
            )
            for name, result in zip(names, results, strict=True):
                if isinstance(result, BaseException):
                    COLLECT_ERRORS.labels(self.service, name).inc()
                    log.debug("metrics collector %s failed: %r", name, result)
        return generate_latest(REGISTRY) + generate_latest(self.registry)
