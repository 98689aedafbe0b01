"""Online booking (daring) without calo: a phone proven by a one-time SMS code, per-phone
and per-address rate limits, at most one active online ticket per phone per service per
day, and appointments for a slot on a future day that enter the queue on check-in."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import jwt

from services.ticketing.domain import booking as slots_rules
from services.ticketing.domain import tickets as rules
from services.ticketing.errors import InvalidRequest, NotFound, NotTakingTickets
from services.ticketing.outbox import record_events
from services.ticketing.repositories import appointments as booked
from services.ticketing.repositories import rate_limits
from services.ticketing.repositories import sites as repo
from services.ticketing.repositories.appointments import Appointment, NewAppointment
from services.ticketing.usecases import entering, opening, views
from services.ticketing.usecases.commands import EnterQueue
from services.ticketing.usecases.views import TicketState
from shared import links
from shared.database import Connection
from shared.events import AppointmentBooked, PhoneVerificationRequested
from shared.sites import ServiceRules

CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
PROOF_TTL_S = 30 * 60
_PROOF_AUDIENCE = "phone-verified"


class TooManyRequests(Exception):
    """A rate limit was hit (HTTP 429 with Retry-After)."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


# --- rate limits --------------------------------------------------------------------------


async def limit(conn: Connection, key: str, allowed: int, window_s: int, what: str) -> None:
    """Count one hit of `key` in its fixed window; raise TooManyRequests past `allowed`.

    Runs in its own statement (autocommit), before the request's transaction: a refused or
    failed request still counts, which is the point against scripted touts."""
    now = time.time()
    window_start = datetime.fromtimestamp(now - now % window_s).astimezone()
    hits = await rate_limits.hit(conn, key, window_start)
    if hits > allowed:
        retry = int(window_s - now % window_s) + 1
        raise TooManyRequests(f"terlalu banyak permintaan {what}; coba lagi nanti", retry)


async def online_limits(
    conn: Connection, site: Any, phone: str | None, client_ip: str | None, what: str = "ticket"
) -> None:
    """Per client address (all online requests) and per phone (codes, and bookings, counted
    apart: each SMS costs money and is what a tout's script would hammer)."""
    info, _ = opening.site_calendar(site)
    if client_ip:
        # per site too: one MPP's busy lobby Wi-Fi (one NAT address) does not use up another's
        await limit(
            conn,
            f"ip:{site['id']}:{client_ip}",
            info.online.per_ip_per_hour,
            3600,
            "dari alamat ini",
        )
    if phone:
        await limit(
            conn,
            f"phone-{what}:{site['id']}:{phone}",
            info.online.per_phone_per_hour,
            3600,
            "untuk nomor ini",
        )


# --- phone verification -----------------------------------------------------------------


def _code_hash(verification_id: UUID, code: str) -> str:
    return hashlib.sha256(f"{verification_id}:{code}".encode()).hexdigest()


@dataclass(frozen=True)
class VerificationStarted:
    verification_id: UUID
    expires_at: datetime


async def request_code(
    conn: Connection, site_id: str, phone: str, client_ip: str | None
) -> VerificationStarted:
    """Text a one-time code to `phone` (through the outbox and the notifier)."""
    site = await repo.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    await online_limits(conn, site, phone, client_ip, what="code")
    verification_id = uuid.uuid4()
    code = f"{secrets.randbelow(10**6):06d}"
    async with conn.transaction():
        now = await repo.database_now(conn)
        expires_at = now + CODE_TTL
        await booked.add_verification(
            conn, verification_id, site_id, phone, _code_hash(verification_id, code), expires_at
        )
        event = PhoneVerificationRequested(
            event_id=uuid.uuid4(),
            occurred_at=now,
            site_id=site_id,
            site_name=site["name"],
            verification_id=verification_id,
            phone=phone,
            code=code,
            expires_at=expires_at,
        )
        await record_events(conn, site_id, [event])
    return VerificationStarted(verification_id, expires_at)


def phone_proof(site_id: str, phone: str, secret: str, ttl_s: int = PROOF_TTL_S) -> str:
    now = int(time.time())
    claims = {"sub": phone, "site": site_id, "aud": _PROOF_AUDIENCE, "iat": now, "exp": now + ttl_s}
    return jwt.encode(claims, secret, algorithm="HS256")


