"""Counter tools (CONTRACT.md): call a chosen waiting ticket with a reason the fairness
ledger shows, and a counter's breaks (pause / resume) — the 409s, the 422s, nothing written
by a refused request, the staffed-only estimate, and the site-status-changed events."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import orjson

from services.ticketing.settings import TicketingSettings
from tests.integration.ticketing.conftest import Login, issue

SITE = "balangan"
L1 = "balangan-loket-01"  # ktp-el, kia
L2 = "balangan-loket-02"  # ktp-el, kartu-keluarga


def url(counter: str, action: str) -> str:
    return f"/api/sites/{SITE}/counters/{counter}/{action}"


async def _outbox(settings: TicketingSettings, topic: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch(
            "SELECT payload FROM ticketing.outbox WHERE topic = $1 ORDER BY site_seq", topic
        )
    finally:
        await conn.close()
    return [orjson.loads(r["payload"]) for r in rows]


async def _writes(settings: TicketingSettings) -> tuple[int, int, int]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM ticketing.outbox) AS events,
                      (SELECT count(*) FROM ticketing.audit_log) AS audit,
                      (SELECT count(*) FROM ticketing.tickets WHERE status <> 'waiting') AS moved"""
        )
    finally:
        await conn.close()
    assert row is not None
    return row["events"], row["audit"], row["moved"]


async def test_a_chosen_number_is_called_out_of_turn_and_the_ledger_says_why(
    api: httpx.AsyncClient, login: Login, ticketing_settings: TicketingSettings
) -> None:
    desk = await login(L1)
    first = await issue(api, SITE, "ktp-el")
    second = await issue(api, SITE, "ktp-el")
    wheelchair = await issue(api, SITE, "ktp-el")
    reason = "pengguna kursi roda, tidak bisa menunggu lama"
    answer = await api.post(
        url(L1, "call"),
        json={"ticket_number": wheelchair["number"], "reason": reason},
        headers=desk,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == wheelchair["id"] and answer.json()["status"] == "called"
    [called] = await _outbox(ticketing_settings, "ticket-called")
    assert called["ticket_number"] == wheelchair["number"] and called["call_reason"] == reason

    # the next call-next completes it as served and takes the head of the line again
    after = await api.post(url(L1, "call-next"), headers=desk)
    assert after.json()["id"] == first["id"]

    ledger = (await api.get(f"/api/sites/{SITE}/ledger")).json()
    by_number = {t["number"]: t for t in ledger["tickets"]}
    [overtaken] = by_number[second["number"]]["overtaken_by"]
    assert overtaken["number"] == wheelchair["number"] and overtaken["reason"] == "chosen"
    assert overtaken["explanation"] == f"dipanggil langsung oleh petugas: {reason}"
    assert by_number[wheelchair["number"]]["call_reason"] == reason


async def test_refused_chosen_calls_write_nothing(
    api: httpx.AsyncClient, login: Login, ticketing_settings: TicketingSettings
) -> None:
    desk = await login(L1)
    ktp = await issue(api, SITE, "ktp-el")
    kk = await issue(api, SITE, "kartu-keluarga")  # not a service of Loket 1
    before = await _writes(ticketing_settings)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"ticket_number": ktp["number"]}, 422, "Alasan"),
        ({"ticket_number": ktp["number"], "reason": "ok"}, 422, "Alasan"),
        ({"ticket_number": ktp["number"], "reason": "x" * 201}, 422, "Alasan"),
        ({"ticket_number": "Z-999", "reason": "lansia"}, 404, "Z-999 tidak ada hari ini"),
        ({"ticket_number": kk["number"], "reason": "lansia"}, 409, "bukan layanan Loket 1"),
    ]
    for body, status, words in cases:
        answer = await api.post(url(L1, "call"), json=body, headers=desk)
        assert answer.status_code == status, (body, answer.text)
        assert words in answer.text, answer.text
    # another counter's clerk may not call for Loket 1; nobody anonymous may
    body = {"ticket_number": ktp["number"], "reason": "lansia"}
    assert (await api.post(url(L1, "call"), json=body, headers=await login(L2))).status_code == 403
    assert (await api.post(url(L1, "call"), json=body)).status_code == 401
    assert await _writes(ticketing_settings) == before
    # called once, it is no longer waiting: 409
    assert (await api.post(url(L1, "call"), json=body, headers=desk)).status_code == 200
    again = await api.post(url(L2, "call"), json=body, headers=await login(L2))
    assert again.status_code == 409 and "tidak sedang menunggu" in again.text


