"""Issue 13, findings 9 and 10, as an attacker meets them: a deployment with a guessable
secret does not start at all; text that is not Unicode gets a 422 naming the field from
the running services, never a 500; a production service hands out no API map."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from shared.embedded import free_port
from tests.e2e.conftest import REPO, System, start_service, wait_healthy

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

STRONG_SECRET = "Kq7#vR2m!pX9zT4w@L6nB8yF3hJ5dG1s"
STRONG_PASSWORD = "loket-balangan-2026"
JSON = {"content-type": "application/json"}


def start_in_production(service: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m services.<service>` with ENVIRONMENT=production; it should not get far."""
    return subprocess.run(
        [sys.executable, "-m", f"services.{service}"],
        cwd=REPO,
        env={**os.environ, "ENVIRONMENT": "production", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("service", "env", "message"),
    [
        (
            "ticketing",
            {"MPP_DEMO_PASSWORD": "x", "TOKEN_SECRET": STRONG_SECRET},
            "MPP_DEMO_PASSWORD must be at least 12 characters",
        ),
        (
            "ticketing",
            {"MPP_DEMO_PASSWORD": STRONG_PASSWORD, "TOKEN_SECRET": "a" * 32},
            "TOKEN_SECRET must have at least 16 different characters",
        ),
        ("notifier", {"TOKEN_SECRET": "a" * 32}, "TOKEN_SECRET must have at least 16"),
    ],
)
def test_a_weak_secret_in_production_stops_the_service_at_start(
    service: str, env: dict[str, str], message: str
) -> None:
    done = start_in_production(service, **env)
    assert done.returncode != 0, done.stdout + done.stderr
    assert f"{service}: cannot start: {message}" in done.stderr, done.stderr
    assert "a" * 32 not in done.stderr, "the message never shows the secret"


async def test_bad_text_is_a_422_naming_the_field_in_the_running_services(
    system: System,
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        complaint = await client.post(
            f"{system.ticketing}/api/sites/uji/complaints",
            content=b'{"kind": "complaint", "text": "loket tutup \\ud800"}',
            headers=JSON,
        )
        ticket = await client.post(
            f"{system.ticketing}/api/sites/balangan/tickets",
            content=b'{"service_id": "ktp-el", "phone": "0812\\udfff"}',
            headers=JSON,
        )
        query = await client.get(f"{system.ticketing}/api/tickets/{'0' * 32}/survey?sig=%ED%A0%80")
        notifier = await client.get(f"{system.notifier}/api/messages?ticket_id=%ED%B0%80")
        board = await client.get(f"{system.display}/api/sites/uji/board?agency=%ED%A0%80")
    for response, loc in (
        (complaint, ["body", "text"]),
        (ticket, ["body", "phone"]),
        (query, ["query", "sig"]),
        (notifier, ["query", "ticket_id"]),
        (board, ["query", "agency"]),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == loc
    for name in ("ticketing", "notifier", "display"):
        assert "Traceback" not in system.logs[name].read_text(errors="replace"), name


async def test_a_production_ticketing_serves_no_api_docs(database_url: str, e2e_kafka: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "KAFKA_BOOTSTRAP_SERVERS": e2e_kafka,
        "KAFKA_ENABLE_IDEMPOTENCE": "false",  # the embedded broker rejects InitProducerId
        "DATABASE_URL": database_url,
        "TICKETING_PORT": str(port),
        "TOKEN_SECRET": STRONG_SECRET,
        "MPP_DEMO_PASSWORD": STRONG_PASSWORD,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("API_DOCS", None)
    log_dir = Path(tempfile.mkdtemp(prefix="antrian-e2e-docs-"))
    process = start_service("ticketing", env, log_dir)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            await wait_healthy(url, process)
        except AssertionError:
            log = (log_dir / "ticketing.log").read_text(errors="replace")
            raise AssertionError(f"ticketing not healthy:\n{log[-3000:]}") from None
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            for path in ("/docs", "/redoc", "/openapi.json", "/docs/static/swagger-ui-bundle.js"):
                assert (await client.get(path)).status_code == 404, path
            assert (await client.get("/api/sites/balangan")).status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # its own session (start_service)
        process.wait(20)
