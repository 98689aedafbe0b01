"""The public fairness ledger of a site's day, read from the outbox: the complete, ordered
record of every issue, call, transfer, return and cancel that ticketing published."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from services.ticketing.domain import ledger
from services.ticketing.domain import tickets as rules
from services.ticketing.errors import NotFound
from services.ticketing.repositories import sites as repo
from shared import topics
from shared.database import Connection


async def day_ledger(conn: Connection, site_id: str, day: date | None) -> dict[str, Any]:
    site = await repo.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    if day is None:
        day = rules.local_day(await repo.database_now(conn), site["timezone"])
    start, end = rules.local_day_span(day, site["timezone"])
    rows = await conn.fetch(
        """SELECT payload FROM ticketing.outbox
            WHERE site_id = $1 AND topic = ANY($2::text[])
              AND created_at >= $3 AND created_at < $4
            ORDER BY site_seq""",
        site_id,
        list(topics.EVENT_TOPICS),
        start,
        end,
    )
    names = {s["id"]: s["name"] for s in await repo.services(conn, site_id)}
    visits = ledger.build([orjson.loads(r["payload"]) for r in rows])
    return {
        "site_id": site_id,
        "site_name": site["name"],
        "date": day,
        "timezone": site["timezone"],
        "events": len(rows),
        "tickets": [
            {
                "number": v.number,
                "service_id": v.service_id,
                "service_name": names.get(v.service_id, v.service_name),
                "priority": v.priority,
                "channel": v.channel,
                "entry": v.entry,
                "issued_at": v.issued_at,
                "entered_at": v.entered_at,
                "called_at": v.called_at,
                "counter_name": v.counter_name,
                "call_reason": v.call_reason,
                "outcome": v.left,
                "overtaken_by": v.overtaken_by,
            }
            for v in visits
        ],
    }
