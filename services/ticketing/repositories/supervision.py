"""What a supervisor sees of and changes at the counters, kept as SQL: each open counter
with the ticket it is serving, and a counter's services and call order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.ticketing.repositories.rows import rows_of
from shared.database import Connection


@dataclass(frozen=True)
class CounterState:
    """An active counter and the ticket it has called (the ticket's fields None if none)."""

    id: str
    name: str
    service_ids: list[str]
    call_order: str
    last_active_at: datetime | None
    paused_at: datetime | None
    paused_reason: str | None
    ticket_id: UUID | None
    number: str | None
    service_id: str | None
    called_at: datetime | None
    call_count: int | None


async def counter_states(conn: Connection, site_id: str) -> list[CounterState]:
    rows = await conn.fetch(
        """SELECT c.id, c.name, c.service_ids, c.call_order, c.last_active_at,
                  c.paused_at, c.paused_reason,
                  t.id AS ticket_id, t.number, t.service_id, t.called_at, t.call_count
             FROM ticketing.counters c
             LEFT JOIN ticketing.tickets t
               ON t.site_id = c.site_id AND t.counter_id = c.id AND t.status = 'called'
            WHERE c.site_id = $1 AND c.active
            ORDER BY c.position""",
        site_id,
    )
    return rows_of(CounterState, rows)


async def reassign_counter(
    conn: Connection, site_id: str, counter_id: str, service_ids: list[str], call_order: str
) -> None:
    await conn.execute(
        """UPDATE ticketing.counters SET service_ids = $3, call_order = $4
            WHERE site_id = $1 AND id = $2""",
        site_id,
        counter_id,
        service_ids,
        call_order,
    )
