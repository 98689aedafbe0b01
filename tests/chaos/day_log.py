"""A full day's events for the configured sites, as ticketing's outbox relay publishes them,
and the board each site must show at the end of it.

The day is simulated, not driven through the HTTP API (6,000 tickets and ~18,000 events
would take minutes of kiosk and counter requests): kiosks issue, each counter calls the
next waiting ticket of its services (the served completion of the one before and the call
recorded together, as call-next does), now and then a recall or a no-show. Every event is
a shared/events.py model with the extensions ticketing stamps (`sequence`, per site, in
commit order; `waiting` after the change) and is published the way the relay publishes a
live event: keyed by its site, one produce request per event, so the broker stores every
event as its own one-record batch, the costly case for the embedded broker (each fetch
that returns records lists the partition's batches; docs/performance.md).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaProducer

from shared.events import AnyEvent, ServiceCompleted, TicketCalled, TicketIssued
from shared.sites import SiteConfig


@dataclass
class SiteDay:
    """One site's day: its events in commit order, and the board they leave."""

    config: SiteConfig
    events: list[AnyEvent] = field(default_factory=list)
    serving: dict[str, str] = field(default_factory=dict)  # counter id → ticket number
    calls: list[str] = field(default_factory=list)  # ticket-called event ids, oldest first
    waiting: dict[str, int] = field(default_factory=dict)

    def truth(self, recent: int = 10) -> dict[str, Any]:
        """What the display's board JSON must say (`view` of it)."""
        return {
            "now_serving": dict(sorted(self.serving.items())),
            "recent_calls": self.calls[::-1][:recent],
            "waiting": {k: v for k, v in sorted(self.waiting.items()) if v},
            "last_sequence": self.events[-1].sequence if self.events else None,
        }


def view(board: dict[str, Any]) -> dict[str, Any]:
    """The parts of a board JSON that `SiteDay.truth` predicts."""
    return {
        "now_serving": dict(
            sorted((c["counter_id"], c["ticket_number"]) for c in board["now_serving"])
        ),
        "recent_calls": [c["event_id"] for c in board["recent_calls"]],
        "waiting": {k: v for k, v in sorted(board["waiting"].items()) if v},
        "last_sequence": board.get("last_sequence"),
    }


def _start_of_day(config: SiteConfig, now: datetime) -> datetime:
    """When the simulated day opens: 8 hours ago, or the site's local midnight if later
    (every event must be of the site's today, or the board folds it away)."""
    local = now.astimezone(ZoneInfo(config.site.timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return max(now - timedelta(hours=8), midnight.astimezone(UTC) + timedelta(seconds=1))


def simulate(config: SiteConfig, tickets: int, now: datetime, seed: int = 15) -> SiteDay:
    """`tickets` issued over the day and called by the site's counters, ending with a few
    still waiting and every counter serving its last ticket."""
    rnd = random.Random(f"{seed}:{config.site.id}")
    day = SiteDay(config)
    services = {s.id: s for s in config.services}
    agencies = {a.id: a.name for a in config.agencies}
    queues: dict[str, deque[tuple[uuid.UUID, str, datetime]]] = defaultdict(deque)
    numbers: dict[str, int] = defaultdict(int)
    current: dict[str, tuple[uuid.UUID, str, str, datetime, int]] = {}
    start = _start_of_day(config, now)
    steps = tickets * 3
    clock = iter(start + (now - start) * (i / (steps + 1)) for i in range(steps + 10_000))

    def envelope(ticket_id: uuid.UUID, number: str, service_id: str) -> dict[str, Any]:
        service = services[service_id]
        return {
            "event_id": uuid.uuid4(),
            "occurred_at": next(clock),
            "site_id": config.site.id,
            "site_name": config.site.name,
            "ticket_id": ticket_id,
            "ticket_number": number,
            "service_id": service_id,
            "service_name": service.name,
            "agency_id": service.agency,
            "agency_name": agencies[service.agency],
            "sequence": len(day.events) + 1,
        }

    def issue() -> None:
        service = rnd.choice(config.services)
        numbers[service.id] += 1
        number = f"{service.prefix}-{numbers[service.id]:03d}"
        ticket_id = uuid.uuid4()
        ahead = len(queues[service.id])
        base = envelope(ticket_id, number, service.id)
        queues[service.id].append((ticket_id, number, base["occurred_at"]))
        day.waiting[service.id] = len(queues[service.id])
        day.events.append(
            TicketIssued(
                **base,
                waiting={service.id: day.waiting[service.id]},
                priority="regular",
                channel=rnd.choice(("kiosk", "kiosk", "kiosk", "online")),
                waiting_ahead=ahead,
                estimated_wait_s=ahead * 60,
                contact=None,
            )
        )

    def call_next(counter: Any) -> None:
        if counter.id in current:
            ticket_id, number, service_id, called_at, _ = current.pop(counter.id)
            base = envelope(ticket_id, number, service_id)
            day.events.append(
                ServiceCompleted(
                    **base,
                    waiting={service_id: len(queues[service_id])},
                    counter_id=counter.id,
                    outcome="served" if rnd.random() > 0.05 else "no_show",
                    wait_s=60,
                    service_s=int((base["occurred_at"] - called_at).total_seconds()),
                    transferred_to_service_id=None,
                )
            )
            day.serving.pop(counter.id, None)
        waiting = [s for s in counter.services if queues[s]]
        if not waiting:
            return
        service_id = min(waiting, key=lambda s: queues[s][0][2])  # longest wait
        ticket_id, number, _ = queues[service_id].popleft()
        day.waiting[service_id] = len(queues[service_id])
        call(counter, ticket_id, number, service_id, 1)

    def call(counter: Any, ticket_id: uuid.UUID, number: str, service_id: str, n: int) -> None:
        base = envelope(ticket_id, number, service_id)
        event = TicketCalled(
            **base,
            waiting={service_id: len(queues[service_id])},
            counter_id=counter.id,
            counter_name=counter.name,
            call_count=n,
        )
        day.events.append(event)
        current[counter.id] = (ticket_id, number, service_id, base["occurred_at"], n)
        day.serving[counter.id] = number
        day.calls.append(str(event.event_id))

    issued = 0
    while issued < tickets:
        if rnd.random() < 0.5:
            issue()
            issued += 1
            continue
        counter = rnd.choice(config.counters)
        held = current.get(counter.id)
        if held is not None and held[4] < 2 and rnd.random() < 0.05:
            call(counter, held[0], held[1], held[2], held[4] + 1)  # a recall
        else:
            call_next(counter)
    for counter in config.counters:  # the afternoon: each counter takes one more
        call_next(counter)
    return day


async def publish_day(bootstrap: str, days: list[SiteDay], streams: int = 9) -> int:
    """Publish every site's events, one produce request (one stored batch) per event, each
    site's events of a topic in commit order; `streams` senders side by side."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=0, enable_idempotence=False
    )
    await producer.start()
    by_lane: dict[tuple[str, str], list[AnyEvent]] = defaultdict(list)
    for day in days:
        for event in day.events:
            by_lane[(event.site_id, event.topic)].append(event)
    lanes = list(by_lane.values())

    async def send(lane: list[AnyEvent]) -> None:
        for event in lane:
            await producer.send_and_wait(
                event.topic,
                event.to_json(),
                key=event.site_id.encode(),
                headers=[("content-type", b"application/json")],
            )

    try:
        for i in range(0, len(lanes), streams):
            await asyncio.gather(*(send(lane) for lane in lanes[i : i + streams]))
    finally:
        await producer.stop()
    return sum(len(lane) for lane in lanes)
