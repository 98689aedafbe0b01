"""Links citizens open: all built on PUBLIC_BASE_URL (CONTRACT.md, Public links), never
on the Host header of a request, which any caller chooses.

Signed, expiring links that one service makes and another checks (the survey link the
notifier texts and ticketing's survey page accepts): HMAC-SHA256 over a purpose, the ticket
id and the expiry, with the shared TOKEN_SECRET."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Annotated
from urllib.parse import quote, urlsplit
from uuid import UUID

from pydantic import AfterValidator

DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8001"


def _checked_base_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"PUBLIC_BASE_URL must be an http:// or https:// address, e.g. "
            f"http://192.168.1.10:8001 (got {value!r})"
        )
    if parts.query or parts.fragment:
        raise ValueError("PUBLIC_BASE_URL must not carry a query or fragment")
    return value.strip().rstrip("/")


PublicBaseUrl = Annotated[str, AfterValidator(_checked_base_url)]
"""The PUBLIC_BASE_URL setting: an http(s) address, kept without a trailing slash."""


def tracking_link(base_url: str, ticket_id: UUID | str) -> str:
    """The citizen's tracking page: `{PUBLIC_BASE_URL}/t/{ticket_id}`."""
    return f"{base_url.rstrip('/')}/t/{UUID(str(ticket_id))}"


def appointment_link(base_url: str, site_id: str, code: str) -> str:
    """The holder's page of a booked appointment, where it is shown and cancelled:
    `{PUBLIC_BASE_URL}/booking/{site_id}#{code}`. The code rides in the fragment, so it never
    reaches a server's access log; the page asks for the phone's last 4 digits. Short: it
    goes in a 160-character SMS."""
    return f"{base_url.rstrip('/')}/booking/{quote(site_id, safe='')}#{quote(code, safe='')}"


SURVEY_TTL_S = 14 * 24 * 3600
"""A survey link lasts two weeks unless told otherwise."""


def _mac(purpose: str, ticket_id: UUID | str, expires: int, secret: str) -> str:
    message = f"{purpose}:{UUID(str(ticket_id))}:{expires}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign_survey(ticket_id: UUID | str, secret: str, ttl_s: int, now: float | None = None) -> str:
    """The `sig` value of a survey link valid `ttl_s` seconds: '<expiry unix s>.<mac>'."""
    expires = int((time.time() if now is None else now) + ttl_s)
    return f"{expires}.{_mac('survey', ticket_id, expires, secret)}"


def survey_link(
    ticket_id: UUID | str,
    base_url: str,
    secret: str,
    ttl_s: int = SURVEY_TTL_S,
    now: float | None = None,
) -> str:
    """`{base_url}/survey/{ticket_id}?sig=…`."""
    sig = sign_survey(ticket_id, secret, ttl_s, now)
    return f"{base_url.rstrip('/')}/survey/{ticket_id}?sig={sig}"


def survey_signature_problem(
    ticket_id: UUID | str, sig: str, secret: str, now: float | None = None
) -> str | None:
    """Why `sig` does not open this ticket's survey (forged, for another ticket, expired),
    or None when it does."""
    expires_text, _, mac = sig.partition(".")
    if not expires_text.isdigit() or not mac:
        return "the survey link is not valid"
    expires = int(expires_text)
    if not hmac.compare_digest(mac, _mac("survey", ticket_id, expires, secret)):
        return "the survey link is not valid"
    if (time.time() if now is None else now) > expires:
        return "the survey link has expired"
    return None
