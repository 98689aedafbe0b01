"""Chaos fixtures: a cluster of real processes on its own broker and a fresh database
(`database_url` from tests/conftest.py), with a gateway that can be told to misbehave."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from shared.embedded import free_port
from tests.chaos.cluster import Cluster, FaultyGateway, say
from tests.e2e.conftest import SmsGateway  # noqa: F401 — the recorder FaultyGateway extends

MakeCluster = Callable[..., Awaitable[Cluster]]


@pytest.fixture
async def gateway() -> AsyncIterator[FaultyGateway]:
    gw = FaultyGateway(free_port())
    await gw.start()
    yield gw
    await gw.stop()


@pytest.fixture
async def make_cluster(
    database_url: str, gateway: FaultyGateway, request: pytest.FixtureRequest
) -> AsyncIterator[MakeCluster]:
    """`await make_cluster(services=(...), database_url=..., **extra_env)`: broker, topics
    and the services started and healthy. Logs stay in a temp dir printed on failure."""
    made: list[Cluster] = []

    async def make(
        services: tuple[str, ...] = ("ticketing", "notifier", "display"),
        database: str | None = None,
        **extra_env: str,
    ) -> Cluster:
        log_dir = Path(tempfile.mkdtemp(prefix="antrian-chaos-"))
        cluster = Cluster(database or database_url, gateway, log_dir, extra_env=extra_env)
        made.append(cluster)
        cluster.start_broker()
        await cluster.restart_broker_topics()
        for name in services:
            cluster.spawn(name)
        for name in services:
            await cluster.healthy(name)
        say(f"cluster up: {', '.join(services)}; logs in {log_dir}")
        return cluster

    yield make
    for cluster in made:
        cluster.stop_all()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            say(f"logs of the failed test: {cluster.log_dir}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    rep = yield
    if rep.when == "call":
        item.rep_call = rep  # type: ignore[attr-defined]
    return rep
