"""The satisfaction survey against real PostgreSQL: one response per served ticket, nine
answers 1–4, signed links or the holder's key (nothing else), and the IKM of what was
stored."""

from __future__ import annotations

import time
import uuid
from typing import Any

import asyncpg
import httpx

from services.ticketing import survey
from tests.integration.ticketing.conftest import Login, holder, issue

SITE = "uji"
SECRET = "rahasia-token-uji-yang-cukup-panjang-32"  # conftest.settings_for's token_secret
ANSWERS = [4, 3, 3, 4, 3, 3, 4, 3, 3]


async def served_ticket(
    api: httpx.AsyncClient, login: Login, service: str = "ktp-el"
) -> dict[str, Any]:
    """A ticket taken at a kiosk and served: its answer, with the holder's key."""
    ticket = await issue(api, SITE, service)
    counter = "uji-loket-01" if service != "pajak" else "uji-samsat"
    desk = await login(counter)
    called = await api.post(f"/api/sites/{SITE}/counters/{counter}/call-next", headers=desk)
    assert called.status_code == 200 and called.json()["id"] == ticket["id"]
    done = await api.post(f"/api/tickets/{ticket['id']}/complete", headers=desk)
    assert done.status_code == 200
    return ticket


async def answer(
    api: httpx.AsyncClient,
    ticket_id: str,
    answers: Any = ANSWERS,
    key: str | None = None,
    **params: str,
) -> httpx.Response:
    return await api.post(
        f"/api/tickets/{ticket_id}/survey",
        json={"answers": answers, "comment": "Petugas ramah"},
        params=params,
        headers={"Ticket-Key": key} if key else {},
    )


async def form(api: httpx.AsyncClient, ticket_id: str, key: str | None = None) -> httpx.Response:
    headers = {"Ticket-Key": key} if key else {}
    return await api.get(f"/api/tickets/{ticket_id}/survey", headers=headers)


async def test_one_response_per_served_ticket(api: httpx.AsyncClient, login: Login) -> None:
    ticket = await served_ticket(api, login)
    tid, key = ticket["id"], ticket["ticket_key"]
    shown = await form(api, tid, key)
    assert shown.status_code == 200
    body = shown.json()
    assert body["answered"] is False and len(body["elements"]) == 9
    assert body["elements"][7]["name"] == "Penanganan pengaduan, saran dan masukan"
    first = await answer(api, tid, key=key)
    assert first.status_code == 201, first.text
    assert first.json()["answers"] == ANSWERS
    again = await answer(api, tid, key=key)
    assert again.status_code == 409
    assert (await form(api, tid, key)).json()["answered"] is True


async def test_the_survey_needs_the_link_or_the_holders_key(
    api: httpx.AsyncClient, login: Login, ticketing_db: str
) -> None:
    """Issue 13, finding 3: the ticket id is public (boards show it); alone it opens nothing."""
    ticket = await served_ticket(api, login)
    tid = ticket["id"]
    for response in (await answer(api, tid), await form(api, tid)):
        assert response.status_code == 401, response.text
        assert "Ticket-Key" in response.json()["detail"]
    wrong = "A" * len(ticket["ticket_key"])
    assert (await answer(api, tid, key=wrong)).status_code == 403
    assert (await form(api, tid, wrong)).status_code == 403
    conn = await asyncpg.connect(ticketing_db)
    try:
        stored = await conn.fetchval("SELECT count(*) FROM ticketing.survey_responses")
        misses = await conn.fetchval(
            "SELECT hits FROM ticketing.rate_limits WHERE key = $1", f"miss:ticket-key:{tid}"
        )
    finally:
        await conn.close()
    assert stored == 0 and misses == 2  # the refusals wrote nothing but the miss counter
    assert (await answer(api, tid, key=ticket["ticket_key"])).status_code == 201


async def test_only_served_tickets(api: httpx.AsyncClient, login: Login) -> None:
    waiting = await issue(api, SITE, "kk")
    assert (await answer(api, waiting["id"], key=waiting["ticket_key"])).status_code == 409
    assert (await form(api, waiting["id"], waiting["ticket_key"])).status_code == 409
    cancelled = await issue(api, SITE, "kk")
    await api.delete(f"/api/tickets/{cancelled['id']}", headers=holder(cancelled))
    assert (await answer(api, cancelled["id"], key=cancelled["ticket_key"])).status_code == 409
    assert (await answer(api, str(uuid.uuid4()), key=waiting["ticket_key"])).status_code == 404


async def test_nine_answers_of_one_to_four(api: httpx.AsyncClient, login: Login) -> None:
    ticket = await served_ticket(api, login)
    tid, key = ticket["id"], ticket["ticket_key"]
    for bad in (
        [4] * 8,
        [4] * 10,
        [0, *[4] * 8],
        [5, *[4] * 8],
        ["4", *[4] * 8],
        [3.5, *[4] * 8],
        None,
    ):
        response = await answer(api, tid, bad, key=key)
        assert response.status_code == 422, (bad, response.text)
    long_comment = await api.post(
        f"/api/tickets/{tid}/survey",
        json={"answers": ANSWERS, "comment": "x" * 2001},
        headers=holder(ticket),
    )
    assert long_comment.status_code == 422
    assert (await answer(api, tid, key=key)).status_code == 201


