"""The board service: the boards, the hub that fans their events out, and the clock.

What both sides of the display depend on: the Kafka handlers fold events into it
(services/display/consumer.py), the routes read boards, snapshots and site configuration
from it (services/display/api). Built once per app (services/display/app.py).

Privacy: the board stream is public (a lobby screen, no login), so a ticket-issued
event's `contact` (the citizen's phone number) never goes out: such an event is sent as
its parsed model with `contact` null; every other event is sent as received. Each event
also carries `board`: what it changed on the board (services/display/board.py,
`Board.changes`), so the page draws without folding.

The board JSON carries `opening` too: whether the site is open now by its site file, when
it opens next, and where a mobile MPP stands today (shared/site_hours.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from services.display.board import Board, BoardEvent, Boards, Outcome, rfc3339
from services.display.hub import Hub
from shared.events import TicketIssued
from shared.site_hours import site_opening
from shared.sites import SiteConfig


def public_data(raw: bytes, event: BoardEvent, changes: dict[str, Any] | None = None) -> str:
    """The event JSON for the public stream: as received, without the citizen's contact,
    with `board` (what the event changed) added as its last field."""
    body = raw
    if isinstance(event, TicketIssued) and event.contact is not None:
        body = event.model_copy(update={"contact": None}).to_json()
    if changes is None:
        return body.decode("utf-8")
    head = body.rstrip()
    if not head.endswith(b"}"):  # a decoded event is a JSON object: cannot happen
        raise ValueError("an event's JSON must be an object")
    head = head[:-1].rstrip()
    separator = b"" if head.endswith(b"{") else b","
    return (head + separator + b'"board":' + orjson.dumps(changes) + b"}").decode("utf-8")


def opening_json(config: SiteConfig | None, now: datetime) -> dict[str, Any] | None:
    """Whether the site is open now by its site file, when it opens next, where a mobile
    MPP stands today (and at its next opening); None for a site without configuration."""
    if config is None:
        return None
    state = site_opening(config, now)
    return {
        "open": state.open,
        "next_open": rfc3339(state.next_open) if state.next_open else None,
        "closes_at": rfc3339(state.closes_at) if state.closes_at else None,
        "mobile": config.site.mobile,
        "place": state.stop.place if state.stop else None,
        "next_place": state.next_stop.place if state.next_stop else None,
    }


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class BoardService:
    boards: Boards
    hub: Hub
    clock: Callable[[], datetime] = field(default=_now)
    _snapshots: dict[str, tuple[tuple[int, bytes], bytes]] = field(default_factory=dict)

    def fold(self, event: BoardEvent, raw: bytes) -> Outcome:
        """Fold one event into its site's board; an applied one goes out to its boards."""
        board, outcome, changes = self.boards.apply_with_changes(event, self.clock())
        if outcome is Outcome.APPLIED:
            self.hub.publish(
                event.site_id,
                board.day,
                event.event_type,
                str(event.event_id),
                public_data(raw, event, changes),
            )
        return outcome

    def board(self, site_id: str) -> Board | None:
        """The site's board as of now; None for a site neither configured nor seen."""
        return self.boards.get(site_id, self.clock())

    def config(self, site_id: str) -> SiteConfig | None:
        """The site's configuration; None for a site without one."""
        return self.boards.configs.get(site_id)

    def snapshot(self, board: Board) -> bytes:
        """The board JSON with `opening`, serialised once per board version and opening
        state, and shared by every reader."""
        opening = opening_json(board.config, self.clock())
        key = (board.version, orjson.dumps(opening))
        cached = self._snapshots.get(board.site_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        body = orjson.dumps({**board.to_json(), "opening": opening})
        self._snapshots[board.site_id] = (key, body)
        return body
