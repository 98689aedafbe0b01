"""`python -m services.ticketing`: ticketing on TICKETING_PORT (default 8001)."""

from __future__ import annotations

from services.ticketing.app import create_app
from services.ticketing.settings import TicketingSettings
from shared.serve import load_settings, serve


def main() -> None:
    settings = load_settings("ticketing", TicketingSettings)
    serve("ticketing", settings, create_app, settings.ticketing_port)


if __name__ == "__main__":
    main()
