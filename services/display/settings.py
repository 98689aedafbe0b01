"""Display settings: port, site configuration, board sizes and the SSE stream's pacing."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings
from shared.sites import SITES_DIR


class DisplaySettings(ServiceSettings):
    display_port: int = Field(default=8003, description="HTTP port (boards, /api/…, /health)")
    sites_dir: Path = Field(
        default=SITES_DIR, description="Site TOML files: names, time zones, counters"
    )
    recent_calls: int = Field(default=10, ge=1, le=100, description="Calls kept on a board")
    sse_keepalive_s: float = Field(
        default=15.0, gt=0, description="Comment line sent on an idle stream"
    )
    sse_retry_ms: int = Field(default=2000, ge=100, description="EventSource reconnect delay")
    sse_replay_events: int = Field(
        default=500, ge=0, description="Recent events kept per site for Last-Event-ID replay"
    )
    sse_client_queue: int = Field(
        default=256, ge=1, description="Events queued for one client before it is dropped"
    )
    kafka_fetch_max_wait_ms: int = Field(
        default=10,
        ge=1,
        le=5000,
        description="Longest a fetch waits for data: bounds call-to-board latency on brokers "
        "that hold a fetch this long (the embedded one does); real Kafka answers at once",
    )
    seen_event_ids: int = Field(
        default=200_000, ge=1000, description="Event ids remembered per site to drop duplicates"
    )
