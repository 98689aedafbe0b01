"""The embedded broker's daily rotation: `make run` restarts it, empty, at a quiet hour of
every site's day, so its log — memory only, growing with every event — holds at most one
day and nobody has to restart anything at night.

Quiet means every site is in its local night (00:00–05:00 in its own zone) and closed (its
opening hours, holidays, mobile stops: the site files, `shared.site_hours`; a site open
around the clock counts its night as quiet). For
Indonesia's three zones that window is 17:00–20:00 UTC. Rotation happens at most once every
MIN_GAP, so one night rotates once.

After a rotation the broker answers with new, empty topics; ticketing's relay notices that
the broker no longer holds what it acknowledged and re-publishes today's events from its
outbox (the log of record), and the consumers drop what they already had by event_id. The
topics are recreated by the broker watch's restart, as after a crash.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

from shared.site_hours import site_opening
from shared.sites import SiteConfig

NIGHT_START = clock_time(0, 0)
NIGHT_END = clock_time(5, 0)
MIN_GAP = timedelta(hours=20)
CHECK_EVERY_S = 60.0


def in_local_night(config: SiteConfig, now: datetime) -> bool:
    local = now.astimezone(config.zone).time()
    return NIGHT_START <= local < NIGHT_END


def quiet(sites: Iterable[SiteConfig], now: datetime) -> bool:
    """Whether `now` (aware) is a quiet hour for every site: in its local night and closed
    (a site open around the clock counts its night as quiet: nothing else ever is)."""
    configs = list(sites)
    return bool(configs) and all(
        in_local_night(c, now) and (c.site.always_open or not site_opening(c, now).open)
        for c in configs
    )


def due(sites: Iterable[SiteConfig], now: datetime, last: datetime | None) -> bool:
    """Whether to rotate at `now`, the last rotation (or the start) having been at `last`."""
    return (last is None or now - last >= MIN_GAP) and quiet(sites, now)


class BrokerRotation:
    """A thread that restarts the embedded broker when `due`, through `restart` (the
    supervisor's broker watch: stop, start on the same port, recreate the topics)."""

    def __init__(
        self,
        sites: Callable[[], Iterable[SiteConfig]],
        restart: Callable[[], None],
        log: Callable[[str], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        every_s: float = CHECK_EVERY_S,
    ) -> None:
        self.sites = sites
        self.restart = restart
        self.log = log
        self.clock = clock
        self.every_s = every_s
        self.last: datetime | None = clock()  # a fresh broker needs no rotation tonight
        self.rotations = 0

    def check(self) -> bool:
        """One round: rotate if due. True if it rotated."""
        now = self.clock()
        if not due(self.sites(), now, self.last):
            return False
        started = time.monotonic()
        self.restart()
        self.last = now
        self.rotations += 1
        self.log(
            f"embedded Kafka broker rotated for the new day ({now.isoformat(timespec='seconds')}"
            f", {time.monotonic() - started:.1f} s): its log starts empty; ticketing re-publishes "
            "today's events from its outbox"
        )
        return True

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.every_s):
            try:
                self.check()
            except Exception as exc:  # a failed round is retried at the next check
                self.log(f"broker rotation failed, retried in {self.every_s:.0f} s: {exc!r}")
