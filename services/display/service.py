"""The board service: the boards, the hub that fans their events out, and the clock.

What both sides of the display depend on: the Kafka handlers fold events into it
(services/display/consumer.py), the routes read boards, snapshots and site configuration
from it (services/display/api). Built once per app (services/display/app.py).

Privacy: the board stream is public (a lobby screen, no login), so a ticket-issued
event's `contact` (the citizen's phone number) never goes out: such an event is sent as
its parsed model with `contact` null; every other event is sent as received.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from services.display.board import Board, Boards, Outcome
from services.display.hub import Hub
from shared.events import AnyEvent, TicketIssued
from shared.sites import SiteConfig


def public_data(raw: bytes, event: AnyEvent) -> str:
    """The event JSON for the public stream: as received, without the citizen's contact."""
    if isinstance(event, TicketIssued) and event.contact is not None:
        return event.model_copy(update={"contact": None}).to_json().decode("utf-8")
    return raw.decode("utf-8")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class BoardService:
    boards: Boards
    hub: Hub
    clock: Callable[[], datetime] = field(default=_now)
    _snapshots: dict[str, tuple[int, bytes]] = field(default_factory=dict)

    def fold(self, event: AnyEvent, raw: bytes) -> Outcome:
        """Fold one event into its site's board; an applied one goes out to its boards."""
        board, outcome = self.boards.apply(event, self.clock())
        if outcome is Outcome.APPLIED:
            self.hub.publish(
                event.site_id,
                board.day,
                event.event_type,
                str(event.event_id),
                public_data(raw, event),
            )
        return outcome

    def board(self, site_id: str) -> Board | None:
        """The site's board as of now; None for a site neither configured nor seen."""
        return self.boards.get(site_id, self.clock())

    def config(self, site_id: str) -> SiteConfig | None:
        """The site's configuration; None for a site without one."""
        return self.boards.configs.get(site_id)

    def snapshot(self, board: Board) -> bytes:
        """The board JSON, serialised once per board version and shared by every reader."""
        cached = self._snapshots.get(board.site_id)
        if cached is not None and cached[0] == board.version:
            return cached[1]
        body = orjson.dumps(board.to_json())
        self._snapshots[board.site_id] = (board.version, body)
        return body
