"""A lobby board folded from events: pure domain code, no I/O.

One `Board` per site holds what the lobby shows today:

- `now_serving`: per counter, the ticket it called last, unless that ticket has been
  completed since (a newer call at the counter replaces it; a recall keeps it);
- `recent_calls`: the last N calls, newest first, recalls included;
- `waiting`: per service, the number of tickets waiting.

Rules (they make the board a function of the *set* of events, not of their arrival
order, whenever producers stamp the `sequence` extension):

- Order. The three topics are read independently, so a `ticket-called` may arrive
  after the `service-completed` that followed it. Every decision compares the
  events' `sequence` (per site, commit order), never arrival order: the call shown
  at a counter is the one with the highest sequence; it is hidden when its ticket has
  a completion with a higher sequence; a service's waiting count comes from the
  event with the highest sequence that carried one. An event without `sequence` (a
  contract-only producer) is ordered as if it arrived last (arrival order), which is
  all such a producer allows.
- Waiting. Taken from the `waiting` extension (the count after the change, for each
  service the change touched). A `ticket-issued` without it falls back to
  `waiting_ahead + 1` for its service (the new ticket plus those ahead of it: exact
  for regular tickets, a lower bound when priority tickets jumped the queue). Calls
  and completions without it leave the count alone: nothing in them says it. A
  service nobody has reported on today is absent from `waiting`.
- Duplicates. Dropped by `event_id`; the ids of today's events are kept, bounded
  (oldest forgotten first). Even a forgotten id re-applied changes nothing: every
  rule above is idempotent, and `recent_calls` is keyed by event id.
- Day. A board holds one day in the site's time zone (UTC for a site without
  configuration). Events of an earlier day are ignored (so a replay of the topics on
  start rebuilds today only); an event of a later day, or a read after midnight,
  starts a fresh board.

The fold happens here only: the stream sends each event with `board`, what it changed on
the board (`changes`), so a lobby page applies a snapshot and then those changes, and only
draws. Every call carries its `announcement`, the words spoken for it (services/display/
words.py, read the way the site's `announce_numbers` says).
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.display.status import SiteStatus
from services.display.words import Reading, announcement
from shared.events import (
    AnyEvent,
    ServiceCompleted,
    SiteStatusChanged,
    TicketCalled,
    TicketIssued,
    utc_rfc3339,
)
from shared.sites import SiteConfig

BoardEvent = AnyEvent | SiteStatusChanged
"""What a board folds: the ticket events, and the site's status changes (breaks, closures)."""

UTC_ZONE = ZoneInfo("UTC")


rfc3339 = utc_rfc3339
"""UTC, RFC 3339, `Z` suffix: the same form as the events' `occurred_at`."""


