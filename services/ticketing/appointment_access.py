"""Who may read or cancel an appointment (CONTRACT.md "Appointments"): the holder, proven by
the last 4 digits of the booking phone (`Phone-Last4`) or by the key the booking answer gave
(`Appointment-Key`). The code alone is what a kiosk checks in with; it is 8 characters of a
32-letter alphabet (40 bits), and an address gets 429 after 10 misses in 10 minutes, so a
guesser finds one of 10,000 booked codes about once in 300,000 years."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from uuid import UUID

from services.ticketing import booking
from services.ticketing.errors import NotAllowed, NotAuthenticated, NotFound
from services.ticketing.guessing import record_miss, refuse_if_guessing
from services.ticketing.repositories import appointments
from services.ticketing.repositories.appointments import Appointment
from shared.database import Connection

MISSES_ALLOWED = 10
MISS_WINDOW_S = 10 * 60


def appointment_key(appointment_id: UUID, secret: str) -> str:
    """The holder's key: 128 bits of HMAC over the appointment id, never stored."""
    mac = hmac.new(secret.encode(), f"appointment-key:{appointment_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")


def normalise_code(code: str) -> str:
    """As typed: spaces and dashes dropped, upper case."""
    return "".join(ch for ch in code if ch not in " -").upper()


@dataclass(frozen=True)
class HolderProof:
    """What a caller offers: the booking phone's last 4 digits or the holder's key, and
    whom a miss counts against."""

    phone_last4: str | None
    key: str | None
    secret: str
    caller: str

    def holds(self, appointment: Appointment) -> bool:
        if self.key is not None:
            expected = appointment_key(appointment.id, self.secret)
            return hmac.compare_digest(self.key.encode(), expected.encode())
        assert self.phone_last4 is not None
        return hmac.compare_digest(
            self.phone_last4.strip().encode(), appointment.phone[-4:].encode()
        )


async def holders_appointment(conn: Connection, code: str, proof: HolderProof) -> Appointment:
    """The appointment `code` names, for its holder only: 401 without a proof (before any
    lookup, so existence does not leak), 429 after 10 misses, 404 unknown, 403 wrong."""
    if not proof.phone_last4 and not proof.key:
        raise NotAuthenticated(
            "sebutkan 4 angka terakhir nomor HP pemesan (Phone-Last4) atau kunci janji temu "
            "(Appointment-Key)"
        )
    guard = f"appointment:{proof.caller}"
    await refuse_if_guessing(conn, guard, MISSES_ALLOWED, MISS_WINDOW_S, "kode janji temu")
    row = await appointments.appointment(conn, normalise_code(code))
    if row is None:
        await record_miss(conn, guard, MISS_WINDOW_S)
        raise NotFound("janji temu tidak ditemukan")
    if not proof.holds(row):
        await record_miss(conn, guard, MISS_WINDOW_S)
        raise NotAllowed("4 angka terakhir nomor HP atau kunci janji temu tidak cocok")
    return row


async def cancel(conn: Connection, code: str, proof: HolderProof) -> Appointment:
    row = await holders_appointment(conn, code, proof)
    return await booking.cancel_appointment(conn, row.code)
