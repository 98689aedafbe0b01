"""`make run`'s supervisor: starts commands, restarts any that exits (backing off while it
keeps crashing), keeps watched resources alive, stops every process group on demand.

Independent of the rest of `make run`: it takes any commands.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from scripts.output import Output


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


def _retry_later(entry: _Child | _Watch) -> float:
    """A (re)start that failed at once: schedule the next try, backed off; the delay."""
    delay = entry.backoff.after(0.0)
    entry.restart_at = time.monotonic() + delay
    return delay


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
            delay = _retry_later(watch)
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
            delay = _retry_later(child)
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
