"""The survey (SKM) responses, kept as SQL: the ticket a survey is about, the one response
per ticket, and the sums the IKM is computed from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

import asyncpg

from services.ticketing.repositories.rows import maybe_row, rows_of
from shared.database import Connection


class AlreadyAnswered(Exception):
    """The ticket has a response already (the unique ticket_id settled it)."""


@dataclass(frozen=True)
class SurveyTicket:
    """A ticket as its survey sees it: what it was, where, and whether it was answered."""

    id: UUID
    number: str
    site_id: str
    service_id: str
    counter_id: str | None
    day: date
    status: str
    completed_at: datetime | None
    service_name: str
    agency_id: str
    agency_name: str
    site_name: str
    answered_at: datetime | None


@dataclass(frozen=True)
class IkmSums:
    """How many responses (`n`) and the sum of each element's answers (None when n = 0)."""

    n: int
    s1: int | None
    s2: int | None
    s3: int | None
    s4: int | None
    s5: int | None
    s6: int | None
    s7: int | None
    s8: int | None
    s9: int | None

    @property
    def sums(self) -> tuple[int | None, ...]:
        s = self
        return (s.s1, s.s2, s.s3, s.s4, s.s5, s.s6, s.s7, s.s8, s.s9)


@dataclass(frozen=True)
class IkmGroup(IkmSums):
    """The sums of one group: the whole site (both flags set), an agency or a service."""

    agency_id: str | None
    service_id: str | None
    g_agency: int
    g_service: int


async def ticket(conn: Connection, ticket_id: UUID) -> SurveyTicket | None:
    row = await conn.fetchrow(
        """SELECT t.id, t.number, t.site_id, t.service_id, t.counter_id, t.day, t.status,
                  t.completed_at, s.name AS service_name, s.agency_id,
                  a.name AS agency_name, si.name AS site_name,
                  r.submitted_at AS answered_at
             FROM ticketing.tickets t
             JOIN ticketing.services s ON s.site_id = t.site_id AND s.id = t.service_id
             JOIN ticketing.agencies a ON a.site_id = s.site_id AND a.id = s.agency_id
             JOIN ticketing.sites si ON si.id = t.site_id
             LEFT JOIN ticketing.survey_responses r ON r.ticket_id = t.id
            WHERE t.id = $1""",
        ticket_id,
    )
    return maybe_row(SurveyTicket, row)


async def save_response(
    conn: Connection, t: SurveyTicket, answers: Sequence[int], comment: str, signed: bool
) -> datetime:
    """Store the response; when it was submitted. AlreadyAnswered on a second one: one
    statement, so the unique ticket_id settles two answers at once."""
    try:
        submitted_at: datetime = await conn.fetchval(
            """INSERT INTO ticketing.survey_responses
                   (ticket_id, site_id, service_id, agency_id, counter_id, day,
                    u1, u2, u3, u4, u5, u6, u7, u8, u9, comment, signed)
               VALUES ($1, $2, $3, $4, $5, $6,
                       $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
               RETURNING submitted_at""",
            t.id,
            t.site_id,
            t.service_id,
            t.agency_id,
            t.counter_id,
            t.day,
            *answers,
            comment,
            signed,
        )
    except asyncpg.UniqueViolationError:
        raise AlreadyAnswered from None
    return submitted_at


IKM_GROUPS_SQL = """
SELECT agency_id, service_id, GROUPING(agency_id) AS g_agency, GROUPING(service_id) AS g_service,
       count(*) AS n, sum(u1) AS s1, sum(u2) AS s2, sum(u3) AS s3, sum(u4) AS s4, sum(u5) AS s5,
       sum(u6) AS s6, sum(u7) AS s7, sum(u8) AS s8, sum(u9) AS s9
  FROM ticketing.survey_responses
 WHERE site_id = $1 AND day BETWEEN $2 AND $3
 GROUP BY GROUPING SETS ((), (agency_id), (service_id))
"""


async def ikm_groups(conn: Connection, site_id: str, first: date, last: date) -> list[IkmGroup]:
    """The sums of the site's responses of the days, for the site, each agency, each service."""
    return rows_of(IkmGroup, await conn.fetch(IKM_GROUPS_SQL, site_id, first, last))
