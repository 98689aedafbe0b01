"""What citizens and counter staff do to the queue: issue, call next, recall, complete,
no-show, transfer, cancel. Each is one transaction that changes the tickets and records
its events in the outbox (`outbox.record_events`) as the last step, so the change and
its events commit together or not at all. Rules come from `domain/tickets.py`."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson

from services.ticketing import repository as repo
from services.ticketing.actors import Actor
from services.ticketing.domain import booking as booking_rules
from services.ticketing.domain import calling, forecast, quota, schedule
from services.ticketing.domain import tickets as rules
from services.ticketing.errors import (
    IdempotencyKeyReused,
    InvalidRequest,
    LimitReached,
    NotAllowed,
    NotFound,
    NotTakingTickets,
)
from services.ticketing.outbox import lock_site_sequence, record_events
from shared.database import Connection
from shared.events import (
    Channel,
    Contact,
    Priority,
    QueuePosition,
    ServiceCompleted,
    TicketCalled,
    TicketIssued,
)
from shared.sites import ServiceRules, SiteInfo, StopConfig

NEAR_HEAD = 4
"""How many waiting tickets an event lists in `queue_head` (near_turn SMS needs ≤ 3 ahead)."""


@dataclass(frozen=True)
class TicketState:
    """A ticket as the API returns it, with where it stands in the line now."""

    row: Any
    waiting_ahead: int
    estimated_wait_s: int | None
    replayed: bool = False
    holder: bool = True
    """The answer goes to the ticket's holder (false: a replay to another caller)."""


# --- reading ---------------------------------------------------------------------------


def _estimated_wait_s(row: Any, standing: Any) -> int | None:
    """Seconds until called: the counters serving the service free up one by one (a busy one
    after what is left of an average service), each taking the tickets ahead in turn.
    Measured on replayed busy days against ahead × average / counters, this errs less on
    every demo site (docs/simulation.md). `standing`: `repo.ticket_standing` of the ticket."""
    recent = list(reversed(standing["recent"]))  # oldest first
    avg = rules.smoothed_service_s(recent, float(row["avg_service_s"]))
    return forecast.estimate_wait_busy_counters_s(standing["ahead"], avg, list(standing["busy"]))


async def quota_runs_out_at(
    conn: Connection,
    site: Any,
    service: Any,
    service_rules: ServiceRules,
    now: datetime,
    channel: str = "kiosk",
    quota_today: int | None = None,
) -> str | None:
    """When today's quota of the channel's part is forecast to run out, local 'HH.MM', or
    None (no quota, no pace yet, or it lasts until closing)."""
    daily = quota_today if quota_today is not None else service_rules.daily_quota
    if daily is None:
        return None
    info, stops = site_calendar(site)
    zone = ZoneInfo(info.timezone)
    local = now.astimezone(zone)
    ranges = booking_rules.day_ranges(local.date(), info, service_rules.hours, stops)
    if not ranges:
        return None
    online_apart = service_rules.online_quota is not None
    if online_apart and channel == "online":
        part = min(service_rules.online_quota or 0, daily)
    elif online_apart:
        part = daily - min(service_rules.online_quota or 0, daily)
    else:
        part = daily
    rows = await repo.issue_times(conn, site["id"], service["id"], local.date())
    counted = [
        r["issued_at"].astimezone(zone).time()
        for r in rows
        if not online_apart or (r["channel"] == "online") == (channel == "online")
    ]
    breaks = [(a[1], b[0]) for a, b in pairwise(ranges)]
    when = forecast.quota_exhaustion(
        part, len(counted), counted, local.time(), ranges[-1][1], ranges[0][0], breaks
    )
    return None if when is None else forecast.format_hhmm(when)


async def describe(conn: Connection, row: Any, replayed: bool = False) -> TicketState:
    if row["status"] != "waiting":
        return TicketState(row, 0, None, replayed)
    standing = await repo.ticket_standing(conn, row)
    return TicketState(row, standing["ahead"], _estimated_wait_s(row, standing), replayed)


async def get_ticket(conn: Connection, ticket_id: UUID) -> TicketState:
    row = await repo.ticket(conn, ticket_id)
    if row is None:
        raise NotFound("ticket not found")
    return await describe(conn, row)


