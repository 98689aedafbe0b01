"""PostgreSQL plumbing: the asyncpg pool and versioned SQL migrations per schema."""

from __future__ import annotations

import asyncio
import logging
import re
import zlib
from pathlib import Path

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

log = logging.getLogger(__name__)

Connection = asyncpg.Connection | PoolConnectionProxy
"""A plain connection or one borrowed from a pool: repositories accept either."""

_MIGRATION_FILE = re.compile(r"^(\d{3,})_[\w-]+\.sql$")


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(
            typ,
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection with the same json/jsonb codecs as the pool's."""
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


async def _keep_session(conn: asyncpg.Connection) -> None:
    """A pool `reset` that leaves the session as it is (see `create_pool`)."""


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 10, reset_sessions: bool = True
) -> asyncpg.Pool:
    """A pool whose connections encode/decode json and jsonb with orjson.

    `reset_sessions=False` skips asyncpg's reset query on every release (advisory unlock,
    CLOSE ALL, UNLISTEN, RESET ALL: one more round trip per request). Only for a pool whose
    users keep no session state: transaction-scoped locks and SET LOCAL only, no LISTEN, no
    session advisory lock left held. An open transaction is still rolled back on release."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=None if reset_sessions else _keep_session,
        command_timeout=30,
    )
    assert pool is not None
    return pool


async def wait_for_database(dsn: str, what: str, timeout_s: float = 60.0) -> None:
    """Block until PostgreSQL accepts a connection (start-up ordering under supervision)."""
    delay, waited = 0.2, 0.0
    while True:
        try:
            conn = await asyncpg.connect(dsn, timeout=5)
            await conn.close()
            return
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            if waited >= timeout_s:
                raise
            log.warning("%s waiting for PostgreSQL (%s)", what, exc)
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 5.0)


def migration_files(directory: Path) -> list[tuple[int, str, str]]:
    """(version, name, sql) for every NNN_name.sql in `directory`, in version order."""
    found = []
    for path in sorted(directory.iterdir()):
        match = _MIGRATION_FILE.match(path.name)
        if match:
            found.append((int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"duplicate migration versions in {directory}")
    return found


async def apply_migrations(conn: Connection, schema: str, directory: Path) -> list[str]:
    """Apply the not-yet-applied migrations of `schema`, each in its own transaction.

    An advisory lock makes two replicas starting at once apply each migration once.
    Returns the names applied now.
    """
    lock_key = zlib.crc32(f"migrations:{schema}".encode())
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", lock_key)
    try:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(
            f"""CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {
            r["version"]
            for r in await conn.fetch(f'SELECT version FROM "{schema}".schema_migrations')
        }
        for version, name, sql in migration_files(directory):
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(f'SET LOCAL search_path TO "{schema}", public')
                await conn.execute(sql)
                await conn.execute(
                    f'INSERT INTO "{schema}".schema_migrations (version, name) VALUES ($1, $2)',
                    version,
                    name,
                )
            log.info("applied migration %s.%s", schema, name)
            applied_now.append(name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", lock_key)
    return applied_now
