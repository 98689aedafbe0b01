"""`python -m services.<name>`: how every service runs, the same but for its settings,
app and port."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import TypeVar

import uvicorn
from pydantic import ValidationError
from starlette.types import ASGIApp

from shared.access_log import AccessLog
from shared.logging import configure_logging
from shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)

EXIT_BAD_SETTINGS = 2
STARTUP_FAILURE = 3  # uvicorn's own code when a server never started


def load_settings(name: str, settings_class: Callable[[], S]) -> S:
    """The service's settings from the environment and `.env`; when they are refused (a
    weak secret in production, a malformed value) the process exits with
    EXIT_BAD_SETTINGS and one line per problem naming the setting — not a traceback, and
    never the values (they may be secrets)."""
    try:
        return settings_class()
    except ValidationError as exc:
        for problem in settings_problems(exc):
            sys.stderr.write(f"{name}: cannot start: {problem}\n")
        raise SystemExit(EXIT_BAD_SETTINGS) from None


def settings_problems(exc: ValidationError) -> list[str]:
    """One line per refused setting, naming it (`ENVIRONMENT: …`), never its value."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error["loc"]).upper()
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{where + ': ' if where else ''}{message}")
    return problems


def uvicorn_config(
    settings: ServiceSettings, app: ASGIApp, port: int, graceful_shutdown_s: int | None = None
) -> uvicorn.Config:
    """How uvicorn runs a service: on HTTP_HOST:`port`, lifespan on, its own logging config
    off. X-Forwarded-For/-Proto are believed only from the proxies FORWARDED_ALLOW_IPS
    lists; with none (the default) they are ignored, so a caller on the same machine
    cannot pose as another address to the per-address limits (uvicorn's own default
    trusts 127.0.0.1). uvicorn's access log is off: shared/access_log.py logs the requests
    ACCESS_LOG asks for."""
    proxies = [ip.strip() for ip in settings.forwarded_allow_ips.split(",") if ip.strip()]
    return uvicorn.Config(
        AccessLog(app, settings.access_log, settings.slow_request_s),
        host=settings.http_host,
        access_log=False,
        port=port,
        log_config=None,
        lifespan="on",
        timeout_graceful_shutdown=graceful_shutdown_s,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or [],
    )


def serve(
    name: str,
    settings: S,
    create_app: Callable[[S], ASGIApp],
    port: int,
    graceful_shutdown_s: int | None = None,
) -> None:
    """Configure logging (before the app is built, so its first lines come out formatted),
    build the app from the settings and run it under uvicorn (`uvicorn_config`).
    `graceful_shutdown_s`: how long a stop waits for open requests (None: as long as they
    take)."""
    configure_logging(name, settings.log_level, settings.resolved_log_format())
    server = uvicorn.Server(
        uvicorn_config(settings, create_app(settings), port, graceful_shutdown_s)
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:  # the lifespan or the bind failed: as uvicorn.run exits
        sys.exit(STARTUP_FAILURE)
