"""Where the notifier has read its partitions up to, in its own schema.

The notifier reads without a consumer group (services/notifier/consumer.py): joining one
on the embedded broker took ~5 s a group, and after a kill -9 the dead member was waited
out, so nothing was sent for 10 s or more after a start. Instead it is assigned its
partitions and seeks to the offsets kept here. Each record's offset is written in the
transaction that applies it (`store`), so the SMS rows a record queues and its offset
commit together: a failed write rolls both back and the record is read again."""

from __future__ import annotations

from dataclasses import dataclass

from services.notifier.repository import Connection


@dataclass(frozen=True)
class Position:
    """A consumed record's place: the next record to read is `offset + 1`."""

    topic: str
    partition: int
    offset: int


async def store(conn: Connection, position: Position) -> None:
    """Record `position` as read (in the caller's transaction)."""
    await conn.execute(
        """INSERT INTO notifier.consumed_offsets (topic, partition, next) VALUES ($1, $2, $3)
           ON CONFLICT (topic, partition)
           DO UPDATE SET next = EXCLUDED.next, updated_at = now()""",
        position.topic,
        position.partition,
        position.offset + 1,
    )


async def stored(conn: Connection) -> dict[tuple[str, int], int]:
    """(topic, partition) → the offset of the next record to read, for every partition
    read so far."""
    rows = await conn.fetch("SELECT topic, partition, next FROM notifier.consumed_offsets")
    return {(r["topic"], r["partition"]): r["next"] for r in rows}


async def start_at(conn: Connection, nexts: dict[tuple[str, int], int]) -> None:
    """Set where partitions are read from (a deployment that must not reread old topics;
    tests that share topics); in its own transaction."""
    async with conn.transaction():
        for (topic, partition), offset in nexts.items():
            await store(conn, Position(topic, partition, offset - 1))