async def queues(conn: Connection, site_id: str) -> list[dict[str, Any]]:
    """Every service's line now: waiting, estimate, whether it takes tickets and why not,
    and how much of today's quota is left per channel."""
    site = await repo.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    now = await repo.database_now(conn)
    day = rules.local_day(now, site["timezone"])
    waiting = await repo.all_waiting_counts(conn, site_id)
    overrides = await repo.day_overrides(conn, site_id, day)
    issued = await repo.issued_today(conn, site_id, day)
    out = []
    for s in await repo.services(conn, site_id):
        n = waiting.get(s["id"], 0)
        recent = await repo.recent_service_times(conn, site_id, s["id"])
        avg = rules.smoothed_service_s(recent, float(s["avg_service_s"]))
        counters = await repo.open_counters(conn, site_id, s["id"])
        service_rules = ServiceRules.model_validate(s["rules"])
        override = overrides.get(s["id"])
        open_now = opening_of(site, s, service_rules, now, override)
        counts = issued_by_channel(issued.get(s["id"]))
        quota_today = override["quota"] if override else None
        out.append(
            {
                "service_id": s["id"],
                "service_name": s["name"],
                "agency_id": s["agency_id"],
                "prefix": s["prefix"],
                "waiting": n,
                "open_counters": counters,
                # what a citizen taking a ticket now would wait: everyone waiting is ahead
                "estimated_wait_s": rules.estimate_wait_s(n, avg, counters),
                "open": open_now.open,
                "closed_reason": open_now.reason,
                "place": open_now.place,
                "issued_today": sum(counts.values()),
                "quota_left": {
                    channel: quota.quota_left(service_rules, counts, channel, quota_today)
                    for channel in ("kiosk", "online")
                },
                "quota_runs_out_at": await quota_runs_out_at(
                    conn, site, s, service_rules, now, "kiosk", quota_today
                )
                if open_now.open
                else None,
            }
        )
    return out


async def _reload(conn: Connection, ticket_id: UUID) -> Any:
    row = await repo.ticket(conn, ticket_id)
    assert row is not None, "a ticket changed in this transaction exists"
    return row


# --- events ----------------------------------------------------------------------------


def _envelope(row: Any) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "occurred_at": datetime.now().astimezone(),  # restamped at commit by the outbox
        "site_id": row["site_id"],
        "site_name": row["site_name"],
        "ticket_id": row["id"],
        "ticket_number": row["number"],
        "service_id": row["service_id"],
        "service_name": row["service_name"],
        "agency_id": row["agency_id"],
        "agency_name": row["agency_name"],
    }


QueueFigures = dict[str, tuple[int, list[Any]]]
"""Per service: tickets waiting, and the first NEAR_HEAD of them in call order."""


def _call_key(t: Any) -> tuple[int, datetime, UUID]:
    """A waiting ticket's place in call order (as `repo.queue_figures` orders them)."""
    return (0 if t["priority"] == "priority" else 1, t["queued_at"], t["id"])


def _before_call(figures: QueueFigures, called: Any) -> QueueFigures:
    """The queue as it was just before `called` was called: it waited in its place."""
    sid = called["service_id"]
    if sid not in figures:
        return figures
    n, heads = figures[sid]
    return {**figures, sid: (n + 1, sorted([*heads, called], key=_call_key)[:NEAR_HEAD])}


def _touched(event: Any) -> list[str]:
    touched = [event.service_id]
    if isinstance(event, ServiceCompleted) and event.transferred_to_service_id:
        touched.append(event.transferred_to_service_id)
    return touched


def _figures_update(figures: QueueFigures, touched: list[str]) -> dict[str, Any]:
    return {
        "waiting": {sid: figures[sid][0] for sid in touched},
        "queue_head": [
            QueuePosition(ticket_id=t["id"], ticket_number=t["number"], waiting_ahead=ahead)
            for sid in touched
            for ahead, t in enumerate(figures[sid][1])
        ],
    }


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return max(0, round((later - earlier).total_seconds()))


