"""The embedded broker and PostgreSQL `make run` starts when no KAFKA_BOOTSTRAP_SERVERS /
DATABASE_URL is given, the checks before starting, and how the supervisor watches them."""

from __future__ import annotations

import asyncio
import fcntl
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from shared.embedded import EmbeddedBroker, EmbeddedPostgres


class SetupError(Exception):
    """A reason not to start, worded for the person who typed `make run`."""


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


class DataDirLock:
    """One `make run` per data dir: a second one would share its PostgreSQL and ports."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "run.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+")  # noqa: SIM115 — held until release()
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "?"
            f.close()
            raise SetupError(
                f"another `make run` (pid {holder}) is using {self.path.parent}; "
                "stop it first (Ctrl-C in its terminal, or kill -TERM that pid)"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def create_topics(bootstrap: str, partitions: int, timeout_s: float = 30.0) -> None:
    from shared.kafka import ensure_topics

    async def attempt() -> None:
        await asyncio.wait_for(ensure_topics(bootstrap, partitions), 15)

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            asyncio.run(attempt())
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise SetupError(
                    f"cannot create the topics on Kafka at {bootstrap}: {exc!r}"
                ) from exc
            time.sleep(1.0)


def create_database(server_url: str, name: str) -> None:
    import asyncpg

    async def go() -> None:
        conn = await asyncpg.connect(server_url)
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(go())


class BrokerWatch:
    """The embedded broker, restarted on its port (topics recreated: storage is memory)."""

    name = "kafka (embedded)"

    def __init__(self, broker: EmbeddedBrokerLike, on_restart: Callable[[], None]) -> None:
        self.broker = broker
        self.on_restart = on_restart
        # the supervisor's crash restarts and the nightly rotation (scripts/rotation.py)
        # come from two threads: one restart at a time, and no "dead" seen mid-restart
        self.lock = threading.Lock()

    def alive(self) -> bool:
        with self.lock:
            proc = self.broker.process
            return proc is not None and proc.poll() is None

    def restart(self) -> None:
        with self.lock:
            self.broker.stop()
            self.broker.start()
            self.on_restart()


class PostgresWatch:
    """The embedded PostgreSQL (a daemon pg_ctl started), restarted on the same data."""

    name = "postgres (embedded)"

    def __init__(self, server: EmbeddedPostgresLike, pgdata: Path) -> None:
        self.server = server
        self.pgdata = pgdata

    def alive(self) -> bool:
        pid = postmaster_pid(self.pgdata)
        return pid is not None and pid_alive(pid)

    def restart(self) -> None:
        # Releasing the handle of a server that died can fail once (its pid is gone);
        # the second call finds the handle already released.
        try:
            self.server.stop()
        except Exception:
            self.server.stop()
        self.server.start()


class EmbeddedBrokerLike(Protocol):
    process: subprocess.Popen[bytes] | None

    def start(self) -> object: ...

    def stop(self) -> None: ...


class EmbeddedPostgresLike(Protocol):
    def start(self) -> object: ...

    def stop(self) -> None: ...


class Embedded:
    """The embedded broker and PostgreSQL one `make run` started, if it started them:
    what the supervisor watches, and `stop()` for what did start (PostgreSQL first)."""

    def __init__(self, data_dir: Path, log: Callable[[str], None]) -> None:
        self.data_dir = data_dir
        self.log = log
        self.broker: EmbeddedBroker | None = None
        self.postgres: EmbeddedPostgres | None = None
        self.watched: list[BrokerWatch | PostgresWatch] = []

    def kafka(self, bootstrap: str, port: int, partitions: int, child_env: dict[str, str]) -> str:
        """`bootstrap` if given, else an embedded broker's (started now) address."""
        if bootstrap:
            self.log(f"Kafka: {bootstrap} (KAFKA_BOOTSTRAP_SERVERS)")
            return bootstrap
        from shared.embedded import EmbeddedBroker

        log_path = self.data_dir / "tansu.log"
        broker = self.broker = EmbeddedBroker(port, log_path=log_path)
        broker.start()
        embedded = broker.bootstrap_servers
        child_env["KAFKA_ENABLE_IDEMPOTENCE"] = "false"  # Tansu rejects InitProducerId
        assert broker.process is not None
        self.log(
            f"embedded Kafka broker (Tansu) on {embedded}, pid {broker.process.pid}, "
            f"log {log_path}. It keeps MEMORY storage only: topics and "
            "events are gone when it stops (PostgreSQL data stays)."
        )
        self.watched.append(BrokerWatch(broker, lambda: create_topics(embedded, partitions)))
        return embedded

    def database(self, database_url: str) -> str:
        """`database_url` if given, else an embedded PostgreSQL's (started now) `antrian`."""
        if database_url:
            self.log("PostgreSQL: DATABASE_URL")
            return database_url
        from shared.embedded import EmbeddedPostgres

        pgdata = self.data_dir / "postgres"
        leftover = postmaster_pid(pgdata)
        if leftover is not None and pid_alive(leftover):
            self.log(f"reusing the PostgreSQL (pid {leftover}) a previous run left in {pgdata}")
        postgres = EmbeddedPostgres(pgdata)
        self.postgres = postgres
        postgres.start()
        create_database(postgres.url(), "antrian")
        self.log(
            f"embedded PostgreSQL, pid {postmaster_pid(pgdata)}, data kept in {pgdata} "
            "(delete it, or `make clean`, to start afresh)"
        )
        self.watched.append(PostgresWatch(postgres, pgdata))
        return postgres.url("antrian")

    def stop(self) -> None:
        if self.postgres is not None:
            self.log("stopping PostgreSQL")
            self.postgres.stop()
        if self.broker is not None:
            self.log("stopping the Kafka broker")
            self.broker.stop()
