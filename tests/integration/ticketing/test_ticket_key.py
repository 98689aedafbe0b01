"""The ticket's holder (issue 13, finding 3), against real PostgreSQL: only the issuing answer
carries `ticket_key`; cancelling needs it (401 without, 403 wrong, 429 after 10 misses); an
Idempotency-Key replay returns it only to the first caller; it is in no event, no other
answer, no log, and the ticket's QR drawn by the server does not carry it."""

from __future__ import annotations

import base64
import io
import logging
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
import segno

from tests.integration.ticketing.conftest import Login, enrol_kiosk, holder, issue

SITE = "uji"


def key_bits(key: str) -> int:
    return len(base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))) * 8


async def stored_text(database_url: str) -> str:
    """Everything ticketing keeps about tickets and their events, as one text."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = [
            *await conn.fetch("SELECT * FROM ticketing.tickets"),
            # the relay marks rows published on its own time: that is not a write by a request
            *await conn.fetch(
                "SELECT id, site_id, site_seq, topic, event_id, payload, created_at"
                " FROM ticketing.outbox ORDER BY id"
            ),
            *await conn.fetch("SELECT * FROM ticketing.idempotency_keys"),
            *await conn.fetch("SELECT * FROM ticketing.audit_log"),
        ]
    finally:
        await conn.close()
    return "\n".join(str(dict(r)) for r in rows)


async def test_only_the_issuing_answer_carries_the_key(
    api: httpx.AsyncClient,
    login: Login,
    ticketing_db: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    first = await issue(api, SITE, "ktp-el", phone="081234567890")
    second = await issue(api, SITE, "ktp-el")
    key = first["ticket_key"]
    assert key_bits(key) >= 128 and key != second["ticket_key"]
    # the holder's link: the key in the fragment, never in a query
    base = api.app.state.settings.public_base_url.rstrip("/")  # type: ignore[attr-defined]
    assert first["tracking_url"] == f"{base}/t/{first['id']}#key={key}"
    assert set(key) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    desk = await login("uji-loket-01")
    called = await api.post(f"/api/sites/{SITE}/counters/uji-loket-01/call-next", headers=desk)
    assert called.json()["id"] == first["id"]
    answers = [
        called,
        await api.get(f"/api/tickets/{first['id']}"),
        await api.get(f"/api/sites/{SITE}/queues"),
        await api.get(f"/api/sites/{SITE}/ledger"),
        await api.get(f"/api/sites/{SITE}/ledger/{first['number']}"),
        await api.get(f"/api/sites/{SITE}/counters", headers=await login("uji-supervisor")),
        await api.post(f"/api/tickets/{first['id']}/complete", headers=desk),
        await api.get(f"/api/tickets/{first['id']}/qr.svg"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert key not in answer.text and "ticket_key" not in answer.text
    assert key not in await stored_text(ticketing_db)
    assert key not in caplog.text and second["ticket_key"] not in caplog.text


async def test_the_servers_qr_has_no_key(api: httpx.AsyncClient) -> None:
    ticket = await issue(api, SITE, "ktp-el")
    svg = (await api.get(f"/api/tickets/{ticket['id']}/qr.svg")).text
    # exactly the QR of the bare tracking link (the kiosk draws the holder's own)
    base = api.app.state.settings.public_base_url.rstrip("/")  # type: ignore[attr-defined]
    bare = segno.make(f"{base}/t/{ticket['id']}", error="m", micro=False)
    out = io.BytesIO()
    bare.save(out, kind="svg", border=2, xmldecl=False, omitsize=True, nl=False)
    assert svg == out.getvalue().decode()


async def test_cancelling_needs_the_holders_key(api: httpx.AsyncClient, ticketing_db: str) -> None:
    ticket = await issue(api, SITE, "ktp-el")
    other = await issue(api, SITE, "ktp-el")
    url = f"/api/tickets/{ticket['id']}"
    before = await stored_text(ticketing_db)
    none = await api.delete(url)
    assert none.status_code == 401 and "Ticket-Key" in none.json()["detail"]
    assert (await api.delete(url, headers={"Ticket-Key": ""})).status_code == 401
    stolen = await api.delete(url, headers=holder(other))  # another ticket's key
    assert stolen.status_code == 403 and "Ticket-Key" in stolen.json()["detail"]
    assert await stored_text(ticketing_db) == before  # refused: no ticket, event or key changed
    assert (
        await api.delete(f"/api/tickets/{uuid.uuid4()}", headers=holder(ticket))
    ).status_code == 404
    done = await api.delete(url, headers=holder(ticket))
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert "ticket_key" not in done.json()


async def test_ten_misses_lock_the_ticket(api: httpx.AsyncClient, ticketing_db: str) -> None:
    ticket = await issue(api, SITE, "ktp-el")
    url = f"/api/tickets/{ticket['id']}"
    for i in range(10):
        guess = await api.delete(url, headers={"Ticket-Key": f"tebakan-{i}"})
        assert guess.status_code == 403, (i, guess.text)
    for key in ("tebakan-10", ticket["ticket_key"]):
        locked = await api.delete(url, headers={"Ticket-Key": key})
        assert locked.status_code == 429, locked.text  # no oracle: the right key too
        assert int(locked.headers["retry-after"]) > 0
    survey = await api.post(
        f"{url}/survey", json={"answers": [4] * 9}, headers={"Ticket-Key": "lagi"}
    )
    assert survey.status_code == 429  # one count per ticket, whatever the call
    assert (await api.get(url)).json()["status"] == "waiting"
    # other tickets are not held up by this one's lock
    other = await issue(api, SITE, "ktp-el")
    assert (
        await api.delete(f"/api/tickets/{other['id']}", headers=holder(other))
    ).status_code == 200


async def _take(api: httpx.AsyncClient, site: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await api.post(
        f"/api/sites/{site}/tickets", json={"service_id": "ktp-el"}, headers=headers
    )
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


async def test_a_replay_returns_the_key_only_to_the_first_caller(api: httpx.AsyncClient) -> None:
    kiosk_a = {"Authorization": f"Bearer {await enrol_kiosk(api, SITE, 'A')}"}
    kiosk_b = {"Authorization": f"Bearer {await enrol_kiosk(api, SITE, 'B')}"}
    tap = {"Idempotency-Key": str(uuid.uuid4())}
    first = await _take(api, SITE, {**kiosk_a, **tap})
    again = await _take(api, SITE, {**kiosk_a, **tap})
    elsewhere = await _take(api, SITE, {**kiosk_b, **tap})
    assert again["id"] == elsewhere["id"] == first["id"]
    assert again["ticket_key"] == first["ticket_key"]
    assert elsewhere["ticket_key"] is None

    # the sandbox: no kiosk token, so the same address is the first caller
    app = api.app  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://ticketing") as far:
        sandbox_tap = {"Idempotency-Key": str(uuid.uuid4())}
        mine = await _take(api, "balangan", sandbox_tap)
        replay = await _take(api, "balangan", sandbox_tap)
        theirs = await _take(far, "balangan", sandbox_tap)
    assert replay["id"] == theirs["id"] == mine["id"]
    assert replay["ticket_key"] == mine["ticket_key"] and theirs["ticket_key"] is None
