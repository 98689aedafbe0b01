"""The whole system as processes: ticketing, notifier and display started with
`python -m services.<name>`, exactly as `make run` starts them, plus a local SMS gateway.

E2E tests get their own Kafka broker (an embedded one unless KAFKA_BOOTSTRAP_SERVERS
is set) so the display's replay of the topics sees only this test's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from shared.embedded import EmbeddedBroker, free_port
from shared.kafka import ensure_topics

REPO = Path(__file__).resolve().parents[2]


@dataclass
class SmsGateway:
    """A real HTTP server on loopback that records every SMS webhook POST."""

    port: int
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n"):
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                body = await reader.readexactly(length)
                self.received.append(orjson.loads(body))
                self.arrived.set()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def wait_for(self, kind: str, needle: str, timeout: float = 15.0) -> dict[str, Any]:
        """The first SMS of `kind` whose text contains `needle` (a ticket number or id)."""
        deadline = time.monotonic() + timeout
        while True:
            for sms in self.received:
                if sms["kind"] == kind and needle in sms["text"]:
                    return sms
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} SMS for {needle}; got {self.received}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), left)

    async def stop(self) -> None:
        if self.server:
            self.server.close()
            await self.server.wait_closed()


@dataclass
class System:
    ticketing: str
    notifier: str
    display: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]]
    logs: dict[str, Path]

    async def login(self, username: str) -> dict[str, str]:
        """The Authorization header of a staff member (the demo password)."""
        async with httpx.AsyncClient(base_url=self.ticketing, timeout=10) as client:
            r = await client.post(
                "/api/auth/token",
                data={"username": username, "password": self.env["MPP_DEMO_PASSWORD"]},
            )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def log_tail(self, name: str, lines: int = 40) -> str:
        text = self.logs[name].read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def start_service(name: str, env: dict[str, str], log_dir: Path) -> subprocess.Popen[bytes]:
    log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 — closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", f"services.{name}"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"{url} process exited with {proc.returncode}")
            try:
                if (await client.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"{url}/health not 200 after {timeout}s")


@pytest.fixture(scope="module")
def e2e_kafka() -> Iterator[str]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    broker = EmbeddedBroker(free_port()).start()
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


@pytest.fixture
async def sms_gateway() -> AsyncIterator[SmsGateway]:
    gateway = SmsGateway(free_port())
    await gateway.start()
    yield gateway
    await gateway.stop()


@pytest.fixture
def system_env() -> dict[str, str]:
    """Extra environment for the three services; a folder's conftest may override it."""
    return {}


@pytest.fixture
async def system(
    e2e_kafka: str, database_url: str, sms_gateway: SmsGateway, system_env: dict[str, str]
) -> AsyncIterator[System]:
    await ensure_topics(e2e_kafka)
    ports = {"ticketing": free_port(), "notifier": free_port(), "display": free_port()}
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "KAFKA_BOOTSTRAP_SERVERS": e2e_kafka,
        "DATABASE_URL": database_url,
        "TICKETING_PORT": str(ports["ticketing"]),
        "NOTIFIER_PORT": str(ports["notifier"]),
        "DISPLAY_PORT": str(ports["display"]),
        "SMS_PROVIDER": "webhook",
        "SMS_WEBHOOK_URL": sms_gateway.url,
        "MPP_DEMO_PASSWORD": "rahasia-e2e",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['ticketing']}",
        "TICKETING_URL": f"http://127.0.0.1:{ports['ticketing']}",  # checks staff tokens
        "PYTHONUNBUFFERED": "1",
        **system_env,
    }
    log_dir = Path(tempfile.mkdtemp(prefix="antrian-e2e-"))
    procs = {name: start_service(name, env, log_dir) for name in ports}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    system = System(
        urls["ticketing"],
        urls["notifier"],
        urls["display"],
        env,
        procs,
        {name: log_dir / f"{name}.log" for name in ports},
    )
    try:
        for name in ports:
            try:
                await wait_healthy(urls[name], procs[name])
            except AssertionError:
                raise AssertionError(f"{name} not healthy:\n{system.log_tail(name)}") from None
        yield system
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
