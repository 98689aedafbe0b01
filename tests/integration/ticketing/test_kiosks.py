"""Kiosks are enrolled devices (issue 13, finding 2), against real PostgreSQL: a site's
supervisor enrols, lists and revokes kiosks (audited, the token shown once); on a site that
requires them, kiosk and mobile tickets and check-ins need a live kiosk token of that site,
checked before anything else; a kiosk issues at most 20 tickets a minute; a kiosk token
opens nothing else."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.integration.ticketing.conftest import (
    Login,
    enrol_kiosk,
    holder,
    supervisor_headers,
)

SITE = "uji"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def counts(database_url: str) -> dict[str, Any]:
    """What a refused request must not change: tickets, their events, numbering."""
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM ticketing.tickets) AS tickets,
                      (SELECT count(*) FROM ticketing.outbox) AS events,
                      (SELECT count(*) FROM ticketing.idempotency_keys) AS keys,
                      (SELECT coalesce(sum(last_number), 0) FROM ticketing.service_day_numbers)
                          AS numbers"""
        )
    finally:
        await conn.close()
    assert row is not None
    return dict(row)


async def test_supervisor_enrols_lists_and_revokes_a_kiosk(
    api: httpx.AsyncClient, login: Login
) -> None:
    boss = await login("uji-supervisor")
    made = await api.post(f"/api/sites/{SITE}/kiosks", json={"name": " Lobi utara "}, headers=boss)
    assert made.status_code == 201, made.text
    kiosk = made.json()
    assert kiosk["name"] == "Lobi utara" and kiosk["site_id"] == SITE
    assert kiosk["token"].startswith("kiosk_") and len(kiosk["token"]) >= 40
    token = kiosk["token"]

    listed = await api.get(f"/api/sites/{SITE}/kiosks", headers=boss)
    assert listed.status_code == 200
    assert [k["id"] for k in listed.json()] == [kiosk["id"]]
    assert "token" not in listed.json()[0] and token not in listed.text
    issued = await api.post(
        f"/api/sites/{SITE}/tickets", json={"service_id": "ktp-el"}, headers=bearer(token)
    )
    assert issued.status_code == 201, issued.text

    gone = await api.delete(f"/api/sites/{SITE}/kiosks/{kiosk['id']}", headers=boss)
    assert gone.status_code == 200 and gone.json()["revoked_at"] is not None
    assert gone.json()["revoked_by"] == "uji-supervisor"
    refused = await api.post(
        f"/api/sites/{SITE}/tickets", json={"service_id": "ktp-el"}, headers=bearer(token)
    )
    assert refused.status_code == 401  # at once, not at the token's expiry
    again = await api.delete(f"/api/sites/{SITE}/kiosks/{kiosk['id']}", headers=boss)
    assert again.status_code == 200  # revoking twice changes nothing
    assert (
        await api.delete(f"/api/sites/{SITE}/kiosks/{uuid.uuid4()}", headers=boss)
    ).status_code == 404

    log = (await api.get(f"/api/sites/{SITE}/audit", headers=boss)).json()
    assert [e["action"] for e in log[:2]] == ["kiosk.revoke", "kiosk.enrol"]
    assert all(e["actor"] == "uji-supervisor" for e in log[:2])
    assert log[1]["after"] == {"id": kiosk["id"], "name": "Lobi utara", "revoked": False}
    assert log[0]["after"]["revoked"] is True
    assert token not in str(log)


async def test_only_a_supervisor_or_admin_of_the_site_manages_its_kiosks(
    api: httpx.AsyncClient, login: Login
) -> None:
    url = f"/api/sites/{SITE}/kiosks"
    assert (await api.post(url, json={"name": "K"})).status_code == 401
    assert (await api.get(url)).status_code == 401
    operator = await login("uji-loket-01")
    assert (await api.post(url, json={"name": "K"}, headers=operator)).status_code == 403
    assert (await api.get(url, headers=operator)).status_code == 403
    stranger = await login("balangan-supervisor")
    assert (await api.post(url, json={"name": "K"}, headers=stranger)).status_code == 403
    own = await api.post(
        f"/api/sites/{SITE}/kiosks", json={"name": "Kiosk A"}, headers=await login("uji-supervisor")
    )
    assert (await api.delete(f"{url}/{own.json()['id']}", headers=stranger)).status_code == 403
    # a kiosk token is no staff token, not even for the kiosk routes
    token = own.json()["token"]
    assert (await api.get(url, headers=bearer(token))).status_code == 401
    assert (await api.post(url, json={"name": "K"}, headers=bearer(token))).status_code == 401
    admin = await login("balangan-admin")
    balangan = await api.post("/api/sites/balangan/kiosks", json={"name": "Kiosk B"}, headers=admin)
    assert balangan.status_code == 201
    for name in ("", "   ", "x" * 65):
        refused = await api.post(url, json={"name": name}, headers=await login("uji-supervisor"))
        assert refused.status_code == 422, name
        assert "name" in str(refused.json()["detail"])
    assert (
        await api.post("/api/sites/nowhere/kiosks", json={"name": "K"}, headers=admin)
    ).status_code in (403, 404)


