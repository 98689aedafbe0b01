"""Every call of CONTRACT.md's ticketing API with its answers and error codes, against a
real PostgreSQL: kiosk issuing, numbering, idempotency, cancel, login, operator calls."""

from __future__ import annotations

import asyncio
import re
import time
import uuid

import httpx

from tests.integration.ticketing.conftest import DEMO_PASSWORD, Login, holder, issue, kiosk_headers

SITE = "uji"
L1 = "uji-loket-01"


async def test_site_lists_agencies_services_and_counters(api: httpx.AsyncClient) -> None:
    site = (await api.get("/api/sites/balangan")).json()
    assert site["id"] == "balangan"
    assert site["name"] == "MPP Kabupaten Balangan"
    assert site["timezone"] == "Asia/Makassar"
    assert len(site["agencies"]) >= 10 and len(site["services"]) >= 20
    assert len(site["counters"]) >= 12
    ktp = next(s for s in site["services"] if s["id"] == "ktp-el")
    assert set(ktp) >= {"id", "name", "prefix", "agency_id"}
    assert all(set(c) >= {"id", "name", "service_ids"} for c in site["counters"])
    assert (await api.get("/api/sites/nowhere")).status_code == 404


async def test_tickets_are_numbered_per_service_per_day(api: httpx.AsyncClient) -> None:
    a1 = await issue(api, SITE, "ktp-el")
    a2 = await issue(api, SITE, "ktp-el")
    b1 = await issue(api, SITE, "kk")
    assert (a1["number"], a2["number"], b1["number"]) == ("A-001", "A-002", "B-001")
    assert a1["status"] == "waiting" and a1["channel"] == "kiosk" and a1["priority"] == "regular"
    assert a2["waiting_ahead"] == 1
    assert re.fullmatch(r"[A-Z]+-\d{3,}", a1["number"])
    fetched = (await api.get(f"/api/tickets/{a2['id']}")).json()
    assert fetched["number"] == "A-002" and fetched["waiting_ahead"] == 1
    # twenty counters serve KTP-el at uji, but nobody signed in at one: no estimate, never
    # a guess (CONTRACT.md: estimates count staffed counters only)
    assert fetched["estimated_wait_s"] is None


async def test_issue_errors_name_the_problem_and_write_nothing(api: httpx.AsyncClient) -> None:
    assert (
        await api.post("/api/sites/nowhere/tickets", json={"service_id": "ktp-el"})
    ).status_code == 404
    kiosk = await kiosk_headers(api, SITE)
    unknown = await api.post(
        f"/api/sites/{SITE}/tickets", json={"service_id": "no-such"}, headers=kiosk
    )
    assert unknown.status_code == 404
    for body, field in [
        ({}, "service_id"),
        ({"service_id": "ktp-el", "priority": "vip"}, "priority"),
        ({"service_id": "ktp-el", "channel": "fax"}, "channel"),
        ({"service_id": "ktp-el", "phone": "12345"}, "phone"),
        ({"service_id": "ktp-el", "bribe": 50000}, "bribe"),
    ]:
        response = await api.post(f"/api/sites/{SITE}/tickets", json=body, headers=kiosk)
        assert response.status_code == 422, (body, response.text)
        assert field in {str(p) for e in response.json()["detail"] for p in e["loc"]}, response.text
    queues = (await api.get(f"/api/sites/{SITE}/queues")).json()
    assert queues["ktp-el"]["waiting"] == 0
    assert (await api.get(f"/api/tickets/{uuid.uuid4()}")).status_code == 404


async def test_phone_is_normalised_and_never_returned(api: httpx.AsyncClient) -> None:
    ticket = await issue(api, SITE, "ktp-el", phone="0812-3456-7890", channel="mobile")
    assert ticket["channel"] == "mobile"
    assert "phone" not in ticket and "81234567890" not in str(ticket)


async def test_idempotency_key_returns_the_first_ticket(api: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "tap-42", **await kiosk_headers(api, SITE)}
    first = await api.post(
        f"/api/sites/{SITE}/tickets", json={"service_id": "ktp-el"}, headers=headers
    )
    again = await api.post(
        f"/api/sites/{SITE}/tickets", json={"service_id": "ktp-el"}, headers=headers
    )
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await api.post(f"/api/sites/{SITE}/tickets", json={"service_id": "kk"}, headers=headers)
    assert other.status_code == 422
    queues = (await api.get(f"/api/sites/{SITE}/queues")).json()
    assert queues["ktp-el"]["waiting"] == 1 and queues["kk"]["waiting"] == 0


