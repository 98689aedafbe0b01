"""Running the pages' ES modules under node: a script (an ES module itself) that imports
them from web/ (`process.env.WEB`) and writes one JSON answer to stdout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

WEB = Path(__file__).resolve().parents[3] / "services" / "ticketing" / "web"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def run_module(script: str, env: dict[str, str], stdin: str | None = None) -> Any:
    """Run `script` as an ES module with `env` added to the environment; its JSON answer."""
    assert NODE is not None
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "WEB": str(WEB), **env},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
