"""Citizens' messages to the MPP's WhatsApp number (CONTRACT.md "Messaging channels"):
`BATAL` cancels their waiting ticket of today, `STATUS` answers with number, place and
estimated wait, anything else gets a short help text.

The notifier owns no tickets: it knows a citizen's tickets of today from its contacts (by the
normalised phone) and asks ticketing — `POST /api/sites/{site}/tickets/cancel-by-phone` with a
service token, `GET /api/tickets/{id}` for the queue position. Each inbound message is handled
in one transaction with its dedup record and its queued reply: when ticketing does not answer,
nothing is kept and the webhook answers 503, so the channel delivers the message again.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import jwt

from services.notifier import deliveries, repository
from services.notifier.channels.whatsapp import InboundText
from services.notifier.messages import short_site_name, wait_phrase
from services.notifier.repository import Connection, Contact
from services.notifier.site_rules import SiteRules
from shared.phone import InvalidPhone, normalise_phone

HELP_TEXT = (
    "Balas BATAL untuk membatalkan antrean Anda hari ini (BATAL A-012 bila Anda memegang "
    "beberapa), atau STATUS untuk melihat nomor, posisi dan perkiraan waktu tunggu."
)
NONE_WAITING = "Tidak ada antrean menunggu hari ini untuk nomor ini."
NONE_ACTIVE = "Tidak ada antrean aktif hari ini untuk nomor ini."

_COMMAND = re.compile(r"^\s*(BATAL|STATUS)\b[\s:.,-]*([A-Z]{1,3})?[\s-]*(\d{3,})?", re.I)
_REPLIES = uuid.UUID("6a1d3c2e-6f0b-4b57-9d1e-3c1f0b8a7e55")
"""Namespace of the reply's `event_id`: uuid5 of the inbound message, so it is queued once."""


@dataclass(frozen=True)
class Command:
    verb: str
    """BATAL, STATUS or HELP."""
    ticket_number: str | None = None


def parse_command(text: str) -> Command:
    """'batal', 'BATAL A-012', 'Batal a012', 'status' …; anything else is HELP."""
    match = _COMMAND.match(text or "")
    if match is None:
        return Command("HELP")
    verb, letters, digits = match.groups()
    number = f"{letters.upper()}-{digits}" if letters and digits else None
    return Command(verb.upper(), number)


class TicketingUnavailable(Exception):
    """Ticketing did not answer: the inbound message is not kept (redelivered later)."""


class TicketingCalls:
    """Ticketing's HTTP API as the notifier uses it for a citizen, with a service token
    (role `service`, signed with TOKEN_SECRET; CONTRACT.md "Service credential")."""

    def __init__(self, url: str, token_secret: str, timeout_s: float = 5.0) -> None:
        self._url = url.rstrip("/")
        self._secret = token_secret
        self._client = httpx.AsyncClient(timeout=timeout_s)

    def _service_token(self) -> str:
        now = int(time.time())
        claims = {"sub": "notifier", "typ": "service", "role": "service", "iat": now}
        return jwt.encode({**claims, "exp": now + 300}, self._secret, algorithm="HS256")

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, self._url + path, **kwargs)
        except httpx.HTTPError as exc:
            raise TicketingUnavailable(f"{type(exc).__name__}: {exc}") from None
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            raise TicketingUnavailable(f"{method} {path} answered {response.status_code}")
        return response

    async def cancel_by_phone(
        self, site_id: str, phone: str, ticket_number: str | None
    ) -> tuple[int, dict[str, Any]]:
        body: dict[str, str] = {"phone": phone}
        if ticket_number:
            body["ticket_number"] = ticket_number
        response = await self._call(
            "POST",
            f"/api/sites/{site_id}/tickets/cancel-by-phone",
            json=body,
            headers={"Authorization": f"Bearer {self._service_token()}"},
        )
        return response.status_code, response.json()

    async def ticket(self, ticket_id: uuid.UUID) -> dict[str, Any] | None:
        response = await self._call("GET", f"/api/tickets/{ticket_id}")
        if response.status_code != 200:
            return None
        answer: dict[str, Any] = response.json()
        return answer

    async def close(self) -> None:
        await self._client.aclose()


