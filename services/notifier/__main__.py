"""`python -m services.notifier`: the notifier on NOTIFIER_PORT (default 8002)."""

from __future__ import annotations

from services.notifier.app import create_app
from services.notifier.settings import NotifierSettings
from shared.serve import load_settings, serve


def main() -> None:
    settings = load_settings("notifier", NotifierSettings)
    serve("notifier", settings, create_app, settings.notifier_port)


if __name__ == "__main__":
    main()
