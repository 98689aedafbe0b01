"""The citizen satisfaction survey (SKM, PermenPANRB 14/2017) and its index (IKM).

After a served ticket the citizen gets an SMS with a link to `/survey/{ticket_id}`. A
signed link carries `sig=<expiry>.<mac>`, an HMAC-SHA256 (TOKEN_SECRET) over the ticket id
and the expiry; `survey_link` makes one (the notifier signs every link it sends). Without a
`sig`, the survey opens only to the ticket's holder, by the `Ticket-Key` header
(`ticket_keys`), within `KEY_DAYS` of the service: the ticket id alone is public (boards
show it), so it proves nothing (401 without either, 403 when wrong).

One response per ticket, only for a ticket whose status is served.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from services.ticketing import ticket_keys
from services.ticketing.domain import ikm as ikm_rules
from services.ticketing.errors import InvalidRequest, NotAuthenticated, NotFound
from services.ticketing.repositories import sites as repo
from services.ticketing.repositories import surveys
from services.ticketing.repositories.sites import ServiceListed
from services.ticketing.repositories.surveys import SurveyTicket
from shared import links
from shared.database import Connection

KEY_DAYS = 7
"""How long after completion the holder's key (no signed link) opens the survey."""

DEFAULT_TTL_S = 14 * 24 * 3600
"""How long a signed link lasts unless told otherwise."""


class SurveyRefused(Exception):
    """The link is forged, expired or too old (HTTP 403)."""


class SurveyNotOpen(Exception):
    """The ticket was not served, or was already answered (HTTP 409)."""


# --- signed links ----------------------------------------------------------------------


def sign(ticket_id: UUID | str, secret: str, ttl_s: int, now: float | None = None) -> str:
    """The `sig` value for a link valid `ttl_s` seconds: '<expiry unix s>.<mac>'."""
    return links.sign_survey(ticket_id, secret, ttl_s, now)


def survey_link(
    ticket_id: UUID | str,
    base_url: str,
    secret: str,
    ttl: int | timedelta = DEFAULT_TTL_S,
    now: float | None = None,
) -> str:
    """`{base_url}/survey/{ticket_id}?sig=…`, valid for `ttl` (seconds or a timedelta)."""
    ttl_s = int(ttl.total_seconds()) if isinstance(ttl, timedelta) else int(ttl)
    return links.survey_link(ticket_id, base_url, secret, ttl_s, now)


def check_signature(ticket_id: UUID | str, sig: str, secret: str, now: float | None = None) -> None:
    """Raise SurveyRefused unless `sig` was made with `secret` for this ticket and is unexpired."""
    problem = links.survey_signature_problem(ticket_id, sig, secret, now)
    if problem:
        raise SurveyRefused(problem)


# --- responses -------------------------------------------------------------------------


async def _ticket(conn: Connection, ticket_id: UUID) -> SurveyTicket:
    row = await surveys.ticket(conn, ticket_id)
    if row is None:
        raise NotFound("ticket not found")
    return row


async def _admitted(
    conn: Connection, ticket_id: UUID, sig: str | None, key: str | None, secret: str
) -> tuple[SurveyTicket, bool]:
    """The ticket, if this signed link or the holder's key may answer its survey, and
    whether it came through a signed link. Run outside a transaction: a wrong key's miss
    is counted and stays counted."""
    row = await _ticket(conn, ticket_id)
    now = await repo.database_now(conn)
    if sig:
        check_signature(row.id, sig, secret, now.timestamp())
    elif key:
        await ticket_keys.check(conn, row.id, key, secret)
    else:
        raise NotAuthenticated(
            "survei memerlukan tautan survei dari SMS (sig) atau header Ticket-Key"
        )
    if row.status != "served" or row.completed_at is None:
        raise SurveyNotOpen("the survey opens once the ticket has been served")
    if not sig and now - row.completed_at > timedelta(days=KEY_DAYS):
        raise SurveyRefused(f"this survey has closed ({KEY_DAYS} days after the service)")
    return row, bool(sig)