def proven_phone(proof: str | None, site_id: str, secret: str) -> str | None:
    """The phone a verification token proves for `site_id`, or None if absent/invalid."""
    if not proof:
        return None
    try:
        claims = jwt.decode(proof, secret, algorithms=["HS256"], audience=_PROOF_AUDIENCE)
    except jwt.InvalidTokenError:
        return None
    if claims.get("site") != site_id:
        return None
    return str(claims["sub"])


async def confirm_code(
    conn: Connection, verification_id: UUID, code: str, secret: str
) -> tuple[str, str]:
    """Check the code; the (site_id, proof token) that online booking accepts for 30 min."""
    async with conn.transaction():
        row = await booked.lock_verification(conn, verification_id)
        if row is None:
            raise NotFound("verification not found")
        now = await repo.database_now(conn)
        if row.attempts >= MAX_ATTEMPTS:
            raise TooManyRequests("terlalu banyak percobaan; minta kode baru", 60)
        if now > row.expires_at:
            raise InvalidRequest("code", "kode sudah kedaluwarsa; minta kode baru")
        good = hmac.compare_digest(row.code_hash, _code_hash(verification_id, code.strip()))
        # a failed attempt is kept even though the request fails
        await booked.count_attempt(conn, verification_id, confirmed=good)
    if not good:
        raise InvalidRequest("code", "kode salah")
    return row.site_id, phone_proof(row.site_id, row.phone, secret)


# --- online tickets ------------------------------------------------------------------------


async def check_online_ticket(
    conn: Connection, site: Any, service_id: str, phone: str | None, proven: str | None
) -> None:
    """The anti-calo rules of an online ticket, before it is issued (inside its transaction)."""
    info, _ = opening.site_calendar(site)
    if info.online.verify_phone:
        if phone is None:
            raise InvalidRequest("phone", "nomor HP wajib untuk antrean daring")
        if proven != phone:
            raise InvalidRequest(
                "verification_token", "nomor HP belum diverifikasi dengan kode SMS"
            )
    if info.online.one_active_per_phone and phone is not None:
        day = rules.local_day(await repo.database_now(conn), site["timezone"])
        await booked.lock_phone(conn, site["id"], phone)
        active = await booked.active_ticket_number(conn, site["id"], service_id, day, phone)
        if active is not None:
            raise NotTakingTickets(
                f"Nomor HP ini sudah memiliki antrean aktif {active} untuk layanan ini hari ini"
            )


# --- appointments ---------------------------------------------------------------------------


def _appointment_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed at a kiosk
    return "".join(secrets.choice(alphabet) for _ in range(8))  # 40 bits (appointment_access)


async def _service_and_rules(
    conn: Connection, site_id: str, service_id: str
) -> tuple[Any, Any, ServiceRules]:
    site = await repo.site(conn, site_id)
    if site is None:
        raise NotFound("site not found")
    service = await repo.service(conn, site_id, service_id)
    if service is None or not service["active"]:
        raise NotFound(f"service {service_id!r} not found at this site")
    return site, service, ServiceRules.model_validate(service["rules"])


async def free_slots(
    conn: Connection, site_id: str, service_id: str, day: date
) -> list[slots_rules.Slot]:
    site, _, service_rules = await _service_and_rules(conn, site_id, service_id)
    if service_rules.appointment_slot_capacity == 0:
        return []
    info, stops = opening.site_calendar(site)
    zone = ZoneInfo(info.timezone)
    per_slot = await booked.booked_per_slot(conn, site_id, service_id, day)
    booked_at = {start.astimezone(zone): n for start, n in per_slot.items()}
    return slots_rules.slots(
        day,
        zone,
        slots_rules.day_ranges(day, info, service_rules.hours, stops),
        service_rules.appointment_slot_minutes,
        service_rules.appointment_slot_capacity,
        booked_at,
    )


