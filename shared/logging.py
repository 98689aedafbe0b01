"""One log format for every service."""

from __future__ import annotations

import logging
import sys
from typing import Literal

from shared.logcontext import ContextFilter, JsonFormatter, PhoneMaskFilter, TextFormatter


def configure_logging(
    service: str, level: str = "INFO", fmt: Literal["json", "text"] = "text"
) -> logging.Logger:
    """Log to stdout as text, or one JSON object per line (LOG_FORMAT=json), with the
    event/ticket/trace context of shared.logcontext and every phone number masked."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service) if fmt == "json" else TextFormatter(service))
    handler.addFilter(PhoneMaskFilter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return logging.getLogger(service)