async def test_a_kiosk_token_opens_nothing_else(api: httpx.AsyncClient) -> None:
    token = await enrol_kiosk(api, SITE)
    ticket = (
        await api.post(
            f"/api/sites/{SITE}/tickets", json={"service_id": "ktp-el"}, headers=bearer(token)
        )
    ).json()
    kiosk = bearer(token)
    staff_calls = [
        ("POST", f"/api/sites/{SITE}/counters/uji-loket-01/call-next"),
        ("POST", f"/api/tickets/{ticket['id']}/recall"),
        ("GET", f"/api/sites/{SITE}/counters"),
        ("GET", f"/api/sites/{SITE}/audit"),
        ("POST", f"/api/sites/{SITE}/services/ktp-el/close"),
        ("GET", "/api/admin/staff"),
        ("GET", f"/api/sites/{SITE}/reports"),
    ]
    for method, path in staff_calls:
        response = await api.request(method, path, headers=kiosk)
        assert response.status_code in (401, 403), (path, response.status_code)
    # nor is it a ticket key
    cancel = await api.delete(f"/api/tickets/{ticket['id']}", headers={"Ticket-Key": token})
    assert cancel.status_code == 403
    assert (await api.get(f"/api/tickets/{ticket['id']}")).json()["status"] == "waiting"


async def test_kiosk_tickets_need_a_kiosk_token_checked_first(
    api: httpx.AsyncClient, login: Login, ticketing_db: str
) -> None:
    boss = await supervisor_headers(api, SITE)
    assert (await api.post(f"/api/sites/{SITE}/services/kk/close", headers=boss)).status_code == 200
    other_site = await enrol_kiosk(api, "balangan")
    revoked = await api.post(f"/api/sites/{SITE}/kiosks", json={"name": "Lama"}, headers=boss)
    await api.delete(f"/api/sites/{SITE}/kiosks/{revoked.json()['id']}", headers=boss)
    before = await counts(ticketing_db)
    url = f"/api/sites/{SITE}/tickets"
    callers = {
        "anonymous": {},
        "forged": bearer("kiosk_forged"),
        "revoked": bearer(revoked.json()["token"]),
        "another site's kiosk": bearer(other_site),
        "a supervisor": boss,
    }
    bodies: list[Any] = [
        {"service_id": "ktp-el"},
        {"service_id": "ktp-el", "channel": "kiosk"},
        {"service_id": "ktp-el", "channel": "mobile", "phone": "081234567890"},
        {"service_id": "kk"},  # closed now: still 401 first
        {"service_id": "no-such"},
        {"service_id": "ktp-el", "bribe": 50000},  # an invalid body: still 401 first
        {"channel": "fax"},
    ]
    for who, headers in callers.items():
        for body in bodies:
            refused = await api.post(
                url, json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
            )
            assert refused.status_code == 401, (who, body, refused.text)
            assert "kiosk" in refused.json()["detail"]
            assert refused.headers["www-authenticate"] == "Bearer"
        garbage = await api.post(
            url, content=b"{not json", headers={**headers, "content-type": "application/json"}
        )
        assert garbage.status_code == 401, (who, garbage.text)
    assert await counts(ticketing_db) == before  # refused requests wrote nothing

    # an anonymous caller takes online tickets under the online rules (uji verifies phones)
    online = await api.post(url, json={"service_id": "ktp-el", "channel": "online"})
    assert online.status_code == 422 and "phone" in online.text


