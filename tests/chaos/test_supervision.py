"""`make run` supervision under load: SIGTERM to the notifier in the middle of slow SMS
sends. The supervisor restarts it; a graceful stop finishes (or leaves to redelivery)
the work in hand and never commits an offset past it: every SMS goes out exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.embedded import free_port
from tests.chaos.cluster import (
    LONG,
    REPO_ROOT,
    Load,
    eventually,
    reconcile,
    say,
    site_counters,
    wait_quiet,
)
from tests.chaos.conftest import MakeCluster

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900 if LONG else 300)]


def child_pid(parent: int) -> int | None:
    """The supervised service: the one child of `python -m scripts.run --only notifier`."""
    try:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


@pytest.mark.skipif(
    not LONG,
    reason="make chaos only: on a loaded 2-core CI machine the restarted notifier's group "
    "join can outlast the test's 180 s budget (seen once: 0 of 251 events handled)",
)
async def test_sigterm_to_notifier_mid_handler_loses_and_doubles_nothing(
    make_cluster: MakeCluster,
) -> None:
    cluster = await make_cluster(services=("ticketing", "display"))

    async def slow(_sms: dict[str, Any]) -> int:
        await asyncio.sleep(0.4)
        return 200

    cluster.gateway.behaviour = slow
    cluster.ports["notifier"] = port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="antrian-chaos-run-"))
    env = {
        **cluster.env("notifier"),
        "MPP_DATA_DIR": str(data_dir),
        "NOTIFIER_PORT": str(port),
        "SMS_CONCURRENCY": "8",
        "SMS_LEASE_S": "5",
    }
    log = open(cluster.log_dir / "make-run.log", "ab")  # noqa: SIM115
    run = subprocess.Popen(
        [sys.executable, "-m", "scripts.run", "--no-colour", "--only", "notifier"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    notifier = f"http://127.0.0.1:{port}"
    try:

        async def healthy() -> int | None:
            async with httpx.AsyncClient(timeout=3) as client:
                ok = (await client.get(f"{notifier}/health")).status_code == 200
            return child_pid(run.pid) if ok else None

        first = await eventually(healthy, 90, "make run's notifier healthy")
        counters = (await site_counters(cluster.url("ticketing")))[:6]
        load = Load(
            [cluster.url("ticketing")],
            counters,
            kiosks=3,
            callers=4,
            issue_every_s=1.0,
            phone_share=1.0,
        )
        stop = asyncio.Event()
        running = asyncio.create_task(load.run(stop))
        terms = 4 if LONG else 2
        pids = [first]
        for _ in range(terms):
            await asyncio.sleep(2.5)

            async def sending() -> int:  # SIGTERM while the gateway holds SMS in hand
                return len(cluster.gateway.arrivals) - len(cluster.gateway.attempts)

            in_flight = 0
            with contextlib.suppress(AssertionError):
                in_flight = await eventually(sending, 10, "SMS in flight", every=0.02)
            victim = child_pid(run.pid)
            assert victim is not None
            os.kill(victim, signal.SIGTERM)
            say(f"SIGTERM notifier pid {victim} with {in_flight} SMS in flight at the gateway")

            async def restarted(old: int = victim) -> int | None:
                pid = await healthy()
                return pid if pid and pid != old else None

            pids.append(await eventually(restarted, 60, "the notifier restarted by make run"))
        await asyncio.sleep(2.0)
        stop.set()
        await running
        cluster.ports["notifier"] = port
        await wait_quiet(cluster, [cluster.url("display")], timeout=180)
        result = await reconcile(cluster, load, [cluster.url("display")])
        say(f"notifier pids {pids}")
        say(result.table(f"SIGTERM x{terms} under make run, SMS gateway 0.4 s per SMS"))
        assert result.figures["duplicate SMS"] == 0 and result.figures["SMS lost"] == 0
        assert result.problems == []
    finally:
        if run.poll() is None:
            run.send_signal(signal.SIGINT)
            try:
                run.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
        log.close()
    assert run.returncode == 0, cluster.log_tail("make-run")
