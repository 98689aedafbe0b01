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


Queued = tuple[uuid.UUID, str, datetime]
"""A waiting ticket: id, number, when it was issued."""
Serving = tuple[uuid.UUID, str, str, datetime, int]
"""A counter's ticket: id, number, service, when it was called, its call count."""


class _Simulation:
    """One site's day as ticketing would record it (see `simulate`)."""

    def __init__(self, config: SiteConfig, tickets: int, now: datetime, seed: int) -> None:
        self.config = config
        self.rnd = random.Random(f"{seed}:{config.site.id}")
        self.day = SiteDay(config)
        self.services = {s.id: s for s in config.services}
        self.agencies = {a.id: a.name for a in config.agencies}
        self.queues: dict[str, deque[Queued]] = defaultdict(deque)
        self.numbers: dict[str, int] = defaultdict(int)
        self.current: dict[str, Serving] = {}
        start = _start_of_day(config, now)
        steps = tickets * 3 + 10_000
        self.clock = iter(start + (now - start) * (i / steps) for i in range(steps))

    def envelope(self, ticket_id: uuid.UUID, number: str, service_id: str) -> dict[str, Any]:
        service = self.services[service_id]
        return {
            "event_id": uuid.uuid4(),
            "occurred_at": next(self.clock),
            "site_id": self.config.site.id,
            "site_name": self.config.site.name,
            "ticket_id": ticket_id,
            "ticket_number": number,
            "service_id": service_id,
            "service_name": service.name,
            "agency_id": service.agency,
            "agency_name": self.agencies[service.agency],
            "sequence": len(self.day.events) + 1,
        }

    def issue(self) -> None:
        service = self.rnd.choice(self.config.services)
        self.numbers[service.id] += 1
        number = f"{service.prefix}-{self.numbers[service.id]:03d}"
        ticket_id = uuid.uuid4()
        queue = self.queues[service.id]
        ahead = len(queue)
        base = self.envelope(ticket_id, number, service.id)
        queue.append((ticket_id, number, base["occurred_at"]))
        self.day.waiting[service.id] = len(queue)
        self.day.events.append(
            TicketIssued(
                **base,
                waiting={service.id: len(queue)},
                priority="regular",
                channel=self.rnd.choice(("kiosk", "kiosk", "kiosk", "online")),
                waiting_ahead=ahead,
                estimated_wait_s=ahead * 60,
                contact=None,
            )
        )

    def call_next(self, counter: Any) -> None:
        """The counter's ticket served (or a no-show), then its longest-waiting ticket."""
        if counter.id in self.current:
            ticket_id, number, service_id, called_at, _ = self.current.pop(counter.id)
            base = self.envelope(ticket_id, number, service_id)
            self.day.events.append(
                ServiceCompleted(
                    **base,
                    waiting={service_id: len(self.queues[service_id])},
                    counter_id=counter.id,
                    outcome="served" if self.rnd.random() > 0.05 else "no_show",
                    wait_s=60,
                    service_s=int((base["occurred_at"] - called_at).total_seconds()),
                    transferred_to_service_id=None,
                )
            )
            self.day.serving.pop(counter.id, None)
        waiting = [s for s in counter.services if self.queues[s]]
        if not waiting:
            return
        service_id = min(waiting, key=lambda s: self.queues[s][0][2])
        ticket_id, number, _ = self.queues[service_id].popleft()
        self.day.waiting[service_id] = len(self.queues[service_id])
        self.call(counter, ticket_id, number, service_id, 1)

    def call(self, counter: Any, ticket_id: uuid.UUID, number: str, service: str, n: int) -> None:
        base = self.envelope(ticket_id, number, service)
        event = TicketCalled(
            **base,
            waiting={service: len(self.queues[service])},
            counter_id=counter.id,
            counter_name=counter.name,
            call_count=n,
        )
        self.day.events.append(event)
        self.current[counter.id] = (ticket_id, number, service, base["occurred_at"], n)
        self.day.serving[counter.id] = number
        self.day.calls.append(str(event.event_id))

    def step(self) -> bool:
        """A kiosk issues (True), or a counter calls next or recalls (False)."""
        if self.rnd.random() < 0.5:
            self.issue()
            return True
        counter = self.rnd.choice(self.config.counters)
        held = self.current.get(counter.id)
        if held is not None and held[4] < 2 and self.rnd.random() < 0.05:
            self.call(counter, held[0], held[1], held[2], held[4] + 1)  # a recall
        else:
            self.call_next(counter)
        return False


def simulate(config: SiteConfig, tickets: int, now: datetime, seed: int = 15) -> SiteDay:
    """`tickets` issued over the day and called by the site's counters, ending with some
    still waiting and every counter serving its last ticket."""
    sim = _Simulation(config, tickets, now, seed)
    issued = 0
    while issued < tickets:
        issued += sim.step()
    for counter in config.counters:  # the afternoon: each counter takes one more
        sim.call_next(counter)
    return sim.day


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
