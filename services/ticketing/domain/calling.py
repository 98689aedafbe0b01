"""Which waiting ticket a counter calls next: priority first, but never starving the rest.

Per service: priority tickets (lansia, disabilitas, ibu hamil) go first, except that after
`priority_ratio` priority calls in a row one regular ticket is called, and a regular ticket
that has waited `max_regular_wait` is called at once. Across the services of one counter:
`longest_wait` calls the ticket that has waited longest (after the rule above), `configured`
calls from the first service in the counter's list that has anyone waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from services.ticketing.domain.tickets import call_key


@dataclass(frozen=True, slots=True)
class Candidate:
    """The head of one class of one service's line."""

    ticket_id: str
    service_id: str
    priority: Literal["regular", "priority"]
    queued_at: datetime


@dataclass(frozen=True, slots=True)
class Fairness:
    priority_ratio: int
    max_regular_wait: timedelta


def choose_in_service(
    priority_head: Candidate | None,
    regular_head: Candidate | None,
    priority_streak: int,
    fairness: Fairness,
    now: datetime,
) -> Candidate | None:
    """The ticket one service gives up next, given how many priority calls came in a row."""
    if priority_head is None or regular_head is None:
        return priority_head or regular_head
    if now - regular_head.queued_at >= fairness.max_regular_wait:
        return regular_head
    if priority_streak >= fairness.priority_ratio:
        return regular_head
    return priority_head


def choose_next(
    candidates: list[Candidate],
    service_order: list[str],
    call_order: Literal["longest_wait", "configured"],
    streaks: dict[str, int],
    fairness: dict[str, Fairness],
    now: datetime,
) -> Candidate | None:
    """The ticket a counter serving `service_order` calls next, or None if nobody waits."""
    per_service: list[Candidate] = []
    for service_id in service_order:
        heads = [c for c in candidates if c.service_id == service_id]
        chosen = choose_in_service(
            next((c for c in heads if c.priority == "priority"), None),
            next((c for c in heads if c.priority == "regular"), None),
            streaks.get(service_id, 0),
            fairness[service_id],
            now,
        )
        if chosen is not None:
            per_service.append(chosen)
    if not per_service:
        return None
    if call_order == "configured":
        return per_service[0]
    # longest_wait: a priority ticket still goes before a regular one of another service,
    # unless fairness already chose a regular ticket for its own service
    return min(per_service, key=lambda c: call_key(c.priority, c.queued_at, c.ticket_id))


def next_streak(streak: int, called: Candidate) -> int:
    """Priority calls in a row of a service, after `called`."""
    return streak + 1 if called.priority == "priority" else 0


def returned_queued_at(line: list[datetime], after: int, original: datetime) -> datetime:
    """A returning no-show's new place: after `after` tickets of `line` (queued_at of the
    waiting tickets of its class, in call order), or at its original place if the line is
    shorter than that and it was ahead of all of them."""
    tick = timedelta(microseconds=1)
    if after == 0:
        return min([original, *(t - tick for t in line[:1])])
    if len(line) >= after:
        return line[after - 1] + tick
    return max([original, *(t + tick for t in line[-1:])])