async def test_a_kiosk_issues_at_most_twenty_tickets_a_minute(
    api: httpx.AsyncClient, ticketing_db: str
) -> None:
    if time.time() % 60 > 40:  # the limit counts per clock minute: start early in one
        await asyncio.sleep(61 - time.time() % 60)
    busy, calm = bearer(await enrol_kiosk(api, SITE, "Ramai")), bearer(await enrol_kiosk(api, SITE))
    url = f"/api/sites/{SITE}/tickets"
    for _ in range(20):
        ok = await api.post(url, json={"service_id": "ktp-el"}, headers=busy)
        assert ok.status_code == 201, ok.text
    before = await counts(ticketing_db)
    past = await api.post(url, json={"service_id": "ktp-el"}, headers=busy)
    assert past.status_code == 429, past.text
    assert 1 <= int(past.headers["retry-after"]) <= 61
    assert "kiosk" in past.json()["detail"]
    assert await counts(ticketing_db) == before
    # another kiosk of the lobby is not held up
    assert (await api.post(url, json={"service_id": "ktp-el"}, headers=calm)).status_code == 201


async def test_check_in_needs_a_kiosk_and_answers_the_holders_key(
    api: httpx.AsyncClient, ticketing_db: str
) -> None:
    conn = await asyncpg.connect(ticketing_db)
    try:
        await conn.execute(
            """INSERT INTO ticketing.appointments
                   (id, code, site_id, service_id, phone, day, slot_start, slot_end)
               VALUES ($1, 'KIOSK2', 'uji', 'kk', '+6281300001111',
                       (now() AT TIME ZONE 'Asia/Jayapura')::date,
                       now() - interval '5 minutes', now() + interval '25 minutes')""",
            uuid.uuid4(),
        )
    finally:
        await conn.close()
    url = f"/api/sites/{SITE}/appointments/KIOSK2/check-in"
    before = await counts(ticketing_db)
    assert (await api.post(url)).status_code == 401
    assert (await api.post(url, headers=bearer("kiosk_nope"))).status_code == 401
    assert await counts(ticketing_db) == before
    kiosk = bearer(await enrol_kiosk(api, SITE))
    checked = await api.post(url, headers=kiosk)
    assert checked.status_code == 201, checked.text
    ticket = checked.json()
    assert len(ticket["ticket_key"]) >= 22 and ticket["replayed"] is False
    # the same kiosk again (a lost answer): that ticket and its key; another kiosk: 409
    again = await api.post(url.replace("KIOSK2", "kiosk-2"), headers=kiosk)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == ticket["id"] and again.json()["replayed"] is True
    assert again.json()["ticket_key"] == ticket["ticket_key"]
    elsewhere = await api.post(url, headers=bearer(await enrol_kiosk(api, SITE, "Lain")))
    assert elsewhere.status_code == 409 and "sudah lapor hadir" in elsewhere.json()["detail"]
    assert "ticket_key" not in (await api.get(f"/api/tickets/{ticket['id']}")).json()
    cancelled = await api.delete(f"/api/tickets/{ticket['id']}", headers=holder(ticket))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize("channel", [None, "kiosk", "mobile"])
async def test_the_sandbox_needs_no_enrolled_kiosk(
    api: httpx.AsyncClient, channel: str | None
) -> None:
    body = {"service_id": "ktp-el"} | ({"channel": channel} if channel else {})
    issued = await api.post("/api/sites/balangan/tickets", json=body)
    assert issued.status_code == 201, issued.text
    assert issued.json()["ticket_key"]


async def test_a_kiosk_guessing_codes_is_stopped_after_ten(api: httpx.AsyncClient) -> None:
    guesser = bearer(await enrol_kiosk(api, SITE, "Penebak"))
    honest = bearer(await enrol_kiosk(api, SITE, "Jujur"))
    for i in range(10):
        miss = await api.post(
            f"/api/sites/{SITE}/appointments/ZZZZZZ{i:02d}/check-in", headers=guesser
        )
        assert miss.status_code == 404, miss.text
    stopped = await api.post(f"/api/sites/{SITE}/appointments/ZZZZZZ99/check-in", headers=guesser)
    assert stopped.status_code == 429 and int(stopped.headers["retry-after"]) > 0
    # the next kiosk of the lobby (same address) is not held up by this one's guesses
    other = await api.post(f"/api/sites/{SITE}/appointments/ZZZZZZ99/check-in", headers=honest)
    assert other.status_code == 404
