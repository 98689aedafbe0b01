"""What counter staff do to a ticket: call the next one, recall, complete, no-show,
transfer, take back a returning no-show. Each is one transaction that changes the tickets and
records its events (`event_figures.record`) as the last step, so both commit together."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal
from uuid import UUID

from services.ticketing.actors import Actor
from services.ticketing.domain import calling
from services.ticketing.domain import tickets as rules
from services.ticketing.errors import InvalidRequest, LimitReached, NotAllowed, NotFound
from services.ticketing.repositories import counters, lines, sites, tickets
from services.ticketing.repositories.counters import Counter
from services.ticketing.repositories.tickets import Ticket
from services.ticketing.usecases.commands import (
    CallChosen,
    CallNext,
    Complete,
    NoShow,
    OpenTicketAt,
    Recall,
    ReturnNoShow,
    Transfer,
)
from services.ticketing.usecases.counter_access import check_not_paused, counter_for
from services.ticketing.usecases.event_figures import called_event, completed, envelope, record
from services.ticketing.usecases.views import TicketState, describe
from shared.database import Connection
from shared.events import AnyEvent, Contact, ServiceCompleted, TicketIssued
from shared.sites import ServiceRules


async def call_next(conn: Connection, command: CallNext, actor: Actor) -> TicketState | None:
    """Close the counter's open ticket as served, then call the head of its line.

    None when nobody waits for the counter's services. Both events are recorded under one
    hold of the site's sequence lock, taken last: the completion carries the queue as its
    own change left it (before the call), the call the queue after it."""
    site_id, counter_id = command.site_id, command.counter_id
    async with conn.transaction():
        counter = await counter_for(conn, actor, site_id, counter_id, lock=True)
        check_not_paused(counter)
        events: list[AnyEvent] = []
        current = await tickets.open_ticket_at_counter(conn, site_id, counter_id)
        if current is not None:
            events.append((await _served(conn, current))[1])
        called = await _choose_and_call(conn, site_id, counter, actor.username)
        if called is None:
            await counters.touch_counter(conn, site_id, counter_id)
            await record(conn, site_id, events)
            return None
        await record(conn, site_id, [*events, called_event(called)], called=called)
        return await describe(conn, called)


async def call_chosen(conn: Connection, command: CallChosen, actor: Actor) -> TicketState:
    """Call one waiting ticket out of turn (CONTRACT.md: `…/counters/{counter}/call`), first
    closing the counter's open ticket as served as call-next does. The clerk's reason goes
    in the ticket-called event, so the fairness ledger shows why this number went first."""
    site_id, counter_id = command.site_id, command.counter_id
    reason = " ".join(command.reason.split())
    if not 3 <= len(reason) <= 200:
        raise InvalidRequest("reason", "alasan wajib diisi, 3 sampai 200 karakter")
    async with conn.transaction():
        counter = await counter_for(conn, actor, site_id, counter_id, lock=True)
        check_not_paused(counter)
        number = command.ticket_number.strip().upper()
        chosen = await tickets.ticket_by_number_today(conn, site_id, number)
        if chosen is None:
            raise NotFound(f"nomor {number} tidak ada hari ini di lokasi ini")
        if chosen["service_id"] not in counter["service_ids"]:
            raise LimitReached(f"{number} bukan layanan {counter['name']}")
        if chosen["status"] != "waiting":
            raise LimitReached(f"{number} tidak sedang menunggu (status: {chosen['status']})")
        events: list[AnyEvent] = []
        current = await tickets.open_ticket_at_counter(conn, site_id, counter_id)
        if current is not None:
            events.append((await _served(conn, current))[1])
        called = await tickets.call_to_counter(
            conn, site_id, chosen["id"], counter_id, None, called_by=actor.username
        )
        if called is None:  # another counter called it between the read and now
            raise LimitReached(f"{number} baru saja dipanggil loket lain")
        event = called_event(called).model_copy(update={"call_reason": reason})
        await record(conn, site_id, [*events, event], called=called)
        return await describe(conn, called)


async def open_ticket_at(
    conn: Connection, command: OpenTicketAt, actor: Actor
) -> TicketState | None:
    """The ticket called to the counter and not completed yet, so a console that was
    reloaded (or opened on another PC) carries on with it; None if there is none."""
    await counter_for(conn, actor, command.site_id, command.counter_id, lock=False)
    row = await tickets.open_ticket_at_counter(conn, command.site_id, command.counter_id)
    return None if row is None else await describe(conn, row)


async def _choose_and_call(
    conn: Connection, site_id: str, counter: Counter, called_by: str
) -> Ticket | None:
    """Pick the counter's next ticket by the fairness rules and call it to the counter.

    Optimistic: read the heads of the lines, choose (pure rules), then call the chosen
    ticket only if it still waits; if a counter calling at the same moment took it, read
    again. Returns the called ticket; None only when nothing waits for the counter's
    services.
    """
    while True:
        rows = await lines.call_choice(conn, site_id, list(counter["service_ids"]))
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
            if r["id"] is not None and r["priority"] is not None and r["queued_at"] is not None:
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
        called = await tickets.call_to_counter(
            conn,
            site_id,
            UUID(chosen.ticket_id),
            counter["id"],
            calling.next_streak(streaks.get(chosen.service_id, 0), chosen),
            called_by=called_by,
        )
        if called is not None:
            return called


async def _ticket_for_actor(conn: Connection, actor: Actor, ticket_id: UUID) -> Ticket:
    row = await tickets.ticket(conn, ticket_id, lock=True)
    if row is None:
        raise NotFound("ticket not found")
    if row["site_id"] != actor.site_id and not actor.supervises(row["site_id"]):
        raise NotAllowed("tiket ini milik lokasi MPP lain")
    if row["status"] == "called" and row["counter_id"]:
        if not actor.may_use_counter(row["site_id"], row["counter_id"]):
            raise NotAllowed(f"{actor.username} may not act for {row['counter_id']}")
    elif not actor.supervises(row["site_id"]):
        mine = [
            c for c in await counters.counters(conn, row["site_id"]) if c["id"] in actor.counter_ids
        ]
        if not any(row["service_id"] in c["service_ids"] for c in mine):
            raise NotAllowed(f"{actor.username} does not serve {row['service_id']}")
    return row


async def recall(conn: Connection, command: Recall, actor: Actor) -> TicketState:
    """Call the same ticket again (call_count + 1), at most `max_recalls` times."""
    ticket_id = command.ticket_id
    async with conn.transaction():
        before = await _ticket_for_actor(conn, actor, ticket_id)
        rules.check_action("recall", before["status"])
        service_rules = ServiceRules.model_validate(
            (await sites.service_rules(conn, before["site_id"], [before["service_id"]]))[
                before["service_id"]
            ]
        )
        if before["call_count"] - 1 >= service_rules.max_recalls:
            raise LimitReached(
                f"nomor {before['number']} sudah dipanggil ulang {service_rules.max_recalls} kali;"
                " tandai tidak hadir"
            )
        after = await tickets.update_ticket(conn, ticket_id, call_count=before["call_count"] + 1)
        await record(conn, after["site_id"], [called_event(after)])
        return await describe(conn, after)


async def complete(conn: Connection, command: Complete, actor: Actor) -> TicketState:
    """The citizen was served (a journey goes on in its next service)."""
    return await _finish(conn, actor, command.ticket_id, "complete", "served")


async def no_show(conn: Connection, command: NoShow, actor: Actor) -> TicketState:
    """The citizen did not come to the counter."""
    return await _finish(conn, actor, command.ticket_id, "no_show", "no_show")


async def _finish(
    conn: Connection,
    actor: Actor,
    ticket_id: UUID,
    action: rules.Action,
    outcome: Literal["served", "no_show"],
) -> TicketState:
    async with conn.transaction():
        before = await _ticket_for_actor(conn, actor, ticket_id)
        rules.check_action(action, before["status"])
        if outcome == "served":
            after, event = await _served(conn, before)
            await record(conn, after["site_id"], [event])
            return await describe(conn, after)
        after = await tickets.update_ticket(
            conn, ticket_id, status=outcome, outcome=outcome, completed_at=tickets.NOW
        )
        await record(conn, after["site_id"], [await completed(conn, before, after, outcome)])
        return await describe(conn, after)


async def _served(conn: Connection, before: Ticket) -> tuple[Ticket, ServiceCompleted]:
    """A called ticket was served. If its journey goes on, it now waits in the next service,
    keeping its place by original issue time; the service-completed event says `served` and
    names the next service in `transferred_to_service_id`. Returns the ticket after and the
    event, for the caller to record."""
    journey = list(before["journey"])
    if not journey:
        after = await tickets.update_ticket(
            conn, before["id"], status="served", outcome="served", completed_at=tickets.NOW
        )
        return after, await completed(conn, before, after, "served")
    next_service, rest = journey[0], journey[1:]
    after = await _back_in_line(
        conn, before["id"], service_id=next_service, outcome="served", journey=rest
    )
    return after, await completed(conn, before, after, "served", transferred_to=next_service)


async def _back_in_line(conn: Connection, ticket_id: UUID, **changes: object) -> Ticket:
    """The ticket waits in a line again (`changes` say which, with what outcome): at no
    counter, not yet called there."""
    return await tickets.update_ticket(
        conn, ticket_id, status="waiting", counter_id=None, call_count=0, called_at=None, **changes
    )


async def transfer(conn: Connection, command: Transfer, actor: Actor) -> TicketState:
    """Send the ticket to another service: it keeps its number and its place by issue time."""
    ticket_id, service_id = command.ticket_id, command.service_id
    async with conn.transaction():
        before = await _ticket_for_actor(conn, actor, ticket_id)
        rules.check_action("transfer", before["status"])
        target = await sites.service(conn, before["site_id"], service_id)
        if target is None or not target["active"]:
            raise NotFound(f"service {service_id!r} not found at this site")
        if service_id == before["service_id"]:
            raise InvalidRequest("service_id", "the ticket is already in this service")
        after = await _back_in_line(conn, ticket_id, service_id=service_id, outcome="transferred")
        event = await completed(conn, before, after, "transferred", transferred_to=service_id)
        await record(conn, after["site_id"], [event])
        return await describe(conn, after)


async def return_no_show(conn: Connection, command: ReturnNoShow, actor: Actor) -> TicketState:
    """A citizen marked no-show comes back within the grace period: the ticket waits again,
    placed `no_show_return_after` tickets from the front of its class (configurable)."""
    ticket_id = command.ticket_id
    async with conn.transaction():
        before = await _ticket_for_actor(conn, actor, ticket_id)
        if before["status"] != "no_show":
            raise rules.WrongState("return", before["status"])
        service_rules = ServiceRules.model_validate(
            (await sites.service_rules(conn, before["site_id"], [before["service_id"]]))[
                before["service_id"]
            ]
        )
        now = await sites.database_now(conn)
        grace = timedelta(minutes=service_rules.no_show_grace_minutes)
        if before["completed_at"] is None or now - before["completed_at"] > grace:
            raise LimitReached(
                f"batas waktu kembali {service_rules.no_show_grace_minutes} menit sudah lewat;"
                " silakan ambil nomor antrean baru"
            )
        line = await lines.waiting_line(
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
        assert isinstance(recorded, TicketIssued)
        return TicketState(after, recorded.waiting_ahead, recorded.estimated_wait_s)
