"""The refusals of the ticketing use cases, each mapped to one HTTP status by
`api/errors.py`. Every module raises these; none of them needs the queue to do so."""

from __future__ import annotations


class NotFound(LookupError):
    pass


class NotTakingTickets(Exception):
    """The service exists but does not take tickets now (HTTP 409), with a kiosk-ready reason."""


class LimitReached(Exception):
    """A rule of the service standard says no (HTTP 409): too many recalls, grace over."""


class CounterNotFree(Exception):
    """The counter's state forbids the action (HTTP 409): it is on a break, or it is
    serving a citizen when it wants to start one."""


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came with a different request body (HTTP 422)."""


class InvalidRequest(ValueError):
    """A well-formed request that makes no sense (HTTP 422), naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(PermissionError):
    """The staff member may not act for this counter or site (HTTP 403)."""


class NotAuthenticated(PermissionError):
    """The caller has not proven who they are: no key, code or token (HTTP 401)."""