async def _completed(
    conn: Connection,
    before: Any,
    after: Any,
    outcome: str,
    transferred_to: str | None = None,
) -> ServiceCompleted:
    """The event of a ticket leaving a line; `_record` adds the queue figures."""
    end = after["completed_at"] or await repo.database_now(conn)
    return ServiceCompleted(
        **_envelope(before),
        counter_id=before["counter_id"],
        outcome=outcome,
        wait_s=_seconds(after["first_called_at"] or end, before["issued_at"]),
        service_s=_seconds(end, before["called_at"]) if before["status"] == "called" else None,
        transferred_to_service_id=transferred_to,
    )


def _called(row: Any) -> TicketCalled:
    """The event of a (re)call; `_record` adds the queue figures."""
    return TicketCalled(
        **_envelope(row),
        counter_id=row["counter_id"],
        counter_name=row["counter_name"],
        call_count=row["call_count"],
    )


async def _record(
    conn: Connection,
    site_id: str,
    events: list[Any],
    *,
    ticket: Any = None,
    called: Any = None,
) -> list[Any]:
    """Record the events of a state change, as the transaction's last step.

    The figures an event carries about the queue (waiting counts, the head of the line, a new
    ticket's place) are computed AFTER taking the site's sequence lock: computed before
    it, a concurrent change of the same service that commits first would be missing from
    them, and the board (which keeps the figures of the highest sequence) would stay wrong.
    They are read in one trip for all the events.

    `ticket`: the row of a ticket-issued event's ticket (read again if not given).
    `called`: the ticket call-next called in this transaction after the changes of the
    events before its ticket-called event; those events carry the queue as it was just
    before the call (the called ticket still waiting in its place)."""
    if not events:
        return []
    sequence = await lock_site_sequence(conn, site_id)
    touched: list[str] = []
    for event in events:
        if isinstance(event, TicketCalled | ServiceCompleted):
            touched.extend(sid for sid in _touched(event) if sid not in touched)
    after = await repo.queue_figures(conn, site_id, touched, NEAR_HEAD) if touched else {}
    before = _before_call(after, called) if called is not None else after
    fresh: list[Any] = []
    for event in events:
        update: dict[str, Any]
        if isinstance(event, TicketIssued):
            row = ticket if ticket is not None else await _reload(conn, event.ticket_id)
            standing = await repo.ticket_standing(conn, row)
            update = {
                "waiting": {event.service_id: standing["waiting"]},
                "waiting_ahead": standing["ahead"],
                "estimated_wait_s": _estimated_wait_s(row, standing),
            }
        elif isinstance(event, TicketCalled):
            update = _figures_update(after, _touched(event))
        else:
            update = _figures_update(before, _touched(event))
        fresh.append(event.model_copy(update=update))
    return await record_events(conn, site_id, fresh, sequence)


# --- citizens --------------------------------------------------------------------------


def site_calendar(site: Any) -> tuple[SiteInfo, list[StopConfig]]:
    info = dict(site["info"] or {})
    info.setdefault("id", site["id"])
    info.setdefault("name", site["name"])
    info.setdefault("timezone", site["timezone"])
    info.setdefault("always_open", site["always_open"])
    return SiteInfo.model_validate(info), [StopConfig.model_validate(s) for s in site["schedule"]]


def opening_of(
    site: Any, service: Any, service_rules: ServiceRules, now: datetime, override: Any
) -> schedule.Opening:
    info, stops = site_calendar(site)
    return schedule.opening(
        now.astimezone(ZoneInfo(info.timezone)),
        info,
        service["name"],
        service_rules.hours,
        stops,
        closed_now=bool(override and override["closed"]),
    )


def issued_by_channel(counts: Any) -> dict[str, int]:
    if counts is None:
        return {}
    return {c: counts[f"issued_{c}"] for c in ("kiosk", "online", "mobile")}


def request_fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


BeforeIssue = Callable[[Any], Awaitable[None]]
"""Extra checks of a channel, run inside the issuing transaction with the site row."""


