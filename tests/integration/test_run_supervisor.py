"""`make run`'s supervisor: restarts what dies, stops everything on Ctrl-C, leaves nothing.

The first tests drive `scripts.supervisor.Supervisor` with tiny Python children; the last ones
run `python -m scripts.run` itself on free ports and a temporary data dir, with its
embedded broker and PostgreSQL, and kill -9 the notifier under it.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.embedded_infra import pid_alive, port_in_use
from scripts.output import Output
from scripts.supervisor import Backoff, Command, Supervisor
from shared.embedded import free_port

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable

SLEEPER = [PY, "-c", "import time; print('ready', flush=True); time.sleep(600)"]


def wait_until(
    condition: Callable[[], object], timeout: float, what: str, interval: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(interval)


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


class InThread:
    """A Supervisor running in a background thread, writing to a string buffer."""

    def __init__(self, supervisor: Supervisor, buffer: io.StringIO) -> None:
        self.supervisor = supervisor
        self.buffer = buffer
        self.stop = threading.Event()
        self.thread = threading.Thread(target=supervisor.run, args=(self.stop,), daemon=True)

    def __enter__(self) -> InThread:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "supervisor did not stop"

    @property
    def text(self) -> str:
        return self.buffer.getvalue()


def supervised(*commands: Command, **options: Any) -> InThread:
    buffer = io.StringIO()
    return InThread(Supervisor(commands, output=Output(buffer, colour=False), **options), buffer)


def test_a_killed_child_is_restarted_with_a_new_pid() -> None:
    with supervised(Command("sleeper", SLEEPER), Command("other", SLEEPER)) as run:
        sup = run.supervisor
        wait_until(lambda: sup.pid("sleeper") and "sleeper   | ready" in run.text, 10, "start")
        first, other = sup.pid("sleeper"), sup.pid("other")
        assert first is not None
        assert other is not None

        killed_at = time.monotonic()
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: sup.pid("sleeper") not in (None, first), 5, "sleeper restarted")
        assert time.monotonic() - killed_at < 3.0
        second = sup.pid("sleeper")
        assert second is not None
        assert second != first
        assert sup.pid("other") == other, "the other child was left alone"
        assert sup.restarts("sleeper") == 1
        assert re.search(rf"sleeper \(pid {first}\) exited with signal SIGKILL", run.text)
        wait_until(lambda: run.text.count("sleeper   | ready") == 2, 10, "new output prefixed")
    for pid in (first, second, other):
        assert not pid_alive(pid), f"pid {pid} survived the supervisor"


def test_a_crashing_child_is_retried_with_growing_delays_and_never_given_up() -> None:
    crasher = Command("crasher", [PY, "-c", "import sys; print('boom', flush=True); sys.exit(3)"])
    with supervised(
        crasher, restart_delay_s=0.1, max_restart_delay_s=0.4, min_uptime_s=10.0
    ) as run:
        wait_until(lambda: run.supervisor.restarts("crasher") >= 5, 15, "five restarts")
    delays = [float(d) for d in re.findall(r"exit code 3 .*restarting in ([\d.]+)s", run.text)]
    assert delays[:4] == [0.1, 0.2, 0.4, 0.4], run.text
    assert "keeps crashing" in run.text
    assert "crasher   | boom" in run.text


def test_backoff_resets_after_a_run_that_lasted() -> None:
    backoff = Backoff(base_s=1.0, max_s=30.0, min_uptime_s=10.0)
    assert [backoff.after(0.5) for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.after(60.0) == 1.0
    assert backoff.after(0.5) == 2.0


DRIVER = textwrap.dedent(
    """
    import signal, sys, threading
    from scripts.output import Output
    from scripts.supervisor import Command, Supervisor

    py = sys.executable
    sleeper = "import time; print('ready', flush=True); time.sleep(600)"
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(600)"
    )
    parent = (
        "import subprocess, sys, time; "
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
        "print('grandchild', c.pid, flush=True); time.sleep(600)"
    )
    sup = Supervisor(
        [Command("sleeper", [py, "-c", sleeper]), Command("stubborn", [py, "-c", stubborn]),
         Command("parent", [py, "-c", parent])],
        output=Output(sys.stdout, colour=False),
        stop_timeout_s=2.0,
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sup.run(stop)
    print("driver done", flush=True)
    """
)


GRANDCHILD = re.compile(r"^parent +\| grandchild (\d+)$", re.MULTILINE)


def test_sigint_stops_every_child_and_what_it_started(tmp_path: Path) -> None:
    log = tmp_path / "driver.log"
    with open(log, "wb") as out:
        driver = subprocess.Popen(
            [PY, "-c", DRIVER], cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_until(
            lambda: log.read_text().count("| ready") == 2 and GRANDCHILD.search(log.read_text()),
            15,
            "children up",
        )
        text = log.read_text()
        pids = [int(p) for p in re.findall(r"started \w+ \(pid (\d+)\)", text)]
        grandchild = int(GRANDCHILD.search(text)[1])  # type: ignore[index]
        assert len(pids) == 3

        driver.send_signal(signal.SIGINT)
        assert driver.wait(15) == 0
        text = log.read_text()
        assert "stubborn did not stop in time: SIGKILL" in text
        assert "driver done" in text
        for pid in [*pids, grandchild]:
            assert not pid_alive(pid), f"pid {pid} survived:\n{text}"
        for pgid in pids:
            assert group_members(pgid) == []
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()


# --------------------------------------------------------------------------- python -m scripts.run


def health(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
            return int(resp.status)
    except OSError:
        return 0


class RunProcess:
    def __init__(self, process: subprocess.Popen[bytes], log: Path, data_dir: Path) -> None:
        self.process = process
        self.log = log
        self.data_dir = data_dir

    @property
    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 80) -> str:
        return "\n".join(self.text.splitlines()[-lines:])

    def pids(self, name: str) -> list[int]:
        return [int(p) for p in re.findall(rf"started {name} \(pid (\d+)\)", self.text)]

    def infra_pids(self) -> list[int]:
        pids = [
            int(p)
            for p in re.findall(r"embedded Kafka broker \(Tansu\) on \S+, pid (\d+)", self.text)
        ]
        pid_file = self.data_dir / "postgres" / "postmaster.pid"
        if pid_file.exists():
            pids.append(int(pid_file.read_text().split("\n", 1)[0]))
        return pids


@pytest.fixture
def run_system(
    tmp_path: Path,
) -> Iterator[Callable[[list[str]], tuple[RunProcess, dict[str, str]]]]:
    started: list[RunProcess] = []

    def start(services: list[str]) -> tuple[RunProcess, dict[str, str]]:
        ports = {"ticketing": free_port(), "notifier": free_port(), "display": free_port()}
        kafka_port = free_port()
        data_dir = tmp_path / "data"
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": "",  # empty: the embedded broker, whatever .env says
            "DATABASE_URL": "",
            "EMBEDDED_KAFKA_PORT": str(kafka_port),
            "MPP_DATA_DIR": str(data_dir),
            "TICKETING_PORT": str(ports["ticketing"]),
            "NOTIFIER_PORT": str(ports["notifier"]),
            "DISPLAY_PORT": str(ports["display"]),
            "PUBLIC_BASE_URL": "",
            "ENVIRONMENT": "development",
            "PYTHONUNBUFFERED": "1",
        }
        log = tmp_path / "run.log"
        only = [arg for s in services for arg in ("--only", s)]
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [PY, "-m", "scripts.run", "--no-colour", *only],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        run = RunProcess(proc, log, data_dir)
        started.append(run)
        return run, {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}

    yield start

    for run in started:  # a failed test must not leave our processes behind
        if run.process.poll() is None:
            run.process.send_signal(signal.SIGINT)
            try:
                run.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(run.process.pid, signal.SIGKILL)
                run.process.wait()
        for pid in [p for s in ("ticketing", "notifier", "display") for p in run.pids(s)]:
            for member in group_members(pid):
                os.kill(member, signal.SIGKILL)
        for pid in run.infra_pids():
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    "services",
    [
        pytest.param(["notifier"], id="notifier-only"),
        pytest.param(["ticketing", "notifier", "display"], id="all-three"),
    ],
)
def test_make_run_restarts_a_killed_service_and_stops_cleanly_on_ctrl_c(
    run_system: Callable[[list[str]], tuple[RunProcess, dict[str, str]]], services: list[str]
) -> None:
    run, urls = run_system(services)

    def all_healthy() -> bool:
        if run.process.poll() is not None:
            raise AssertionError(f"scripts.run exited with {run.process.returncode}:\n{run.tail()}")
        return all(health(urls[s]) == 200 for s in services)

    try:
        wait_until(all_healthy, 120, "every /health 200", interval=0.3)
        wait_until(lambda: "Antrian MPP is up" in run.text, 5, "URLs printed")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{run.tail()}") from None
    assert run.text.count("Antrian MPP is up") == 1
    if "ticketing" in services:
        assert f"{urls['ticketing']}/kiosk/balangan" in run.text
        assert f"{urls['ticketing']}/operator" in run.text
        assert f"curl -X POST {urls['ticketing']}/api/sites/balangan/tickets" in run.text
    if "display" in services:
        assert f"{urls['display']}/boards/balangan" in run.text
    assert "MEMORY storage" in run.text
    infra = run.infra_pids()
    assert len(infra) == 2, run.tail()

    [notifier] = run.pids("notifier")
    assert re.search(r"^notifier +\| ", run.text, re.MULTILINE), "output prefixed with the name"
    os.kill(notifier, signal.SIGKILL)
    killed_at = time.monotonic()
    try:
        wait_until(lambda: len(run.pids("notifier")) == 2, 5, "notifier restarted")
        wait_until(lambda: health(urls["notifier"]) == 200, 10, "notifier healthy again")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{run.tail()}") from None
    assert time.monotonic() - killed_at < 10
    assert "exited with signal SIGKILL" in run.text

    run.process.send_signal(signal.SIGINT)
    assert run.process.wait(40) == 0, run.tail()
    service_pids = [p for s in services for p in run.pids(s)]
    for pid in [*service_pids, *infra]:
        assert not pid_alive(pid), f"pid {pid} survived `make run`:\n{run.tail()}"
    for pgid in service_pids:
        assert group_members(pgid) == [], f"process group {pgid} survived"
    kafka_port = int(re.search(r"Tansu\) on 127\.0\.0\.1:(\d+)", run.text)[1])  # type: ignore[index]
    assert not port_in_use("127.0.0.1", kafka_port)
    for s in services:
        assert health(urls[s]) == 0
