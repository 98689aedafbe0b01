"""The queue rules of a ticket, as pure code (no I/O): numbering, the order in which
waiting tickets are called, which operator action is allowed in which state, and the
estimated wait. Repositories and HTTP call these; tests exercise them directly."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

Status = Literal["waiting", "called", "served", "no_show", "cancelled"]
Action = Literal["call", "recall", "complete", "no_show", "transfer", "cancel", "return"]

_Id = TypeVar("_Id")

OPEN_STATUSES: frozenset[str] = frozenset({"waiting", "called"})

# Which state each action needs: anything else is a 409.
_ALLOWED_FROM: dict[Action, frozenset[str]] = {
    "call": frozenset({"waiting"}),
    "recall": frozenset({"called"}),
    "complete": frozenset({"called"}),
    "no_show": frozenset({"called"}),
    "transfer": frozenset({"waiting", "called"}),
    "cancel": frozenset({"waiting"}),
    "return": frozenset({"no_show"}),
}

_WHY: dict[Action, str] = {
    "call": "only a waiting ticket can be called",
    "recall": "only a called ticket can be recalled",
    "complete": "only a called ticket can be completed",
    "no_show": "only a called ticket can be marked no-show",
    "transfer": "only a waiting or called ticket can be transferred",
    "cancel": "only a waiting ticket can be cancelled",
    "return": "only a no-show ticket can come back",
}


class WrongState(Exception):
    """The action does not apply to the ticket in its current state (HTTP 409)."""

    def __init__(self, action: Action, status: str) -> None:
        super().__init__(f"{_WHY[action]}; this ticket is {status}")
        self.action = action
        self.status = status


def check_action(action: Action, status: str) -> None:
    if status not in _ALLOWED_FROM[action]:
        raise WrongState(action, status)


def ticket_number(prefix: str, daily_sequence: int) -> str:
    """'A', 12 → 'A-012': service prefix, dash, daily sequence of at least 3 digits."""
    if daily_sequence < 1:
        raise ValueError("daily sequence starts at 1")
    return f"{prefix}-{daily_sequence:03d}"


def local_day(moment: datetime, timezone: str) -> date:
    """The site's calendar day at `moment`: numbering restarts at local midnight."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def local_day_span(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The instants a site-local `day` covers: [its local midnight, the next one). What a
    report's period, the ledger's day and an export's days select by."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(), zone)
    return start, datetime.combine(day + timedelta(days=1), time(), zone)


@dataclass(frozen=True, slots=True)
class QueuedTicket:
    """What decides a waiting ticket's place: its class, then its time in the queue."""

    priority: Literal["regular", "priority"]
    queued_at: datetime
    ticket_id: str = ""


CALLED_FIRST = "priority"
"""The class called before the other: priority tickets (lansia, disabilitas, ibu hamil)."""


def call_class(priority: str) -> int:
    """A ticket's class in call order: 0 for priority tickets, 1 for regular ones."""
    return 0 if priority == CALLED_FIRST else 1


def call_key(priority: str, queued_at: datetime, ticket_id: _Id) -> tuple[int, datetime, _Id]:
    """The one definition of call order: priority tickets first, FIFO within each class.

    `queued_at` is the issue time, kept on transfer, so a transferred ticket waits
    ahead of tickets issued after it. The id breaks exact ties deterministically.
    `call_order_sql` is the same order in SQL.
    """
    return (call_class(priority), queued_at, ticket_id)


def call_order_sql(alias: str, *, within_class: bool = False) -> str:
    """`call_key` as SQL: the columns of table `alias` to ORDER BY, or to compare as a row
    with (class, queued_at, id). `within_class`: only (queued_at, id), for a query that
    reads one class, so an index on the class's line still serves it."""
    fifo = f"{alias}.queued_at, {alias}.id"
    if within_class:
        return fifo
    return f"(CASE WHEN {alias}.priority = '{CALLED_FIRST}' THEN 0 ELSE 1 END), {fifo}"


def call_order(t: QueuedTicket) -> tuple[int, datetime, str]:
    """Sort key of the waiting line (`call_key` of a QueuedTicket)."""
    return call_key(t.priority, t.queued_at, t.ticket_id)


def waiting_ahead(ticket: QueuedTicket, line: list[QueuedTicket]) -> int:
    """How many tickets of `line` are called before `ticket` (it may be in `line`)."""
    key = call_order(ticket)
    return sum(1 for other in line if call_order(other) < key)


def estimate_wait_s(ahead: int, avg_service_s: float, open_counters: int) -> int | None:
    """Seconds until a ticket with `ahead` tickets before it is called.

    `open_counters` counters serve the service in parallel, each taking about
    `avg_service_s` per citizen; with no counter open nobody can say (None).
    """
    if open_counters <= 0:
        return None
    if ahead <= 0:
        return 0
    return math.ceil(ahead * avg_service_s / open_counters)


def smoothed_service_s(recent_s: list[float], prior_s: float, alpha: float = 0.3) -> float:
    """Exponentially weighted mean of recent service times (oldest first), starting from
    the configured standard time so a quiet morning still gives a sensible estimate."""
    value = prior_s
    for s in recent_s:
        value = alpha * s + (1 - alpha) * value
    return value
