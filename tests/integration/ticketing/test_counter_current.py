"""GET /api/sites/{site}/counters/{counter}/current: a reloaded operator console (or the
same desk on another PC) finds the ticket still open at its counter."""

from __future__ import annotations

import httpx

from tests.integration.ticketing.conftest import Login, issue

SITE = "balangan"
L1 = "balangan-loket-01"
L2 = "balangan-loket-02"


def current_url(counter: str = L1, site: str = SITE) -> str:
    return f"/api/sites/{site}/counters/{counter}/current"


async def test_the_counter_finds_its_called_ticket_until_it_is_completed(
    api: httpx.AsyncClient, login: Login
) -> None:
    desk = await login(L1)
    assert (await api.get(current_url(), headers=desk)).status_code == 204

    ticket = await issue(api, SITE, "ktp-el")
    called = await api.post(f"/api/sites/{SITE}/counters/{L1}/call-next", headers=desk)
    assert called.status_code == 200 and called.json()["id"] == ticket["id"]
    await api.post(f"/api/tickets/{ticket['id']}/recall", headers=desk)

    open_now = await api.get(current_url(), headers=desk)
    assert open_now.status_code == 200
    body = open_now.json()
    assert body["id"] == ticket["id"] and body["number"] == ticket["number"]
    assert body["status"] == "called" and body["counter_id"] == L1
    assert body["call_count"] == 2 and body["waiting_ahead"] == 0
    # another counter has nothing open
    assert (await api.get(current_url(L2), headers=await login(L2))).status_code == 204

    done = await api.post(f"/api/tickets/{ticket['id']}/complete", headers=desk)
    assert done.status_code == 200
    assert (await api.get(current_url(), headers=desk)).status_code == 204


async def test_a_supervisor_may_look_at_any_counter_of_the_site(
    api: httpx.AsyncClient, login: Login
) -> None:
    ticket = await issue(api, SITE, "ktp-el")
    await api.post(f"/api/sites/{SITE}/counters/{L1}/call-next", headers=await login(L1))
    answer = await api.get(current_url(), headers=await login("balangan-supervisor"))
    assert answer.status_code == 200 and answer.json()["id"] == ticket["id"]


async def test_only_that_counters_operator_or_a_supervisor_may_look(
    api: httpx.AsyncClient, login: Login
) -> None:
    assert (await api.get(current_url())).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await api.get(current_url(), headers=bad)).status_code == 401
    assert (await api.get(current_url(), headers=await login(L2))).status_code == 403
    # a staff member of another site
    assert (await api.get(current_url(), headers=await login("uji-loket-01"))).status_code == 403


async def test_unknown_site_or_counter_is_404(api: httpx.AsyncClient, login: Login) -> None:
    supervisor = await login("balangan-supervisor")
    assert (await api.get(current_url("no-such"), headers=supervisor)).status_code == 404
    answer = await api.get(current_url(L1, "nowhere"), headers=supervisor)
    assert answer.status_code == 404
