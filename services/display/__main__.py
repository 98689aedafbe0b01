"""`python -m services.display`: the display on DISPLAY_PORT (default 8003)."""

from __future__ import annotations

import uvicorn

from services.display.app import create_app
from services.display.settings import DisplaySettings
from shared.logging import configure_logging


def main() -> None:
    settings = DisplaySettings()
    configure_logging("display", settings.log_level, settings.resolved_log_format())
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.display_port,
        log_config=None,
        lifespan="on",
        timeout_graceful_shutdown=5,  # SSE streams never end by themselves
    )


if __name__ == "__main__":
    main()
