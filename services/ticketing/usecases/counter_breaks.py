"""A counter's breaks (CONTRACT.md, counter tools) and what its console reads: pause for
one of the site's break reasons, resume. While paused the counter calls nobody (call-next
and call answer 409) and does not count as staffed in the estimates. Each change is one
transaction that also records a `site-status-changed` event for the boards, and the
supervisors' audit log."""

from __future__ import annotations

from services.ticketing.actors import Actor
from services.ticketing.errors import CounterNotFree, InvalidRequest
from services.ticketing.repositories import audit, counters, sites, tickets
from services.ticketing.repositories import desk as desk_rows
from services.ticketing.repositories.counters import Counter
from services.ticketing.usecases.commands import PauseCounter, ResumeCounter
from services.ticketing.usecases.counter_access import check_not_paused, counter_for
from services.ticketing.usecases.opening import site_calendar
from services.ticketing.usecases.site_status import record_status
from shared.database import Connection
from shared.events import StatusChange
from shared.sites import BREAK_REASONS


async def break_reasons(conn: Connection, site_id: str) -> list[str]:
    """The site's break reasons (its file's, else CONTRACT.md's defaults)."""
    site = await sites.site(conn, site_id)
    return site_calendar(site)[0].break_reasons if site is not None else [*BREAK_REASONS]


async def desk(conn: Connection, site_id: str, counter_id: str, actor: Actor) -> dict[str, object]:
    """What the counter's console shows beside its open ticket: its break, the site's
    break reasons, the numbers waiting for its services (to call one out of turn), its
    no-shows still in their grace period (to bring one back), and its figures today. The
    console reads it every few seconds, so a clerk's read is a sign of life: their counter
    stays staffed while the console is open (a supervisor's read is not)."""
    counter = await counter_for(conn, actor, site_id, counter_id, lock=False)
    if actor.role == "operator":  # the console open at the desk: its clerk is there
        await counters.touch_counter(conn, site_id, counter_id)
    return {
        "counter_id": counter_id,
        "paused": None
        if counter["paused_at"] is None
        else {"reason": counter["paused_reason"], "since": counter["paused_at"]},
        "break_reasons": await break_reasons(conn, site_id),
        "waiting": await desk_rows.waiting_for(conn, site_id, list(counter["service_ids"])),
        "returnable": await desk_rows.returnable_no_shows(conn, site_id, counter_id),
        "today": await desk_rows.counter_day(conn, site_id, counter_id),
    }


async def pause(conn: Connection, command: PauseCounter, actor: Actor) -> Counter:
    """Start the counter's break: 409 while it serves a ticket or is already paused."""
    reason = command.reason.strip().lower()
    async with conn.transaction():
        counter = await counter_for(conn, actor, command.site_id, command.counter_id, lock=True)
        allowed = await break_reasons(conn, command.site_id)
        if reason not in allowed:
            raise InvalidRequest(
                "reason", f"alasan jeda harus salah satu dari: {', '.join(allowed)}"
            )
        check_not_paused(counter)
        serving = await tickets.open_ticket_at_counter(conn, command.site_id, command.counter_id)
        if serving is not None:
            raise CounterNotFree(
                f"{counter['name']} masih melayani {serving['number']}; selesaikan dulu"
            )
        after = await counters.set_break(conn, command.site_id, command.counter_id, reason)
        await _record(conn, actor, after, "counter_paused", reason)
        return after


async def resume(conn: Connection, command: ResumeCounter, actor: Actor) -> Counter:
    """End the counter's break: 409 when it is not on one."""
    async with conn.transaction():
        counter = await counter_for(conn, actor, command.site_id, command.counter_id, lock=True)
        if counter["paused_at"] is None:
            raise CounterNotFree(f"{counter['name']} tidak sedang jeda")
        after = await counters.set_break(conn, command.site_id, command.counter_id, None)
        await _record(conn, actor, after, "counter_resumed", counter["paused_reason"])
        return after


async def _record(
    conn: Connection, actor: Actor, counter: Counter, change: StatusChange, reason: str | None
) -> None:
    await audit.record(
        conn,
        site_id=counter["site_id"],
        actor=actor.username,
        role=actor.role,
        action="counter.pause" if change == "counter_paused" else "counter.resume",
        target=counter["id"],
        before=None,
        after={"reason": reason},
    )
    await record_status(
        conn, counter["site_id"], change, counter=(counter["id"], counter["name"]), reason=reason
    )
