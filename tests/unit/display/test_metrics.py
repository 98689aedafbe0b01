"""The display's board-clients gauge: every configured site, with the streams open now."""

from __future__ import annotations

import asyncio
from datetime import date

from prometheus_client import generate_latest

from services.display.board import Boards
from services.display.hub import Hub
from services.display.metrics import board_clients_hook
from services.display.service import BoardService
from shared.metrics import AppMetrics
from shared.sites import load_sites


def gauge(metrics: AppMetrics) -> dict[str, float]:
    async def refresh() -> None:
        await metrics.hooks["clients"]()

    asyncio.run(refresh())
    out: dict[str, float] = {}
    for line in generate_latest(metrics.registry).decode().splitlines():
        if line.startswith("mpp_board_clients{"):
            labels, value = line.rsplit(" ", 1)
            out[labels.split('"')[1]] = float(value)
    return out


def test_board_clients_per_site_come_and_go() -> None:
    configs = {k: v.config for k, v in load_sites().items()}
    boards = BoardService(Boards(configs), Hub())
    metrics = AppMetrics("display")
    metrics.hooks["clients"] = board_clients_hook(boards, metrics)
    assert gauge(metrics) == dict.fromkeys(configs, 0.0)  # a board that dropped off shows 0
    day = date(2026, 12, 2)
    tv, phone = (boards.hub.connect("balangan", day, None)[0] for _ in range(2))
    assert gauge(metrics)["balangan"] == 2
    boards.hub.disconnect(tv)
    boards.hub.disconnect(phone)
    assert gauge(metrics)["balangan"] == 0