async def issue_ticket(
    conn: Connection,
    site_id: str,
    service_id: str,
    priority: Priority,
    channel: Channel,
    phone: str | None,
    idempotency_key: str | None = None,
    before_issue: BeforeIssue | None = None,
    journey: list[str] | None = None,
    site: Any = None,
    requester: str | None = None,
) -> TicketState:
    """A citizen takes a ticket. With an Idempotency-Key, a retry returns the first ticket,
    as its holder's only when `requester` (who asks, see kiosks.Caller) made the first.

    `journey`: the services to visit after this one, in order (one visit across agencies:
    KK at Disdukcapil, then KTP-el, then the bank), each checked for hours and quota now.
    `site`: the site's row if the caller has read it already."""
    journey = journey or []
    async with conn.transaction():
        site = site if site is not None else await repo.site(conn, site_id)
        if site is None:
            raise NotFound("site not found")
        service = await repo.issue_context(conn, site_id, service_id, site["timezone"])
        if service is None:
            raise NotFound(f"service {service_id!r} not found at this site")
        if not service["active"]:
            raise NotTakingTickets(f"Layanan {service['name']} tidak lagi menerima antrian")
        ticket_id = uuid.uuid4()
        if idempotency_key:
            fingerprint = request_fingerprint(
                {
                    "service_id": service_id,
                    "priority": priority,
                    "channel": channel,
                    "phone": phone,
                    "journey": journey,
                }
            )
            first = await repo.claim_idempotency_key(
                conn, site_id, idempotency_key, fingerprint, ticket_id, requester
            )
            if first is not None:
                if first["request_hash"] != fingerprint:
                    raise IdempotencyKeyReused(
                        "Idempotency-Key was already used for a different request"
                    )
                row = await _reload(conn, first["ticket_id"])
                state = await describe(conn, row, replayed=True)
                same = requester is not None and first["requester"] == requester
                return replace(state, holder=same)
        now = service["now"]
        day = rules.local_day(now, site["timezone"])
        override = service["override"]
        service_rules = ServiceRules.model_validate(service["rules"])
        open_now = opening_of(site, service, service_rules, now, override)
        if not open_now.open:
            raise NotTakingTickets(open_now.reason)
        counts = await repo.lock_service_day(conn, site_id, service_id, day)
        refusal = quota.quota_refusal(
            service["name"],
            service_rules,
            issued_by_channel(counts),
            channel,
            override["quota"] if override else None,
        )
        if refusal:
            raise NotTakingTickets(refusal)
        await _check_journey(conn, site, service_id, journey, channel, now, day)
        if before_issue is not None:
            await before_issue(site)
        return await enter_queue(
            conn,
            site_id,
            service_id,
            priority,
            channel,
            phone,
            ticket_id=ticket_id,
            journey=journey,
            site=site,
            service=service,
            now=now,
            override=override,
            day_row=counts,
        )


MAX_JOURNEY = 5


async def _check_journey(
    conn: Connection,
    site: Any,
    first: str,
    journey: list[str],
    channel: str,
    now: datetime,
    day: Any,
) -> None:
    """Every later step exists, is open today and has quota left (counted when reached)."""
    if len(journey) > MAX_JOURNEY:
        raise InvalidRequest("journey", f"at most {MAX_JOURNEY} further services")
    if len({first, *journey}) != len(journey) + 1:
        raise InvalidRequest("journey", "a service appears twice in the journey")
    for step in journey:
        service = await repo.service(conn, site["id"], step)
        if service is None or not service["active"]:
            raise InvalidRequest("journey", f"unknown service {step!r}")
        step_rules = ServiceRules.model_validate(service["rules"])
        override = await repo.day_override(conn, site["id"], step, day)
        open_now = opening_of(site, service, step_rules, now, override)
        if not open_now.open:
            raise NotTakingTickets(open_now.reason)
        counts = await repo.issued_today(conn, site["id"], day)
        refusal = quota.quota_refusal(
            service["name"],
            step_rules,
            issued_by_channel(counts.get(step)),
            channel,
            override["quota"] if override else None,
        )
        if refusal:
            raise NotTakingTickets(refusal)


