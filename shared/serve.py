"""`python -m services.<name>`: how every service runs, the same but for its settings,
app and port."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import uvicorn
from starlette.types import ASGIApp

from shared.logging import configure_logging
from shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def serve(
    name: str,
    settings: S,
    create_app: Callable[[S], ASGIApp],
    port: int,
    graceful_shutdown_s: int | None = None,
) -> None:
    """Configure logging (before the app is built, so its first lines come out formatted),
    build the app from the settings and run it under uvicorn on HTTP_HOST:`port`, its
    lifespan on and uvicorn's own logging config off. `graceful_shutdown_s`: how long a
    stop waits for open requests (None: as long as they take)."""
    configure_logging(name, settings.log_level, settings.resolved_log_format())
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=port,
        log_config=None,
        lifespan="on",
        timeout_graceful_shutdown=graceful_shutdown_s,
    )
