"""What the notifier reads from the site files (config/sites/*.toml, the same files
ticketing loads): each site's time zone, its cap on `issued` SMS per phone per day and its
order of messaging channels.

Loaded with `shared.sites.load_sites(dir, environment)`, so the demo sandbox's relaxation
(no cap) holds only with ENVIRONMENT=development. Files are read again at most every
`reload_s` seconds when asked, so a changed cap applies without a restart; a file that
no longer parses keeps the rules last read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from shared.sites import LoadedSite, MessageRules, load_sites

log = logging.getLogger("notifier.sites")

UNKNOWN_SITE_ZONE = "Asia/Jakarta"
"""A site the notifier has no file for (a misconfigured deployment) keeps the default cap,
counted by the WIB day: westernmost zone, so its day never ends before the site's."""


@dataclass(frozen=True)
class MessageCap:
    """One site's rule for `issued` SMS: at most `issued_per_phone_per_day` per phone per
    site-local day (None: no cap)."""

    site_id: str
    zone: ZoneInfo
    issued_per_phone_per_day: int | None

    def day_of(self, moment: datetime) -> date:
        """The site's calendar day at `moment` (an aware datetime)."""
        return moment.astimezone(self.zone).date()


def _cap(site_id: str, loaded: LoadedSite | None) -> MessageCap:
    if loaded is None:
        return MessageCap(
            site_id, ZoneInfo(UNKNOWN_SITE_ZONE), MessageRules().issued_per_phone_per_day
        )
    site = loaded.config.site
    return MessageCap(site_id, ZoneInfo(site.timezone), site.messages.issued_per_phone_per_day)


class SiteRules:
    def __init__(
        self,
        directory: Path,
        environment: str,
        reload_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = directory
        self._environment = environment
        self._reload_s = reload_s
        self._clock = clock
        self._sites: dict[str, LoadedSite] = load_sites(directory, environment)
        self._loaded_at = clock()
        self._unknown: set[str] = set()

    def cap_of(self, site_id: str) -> MessageCap:
        self._refresh()
        loaded = self._sites.get(site_id)
        if loaded is None and site_id not in self._unknown:
            self._unknown.add(site_id)
            log.warning("no site file for %r in %s: default message cap", site_id, self._directory)
        return _cap(site_id, loaded)

    def channels_of(self, site_id: str, configured: tuple[str, ...]) -> tuple[str, ...]:
        """The site's channel order (its file's messages.channels), limited to the channels
        this deployment has set up (`configured`, MESSAGE_CHANNELS); `configured` itself
        when the site names none of them."""
        self._refresh()
        loaded = self._sites.get(site_id)
        wanted = loaded.config.site.messages.channels if loaded is not None else None
        usable = tuple(c for c in wanted or () if c in configured)
        return usable or configured

    def _refresh(self) -> None:
        now = self._clock()
        if now - self._loaded_at < self._reload_s:
            return
        self._loaded_at = now
        try:
            self._sites = load_sites(self._directory, self._environment)
        except (OSError, ValueError) as exc:
            log.error("site files not reloaded, keeping the last rules: %s", exc)
