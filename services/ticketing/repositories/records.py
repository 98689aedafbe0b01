"""From asyncpg records to the typed rows (TypedDicts) the repositories of the queue answer
with: plain dicts whose keys and value types are written down, never an `asyncpg.Record`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar, cast

import asyncpg

T = TypeVar("T")


def one(kind: type[T], record: asyncpg.Record) -> T:
    """`record` as the row type `kind` (a TypedDict naming its columns)."""
    return cast(T, dict(record))


def maybe(kind: type[T], record: asyncpg.Record | None) -> T | None:
    return None if record is None else one(kind, record)


def many(kind: type[T], records: Iterable[asyncpg.Record]) -> list[T]:
    return [one(kind, r) for r in records]