async def test_citizen_cancels_a_waiting_ticket_once(api: httpx.AsyncClient) -> None:
    ticket = await issue(api, SITE, "ktp-el")
    cancelled = await api.delete(f"/api/tickets/{ticket['id']}", headers=holder(ticket))
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["outcome"] == "cancelled"
    assert (
        await api.delete(f"/api/tickets/{ticket['id']}", headers=holder(ticket))
    ).status_code == 409
    assert (await api.get(f"/api/sites/{SITE}/queues")).json()["ktp-el"]["waiting"] == 0


async def test_login_gives_a_token_and_refuses_bad_credentials(api: httpx.AsyncClient) -> None:
    good = await api.post("/api/auth/token", data={"username": L1, "password": DEMO_PASSWORD})
    assert good.status_code == 200
    assert good.json()["token_type"] == "bearer" and good.json()["access_token"]
    for username, password in [(L1, "salah"), ("nobody", DEMO_PASSWORD), (L1, "")]:
        bad = await api.post("/api/auth/token", data={"username": username, "password": password})
        assert bad.status_code in (401, 422), bad.text
    assert (
        await api.post("/api/auth/token", data={"username": L1, "password": "x"})
    ).status_code == 401


async def test_operator_calls_need_a_valid_token_for_that_counter(
    api: httpx.AsyncClient, login: Login
) -> None:
    ticket = await issue(api, SITE, "ktp-el")
    url = f"/api/sites/{SITE}/counters/{L1}/call-next"
    assert (await api.post(url)).status_code == 401
    assert (
        await api.post(url, headers={"Authorization": "Bearer forged.token.here"})
    ).status_code == 401
    other_counter = await login("uji-loket-02")
    assert (await api.post(url, headers=other_counter)).status_code == 403
    balangan = await login("balangan-loket-01")
    assert (await api.post(url, headers=balangan)).status_code == 403
    # a token of another site cannot touch this site's tickets either
    assert (
        await api.post(f"/api/tickets/{ticket['id']}/recall", headers=balangan)
    ).status_code == 403
    samsat = await login("uji-samsat")
    assert (
        await api.post(
            f"/api/tickets/{ticket['id']}/transfer", json={"service_id": "pajak"}, headers=samsat
        )
    ).status_code == 403
    assert (
        await api.post(f"/api/sites/{SITE}/counters/no-such/call-next", headers=other_counter)
    ).status_code == 404
    supervisor = await login("uji-supervisor")
    called = await api.post(url, headers=supervisor)
    assert called.status_code == 200 and called.json()["id"] == ticket["id"]


async def test_call_next_priority_first_then_fifo_and_204_when_empty(
    api: httpx.AsyncClient, login: Login
) -> None:
    auth = await login(L1)
    url = f"/api/sites/{SITE}/counters/{L1}/call-next"
    assert (await api.post(url, headers=auth)).status_code == 204
    r1 = await issue(api, SITE, "ktp-el")
    r2 = await issue(api, SITE, "kk")
    p1 = await issue(api, SITE, "kk", priority="priority")
    r3 = await issue(api, SITE, "ktp-el")
    assert (await api.get(f"/api/tickets/{r1['id']}")).json()["waiting_ahead"] == 0
    assert (await api.get(f"/api/tickets/{r3['id']}")).json()["waiting_ahead"] == 1
    order = []
    for _ in range(4):
        response = await api.post(url, headers=auth)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "called" and body["counter_id"] == L1 and body["call_count"] == 1
        order.append(body["id"])
    assert order == [p1["id"], r1["id"], r2["id"], r3["id"]]
    # each call-next completed the previous ticket of this counter as served
    for tid in order[:-1]:
        done = (await api.get(f"/api/tickets/{tid}")).json()
        assert done["status"] == "served" and done["completed_at"] is not None
    assert (await api.post(url, headers=auth)).status_code == 204
    assert (await api.get(f"/api/tickets/{order[-1]}")).json()["status"] == "served"