async def enter_queue(
    conn: Connection,
    site_id: str,
    service_id: str,
    priority: Priority,
    channel: Channel,
    phone: str | None,
    *,
    ticket_id: UUID | None = None,
    queued_at: datetime | None = None,
    appointment_id: UUID | None = None,
    journey: list[str] | None = None,
    site: Any = None,
    service: Any = None,
    now: datetime | None = None,
    override: Any = None,
    day_row: Any = None,
) -> TicketState:
    """Number a new ticket, put it in the line and record its ticket-issued event. The
    caller has checked hours and quota and holds the transaction; rows it already read
    (site, service, the clock, today's override, the day row it locked) are passed along so
    issuing costs as few round trips as possible."""
    site = site if site is not None else await repo.site(conn, site_id)
    service = service if service is not None else await repo.service(conn, site_id, service_id)
    assert site is not None
    assert service is not None
    ticket_id = ticket_id or uuid.uuid4()
    now = now if now is not None else await repo.database_now(conn)
    day = rules.local_day(now, site["timezone"])
    if day_row is None:
        day_row = await repo.lock_service_day(conn, site_id, service_id, day)
        override = await repo.day_override(conn, site_id, service_id, day)
    daily_number = day_row["last_number"] + 1
    number = rules.ticket_number(service["prefix"], daily_number)
    row = await repo.number_and_insert_ticket(
        conn,
        channel,
        number,
        daily_number,
        id=ticket_id,
        site_id=site_id,
        service_id=service_id,
        day=day,
        priority=priority,
        phone=phone,
        status="waiting",
        issued_at=now,
        queued_at=queued_at or now,
        appointment_id=appointment_id,
        journey=journey or [],
    )
    service_rules = ServiceRules.model_validate(service["rules"])
    event = TicketIssued(
        event_id=uuid.uuid4(),
        occurred_at=now,
        site_id=site_id,
        site_name=site["name"],
        ticket_id=ticket_id,
        ticket_number=number,
        service_id=service_id,
        service_name=service["name"],
        agency_id=service["agency_id"],
        agency_name=service["agency_name"],
        priority=priority,
        channel=channel,
        waiting_ahead=0,  # the place and the estimate are filled in under the site lock
        estimated_wait_s=None,
        contact=Contact(phone=phone) if phone else None,
        reentry="appointment" if appointment_id is not None else None,
        quota_runs_out_at=await quota_runs_out_at(
            conn,
            site,
            service,
            service_rules,
            now,
            channel,
            override["quota"] if override else None,
        ),
    )
    [recorded] = await _record(conn, site_id, [event], ticket=row)
    return TicketState(row, recorded.waiting_ahead, recorded.estimated_wait_s)


async def cancel_ticket(conn: Connection, ticket_id: UUID) -> TicketState:
    """The citizen gives up a waiting ticket (the API has checked the holder's key)."""
    async with conn.transaction():
        before = await repo.ticket(conn, ticket_id, lock=True)
        if before is None:
            raise NotFound("ticket not found")
        rules.check_action("cancel", before["status"])
        after = await repo.update_ticket(
            conn, ticket_id, status="cancelled", outcome="cancelled", completed_at=repo.NOW
        )
        await _record(conn, before["site_id"], [await _completed(conn, before, after, "cancelled")])
        return await describe(conn, after)


# --- counter staff ---------------------------------------------------------------------


async def call_next(
    conn: Connection, actor: Actor, site_id: str, counter_id: str
) -> TicketState | None:
    """Close the counter's open ticket as served, then call the head of its line.

    None when nobody waits for the counter's services. Both events are recorded under one
    hold of the site's sequence lock, taken last: the completion carries the queue as its
    own change left it (before the call), the call the queue after it."""
    async with conn.transaction():
        counter = await repo.lock_counter(conn, site_id, counter_id)
        if counter is None:
            if await repo.site(conn, site_id) is None:
                raise NotFound("site not found")
            raise NotFound("counter not found at this site")
        if not actor.may_use_counter(site_id, counter_id):
            raise NotAllowed(f"{actor.username} may not act for {counter_id}")
        events: list[Any] = []
        current = await repo.open_ticket_at_counter(conn, site_id, counter_id)
        if current is not None:
            events.append((await _served(conn, current))[1])
        called = await _choose_and_call(conn, site_id, counter)
        if called is None:
            await repo.touch_counter(conn, site_id, counter_id)
            await _record(conn, site_id, events)
            return None
        await _record(conn, site_id, [*events, _called(called)], called=called)
        return await describe(conn, called)


