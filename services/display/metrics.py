"""The display's own metric: lobby boards (SSE clients) connected now, per site — a board
that dropped off the lobby TV shows as a 0 here before anyone complains."""

from __future__ import annotations

from prometheus_client import Gauge

from services.display.service import BoardService
from shared.metrics import AppMetrics, ScrapeHook


def board_clients_hook(boards: BoardService, metrics: AppMetrics) -> ScrapeHook:
    clients = Gauge(
        "mpp_board_clients",
        "Board streams (SSE) connected now, per site",
        ["site_id"],
        registry=metrics.registry,
    )

    async def collect() -> None:
        clients.clear()
        for site_id in boards.boards.configs:
            clients.labels(site_id).set(boards.hub.clients(site_id))

    return collect
