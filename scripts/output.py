"""`make run`'s output: every line prefixed with who wrote it, coloured per name on a terminal."""

from __future__ import annotations

import os
import sys
import threading
from typing import IO

_COLOURS = ("36", "35", "33", "32", "34", "31")
_FIXED = {"run": "1", "ticketing": "36", "notifier": "35", "display": "33"}


class Output:
    """Thread-safe line writer: `<name> | <line>`, coloured per name on a terminal."""

    def __init__(self, stream: IO[str] | None = None, colour: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        if colour is None:
            colour = self.stream.isatty() and not os.environ.get("NO_COLOR")
        self.colour = colour
        self._lock = threading.Lock()
        self._width = 9

    def _prefix(self, name: str) -> str:
        label = f"{name:<{self._width}} |"
        if not self.colour:
            return label
        code = _FIXED.get(name) or _COLOURS[sum(map(ord, name)) % len(_COLOURS)]
        return f"\033[{code}m{label}\033[0m"

    def line(self, name: str, text: str) -> None:
        prefix = self._prefix(name)
        with self._lock:
            try:
                self.stream.write(f"{prefix} {text.rstrip()}\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass  # our stdout went away; keep supervising

    def block(self, name: str, text: str) -> None:
        for part in text.splitlines():
            self.line(name, part)