async def _choose_and_call(conn: Connection, site_id: str, counter: Any) -> Any | None:
    """Pick the counter's next ticket by the fairness rules and call it to the counter.

    Optimistic: read the heads of the lines, choose (pure rules), then call the chosen
    ticket only if it still waits; if a counter calling at the same moment took it, read
    again. Returns the called ticket; None only when nothing waits for the counter's
    services.
    """
    while True:
        rows = await repo.call_choice(conn, site_id, list(counter["service_ids"]))
        order: list[str] = []
        fairness: dict[str, calling.Fairness] = {}
        streaks: dict[str, int] = {}
        candidates: list[calling.Candidate] = []
        for r in rows:
            sid = r["service_id"]
            if sid not in fairness:
                service_rules = ServiceRules.model_validate(r["rules"])
                fairness[sid] = calling.Fairness(
                    service_rules.priority_ratio,
                    timedelta(minutes=service_rules.max_regular_wait_minutes),
                )
                order.append(sid)
                if r["streak"] is not None:
                    streaks[sid] = r["streak"]
            if r["id"] is not None:
                candidates.append(
                    calling.Candidate(str(r["id"]), sid, r["priority"], r["queued_at"])
                )
        if not candidates:
            return None
        chosen = calling.choose_next(
            candidates, order, counter["call_order"], streaks, fairness, rows[0]["now"]
        )
        if chosen is None:
            return None
        called = await repo.call_to_counter(
            conn,
            site_id,
            UUID(chosen.ticket_id),
            counter["id"],
            calling.next_streak(streaks.get(chosen.service_id, 0), chosen),
        )
        if called is not None:
            return called


async def _ticket_for_actor(conn: Connection, actor: Actor, ticket_id: UUID) -> Any:
    row = await repo.ticket(conn, ticket_id, lock=True)
    if row is None:
        raise NotFound("ticket not found")
    if row["site_id"] != actor.site_id and not actor.supervises(row["site_id"]):
        raise NotAllowed("this ticket belongs to another site")
    if row["status"] == "called" and row["counter_id"]:
        if not actor.may_use_counter(row["site_id"], row["counter_id"]):
            raise NotAllowed(f"{actor.username} may not act for {row['counter_id']}")
    elif not actor.supervises(row["site_id"]):
        counters = await repo.counters(conn, row["site_id"])
        mine = [c for c in counters if c["id"] in actor.counter_ids]
        if not any(row["service_id"] in c["service_ids"] for c in mine):
            raise NotAllowed(f"{actor.username} does not serve {row['service_id']}")
    return row


async def recall(conn: Connection, actor: Actor, ticket_id: UUID) -> TicketState:
    async with conn.transaction():
        before = await _ticket_for_actor(conn, actor, ticket_id)
        rules.check_action("recall", before["status"])
        service_rules = ServiceRules.model_validate(
            (await repo.service_rules(conn, before["site_id"], [before["service_id"]]))[
                before["service_id"]
            ]
        )
        if before["call_count"] - 1 >= service_rules.max_recalls:
            raise LimitReached(
                f"nomor {before['number']} sudah dipanggil ulang {service_rules.max_recalls} kali;"
                " tandai tidak hadir"
            )
        after = await repo.update_ticket(conn, ticket_id, call_count=before["call_count"] + 1)
        await _record(conn, after["site_id"], [_called(after)])
        return await describe(conn, after)


async def complete(conn: Connection, actor: Actor, ticket_id: UUID) -> TicketState:
    return await _finish(conn, actor, ticket_id, "complete", "served")


async def no_show(conn: Connection, actor: Actor, ticket_id: UUID) -> TicketState:
    return await _finish(conn, actor, ticket_id, "no_show", "no_show")


