"""`site-status-changed` events (CONTRACT.md, Site status events): what a change of a
counter's or a service's state tells the boards, recorded in the outbox in the change's own
transaction, so a pause or a closure reaches the lobby within a second and is healed with
the rest of the day's events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.ticketing.errors import NotFound
from services.ticketing.outbox import record_events
from services.ticketing.repositories import sites
from shared.database import Connection
from shared.events import SiteStatusChanged, StatusChange


async def record_status(
    conn: Connection,
    site_id: str,
    change: StatusChange,
    *,
    counter: tuple[str, str] | None = None,
    service: tuple[str, str] | None = None,
    reason: str | None = None,
    quota: int | None = None,
    service_ids: list[str] | None = None,
) -> SiteStatusChanged:
    """Record one status change of the site; `counter` and `service` are (id, name). Must
    run inside the change's transaction, as its last step (the site's sequence lock)."""
    site = await sites.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    event = SiteStatusChanged(
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),  # stamped with the commit's time by the outbox
        site_id=site_id,
        site_name=site["name"],
        change=change,
        counter_id=counter[0] if counter else None,
        counter_name=counter[1] if counter else None,
        service_id=service[0] if service else None,
        service_name=service[1] if service else None,
        reason=reason,
        quota=quota,
        service_ids=service_ids,
    )
    [stamped] = await record_events(conn, site_id, [event])
    return stamped
