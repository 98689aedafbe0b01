"""`python -m services.ticketing`: ticketing on TICKETING_PORT (default 8001)."""

from __future__ import annotations

import uvicorn

from services.ticketing.app import create_app
from services.ticketing.settings import TicketingSettings
from shared.logging import configure_logging


def main() -> None:
    settings = TicketingSettings()
    configure_logging("ticketing", settings.log_level, settings.resolved_log_format())
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.ticketing_port,
        log_config=None,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
