"""Ticketing's own metrics: the outbox (depth and age of the oldest unpublished event,
read with one query when Prometheus scrapes) and the events the relay published."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import Gauge

from services.ticketing.relay import PendingEvent, Publish
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


def counting_published(publish: Publish, service: str = "ticketing") -> Publish:
    """`publish`, counting the events per topic once the broker acknowledged them."""

    async def counted(events: list[PendingEvent]) -> None:
        await publish(events)
        for event in events:
            EVENTS_PUBLISHED.labels(service, event.topic).inc()

    return counted
