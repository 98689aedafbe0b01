"""The display process: FastAPI app whose lifespan reads the topics to their end
(services/display/catch_up.py), then runs the group-less Kafka consumer
(FastStream, same event loop) that folds events into in-memory boards and fans them
out to lobby pages over Server-Sent Events. No database.

`app.state.boards` (services/display/service.py: boards, hub, clock) is what both the
consumer's handlers and the routes depend on; `app.state.consumption` counts what became
of each consumed record (shared/consuming.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from services.display.api import boards, health
from services.display.board import Boards
from services.display.catch_up import CatchUp, seek_to
from services.display.consumer import subscribe
from services.display.hub import Hub
from services.display.metrics import board_clients_hook
from services.display.service import BoardService
from services.display.settings import DisplaySettings
from services.display.stream import SERVER_SEND
from shared import api_docs
from shared.consuming import Consumption
from shared.http import RefuseBadText
from shared.kafka import connect_kafka, finish_task, new_broker
from shared.observability import instrument
from shared.sites import load_sites

log = logging.getLogger("display")


class CachedStatic(StaticFiles):
    """Static files with a Cache-Control header: cached for `max_age` when asked for by a
    versioned URL (`?v=<content hash>`, as the board page names its files), revalidated
    (ETag) on every load when not (the modules the page's script imports by plain URL)."""

    def __init__(self, *args: object, max_age: int = 3600, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.max_age = max_age

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            versioned = b"v=" in scope.get("query_string", b"")
            cache = f"public, max-age={self.max_age}" if versioned else "no-cache"
            response.headers["Cache-Control"] = cache
        return response


class DisplayApp(FastAPI):
    """FastAPI that hands the server's own `send` down in the scope (`SERVER_SEND`): a
    board stream writes its events with it, past the middleware, which saw its response
    start (services/display/stream.py). Thousands of boards x every event: each layer of
    send wrapping was a measurable share of the fan-out's CPU."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[SERVER_SEND] = send
        await super().__call__(scope, receive, send)


def create_app(
    settings: DisplaySettings | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    settings = settings or DisplaySettings()
    configs = {site_id: loaded.config for site_id, loaded in load_sites(settings.sites_dir).items()}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        catch_up = CatchUp(
            app.state.boards, app.state.consumption, settings.kafka_bootstrap_servers
        )

        async def read_to_the_end() -> None:
            await catch_up.run(stop)

        kafka_task = asyncio.create_task(
            connect_kafka(
                app.state.broker,
                "display",
                stop,
                settings,
                logger=log,
                consumes=True,
                before_start=read_to_the_end,
                on_started=lambda: seek_to(app.state.broker, catch_up.positions),
            ),
            name="display-kafka",
        )
        log.info("display up: %d configured site(s)", len(configs))
        try:
            yield
        finally:
            stop.set()
            await finish_task(kafka_task)  # a group join in progress must not hold up a stop
            await app.state.broker.stop()

    app = DisplayApp(title="Antrian MPP display", lifespan=lifespan, **api_docs.NO_BUILTIN_DOCS)
    app.state.settings = settings
    app.state.boards = BoardService(
        Boards(configs, recent_limit=settings.recent_calls, seen_limit=settings.seen_event_ids),
        Hub(settings.sse_replay_events, settings.sse_client_queue),
        clock or (lambda: datetime.now(UTC)),
    )
    app.state.broker = new_broker(settings, "display")
    app.state.consumption = Consumption("display", app.state.broker)
    app.state.consumption.install()
    subscribe(app.state.broker, app.state.boards, settings.kafka_fetch_max_wait_ms)
    app.include_router(health.router)
    app.include_router(boards.router)
    app.mount("/static", CachedStatic(directory=boards.STATIC), name="static")
    api_docs.install(app, settings)
    app.add_middleware(RefuseBadText)
    metrics = instrument(app, app.state.broker, "display", settings)
    metrics.hooks["board_clients"] = board_clients_hook(app.state.boards, metrics)
    return app
