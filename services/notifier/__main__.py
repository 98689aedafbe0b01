"""`python -m services.notifier`: the notifier on NOTIFIER_PORT (default 8002)."""

from __future__ import annotations

import uvicorn

from services.notifier.app import create_app
from services.notifier.settings import NotifierSettings
from shared.logging import configure_logging


def main() -> None:
    settings = NotifierSettings()
    configure_logging("notifier", settings.log_level, settings.resolved_log_format())
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.notifier_port,
        log_config=None,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