async def _finish(
    conn: Connection, actor: Actor, ticket_id: UUID, action: rules.Action, outcome: str
) -> TicketState:
    async with conn.transaction():
        before = await _ticket_for_actor(conn, actor, ticket_id)
        rules.check_action(action, before["status"])
        if outcome == "served":
            after, event = await _served(conn, before)
            await _record(conn, after["site_id"], [event])
            return await describe(conn, after)
        after = await repo.update_ticket(
            conn, ticket_id, status=outcome, outcome=outcome, completed_at=repo.NOW
        )
        await _record(conn, after["site_id"], [await _completed(conn, before, after, outcome)])
        return await describe(conn, after)


async def _served(conn: Connection, before: Any) -> tuple[Any, ServiceCompleted]:
    """A called ticket was served. If its journey goes on, it now waits in the next service,
    keeping its place by original issue time; the service-completed event says `served` and
    names the next service in `transferred_to_service_id`. Returns the ticket after and the
    event, for the caller to record."""
    journey = list(before["journey"])
    if not journey:
        after = await repo.update_ticket(
            conn, before["id"], status="served", outcome="served", completed_at=repo.NOW
        )
        return after, await _completed(conn, before, after, "served")
    next_service, rest = journey[0], journey[1:]
    after = await repo.update_ticket(
        conn,
        before["id"],
        service_id=next_service,
        status="waiting",
        outcome="served",
        counter_id=None,
        call_count=0,
        called_at=None,
        journey=rest,
    )
    return after, await _completed(conn, before, after, "served", transferred_to=next_service)


async def transfer(conn: Connection, actor: Actor, ticket_id: UUID, service_id: str) -> TicketState:
    """Send the ticket to another service: it keeps its number and its place by issue time."""
    async with conn.transaction():
        before = await _ticket_for_actor(conn, actor, ticket_id)
        rules.check_action("transfer", before["status"])
        target = await repo.service(conn, before["site_id"], service_id)
        if target is None or not target["active"]:
            raise NotFound(f"service {service_id!r} not found at this site")
        if service_id == before["service_id"]:
            raise InvalidRequest("service_id", "the ticket is already in this service")
        after = await repo.update_ticket(
            conn,
            ticket_id,
            service_id=service_id,
            status="waiting",
            outcome="transferred",
            counter_id=None,
            call_count=0,
            called_at=None,
        )
        event = await _completed(conn, before, after, "transferred", transferred_to=service_id)
        await _record(conn, after["site_id"], [event])
        return await describe(conn, after)


async def return_no_show(conn: Connection, actor: Actor, ticket_id: UUID) -> TicketState:
    """A citizen marked no-show comes back within the grace period: the ticket waits again,
    placed `no_show_return_after` tickets from the front of its class (configurable)."""
    async with conn.transaction():
        before = await _ticket_for_actor(conn, actor, ticket_id)
        if before["status"] != "no_show":
            raise rules.WrongState("return", before["status"])
        service_rules = ServiceRules.model_validate(
            (await repo.service_rules(conn, before["site_id"], [before["service_id"]]))[
                before["service_id"]
            ]
        )
        now = await repo.database_now(conn)
        grace = timedelta(minutes=service_rules.no_show_grace_minutes)
        if before["completed_at"] is None or now - before["completed_at"] > grace:
            raise LimitReached(
                f"batas waktu kembali {service_rules.no_show_grace_minutes} menit sudah lewat;"
                " silakan ambil nomor antrian baru"
            )
        line = await repo.waiting_line(
            conn, before["site_id"], before["service_id"], before["priority"], ticket_id
        )
        queued_at = calling.returned_queued_at(
            line, service_rules.no_show_return_after, before["queued_at"]
        )
        after = await repo.update_ticket(
            conn,
            ticket_id,
            status="waiting",
            outcome=None,
            counter_id=None,
            call_count=0,
            called_at=None,
            completed_at=None,
            queued_at=queued_at,
            returned_at=now,
        )
        event = TicketIssued(
            **_envelope(after),
            priority=after["priority"],
            channel=after["channel"],
            waiting_ahead=0,  # the place and the estimate are filled in under the site lock
            estimated_wait_s=None,
            contact=Contact(phone=after["phone"]) if after["phone"] else None,
            reentry="returned",
        )
        [recorded] = await _record(conn, after["site_id"], [event], ticket=after)
        return TicketState(after, recorded.waiting_ahead, recorded.estimated_wait_s)
