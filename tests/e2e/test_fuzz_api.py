"""Fuzz the ticketing and notifier OpenAPI with schemathesis against the real processes (real
PostgreSQL and broker): every operation, generated valid and invalid input, with no token and
with an operator's, a supervisor's and an enrolled kiosk's. No answer may be a 5xx, and
every answer must match the documented schema and status codes.

One worker: schemathesis's threads trip CPython 3.11's AST recursion-depth bug inside
Hypothesis now and then ("AST constructor recursion depth mismatch"), a tool error that is
not the server's. Each run's totals are printed (`-s`) and kept in .data/fuzz-totals.txt."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import REPO, System

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
TOTALS = REPO / ".data" / "fuzz-totals.txt"


def schemathesis(base: str, *extra: str) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).with_name("schemathesis")
    return subprocess.run(
        [
            str(binary),
            "run",
            f"{base}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            os.environ.get("FUZZ_EXAMPLES", "8"),
            "--workers",
            "1",
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


async def staff_token(system: System, username: str) -> str:
    async with httpx.AsyncClient(base_url=system.ticketing) as api:
        login = await api.post(
            "/api/auth/token",
            data={"username": username, "password": system.env["MPP_DEMO_PASSWORD"]},
        )
        assert login.status_code == 200, login.text
        token: str = login.json()["access_token"]
        return token


def record(service: str, who: str, run: subprocess.CompletedProcess[str]) -> str:
    cases = re.search(r"(\d+) generated", run.stdout)
    failures = re.search(r"(\d+) unique failures?", run.stdout)
    line = (
        f"{service} as {who}: {cases.group(1) if cases else '?'} cases, "
        f"{failures.group(1) if failures else 0} failures, exit {run.returncode}"
    )
    TOTALS.parent.mkdir(exist_ok=True)
    with TOTALS.open("a") as out:
        out.write(line + "\n")
    print(line)
    return line


async def kiosk_token(system: System, supervisor: str) -> str:
    async with httpx.AsyncClient(base_url=system.ticketing) as api:
        enrolled = await api.post(
            "/api/sites/balangan/kiosks",
            json={"name": "Kiosk fuzz"},
            headers={"Authorization": f"Bearer {supervisor}"},
        )
        assert enrolled.status_code == 201, enrolled.text
        token: str = enrolled.json()["token"]
        return token


async def tokens(system: System) -> dict[str, str | None]:
    supervisor = await staff_token(system, "balangan-supervisor")
    return {
        "nobody": None,
        "operator": await staff_token(system, "balangan-loket-01"),
        "supervisor": supervisor,
        "kiosk": await kiosk_token(system, supervisor),
    }


@pytest.mark.parametrize("service", ["ticketing", "notifier"])
async def test_no_operation_answers_5xx_or_off_schema(system: System, service: str) -> None:
    base = getattr(system, service)
    for who, token in (await tokens(system)).items():
        extra = ("-H", f"Authorization: Bearer {token}") if token else ()
        run = schemathesis(base, *extra)
        line = record(service, who, run)
        assert run.returncode == 0, f"{line}\n{run.stdout[-6000:]}"
        assert "generated" in run.stdout
    log = system.log_tail(service, 400)
    assert "Traceback" not in log, log