async def todays_contacts(
    conn: Connection, phone: str, rules: SiteRules, now: datetime
) -> list[Contact]:
    """The phone's tickets of the site-local today, not served yet, oldest first."""
    rows = await conn.fetch(
        """SELECT ticket_id, site_id, site_name, phone, ticket_number, service_name,
                  issued_event_id, created_at
           FROM notifier.contacts
           WHERE phone = $1 AND served_at IS NULL
             AND created_at > $2::timestamptz - interval '2 days'
           ORDER BY created_at""",
        phone,
        now,
    )
    today = []
    for r in rows:
        cap = rules.cap_of(r["site_id"])
        if cap.day_of(r["created_at"]) == cap.day_of(now):
            fields = dict(r)
            del fields["created_at"]
            today.append(Contact(**fields))
    return today


async def cancel(
    ticketing: TicketingCalls, phone: str, command: Command, tickets: list[Contact]
) -> str:
    if command.ticket_number:
        tickets = [t for t in tickets if t.ticket_number == command.ticket_number]
    for site_id in dict.fromkeys(t.site_id for t in tickets):
        site = short_site_name(next(t.site_name for t in tickets if t.site_id == site_id))
        status, body = await ticketing.cancel_by_phone(site_id, phone, command.ticket_number)
        if status == 200:
            return f"{site}: Antrean {body.get('number', '')} dibatalkan. Terima kasih."
        if status == 409:
            example = tickets[-1].ticket_number
            return f"{site}: {body.get('detail', '')}. Balas misalnya BATAL {example}."
    return NONE_WAITING + (f" ({command.ticket_number})" if command.ticket_number else "")


async def status(ticketing: TicketingCalls, tickets: list[Contact]) -> str:
    lines = []
    for contact in tickets:
        ticket = await ticketing.ticket(contact.ticket_id)
        if ticket is None:
            continue
        site = short_site_name(contact.site_name)
        number, service = ticket["number"], ticket.get("service_name") or contact.service_name
        if ticket["status"] == "waiting":
            ahead = ticket["waiting_ahead"]
            where = "Anda berikutnya" if ahead == 0 else f"{ahead} orang di depan Anda"
            wait = wait_phrase(ticket.get("estimated_wait_s")) if ahead else ""
            lines.append(f"{site}: Antrean {number} ({service}): {where}{wait}.")
        elif ticket["status"] == "called":
            counter = ticket.get("counter_name") or ticket.get("counter_id") or "loket"
            lines.append(f"{site}: Antrean {number} ({service}) sedang dipanggil ke {counter}.")
    return "\n".join(lines) or NONE_ACTIVE


@dataclass
class Replies:
    """Answers citizens' messages; the pool exists once the app has started."""

    ticketing: TicketingCalls
    site_rules: SiteRules
    pool: asyncpg.Pool | None = None

    async def handle(
        self, channel: str, inbound: InboundText, now: datetime | None = None
    ) -> str | None:
        """Answer one inbound message: the reply queued, or None for a repeat."""
        if self.pool is None:
            raise TicketingUnavailable("database pool not ready")
        now = now or datetime.now(UTC)
        try:
            phone = normalise_phone(inbound.phone)
        except InvalidPhone:
            phone = "+" + inbound.phone.lstrip("+")
        async with self.pool.acquire() as conn, conn.transaction():
            if not await deliveries.record_inbound(
                conn, channel, inbound.provider_message_id, phone, inbound.body
            ):
                return None
            tickets = await todays_contacts(conn, phone, self.site_rules, now)
            text = await self._answer(parse_command(inbound.body), phone, tickets)
            await _queue_reply(conn, channel, inbound, phone, tickets, text)
        return text

    async def _answer(self, command: Command, phone: str, tickets: list[Contact]) -> str:
        if command.verb == "BATAL":
            return (
                await cancel(self.ticketing, phone, command, tickets) if tickets else NONE_WAITING
            )
        if command.verb == "STATUS":
            return await status(self.ticketing, tickets) if tickets else NONE_ACTIVE
        return HELP_TEXT


async def _queue_reply(
    conn: Connection,
    channel: str,
    inbound: InboundText,
    phone: str,
    tickets: list[Contact],
    text: str,
) -> None:
    """The reply goes back by the channel it answers, as text (inside the 24-hour window)."""
    event_id = uuid.uuid5(_REPLIES, f"{channel}:{inbound.provider_message_id}")
    first = tickets[0] if tickets else None
    recipient = Contact(
        ticket_id=first.ticket_id if first else uuid.uuid5(_REPLIES, phone),
        site_id=first.site_id if first else "-",
        site_name=first.site_name if first else "-",
        phone=phone,
        ticket_number=first.ticket_number if first else "-",
        service_name=first.service_name if first else "-",
        issued_event_id=event_id,
    )
    await repository.queue_message(
        conn, event_id=event_id, kind="reply", contact=recipient, text=text, channels=(channel,)
    )
    await repository.wake_senders(conn)