def _context(row: SurveyTicket) -> dict[str, Any]:
    return {
        "ticket_id": row.id,
        "number": row.number,
        "site_id": row.site_id,
        "site_name": row.site_name,
        "service_name": row.service_name,
        "agency_name": row.agency_name,
        "completed_at": row.completed_at,
        "answered": row.answered_at is not None,
        "elements": [
            {"element": i, "name": name} for i, (_, name) in enumerate(ikm_rules.ELEMENTS, 1)
        ],
        "answers": [{"value": v, "label": label} for v, label in ikm_rules.ANSWERS.items()],
    }


async def survey_form(
    conn: Connection, ticket_id: UUID, sig: str | None, key: str | None, secret: str
) -> dict[str, Any]:
    """What the survey page shows; raises when the link or key may not answer."""
    row, _ = await _admitted(conn, ticket_id, sig, key, secret)
    return _context(row)


async def submit(
    conn: Connection,
    ticket_id: UUID,
    answers: Sequence[int],
    comment: str,
    sig: str | None,
    key: str | None,
    secret: str,
) -> dict[str, Any]:
    """Store the one response of a served ticket (SurveyNotOpen on a second one)."""
    try:
        ikm_rules.check_answers(answers)
    except ikm_rules.InvalidAnswers as exc:
        raise InvalidRequest("answers", str(exc)) from None
    row, signed = await _admitted(conn, ticket_id, sig, key, secret)
    if row.answered_at is not None:
        raise SurveyNotOpen("this ticket's survey has already been answered")
    try:
        submitted_at = await surveys.save_response(conn, row, answers, comment.strip(), signed)
    except surveys.AlreadyAnswered:
        raise SurveyNotOpen("this ticket's survey has already been answered") from None
    return {"ticket_id": row.id, "submitted_at": submitted_at, "answers": answers}


# --- the index -------------------------------------------------------------------------


async def site_ikm(conn: Connection, site_id: str, first: date, last: date) -> dict[str, Any]:
    """The public IKM of a site for a period: the site, each agency, each service.
    Aggregates only: no comment, no ticket, nothing about a person."""
    site = await repo.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    if last < first:
        raise InvalidRequest("to", "the period ends before it starts")
    if (last - first).days > 731:
        raise InvalidRequest("to", "an IKM period covers at most two years")
    rows = await surveys.ikm_groups(conn, site_id, first, last)
    # keyed for the rows' ids, None on the rollup rows
    agencies: dict[str | None, str] = {
        r["id"]: r["name"] for r in await repo.agencies(conn, site_id)
    }
    services: dict[str | None, ServiceListed] = {
        r["id"]: r for r in await repo.services(conn, site_id)
    }
    total: dict[str, Any] = ikm_rules.from_sums(0, ()).as_json()
    by_agency: list[dict[str, Any]] = []
    by_service: list[dict[str, Any]] = []
    for r in rows:
        value = ikm_rules.from_sums(r.n, r.sums).as_json()
        if r.g_agency and r.g_service:
            total = value
        elif not r.g_agency:
            by_agency.append(
                {"agency_id": r.agency_id, "agency_name": agencies.get(r.agency_id), **value}
            )
        else:
            svc = services.get(r.service_id)
            by_service.append(
                {
                    "service_id": r.service_id,
                    "service_name": svc["name"] if svc else r.service_id,
                    "agency_id": svc["agency_id"] if svc else None,
                    **value,
                }
            )
    by_agency.sort(key=lambda a: str(a["agency_name"] or a["agency_id"]))
    by_service.sort(key=lambda s: str(s["service_name"]))
    return {
        "site": {"id": site_id, "name": site["name"], "timezone": site["timezone"]},
        "from": first.isoformat(),
        "to": last.isoformat(),
        "scale": {"min": 25, "max": 100},
        "categories": [
            {"category": cat, "quality": quality, "from": float(lower)}
            for lower, cat, quality in ikm_rules.CATEGORIES
        ],
        **total,
        "by_agency": by_agency,
        "by_service": by_service,
    }