async def test_recall_complete_no_show_and_wrong_states(
    api: httpx.AsyncClient, login: Login
) -> None:
    auth = await login(L1)
    url = f"/api/sites/{SITE}/counters/{L1}/call-next"
    waiting = await issue(api, SITE, "ktp-el")
    tid = waiting["id"]
    for action in ("recall", "complete", "no-show"):
        assert (await api.post(f"/api/tickets/{tid}/{action}", headers=auth)).status_code == 409
    assert (await api.post(url, headers=auth)).json()["id"] == tid
    recalled = await api.post(f"/api/tickets/{tid}/recall", headers=auth)
    assert recalled.status_code == 200 and recalled.json()["call_count"] == 2
    assert (await api.post(f"/api/tickets/{tid}/complete", headers=auth)).json()[
        "status"
    ] == "served"
    assert (await api.post(f"/api/tickets/{tid}/complete", headers=auth)).status_code == 409
    assert (await api.delete(f"/api/tickets/{tid}", headers=holder(waiting))).status_code == 409

    gone = await issue(api, SITE, "ktp-el")
    assert (await api.post(url, headers=auth)).json()["id"] == gone["id"]
    no_show = await api.post(f"/api/tickets/{gone['id']}/no-show", headers=auth)
    assert no_show.status_code == 200 and no_show.json()["status"] == "no_show"
    assert (await api.post(f"/api/tickets/{gone['id']}/recall", headers=auth)).status_code == 409
    assert (await api.post(f"/api/tickets/{uuid.uuid4()}/recall", headers=auth)).status_code == 404


async def test_transfer_keeps_the_number_and_the_place_by_issue_time(
    api: httpx.AsyncClient, login: Login
) -> None:
    info = await issue(api, SITE, "ktp-el")  # issued first, at the "wrong" service
    later = await issue(api, SITE, "pajak")  # issued after it, at the target service
    desk = await login(L1)
    assert (await api.post(f"/api/sites/{SITE}/counters/{L1}/call-next", headers=desk)).json()[
        "id"
    ] == info["id"]
    moved = await api.post(
        f"/api/tickets/{info['id']}/transfer", json={"service_id": "pajak"}, headers=desk
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["number"] == info["number"] and body["service_id"] == "pajak"
    assert body["status"] == "waiting" and body["outcome"] == "transferred"
    assert body["waiting_ahead"] == 0 and body["call_count"] == 0
    samsat = await login("uji-samsat")
    url = f"/api/sites/{SITE}/counters/uji-samsat/call-next"
    first = (await api.post(url, headers=samsat)).json()
    assert first["id"] == info["id"] and first["call_count"] == 1
    assert (await api.post(url, headers=samsat)).json()["id"] == later["id"]
    bad = await api.post(
        f"/api/tickets/{later['id']}/transfer", json={"service_id": "nope"}, headers=samsat
    )
    assert bad.status_code == 404
    missing = await api.post(f"/api/tickets/{later['id']}/transfer", json={}, headers=samsat)
    assert missing.status_code == 422


async def test_queues_report_waiting_and_estimate(api: httpx.AsyncClient, login: Login) -> None:
    for _ in range(4):
        await issue(api, SITE, "pajak")
    queues = (await api.get(f"/api/sites/{SITE}/queues")).json()
    pajak = queues["pajak"]
    # nobody at the samsat counter yet: no estimate (CONTRACT.md: staffed counters only)
    assert pajak["waiting"] == 4 and pajak["open_counters"] == 0
    assert pajak["estimated_wait_s"] is None and queues["ktp-el"]["estimated_wait_s"] is None
    samsat = await login("uji-samsat")
    called = await api.post(f"/api/sites/{SITE}/counters/uji-samsat/call-next", headers=samsat)
    assert called.status_code == 200
    await api.post(f"/api/tickets/{called.json()['id']}/complete", headers=samsat)
    pajak = (await api.get(f"/api/sites/{SITE}/queues")).json()["pajak"]
    # 3 ahead, one staffed counter (free again), 300 s standard service time
    assert pajak["waiting"] == 3 and pajak["open_counters"] == 1
    assert pajak["estimated_wait_s"] is not None and pajak["estimated_wait_s"] > 0
    assert (await api.get("/api/sites/nowhere/queues")).status_code == 404


async def test_health_reports_database_broker_and_outbox(api: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + 20  # the broker connects in the background after start-up
    while (response := await api.get("/health")).status_code != 200 and time.monotonic() < deadline:
        assert response.status_code == 503 and response.json()["status"] == "degraded"
        await asyncio.sleep(0.2)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["broker"] == "ok"
    assert "pending" in body["outbox"]