class Outcome(enum.Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    EARLIER_DAY = "earlier_day"


@dataclass(frozen=True, slots=True)
class Call:
    """One ticket-called event as a board shows it."""

    event_id: str
    order: int
    counter_id: str
    counter_name: str
    ticket_id: str
    ticket_number: str
    service_id: str
    service_name: str
    agency_id: str
    call_count: int
    called_at: datetime

    @classmethod
    def of(cls, event: TicketCalled, order: int) -> Call:
        return cls(
            event_id=str(event.event_id),
            order=order,
            counter_id=event.counter_id,
            counter_name=event.counter_name,
            ticket_id=str(event.ticket_id),
            ticket_number=event.ticket_number,
            service_id=event.service_id,
            service_name=event.service_name,
            agency_id=event.agency_id,
            call_count=event.call_count,
            called_at=event.occurred_at,
        )

    def sort_key(self) -> tuple[int, str]:
        return (self.order, self.event_id)

    def to_json(self, reading: Reading = "digits") -> dict[str, Any]:
        return {
            "counter_id": self.counter_id,
            "counter_name": self.counter_name,
            "ticket_number": self.ticket_number,
            "service_id": self.service_id,
            "called_at": rfc3339(self.called_at),
            # additions beyond CONTRACT.md
            "ticket_id": self.ticket_id,
            "service_name": self.service_name,
            "agency_id": self.agency_id,
            "call_count": self.call_count,
            "event_id": self.event_id,
            "sequence": self.order,  # the event's sequence (arrival order if it had none)
            "announcement": announcement(self.ticket_number, self.counter_name, reading),
        }


@dataclass(frozen=True, slots=True)
class Mark:
    """What a board showed at one moment, to tell what an event changed (`Board.changes`)."""

    day: date
    serving: dict[str, str]  # counter_id -> event_id of the call it shows
    waiting: dict[str, int]
    recent: tuple[str, ...]
    catalog: int
    paused: dict[str, Any]
    closed: dict[str, Any]


class Board:
    """Today's board of one site. Feed it events with `apply`; read it with `to_json`."""

    def __init__(
        self,
        site_id: str,
        now: datetime,
        *,
        config: SiteConfig | None = None,
        site_name: str | None = None,
        recent_limit: int = 10,
        seen_limit: int = 200_000,
    ) -> None:
        self.site_id = site_id
        self.config = config
        self.zone = config.zone if config is not None else UTC_ZONE
        self.site_name = config.site.name if config is not None else (site_name or site_id)
        self._positions = {c.id: i for i, c in enumerate(config.counters)} if config else {}
        self.reading: Reading = config.site.announce_numbers if config is not None else "digits"
        self.recent_limit = recent_limit
        self.seen_limit = seen_limit
        self.version = 0
        self.catalog_version = 0
        self._reset(self.local_day(now))

    def _reset(self, day: date) -> None:
        self.day = day
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._max_order = 0
        self._last_call: dict[str, Call] = {}  # counter_id -> call with the highest order
        self._completed: dict[str, int] = {}  # ticket_id -> highest order of its completions
        self._waiting: dict[str, tuple[int, int]] = {}  # service_id -> (order, count)
        self._recent: list[Call] = []  # newest first, at most recent_limit
        self._services: dict[str, tuple[str, str]] = {}  # seen in events: name, agency_id
        self._agencies: dict[str, str] = {}
        self.status = SiteStatus()
        self._call_jsons: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()
        self.version += 1
        self.catalog_version += 1

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    @property
    def last_order(self) -> int:
        return self._max_order

    def roll(self, now: datetime) -> bool:
        """Start a fresh board if `now` is a later day than the board's. True if it did."""
        today = self.local_day(now)
        if today > self.day:
            self._reset(today)
            return True
        return False

    def apply(self, event: BoardEvent) -> Outcome:
        """Fold one event into the board."""
        day = self.local_day(event.occurred_at)
        if day < self.day:
            return Outcome.EARLIER_DAY
        if day > self.day:
            self._reset(day)
        event_id = str(event.event_id)
        if event_id in self._seen:
            return Outcome.DUPLICATE
        self._seen[event_id] = None
        while len(self._seen) > self.seen_limit:
            self._seen.popitem(last=False)

        order = event.sequence if event.sequence is not None else self._max_order + 1
        self._max_order = max(self._max_order, order)
        if isinstance(event, SiteStatusChanged):
            self.status.apply(event, order)
            self.version += 1
            return Outcome.APPLIED
        if not self.site_name or self.config is None:
            self.site_name = event.site_name
        service = (event.service_name, event.agency_id)
        if self._services.get(event.service_id) != service:
            self._services[event.service_id] = service
            self.catalog_version += 1
        if self._agencies.get(event.agency_id) != event.agency_name:
            self._agencies[event.agency_id] = event.agency_name
            self.catalog_version += 1

        waiting = dict(event.waiting)
        if not waiting and isinstance(event, TicketIssued):
            waiting = {event.service_id: event.waiting_ahead + 1}
        for service_id, count in waiting.items():
            known = self._waiting.get(service_id)
            if known is None or order >= known[0]:
                self._waiting[service_id] = (order, count)

        if isinstance(event, TicketCalled):
            self._apply_call(Call.of(event, order))
        elif isinstance(event, ServiceCompleted):
            ticket_id = str(event.ticket_id)
            self._completed[ticket_id] = max(self._completed.get(ticket_id, order), order)
        self.version += 1
        return Outcome.APPLIED

    def _apply_call(self, call: Call) -> None:
        shown = self._last_call.get(call.counter_id)
        if shown is None or call.sort_key() > shown.sort_key():
            self._last_call[call.counter_id] = call
            if shown is None and call.counter_id not in self._positions:
                self.catalog_version += 1  # a counter the site file does not name
        if any(c.event_id == call.event_id for c in self._recent):
            return
        if len(self._recent) >= self.recent_limit and call.sort_key() < self._recent[-1].sort_key():
            return
        self._recent.append(call)
        self._recent.sort(key=Call.sort_key, reverse=True)
        del self._recent[self.recent_limit :]

    # -- reading ---------------------------------------------------------------------------

    def now_serving(self) -> list[Call]:
        serving = [
            call
            for call in self._last_call.values()
            if self._completed.get(call.ticket_id, -1) < call.order
        ]
        position = self._positions
        return sorted(
            serving, key=lambda c: (position.get(c.counter_id, len(position)), c.counter_id)
        )

    def recent_calls(self) -> list[Call]:
        return list(self._recent)

    def waiting(self) -> dict[str, int]:
        return {service_id: count for service_id, (_, count) in sorted(self._waiting.items())}

    def _call_json(self, call: Call) -> dict[str, Any]:
        """The call's JSON, built once: every call event sends the ten recent calls again,
        and their announcement words were most of the fold's CPU (read only, never
        changed by a reader; the few latest calls are kept)."""
        key = (call.event_id, call.order)
        cached = self._call_jsons.get(key)
        if cached is None:
            cached = self._call_jsons[key] = call.to_json(self.reading)
            if len(self._call_jsons) > 4 * self.recent_limit + 2 * len(self._last_call):
                self._call_jsons.popitem(last=False)
        return cached

    def catalog(self) -> dict[str, Any]:
        """What the board is drawn with: counters (the site file's, then any other a call
        named), services and agencies (the site file's and those events named)."""
        services: dict[str, dict[str, Any]] = {
            sid: {"id": sid, "name": name, "agency_id": agency, "prefix": None}
            for sid, (name, agency) in self._services.items()
        }
        agencies = dict(self._agencies)
        counters: list[dict[str, Any]] = []
        if self.config is not None:
            for a in self.config.agencies:
                agencies[a.id] = a.name
            for s in self.config.services:
                services[s.id] = {"id": s.id, "name": s.name, "agency_id": s.agency}
                services[s.id]["prefix"] = s.prefix
            for c in self.config.counters:
                agency_ids = {services[sid]["agency_id"] for sid in c.services if sid in services}
                counters.append(
                    {
                        "id": c.id,
                        "name": c.name,
                        "service_ids": list(c.services),
                        "agency_ids": sorted(agency_ids),
                    }
                )
        known = {c["id"] for c in counters}
        for counter_id, call in sorted(self._last_call.items()):
            if counter_id not in known:
                counters.append(
                    {
                        "id": counter_id,
                        "name": call.counter_name,
                        "service_ids": [],
                        "agency_ids": [call.agency_id],
                    }
                )
        return {
            "counters": counters,
            "services": sorted(services.values(), key=lambda s: str(s["id"])),
            "agencies": [{"id": k, "name": v} for k, v in sorted(agencies.items())],
        }

    def to_json(self) -> dict[str, Any]:
        """The board as CONTRACT.md shows it, plus what a lobby page needs to draw it."""
        return {
            "now_serving": [self._call_json(c) for c in self.now_serving()],
            "recent_calls": [self._call_json(c) for c in self._recent],
            "waiting": self.waiting(),
            # additions beyond CONTRACT.md
            "site_id": self.site_id,
            "site_name": self.site_name,
            "timezone": str(self.zone.key),
            "day": self.day.isoformat(),
            "last_sequence": self._max_order or None,
            "paused": self.status.paused(),
            "closed": self.status.closed(),
            **self.catalog(),
        }

    # -- changes ---------------------------------------------------------------------------

    def mark(self) -> Mark:
        """What the board shows now, to compare with after an event (`changes`)."""
        return Mark(
            day=self.day,
            serving={c.counter_id: c.event_id for c in self.now_serving()},
            waiting=self.waiting(),
            recent=tuple(c.event_id for c in self._recent),
            catalog=self.catalog_version,
            paused=self.status.paused(),
            closed=self.status.closed(),
        )

    def changes(self, before: Mark | None) -> dict[str, Any]:
        """What changed on the board since `before` (None: since an empty board), as the
        stream sends it with each event:

        - `day`, `last_sequence`: always;
        - `reset`: true when the board started afresh (a new day): the page drops what it
          showed, and every other key is relative to an empty board;
        - `now_serving`: {counter_id: the call it shows now, or null}, for the counters
          whose call changed;
        - `waiting`: {service_id: count}, for the services whose count changed;
        - `recent_calls`: the whole list, when it changed;
        - `paused`, `closed`: the counters on a break and the services closed, whole, when
          either changed;
        - `site_name`, `counters`, `services`, `agencies`: when the catalog changed.
        """
        reset = before is None or before.day != self.day
        old = None if reset else before
        changed: dict[str, Any] = {"day": self.day.isoformat(), "last_sequence": self._max_order}
        if reset:
            changed["reset"] = True
        shown = {c.counter_id: c for c in self.now_serving()}
        old_serving = old.serving if old is not None else {}
        serving: dict[str, Any] = {}
        for counter_id in sorted(old_serving.keys() | shown.keys()):
            call = shown.get(counter_id)
            if (call.event_id if call else None) != old_serving.get(counter_id):
                serving[counter_id] = self._call_json(call) if call else None
        if serving:
            changed["now_serving"] = serving
        old_waiting = old.waiting if old is not None else {}
        waiting = {k: v for k, v in self.waiting().items() if old_waiting.get(k) != v}
        if waiting:
            changed["waiting"] = waiting
        recent = tuple(c.event_id for c in self._recent)
        if old is None or recent != old.recent:
            changed["recent_calls"] = [self._call_json(c) for c in self._recent]
        for key, now in (("paused", self.status.paused()), ("closed", self.status.closed())):
            if old is None or now != getattr(old, key):
                changed[key] = now
        if old is None or self.catalog_version != old.catalog:
            changed["site_name"] = self.site_name
            changed.update(self.catalog())
        return changed


class Boards:
    """Every site's board: configured sites from the start, others once an event names them."""

    def __init__(
        self,
        configs: dict[str, SiteConfig],
        *,
        recent_limit: int = 10,
        seen_limit: int = 200_000,
    ) -> None:
        self.configs = configs
        self.recent_limit = recent_limit
        self.seen_limit = seen_limit
        self._boards: dict[str, Board] = {}

    def _new(self, site_id: str, now: datetime, site_name: str | None = None) -> Board:
        board = Board(
            site_id,
            now,
            config=self.configs.get(site_id),
            site_name=site_name,
            recent_limit=self.recent_limit,
            seen_limit=self.seen_limit,
        )
        self._boards[site_id] = board
        return board

    def get(self, site_id: str, now: datetime) -> Board | None:
        """The site's board as of `now`, or None for a site neither configured nor seen."""
        board = self._boards.get(site_id)
        if board is None:
            if site_id not in self.configs:
                return None
            board = self._new(site_id, now)
        board.roll(now)
        return board

    def apply(self, event: BoardEvent, now: datetime) -> tuple[Board, Outcome]:
        board = self._boards.get(event.site_id) or self._new(event.site_id, now, event.site_name)
        board.roll(now)
        return board, board.apply(event)

    def apply_with_changes(
        self, event: BoardEvent, now: datetime
    ) -> tuple[Board, Outcome, dict[str, Any]]:
        """`apply`, and what the event changed on the board as the stream sends it (an
        event that started a new day's board: relative to an empty board)."""
        board = self._boards.get(event.site_id)
        if board is None and event.site_id in self.configs:
            board = self.get(event.site_id, now)  # a configured site's board, as pages read it
        before = board.mark() if board is not None else None
        board, outcome = self.apply(event, now)
        if outcome is not Outcome.APPLIED:
            return board, outcome, {}
        return board, outcome, board.changes(before)

    def __contains__(self, site_id: object) -> bool:
        return site_id in self._boards or site_id in self.configs
