"""The queue figures every event carries (`waiting`, `queue_head`, a new ticket's place)
equal the queue rebuilt from the events themselves in sequence order, also when kiosks and
counters act at the same moment and call-next records a completion and a call in one
transaction (the completion carries the queue just before the call)."""

from __future__ import annotations

import asyncio
import random
from itertools import pairwise
from typing import Any
from uuid import UUID

import orjson
import pytest

from services.ticketing.actors import Actor
from services.ticketing.usecases import counter_actions, event_figures, issuing
from services.ticketing.usecases.commands import CallNext, IssueTicket, NoShow, Recall, Transfer
from shared.database import connect

SITE = "uji"
SERVICES = ("ktp-el", "kk")
COUNTERS = ("uji-loket-01", "uji-loket-02", "uji-loket-03")
ACTOR = Actor("uji-admin", SITE, "admin", ())


async def _kiosk(dsn: str, seed: int, tickets: int) -> None:
    rng = random.Random(seed)
    conn = await connect(dsn)
    try:
        for _ in range(tickets):
            command = IssueTicket(
                SITE,
                rng.choice(SERVICES),
                "priority" if rng.random() < 0.2 else "regular",
                "kiosk",
            )
            await issuing.issue_ticket(conn, command, token_secret="unused by kiosk tickets")
            await asyncio.sleep(rng.random() * 0.01)
    finally:
        await conn.close()


async def _counter(dsn: str, counter_id: str, seed: int, rounds: int) -> None:
    rng = random.Random(seed)
    conn = await connect(dsn)
    try:
        for _ in range(rounds):
            state = await counter_actions.call_next(conn, CallNext(SITE, counter_id), ACTOR)
            if state is not None and rng.random() < 0.2:
                await counter_actions.recall(conn, Recall(state.row["id"]), ACTOR)
            if state is not None and rng.random() < 0.15:
                await counter_actions.no_show(conn, NoShow(state.row["id"]), ACTOR)
            elif state is not None and rng.random() < 0.15:
                other = next(s for s in SERVICES if s != state.row["service_id"])
                await counter_actions.transfer(conn, Transfer(state.row["id"], other), ACTOR)
            await asyncio.sleep(rng.random() * 0.01)
    finally:
        await conn.close()


def _place(ticket: Any) -> tuple[int, Any, UUID]:
    return (0 if ticket["priority"] == "priority" else 1, ticket["queued_at"], ticket["id"])


@pytest.mark.parametrize("seed", [1, 2])
async def test_every_events_figures_equal_the_queue_replayed_from_the_events(
    ticketing_db: str, seed: int
) -> None:
    await asyncio.gather(
        _kiosk(ticketing_db, seed, 40),
        _kiosk(ticketing_db, seed + 100, 40),
        *(_counter(ticketing_db, c, seed + i, 25) for i, c in enumerate(COUNTERS)),
    )
    conn = await connect(ticketing_db)
    try:
        rows = await conn.fetch(
            "SELECT site_seq, payload FROM ticketing.outbox WHERE site_id = $1 ORDER BY site_seq",
            SITE,
        )
        tickets = {
            r["id"]: r
            for r in await conn.fetch(
                "SELECT id, priority, queued_at FROM ticketing.tickets WHERE site_id = $1", SITE
            )
        }
    finally:
        await conn.close()
    assert [r["site_seq"] for r in rows] == list(range(1, len(rows) + 1)), "gapless"
    events = [orjson.loads(r["payload"]) for r in rows]
    kinds = {e["event_type"] for e in events}
    assert kinds == {"ticket-issued", "ticket-called", "service-completed"}
    paired = sum(
        1
        for a, b in pairwise(events)
        if a["event_type"] == "service-completed"
        and b["event_type"] == "ticket-called"
        and a["counter_id"] == b["counter_id"]
    )
    assert paired >= 10, "call-next closed an open ticket and called the next many times"

    waiting: dict[str, set[UUID]] = {s: set() for s in SERVICES}
    checked = 0
    for event in events:
        ticket_id = UUID(event["ticket_id"])
        service = event["service_id"]
        touched = [service]
        if event["event_type"] == "ticket-issued":
            waiting[service].add(ticket_id)
        elif event["event_type"] == "ticket-called":
            waiting[service].discard(ticket_id)
        else:
            waiting[service].discard(ticket_id)
            if event["transferred_to_service_id"]:
                touched.append(event["transferred_to_service_id"])
                waiting[event["transferred_to_service_id"]].add(ticket_id)
        at = event["sequence"]
        assert event["waiting"] == {s: len(waiting[s]) for s in touched}, f"waiting at {at}"
        if event["event_type"] == "ticket-issued":
            ahead = [t for t in waiting[service] if _place(tickets[t]) < _place(tickets[ticket_id])]
            assert event["waiting_ahead"] == len(ahead), f"waiting_ahead at {at}"
        else:
            expected = [
                str(t)
                for s in touched
                for t in sorted(waiting[s], key=lambda t: _place(tickets[t]))[
                    : event_figures.NEAR_HEAD
                ]
            ]
            assert [h["ticket_id"] for h in event["queue_head"]] == expected, f"head at {at}"
            assert [h["waiting_ahead"] for h in event["queue_head"]] == [
                i for s in touched for i in range(min(len(waiting[s]), event_figures.NEAR_HEAD))
            ]
        checked += 1
    assert checked == len(events) > 150
