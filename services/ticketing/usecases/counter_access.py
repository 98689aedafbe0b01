"""Who may act at a counter, and what a counter's state allows: the checks every counter
action (counter_actions, counter_breaks) makes first, in one place."""

from __future__ import annotations

from services.ticketing.actors import Actor
from services.ticketing.errors import CounterNotFree, NotAllowed, NotFound
from services.ticketing.repositories import counters, sites
from services.ticketing.repositories.counters import Counter
from shared.database import Connection


async def counter_for(
    conn: Connection, actor: Actor, site_id: str, counter_id: str, *, lock: bool
) -> Counter:
    """The site's active counter, if `actor` may act for it (with `lock`, locked until
    commit: one counter's calls happen one at a time)."""
    counter = await counters.counter(conn, site_id, counter_id, lock=lock)
    if counter is None:
        if await sites.site(conn, site_id) is None:
            raise NotFound("site not found")
        raise NotFound("counter not found at this site")
    if not actor.may_use_counter(site_id, counter_id):
        raise NotAllowed(f"{actor.username} may not act for {counter_id}")
    return counter


def check_not_paused(counter: Counter) -> None:
    """A counter on a break calls nobody (CONTRACT.md: call-next and call answer 409)."""
    if counter["paused_at"] is not None:
        raise CounterNotFree(
            f"{counter['name']} sedang jeda ({counter['paused_reason']}); "
            "tekan Lanjutkan untuk memanggil lagi"
        )
