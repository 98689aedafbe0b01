"""A database row as a typed, frozen value: every repository answers with one of these,
never an `asyncpg.Record`, so the shape of what crosses the module is written down."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import Field, fields
from typing import Any, ClassVar, Protocol, TypeVar

import asyncpg


class Dataclass(Protocol):
    """A dataclass whose field names are the columns it is read from."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]


T = TypeVar("T", bound=Dataclass)


def row_of(cls: type[T], record: asyncpg.Record) -> T:
    """The `cls` holding `record`'s columns of the same names (a missing column fails)."""
    return cls(**{f.name: record[f.name] for f in fields(cls)})


def maybe_row(cls: type[T], record: asyncpg.Record | None) -> T | None:
    return None if record is None else row_of(cls, record)


def rows_of(cls: type[T], records: Iterable[asyncpg.Record]) -> list[T]:
    return [row_of(cls, r) for r in records]
