"""`python -m services.display`: the display on DISPLAY_PORT (default 8003)."""

from __future__ import annotations

from services.display.app import create_app
from services.display.settings import DisplaySettings
from shared.serve import load_settings, serve


def main() -> None:
    settings = load_settings("display", DisplaySettings)
    # SSE streams never end by themselves
    serve("display", settings, create_app, settings.display_port, graceful_shutdown_s=5)


if __name__ == "__main__":
    main()
