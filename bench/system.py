# ruff: noqa: ASYNC220, ASYNC230, ASYNC240
# Blocking calls here happen once, at start-up and shut-down, before and after measuring.
"""The system under benchmark, started exactly as `make run` starts it.

`start_system` runs `python -m scripts.run` (the supervisor `make run` runs) with a
temporary data dir (`MPP_DATA_DIR`), free ports for the three services and the
embedded broker, and the bench's settings (SMS webhook, demo password, sites dir,
token secret). KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL in our environment pass through,
so the same run works against a real broker and PostgreSQL. The database URL and the
service pids are read back from the supervisor's children (/proc), so nothing here
re-implements what scripts/run.py does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.embedded import free_port

REPO = Path(__file__).resolve().parents[1]
SERVICES = ("ticketing", "notifier", "display")


@dataclass
class RunningSystem:
    ticketing: str
    notifier: str
    display: str
    kafka: str
    database_url: str
    password: str
    token_secret: str
    pids: dict[str, int]
    startup_s: float
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def rss_mb(self, name: str, key: str = "VmRSS") -> float:
        """Resident memory of one service process (key VmRSS, or VmHWM for its peak)."""
        return proc_status_kb(self.pids[name], key) / 1024

    def restarted(self) -> list[str]:
        """Services whose process is not the one measured from the start (the supervisor
        restarted it: a crash, or a signal from outside the bench)."""
        return [
            name
            for name, pid in self.pids.items()
            if not Path(f"/proc/{pid}").exists()
            or f"services.{name}".encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def proc_status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def _service_pid(supervisor: int, name: str) -> int | None:
    for pid in _children(supervisor):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"services.{name}".encode() in cmd:
            return pid
    return None


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


async def _healthy(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(f"{url}/health")).status_code == 200
    except httpx.HTTPError:
        return False


async def _wait_healthy(
    proc: subprocess.Popen[bytes], urls: Mapping[str, str], log_path: Path, timeout_s: float
) -> None:
    """Until every service's /health answers 200; RuntimeError if `make run` exits first
    (with the end of its log) or `timeout_s` passes."""
    pending = set(SERVICES)
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2) as client:
        while pending:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"make run exited with {proc.returncode}:\n"
                    + log_path.read_text(errors="replace")[-4000:]
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"not healthy after {timeout_s}s: {sorted(pending)}")
            for name in list(pending):
                if await _healthy(client, urls[name]):
                    pending.discard(name)
            await asyncio.sleep(0.1)


async def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to `make run` (the supervisor stops its children, PG, broker); SIGKILL to
    its group after 60 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(proc.wait, 60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.asynccontextmanager
async def start_system(
    data_dir: Path, extra_env: Mapping[str, str] | None = None, timeout_s: float = 600.0
) -> AsyncIterator[RunningSystem]:
    """`make run` in a temporary data dir on free ports; stopped (SIGTERM) on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    ports = {s: free_port() for s in SERVICES}
    password = "bench-" + os.urandom(4).hex()
    secret = "bench-secret-" + os.urandom(16).hex()  # 45 characters: HS256 wants >= 32 bytes
    env = {
        **os.environ,
        "MPP_DATA_DIR": str(data_dir),
        "EMBEDDED_KAFKA_PORT": str(free_port()),
        "TICKETING_PORT": str(ports["ticketing"]),
        "NOTIFIER_PORT": str(ports["notifier"]),
        "DISPLAY_PORT": str(ports["display"]),
        "MPP_DEMO_PASSWORD": password,
        "TOKEN_SECRET": secret,
        "ENVIRONMENT": "development",
        "PYTHONUNBUFFERED": "1",
        "NO_COLOR": "1",
        **(extra_env or {}),
    }
    log_path = data_dir / "run.log"
    urls = {s: f"http://127.0.0.1:{p}" for s, p in ports.items()}
    log = open(log_path, "ab")  # noqa: SIM115 — closed below
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.run", "--no-colour"],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        await _wait_healthy(proc, urls, log_path, timeout_s)
        startup_s = time.perf_counter() - started
        pids = {s: _service_pid(proc.pid, s) for s in SERVICES}
        missing = [s for s, p in pids.items() if p is None]
        if missing:
            raise RuntimeError(f"cannot find the pid of {missing}")
        child_env = _environ(pids["ticketing"])  # type: ignore[arg-type]
        yield RunningSystem(
            ticketing=urls["ticketing"],
            notifier=urls["notifier"],
            display=urls["display"],
            kafka=child_env["KAFKA_BOOTSTRAP_SERVERS"],
            database_url=child_env["DATABASE_URL"],
            password=password,
            token_secret=secret,
            pids={s: p for s, p in pids.items() if p is not None},
            startup_s=startup_s,
            log_path=log_path,
            env=env,
        )
    finally:
        await _stop(proc)
        log.close()