async def test_a_break_stops_calls_and_estimates_and_shows_its_reason(
    api: httpx.AsyncClient, login: Login, ticketing_settings: TicketingSettings
) -> None:
    desk = await login(L1)
    first = await issue(api, SITE, "kia")  # only Loket 1 and 3 serve kia; 3 nobody staffs
    assert (await api.post(url(L1, "call-next"), headers=desk)).status_code == 200
    # a break while serving a citizen: 409, nothing written
    before = await _writes(ticketing_settings)
    busy = await api.post(url(L1, "pause"), json={"reason": "istirahat"}, headers=desk)
    assert busy.status_code == 409 and "masih melayani" in busy.text
    assert await _writes(ticketing_settings) == before
    await api.post(f"/api/tickets/{first['id']}/complete", headers=desk)

    waiting = await issue(api, SITE, "kia")
    assert waiting["estimated_wait_s"] is not None  # Loket 1 is staffed
    wrong = await api.post(url(L1, "pause"), json={"reason": "ngopi"}, headers=desk)
    assert wrong.status_code == 422 and "istirahat" in wrong.text
    paused = await api.post(url(L1, "pause"), json={"reason": "shalat"}, headers=desk)
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused"] is True and paused.json()["reason"] == "shalat"

    twice = await api.post(url(L1, "pause"), json={"reason": "shalat"}, headers=desk)
    assert twice.status_code == 409
    refused = await api.post(url(L1, "call-next"), headers=desk)
    assert refused.status_code == 409 and "jeda" in refused.text
    chosen = {"ticket_number": waiting["number"], "reason": "lansia"}
    assert (await api.post(url(L1, "call"), json=chosen, headers=desk)).status_code == 409
    # nobody staffed for kia now: no estimate, not a guess
    queues = (await api.get(f"/api/sites/{SITE}/queues")).json()
    assert queues["kia"]["estimated_wait_s"] is None
    site = (await api.get(f"/api/sites/{SITE}")).json()
    assert {c["id"]: c["paused_reason"] for c in site["counters"]}[L1] == "shalat"
    assert "gangguan sistem" in site["break_reasons"]
    states = await api.get(
        f"/api/sites/{SITE}/counters", headers=await login("balangan-supervisor")
    )
    [mine] = [c for c in states.json() if c["id"] == L1]
    assert mine["paused"]["reason"] == "shalat"

    resumed = await api.post(url(L1, "resume"), headers=desk)
    assert resumed.status_code == 200 and resumed.json()["paused"] is False
    assert (await api.post(url(L1, "resume"), headers=desk)).status_code == 409
    assert (await api.post(url(L1, "call-next"), headers=desk)).json()["id"] == waiting["id"]

    changes = await _outbox(ticketing_settings, "site-status-changed")
    assert [(c["change"], c["counter_id"], c["reason"]) for c in changes] == [
        ("counter_paused", L1, "shalat"),
        ("counter_resumed", L1, "shalat"),
    ]
    assert all(c["site_id"] == SITE and c["sequence"] for c in changes)


async def test_a_supervisors_closure_and_quota_go_to_the_boards(
    api: httpx.AsyncClient, login: Login, ticketing_settings: TicketingSettings
) -> None:
    boss = await login("balangan-supervisor")
    base = f"/api/sites/{SITE}/services/kia"
    closed = await api.post(f"{base}/close", json={"reason": "blangko habis"}, headers=boss)
    assert closed.status_code == 200, closed.text
    assert (await api.post(f"{base}/open", headers=boss)).status_code == 200
    quota = await api.put(f"{base}/quota-today", json={"quota": 40}, headers=boss)
    assert quota.status_code == 200, quota.text
    changes = await _outbox(ticketing_settings, "site-status-changed")
    assert [(c["change"], c["service_id"], c.get("reason"), c.get("quota")) for c in changes] == [
        ("service_closed", "kia", "blangko habis", None),
        ("service_opened", "kia", None, None),
        ("quota_changed", "kia", None, 40),
    ]


async def test_the_desk_lists_what_to_call_what_to_bring_back_and_the_day(
    api: httpx.AsyncClient, login: Login
) -> None:
    desk = await login(L1)
    gone = await issue(api, SITE, "ktp-el")
    served = await issue(api, SITE, "kia")
    waits = await issue(api, SITE, "ktp-el")
    await issue(api, SITE, "kartu-keluarga")  # not Loket 1's
    await api.post(url(L1, "call-next"), headers=desk)  # gone
    await api.post(f"/api/tickets/{gone['id']}/recall", headers=desk)
    await api.post(f"/api/tickets/{gone['id']}/no-show", headers=desk)
    chosen = {"ticket_number": served["number"], "reason": "ibu membawa bayi"}
    await api.post(url(L1, "call"), json=chosen, headers=desk)
    await api.post(f"/api/tickets/{served['id']}/complete", headers=desk)

    answer = await api.get(url(L1, "desk"), headers=desk)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [w["number"] for w in body["waiting"]] == [waits["number"]]
    assert [r["number"] for r in body["returnable"]] == [gone["number"]]
    today = body["today"]
    assert (today["served"], today["no_shows"], today["recalls"]) == (1, 1, 1)
    assert today["average_service_s"] is not None and body["paused"] is None
    assert body["break_reasons"] == ["istirahat", "shalat", "rapat", "gangguan sistem"]
    # another counter's clerk may not read it; a supervisor may
    assert (await api.get(url(L1, "desk"), headers=await login(L2))).status_code == 403
    boss = await login("balangan-supervisor")
    assert (await api.get(url(L1, "desk"), headers=boss)).status_code == 200
    # bringing the no-show back takes it off the list
    back = await api.post(f"/api/tickets/{gone['id']}/return", headers=desk)
    assert back.status_code == 200, back.text
    assert (await api.get(url(L1, "desk"), headers=desk)).json()["returnable"] == []


async def test_a_clerk_who_signs_in_staffs_the_counter_before_the_first_call(
    api: httpx.AsyncClient, login: Login
) -> None:
    ticket = await issue(api, SITE, "kia")  # Loket 1 and 3 serve kia: nobody there yet
    assert ticket["estimated_wait_s"] is None
    await login("balangan-supervisor")  # a supervisor staffs no counter
    assert (await api.get(f"/api/sites/{SITE}/queues")).json()["kia"]["estimated_wait_s"] is None
    await login(L1)  # the clerk at the desk, before calling anyone
    queues = (await api.get(f"/api/sites/{SITE}/queues")).json()
    assert queues["kia"]["estimated_wait_s"] is not None and queues["kia"]["open_counters"] == 1
