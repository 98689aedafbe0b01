"""What counter staff do to a ticket: call the next one, recall, complete, no-show,
transfer, take back a returning no-show. Each is one transaction that changes the tickets and
records its events (`event_figures.record`) as the last step, so both commit together."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from services.ticketing import repository as repo
from services.ticketing.actors import Actor
from services.ticketing.domain import calling
from services.ticketing.domain import tickets as rules
from services.ticketing.errors import InvalidRequest, LimitReached, NotAllowed, NotFound
from services.ticketing.usecases.event_figures import called_event, completed, envelope, record
from services.ticketing.usecases.views import TicketState, describe
from shared.database import Connection
from shared.events import Contact, ServiceCompleted, TicketIssued
from shared.sites import ServiceRules


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
            await record(conn, site_id, events)
            return None
        await record(conn, site_id, [*events, called_event(called)], called=called)
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
        await record(conn, after["site_id"], [called_event(after)])
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
            await record(conn, after["site_id"], [event])
            return await describe(conn, after)
        after = await repo.update_ticket(
            conn, ticket_id, status=outcome, outcome=outcome, completed_at=repo.NOW
        )
        await record(conn, after["site_id"], [await completed(conn, before, after, outcome)])
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
        return after, await completed(conn, before, after, "served")
    next_service, rest = journey[0], journey[1:]
    after = await _back_in_line(
        conn, before["id"], service_id=next_service, outcome="served", journey=rest
    )
    return after, await completed(conn, before, after, "served", transferred_to=next_service)


async def _back_in_line(conn: Connection, ticket_id: UUID, **changes: Any) -> Any:
    """The ticket waits in a line again (`changes` say which, with what outcome): at no
    counter, not yet called there."""
    return await repo.update_ticket(
        conn, ticket_id, status="waiting", counter_id=None, call_count=0, called_at=None, **changes
    )


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
        after = await _back_in_line(conn, ticket_id, service_id=service_id, outcome="transferred")
        event = await completed(conn, before, after, "transferred", transferred_to=service_id)
        await record(conn, after["site_id"], [event])
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
        after = await _back_in_line(
            conn,
            ticket_id,
            outcome=None,
            completed_at=None,
            queued_at=queued_at,
            returned_at=now,
        )
        event = TicketIssued(
            **envelope(after),
            priority=after["priority"],
            channel=after["channel"],
            waiting_ahead=0,  # the place and the estimate are filled in under the site lock
            estimated_wait_s=None,
            contact=Contact(phone=after["phone"]) if after["phone"] else None,
            reentry="returned",
        )
        [recorded] = await record(conn, after["site_id"], [event], ticket=after)
        return TicketState(after, recorded.waiting_ahead, recorded.estimated_wait_s)
