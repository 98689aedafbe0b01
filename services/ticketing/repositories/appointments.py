"""Online booking, kept as SQL: phone verifications (one-time SMS codes, only their hash
kept), appointments for a slot, and the checks on a phone's online tickets."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from services.ticketing.repositories.rows import maybe_row, row_of
from shared.database import Connection

# --- phone verifications ----------------------------------------------------------------


@dataclass(frozen=True)
class PhoneVerification:
    id: UUID
    site_id: str
    phone: str
    code_hash: str
    attempts: int
    expires_at: datetime
    confirmed_at: datetime | None


async def add_verification(
    conn: Connection,
    verification_id: UUID,
    site_id: str,
    phone: str,
    code_hash: str,
    expires_at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO ticketing.phone_verifications (id, site_id, phone, code_hash, expires_at)
           VALUES ($1, $2, $3, $4, $5)""",
        verification_id,
        site_id,
        phone,
        code_hash,
        expires_at,
    )


async def lock_verification(conn: Connection, verification_id: UUID) -> PhoneVerification | None:
    row = await conn.fetchrow(
        """SELECT id, site_id, phone, code_hash, attempts, expires_at, confirmed_at
             FROM ticketing.phone_verifications WHERE id = $1 FOR UPDATE""",
        verification_id,
    )
    return maybe_row(PhoneVerification, row)


async def count_attempt(conn: Connection, verification_id: UUID, *, confirmed: bool) -> None:
    """One more attempt at the code; a right one also marks the phone confirmed now."""
    if confirmed:
        await conn.execute(
            """UPDATE ticketing.phone_verifications
                  SET confirmed_at = clock_timestamp(), attempts = attempts + 1
                WHERE id = $1""",
            verification_id,
        )
    else:
        await conn.execute(
            "UPDATE ticketing.phone_verifications SET attempts = attempts + 1 WHERE id = $1",
            verification_id,
        )


# --- a phone's online tickets -----------------------------------------------------------


async def lock_phone(conn: Connection, site_id: str, phone: str) -> None:
    """Serialise one phone's bookings at a site until commit, so two at once cannot both
    pass a check."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1)", zlib.crc32(f"phone:{site_id}:{phone}".encode())
    )


async def active_ticket_number(
    conn: Connection, site_id: str, service_id: str, day: date, phone: str
) -> str | None:
    """The number of the phone's waiting or called ticket of the service that day, if any."""
    number: str | None = await conn.fetchval(
        """SELECT number FROM ticketing.tickets
            WHERE site_id = $1 AND service_id = $2 AND day = $3 AND phone = $4
              AND status IN ('waiting', 'called') LIMIT 1""",
        site_id,
        service_id,
        day,
        phone,
    )
    return number


# --- appointments -----------------------------------------------------------------------


@dataclass(frozen=True)
class Appointment:
    id: UUID
    code: str
    site_id: str
    service_id: str
    phone: str
    day: date
    slot_start: datetime
    slot_end: datetime
    status: str
    ticket_id: UUID | None
    checked_in_by: str | None


_COLUMNS = (
    "id, code, site_id, service_id, phone, day, slot_start, slot_end, status, ticket_id, "
    "checked_in_by"
)


async def booked_per_slot(
    conn: Connection, site_id: str, service_id: str, day: date
) -> dict[datetime, int]:
    """How many appointments (not cancelled) each slot of the day holds, by its start."""
    rows = await conn.fetch(
        """SELECT slot_start, count(*) AS n FROM ticketing.appointments
            WHERE site_id = $1 AND service_id = $2 AND day = $3 AND status <> 'cancelled'
            GROUP BY slot_start""",
        site_id,
        service_id,
        day,
    )
    return {r["slot_start"]: r["n"] for r in rows}


async def lock_slots(conn: Connection, site_id: str, service_id: str, day: date) -> None:
    """Serialise bookings of one service's day until commit (the slots' capacity holds)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1)",
        zlib.crc32(f"slots:{site_id}:{service_id}:{day}".encode()),
    )


async def booked_code(
    conn: Connection, site_id: str, service_id: str, day: date, phone: str
) -> str | None:
    """The code of the phone's booked appointment of the service that day, if any."""
    code: str | None = await conn.fetchval(
        """SELECT code FROM ticketing.appointments
            WHERE site_id = $1 AND service_id = $2 AND day = $3 AND phone = $4
              AND status = 'booked'""",
        site_id,
        service_id,
        day,
        phone,
    )
    return code


async def booked_count(conn: Connection, site_id: str, service_id: str, day: date) -> int:
    count: int = await conn.fetchval(
        """SELECT count(*) FROM ticketing.appointments
            WHERE site_id = $1 AND service_id = $2 AND day = $3
              AND status <> 'cancelled'""",
        site_id,
        service_id,
        day,
    )
    return count


@dataclass(frozen=True)
class NewAppointment:
    id: UUID
    code: str
    site_id: str
    service_id: str
    phone: str
    day: date
    slot_start: datetime
    slot_end: datetime


async def add(conn: Connection, a: NewAppointment) -> Appointment:
    row = await conn.fetchrow(
        f"""INSERT INTO ticketing.appointments
                (id, code, site_id, service_id, phone, day, slot_start, slot_end)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {_COLUMNS}""",
        a.id,
        a.code,
        a.site_id,
        a.service_id,
        a.phone,
        a.day,
        a.slot_start,
        a.slot_end,
    )
    assert row is not None
    return row_of(Appointment, row)


async def appointment(conn: Connection, code: str) -> Appointment | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM ticketing.appointments WHERE code = $1", code
    )
    return maybe_row(Appointment, row)


async def lock_appointment(
    conn: Connection, code: str, site_id: str | None = None
) -> Appointment | None:
    """The appointment of `code` (at `site_id` when given), locked until commit."""
    row = await conn.fetchrow(
        f"""SELECT {_COLUMNS} FROM ticketing.appointments
             WHERE code = $1 AND ($2::text IS NULL OR site_id = $2) FOR UPDATE""",
        code,
        site_id,
    )
    return maybe_row(Appointment, row)


async def cancel(conn: Connection, appointment_id: UUID) -> Appointment:
    row = await conn.fetchrow(
        f"""UPDATE ticketing.appointments SET status = 'cancelled' WHERE id = $1
            RETURNING {_COLUMNS}""",
        appointment_id,
    )
    assert row is not None  # the caller holds the appointment's lock
    return row_of(Appointment, row)


async def mark_checked_in(
    conn: Connection, appointment_id: UUID, ticket_id: UUID, requester: str | None
) -> None:
    await conn.execute(
        """UPDATE ticketing.appointments
              SET status = 'checked_in', ticket_id = $2, checked_in_by = $3
            WHERE id = $1""",
        appointment_id,
        ticket_id,
        requester,
    )
