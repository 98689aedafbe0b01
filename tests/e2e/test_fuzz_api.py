"""Fuzz the ticketing OpenAPI with schemathesis against the real process (real PostgreSQL
and broker): every operation, generated valid and invalid input, as a citizen and as a
supervisor. No answer may be a 5xx, and every answer must match the documented schema and
status codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import System

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"


def schemathesis(system: System, *extra: str) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).with_name("schemathesis")
    return subprocess.run(
        [
            str(binary),
            "run",
            f"{system.ticketing}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            os.environ.get("FUZZ_EXAMPLES", "8"),
            "--workers",
            "2",
            "--phases",
            "examples,coverage,fuzzing",
            "--seed",
            "20261125",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )


async def test_no_operation_answers_5xx_or_off_schema(system: System) -> None:
    async with httpx.AsyncClient(base_url=system.ticketing) as api:
        login = await api.post(
            "/api/auth/token",
            data={"username": "balangan-supervisor", "password": system.env["MPP_DEMO_PASSWORD"]},
        )
        token = login.json()["access_token"]
    citizen = schemathesis(system)
    assert citizen.returncode == 0, citizen.stdout[-4000:]
    staff = schemathesis(system, "-H", f"Authorization: Bearer {token}")
    assert staff.returncode == 0, staff.stdout[-4000:]
    assert "generated" in staff.stdout
    log = system.log_tail("ticketing", 400)
    assert "Traceback" not in log, log
