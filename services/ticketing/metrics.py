"""Ticketing's own metrics: the outbox (depth and age of the oldest unpublished event,
read with one query when Prometheus scrapes), the tickets waiting now per service (one
query per scrape), the events the relay published, and the citizens' waits and service
times, observed from the service-completed events as the relay publishes them.

- mpp_tickets_waiting (site_id, service_id): tickets waiting now, 0 for an empty line.
- mpp_ticket_wait_seconds (site_id, service_id): issue to first call, of every ticket
  that was called (served, no-show, transferred); not of a cancelled one.
- mpp_service_time_seconds (site_id, service_id): call to completion of a served ticket."""

from __future__ import annotations

import orjson
from fastapi import FastAPI
from prometheus_client import Gauge, Histogram

from services.ticketing.heal import Acks
from services.ticketing.relay import PendingEvent, Publish
from shared import topics
from shared.metrics import EVENTS_PUBLISHED, AppMetrics, ScrapeHook

OUTBOX_QUERY = """
SELECT count(*) AS depth,
       coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 AS age_s
  FROM ticketing.outbox WHERE published_at IS NULL
"""


def outbox_hook(app: FastAPI, metrics: AppMetrics) -> ScrapeHook:
    depth = Gauge(
        "mpp_outbox_depth",
        "Outbox events not yet published to Kafka",
        ["service"],
        registry=metrics.registry,
    )
    age = Gauge(
        "mpp_outbox_oldest_unpublished_age_seconds",
        "Age of the oldest outbox event not yet published (0 when none)",
        ["service"],
        registry=metrics.registry,
    )

    async def collect() -> None:
        pool = app.state.pool
        if pool is None:
            raise RuntimeError("database pool not ready")
        row = await pool.fetchrow(OUTBOX_QUERY)
        depth.labels(metrics.service).set(row["depth"])
        age.labels(metrics.service).set(row["age_s"])

    return collect


WAITING_QUERY = """
SELECT s.site_id, s.id AS service_id, count(t.id) AS waiting
  FROM ticketing.services s
  LEFT JOIN ticketing.tickets t
    ON t.site_id = s.site_id AND t.service_id = s.id AND t.status = 'waiting'
 WHERE s.active
 GROUP BY s.site_id, s.id
"""

MINUTES = (30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200)
"""Buckets of a citizen's wait and of a service time: 30 s to 2 h (service standards are
counted in minutes; a wait over an hour is what a supervisor must see)."""

TICKET_WAIT = Histogram(
    "mpp_ticket_wait_seconds",
    "Seconds from a ticket's issue to its first call, of tickets that were called",
    ["site_id", "service_id"],
    buckets=MINUTES,
)
SERVICE_TIME = Histogram(
    "mpp_service_time_seconds",
    "Seconds from the call to the completion of a served ticket",
    ["site_id", "service_id"],
    buckets=MINUTES,
)
CALLED_OUTCOMES = frozenset({"served", "no_show", "transferred"})


def waiting_hook(app: FastAPI, metrics: AppMetrics) -> ScrapeHook:
    waiting = Gauge(
        "mpp_tickets_waiting",
        "Tickets waiting now, per service",
        ["site_id", "service_id"],
        registry=metrics.registry,
    )

    async def collect() -> None:
        pool = app.state.pool
        if pool is None:
            raise RuntimeError("database pool not ready")
        rows = await pool.fetch(WAITING_QUERY)
        waiting.clear()  # a retired service's series goes
        for row in rows:
            waiting.labels(row["site_id"], row["service_id"]).set(row["waiting"])

    return collect


def observe_completed(payload: bytes) -> None:
    """The wait and service time of one service-completed event."""
    event = orjson.loads(payload)
    labels = (event.get("site_id", ""), event.get("service_id", ""))
    if event.get("outcome") in CALLED_OUTCOMES and event.get("wait_s") is not None:
        TICKET_WAIT.labels(*labels).observe(event["wait_s"])
    if event.get("outcome") == "served" and event.get("service_s") is not None:
        SERVICE_TIME.labels(*labels).observe(event["service_s"])


def counting_published(publish: Publish, service: str = "ticketing") -> Publish:
    """`publish`, counting the events per topic once the broker acknowledged them, and the
    waits and service times of the completions among them."""

    async def counted(events: list[PendingEvent]) -> Acks | None:
        acks = await publish(events)
        for event in events:
            EVENTS_PUBLISHED.labels(service, event.topic).inc()
            if event.topic == topics.SERVICE_COMPLETED:
                observe_completed(event.payload)
        return acks

    return counted