async def test_signed_links(api: httpx.AsyncClient, login: Login, ticketing_db: str) -> None:
    ticket_id = (await served_ticket(api, login))["id"]
    link = survey.survey_link(ticket_id, "https://mpp.example", SECRET, 3600)
    assert link.startswith(f"https://mpp.example/survey/{ticket_id}?sig=")
    sig = link.split("sig=")[1]
    forged = survey.sign(ticket_id, "another-secret", 3600)
    other_ticket = survey.sign(uuid.uuid4(), SECRET, 3600)
    expired = survey.sign(ticket_id, SECRET, -10)
    tampered = str(int(sig.split(".")[0]) + 999) + "." + sig.split(".")[1]
    for bad in (forged, other_ticket, expired, tampered, "garbage", "123."):
        assert (
            await api.get(f"/api/tickets/{ticket_id}/survey", params={"sig": bad})
        ).status_code == 403
        assert (await answer(api, ticket_id, sig=bad)).status_code == 403
    # the page of a signed link works, and so does the answer
    page = await api.get(f"/survey/{ticket_id}", params={"sig": sig})
    assert page.status_code == 200 and "survey.js" in page.text
    stored = await answer(api, ticket_id, sig=sig)
    assert stored.status_code == 201
    conn = await asyncpg.connect(ticketing_db)
    try:
        assert await conn.fetchval(
            "SELECT signed FROM ticketing.survey_responses WHERE ticket_id = $1",
            uuid.UUID(ticket_id),
        )
    finally:
        await conn.close()


async def test_the_holders_key_lasts_seven_days(
    api: httpx.AsyncClient, login: Login, ticketing_db: str
) -> None:
    ticket = await served_ticket(api, login)
    ticket_id = ticket["id"]
    conn = await asyncpg.connect(ticketing_db)
    try:
        await conn.execute(
            "UPDATE ticketing.tickets SET completed_at = now() - interval '8 days' WHERE id = $1",
            uuid.UUID(ticket_id),
        )
    finally:
        await conn.close()
    assert (await answer(api, ticket_id, key=ticket["ticket_key"])).status_code == 403
    # a signed link outlives the seven days if its expiry says so
    sig = survey.sign(ticket_id, SECRET, 30 * 24 * 3600, now=time.time())
    assert (await answer(api, ticket_id, sig=sig)).status_code == 201


async def test_ikm_of_stored_responses(api: httpx.AsyncClient, login: Login) -> None:
    worked_example = [
        [4, 3, 3, 4, 3, 3, 4, 3, 3],
        [3, 3, 2, 4, 3, 4, 4, 3, 3],
        [4, 4, 3, 4, 3, 3, 3, 2, 3],
        [3, 2, 3, 4, 3, 4, 4, 3, 2],
    ]
    for answers in worked_example:
        ticket = await served_ticket(api, login)
        assert (await answer(api, ticket["id"], answers, ticket["ticket_key"])).status_code == 201
    samsat = await served_ticket(api, login, "pajak")
    assert (await answer(api, samsat["id"], [1] * 9, samsat["ticket_key"])).status_code == 201
    ikm = (await api.get(f"/api/sites/{SITE}/ikm")).json()  # public: no token
    assert ikm["respondents"] == 5
    # site: element sums over 5 = worked example + 1 each; checked against the pure function
    from services.ticketing.domain.ikm import from_answers

    assert ikm["ikm"] == float(from_answers([*worked_example, [1] * 9]).ikm or 0)
    by_agency = {a["agency_id"]: a for a in ikm["by_agency"]}
    assert by_agency["disdukcapil"]["ikm"] == 80.56 and by_agency["disdukcapil"]["category"] == "B"
    assert by_agency["disdukcapil"]["respondents"] == 4
    assert by_agency["samsat"]["ikm"] == 25.0 and by_agency["samsat"]["category"] == "D"
    by_service = {s["service_id"]: s for s in ikm["by_service"]}
    assert by_service["ktp-el"]["ikm"] == 80.56
    assert "comment" not in str(ikm) and "Petugas" not in str(ikm)
    page = await api.get(f"/ikm/{SITE}")
    assert page.status_code == 200 and "survey-ikm.js" in page.text
    # the supervisor's report shows the same index
    boss = await login("uji-supervisor")
    report = (await api.get(f"/api/sites/{SITE}/reports", headers=boss)).json()
    assert report["ikm"]["respondents"] == 5 and report["ikm"]["ikm"] == ikm["ikm"]
    assert (await api.get("/api/sites/nowhere/ikm")).status_code == 404
