"""A real display (uvicorn on a free port, in the test's event loop) on the real broker.

SSE is read over real HTTP: httpx's ASGI transport buffers streamed bodies.
Every test uses its own site id, so tests sharing the topics never see each
other's boards (each display replays every site's events of today, though).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from services.display.app import create_app
from services.display.settings import DisplaySettings
from shared.embedded import free_port
from shared.events import AnyEvent, SiteStatusChanged


def display_settings(kafka: str, **overrides: Any) -> DisplaySettings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": kafka,
        "sse_keepalive_s": 1.0,
    }
    values.update(overrides)
    return DisplaySettings(_env_file=None, **values)


@dataclass
class Display:
    app: FastAPI
    url: str
    client: httpx.AsyncClient

    async def board(self, site_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/sites/{site_id}/board")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def wait_board(
        self, site_id: str, predicate: Any, timeout: float = 15.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            response = await self.client.get(f"/api/sites/{site_id}/board")
            if response.status_code == 200 and predicate(response.json()):
                body: dict[str, Any] = response.json()
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"board of {site_id} never matched: {response.text}")
            await asyncio.sleep(0.05)


@asynccontextmanager
async def running(
    settings: DisplaySettings,
    wait_healthy: bool = True,
    clock: Callable[[], datetime] | None = None,
) -> AsyncIterator[Display]:
    """The display app served by uvicorn on a free port (with `clock`, if given, as the
    board service's clock); stopped on exit."""
    app = create_app(settings, clock)
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_config=None,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert not task.done(), "uvicorn stopped while starting"
            assert time.monotonic() < deadline, "uvicorn never started"
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            while wait_healthy and (await client.get("/health")).status_code != 200:
                assert time.monotonic() < deadline, "display never healthy"
                await asyncio.sleep(0.1)
            yield Display(app, url, client)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@pytest.fixture(scope="module")
async def display(kafka_topics: str) -> AsyncIterator[Display]:
    async with running(display_settings(kafka_topics)) as d:
        yield d


@pytest.fixture(scope="module")
async def producer(kafka_topics: str) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=kafka_topics, enable_idempotence=False, linger_ms=0)
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


async def publish(producer: AIOKafkaProducer, event: AnyEvent | SiteStatusChanged) -> None:
    await producer.send_and_wait(event.topic, event.to_json(), key=event.site_id.encode())
