"""Who may read the notifier's HTTP API (CONTRACT.md "Who may do what"): supervisors and
admins, each for their own site. The notifier holds no accounts: it asks ticketing's
`GET /api/auth/me` with the caller's bearer token and keeps each answer at most 5 s, so a
deactivated account or a changed role stops working within that time.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

CACHE_S = 5.0
"""Longest an answer of ticketing is reused (the contract's limit)."""

_CACHE_MAX = 10_000
"""Tokens remembered at once; past this, expired answers are dropped first, then all."""


class StaffMember(BaseModel):
    """Ticketing's answer to GET /api/auth/me: the account as it is now."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    username: str
    role: str
    site_id: str
    counter_ids: tuple[str, ...] = ()
    deployment_admin: bool = False


def may_read_site(staff: StaffMember, site_id: str) -> bool:
    """The one rule of the notifier's API: a supervisor or admin of `site_id`, or an admin
    of the whole deployment. Operators (and every other role) read nothing."""
    if staff.role == "admin" and staff.deployment_admin:
        return True
    return staff.role in ("supervisor", "admin") and staff.site_id == site_id


class TicketingUnavailable(Exception):
    """Ticketing did not answer (or answered something else than 200/401): 503."""


@dataclass(frozen=True)
class _Answer:
    staff: StaffMember | None  # None: ticketing said 401
    until: float


class StaffDirectory:
    """Checks bearer tokens against ticketing; one cached answer per token hash."""

    def __init__(
        self,
        ticketing_url: str,
        timeout_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = ticketing_url.rstrip("/") + "/api/auth/me"
        self._client = httpx.AsyncClient(timeout=timeout_s)
        self._clock = clock
        self._answers: dict[str, _Answer] = {}
        self.asked = 0
        """Calls made to ticketing (the cache's misses)."""

    async def who(self, token: str) -> StaffMember | None:
        """The staff member the token speaks for, or None when it is not a valid staff token.
        Raises TicketingUnavailable when ticketing cannot say."""
        key = hashlib.sha256(token.encode()).hexdigest()
        now = self._clock()
        cached = self._answers.get(key)
        if cached is not None and cached.until > now:
            return cached.staff
        staff = await self._ask(token)
        self._remember(key, _Answer(staff, now + CACHE_S), now)
        return staff

    async def _ask(self, token: str) -> StaffMember | None:
        self.asked += 1
        try:
            response = await self._client.get(
                self._url, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as exc:
            raise TicketingUnavailable(f"{type(exc).__name__}: {exc}") from None
        if response.status_code in (401, 403):
            return None
        if response.status_code != 200:
            raise TicketingUnavailable(f"GET /api/auth/me answered {response.status_code}")
        try:
            return StaffMember.model_validate_json(response.content)
        except ValidationError as exc:
            raise TicketingUnavailable(f"GET /api/auth/me answered {exc}") from None

    def _remember(self, key: str, answer: _Answer, now: float) -> None:
        if len(self._answers) >= _CACHE_MAX:
            self._answers = {k: a for k, a in self._answers.items() if a.until > now}
            if len(self._answers) >= _CACHE_MAX:
                self._answers.clear()
        self._answers[key] = answer

    async def close(self) -> None:
        await self._client.aclose()