async def book(
    conn: Connection,
    site_id: str,
    service_id: str,
    day: date,
    slot_start: datetime,
    phone: str,
    *,
    public_base_url: str,
) -> Appointment:
    """Book a slot for a proven phone; one booking per phone per service per day. Its
    `appointment-booked` event (the notifier texts the code) commits with it."""
    async with conn.transaction():
        site, service, service_rules = await _service_and_rules(conn, site_id, service_id)
        if service_rules.appointment_slot_capacity == 0:
            raise NotTakingTickets(f"Layanan {service['name']} tidak menerima janji temu")
        now = await repo.database_now(conn)
        today = rules.local_day(now, site["timezone"])
        if not today <= day <= today + timedelta(days=service_rules.appointment_days_ahead):
            raise InvalidRequest(
                "date",
                f"pilih tanggal hari ini sampai {service_rules.appointment_days_ahead} hari lagi",
            )
        await booked.lock_slots(conn, site_id, service_id, day)
        match = next(
            (s for s in await free_slots(conn, site_id, service_id, day) if s.start == slot_start),
            None,
        )
        if match is None:
            raise InvalidRequest("slot", "tidak ada slot pada jam itu")
        if match.start <= now:
            raise InvalidRequest("slot", "slot ini sudah lewat")
        if match.free == 0:
            raise NotTakingTickets("Slot ini sudah penuh; pilih jam lain")
        taken = await booked.booked_code(conn, site_id, service_id, day, phone)
        if taken is not None:
            raise NotTakingTickets(
                "Nomor HP ini sudah punya janji temu untuk layanan ini pada hari itu"
            )
        if service_rules.online_quota is not None:
            booked_day = await booked.booked_count(conn, site_id, service_id, day)
            if booked_day >= service_rules.online_quota:
                raise NotTakingTickets(f"Kuota daring {service['name']} pada hari itu sudah habis")
        row = await booked.add(
            conn,
            NewAppointment(
                id=uuid.uuid4(),
                code=_appointment_code(),
                site_id=site_id,
                service_id=service_id,
                phone=phone,
                day=day,
                slot_start=match.start,
                slot_end=match.end,
            ),
        )
        event = _booked_event(site, service, row, public_base_url, now)
        await record_events(conn, site_id, [event])
        return row


def _booked_event(
    site: Any, service: Any, row: Appointment, base_url: str, now: datetime
) -> AppointmentBooked:
    """What the notifier needs to text the booking: the code, the slot and the kiosk's
    check-in window (the one rule the API and the kiosk use), the holder's link."""
    opens, closes = slots_rules.check_in_window(row.slot_start, row.slot_end)
    return AppointmentBooked(
        event_id=uuid.uuid4(),
        occurred_at=now,  # record_events stamps the time its sequence lock was taken
        site_id=row.site_id,
        site_name=site["name"],
        timezone=site["timezone"],
        appointment_id=row.id,
        code=row.code,
        service_id=row.service_id,
        service_name=service["name"],
        slot_start=row.slot_start,
        slot_end=row.slot_end,
        check_in_from=opens,
        check_in_until=closes,
        phone=row.phone,
        link=links.appointment_link(base_url, row.site_id, row.code),
    )


async def cancel_appointment(conn: Connection, code: str) -> Appointment:
    async with conn.transaction():
        row = await booked.lock_appointment(conn, code.upper())
        if row is None:
            raise NotFound("appointment not found")
        if row.status != "booked":
            raise rules.WrongState("cancel", row.status)
        return await booked.cancel(conn, row.id)


async def check_in(
    conn: Connection, site_id: str, code: str, requester: str | None = None
) -> TicketState:
    """At the kiosk, within the slot window: the appointment becomes a ticket, placed in the
    queue at its slot's start (ahead of walk-ins who came after that time). The same
    `requester` (kiosks.Caller) checking in again gets that ticket back, as a replay."""
    async with conn.transaction():
        row = await booked.lock_appointment(conn, code.upper(), site_id)
        if row is None:
            raise NotFound("appointment not found at this site")
        again = row.status == "checked_in" and row.ticket_id is not None
        if again and requester is not None and row.checked_in_by == requester:
            assert row.ticket_id is not None
            return replace(await views.get_ticket(conn, row.ticket_id), replayed=True)
        if row.status != "booked":
            raise NotTakingTickets(
                "Janji temu ini sudah lapor hadir"
                if row.status == "checked_in"
                else "Janji temu ini dibatalkan"
            )
        site = await repo.site(conn, site_id)
        assert site is not None  # the appointment row belongs to it
        refusal = slots_rules.check_in_refusal(
            row.slot_start, row.slot_end, await repo.database_now(conn), ZoneInfo(site["timezone"])
        )
        if refusal:
            raise NotTakingTickets(refusal)
        state = await entering.enter_queue(
            conn,
            EnterQueue(
                site_id,
                row.service_id,
                priority="regular",
                channel="online",
                phone=row.phone,
                queued_at=row.slot_start,
                appointment_id=row.id,
            ),
        )
        await booked.mark_checked_in(conn, row.id, state.row["id"], requester)
        return state
