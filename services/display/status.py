"""What a board shows of a site's counters and services beyond the calls: the counters on
a break (with the reason) and the services closed today (with the reason), folded from
`site-status-changed` events. Pure: no I/O. As everywhere on the board, the event with the
highest `sequence` decides, so the fold does not depend on arrival order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.events import SiteStatusChanged, utc_rfc3339


@dataclass
class SiteStatus:
    """Today's breaks and closures of one site's board."""

    # counter_id -> (order, the break as shown, or None when back at work)
    _breaks: dict[str, tuple[int, dict[str, Any] | None]] = field(default_factory=dict)
    # service_id -> (order, the closure as shown, or None when open)
    _closures: dict[str, tuple[int, dict[str, Any] | None]] = field(default_factory=dict)

    def apply(self, event: SiteStatusChanged, order: int) -> bool:
        """Fold one status change; True if it can change what the board shows."""
        if event.change in ("counter_paused", "counter_resumed") and event.counter_id:
            shown = None
            if event.change == "counter_paused":
                shown = {
                    "reason": event.reason,
                    "since": utc_rfc3339(event.occurred_at),
                    "counter_name": event.counter_name,
                }
            return _newer(self._breaks, event.counter_id, order, shown)
        if event.change in ("service_closed", "service_opened") and event.service_id:
            shown = None
            if event.change == "service_closed":
                shown = {"reason": event.reason, "service_name": event.service_name}
            return _newer(self._closures, event.service_id, order, shown)
        return False  # quota and counter services: nothing a lobby shows

    def paused(self) -> dict[str, dict[str, Any]]:
        """The counters on a break now: counter_id -> {reason, since, counter_name}."""
        return {k: v for k, (_, v) in sorted(self._breaks.items()) if v is not None}

    def closed(self) -> dict[str, dict[str, Any]]:
        """The services closed now: service_id -> {reason, service_name}."""
        return {k: v for k, (_, v) in sorted(self._closures.items()) if v is not None}


def _newer(
    states: dict[str, tuple[int, dict[str, Any] | None]],
    key: str,
    order: int,
    shown: dict[str, Any] | None,
) -> bool:
    known = states.get(key)
    if known is not None and known[0] > order:
        return False
    states[key] = (order, shown)
    return True
