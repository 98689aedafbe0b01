"""One visit across agencies, against real PostgreSQL: one ticket for KK, then KTP-el, then
Samsat; completing a step queues it in the next, ahead of tickets issued after it."""

from __future__ import annotations

import asyncpg
import httpx

from services.ticketing.settings import TicketingSettings
from tests.integration.ticketing.conftest import Login, issue, kiosk_headers

SITE = "uji"


async def test_a_journey_ticket_moves_through_its_services_keeping_its_place(
    api: httpx.AsyncClient, login: Login, ticketing_settings: TicketingSettings
) -> None:
    visit = await issue(api, SITE, "kk", journey=["ktp-el", "pajak"])
    assert visit["service_id"] == "kk" and visit["journey"] == ["ktp-el", "pajak"]
    later_ktp = await issue(api, SITE, "ktp-el")  # issued after the visit's ticket
    desk = await login("uji-loket-01")
    # loket 01 serves ktp-el and kk: the visit's ticket is the longest waiting
    called = (
        await api.post(f"/api/sites/{SITE}/counters/uji-loket-01/call-next", headers=desk)
    ).json()
    assert called["id"] == visit["id"]
    step = await api.post(f"/api/tickets/{visit['id']}/complete", headers=desk)
    assert step.status_code == 200
    moved = step.json()
    assert moved["status"] == "waiting" and moved["service_id"] == "ktp-el"
    assert moved["number"] == visit["number"] and moved["outcome"] == "served"
    assert moved["journey"] == ["pajak"] and moved["waiting_ahead"] == 0
    # it keeps its place by original issue time: ahead of the KTP-el ticket issued after it
    desk2 = await login("uji-loket-02")
    again = (
        await api.post(f"/api/sites/{SITE}/counters/uji-loket-02/call-next", headers=desk2)
    ).json()
    assert again["id"] == visit["id"] and again["call_count"] == 1
    # call-next at the same counter completes the step and calls the next citizen
    nxt = (
        await api.post(f"/api/sites/{SITE}/counters/uji-loket-02/call-next", headers=desk2)
    ).json()
    assert nxt["id"] == later_ktp["id"]
    at_samsat = (await api.get(f"/api/tickets/{visit['id']}")).json()
    assert at_samsat["service_id"] == "pajak" and at_samsat["journey"] == []
    samsat = await login("uji-samsat")
    assert (
        await api.post(f"/api/sites/{SITE}/counters/uji-samsat/call-next", headers=samsat)
    ).json()["id"] == visit["id"]
    done = (await api.post(f"/api/tickets/{visit['id']}/complete", headers=samsat)).json()
    assert done["status"] == "served" and done["completed_at"] is not None

    conn = await asyncpg.connect(ticketing_settings.database_url)
    try:
        steps = await conn.fetch(
            """SELECT payload::jsonb->>'service_id' AS service,
                      payload::jsonb->>'outcome' AS outcome,
                      payload::jsonb->>'transferred_to_service_id' AS next
                 FROM ticketing.outbox
                WHERE topic = 'service-completed' AND payload::jsonb->>'ticket_id' = $1
                ORDER BY site_seq""",
            visit["id"],
        )
    finally:
        await conn.close()
    assert [tuple(r) for r in steps] == [
        ("kk", "served", "ktp-el"),
        ("ktp-el", "served", "pajak"),
        ("pajak", "served", None),
    ]


async def test_journey_must_name_known_distinct_services(api: httpx.AsyncClient) -> None:
    for journey in (
        ["nope"],
        ["kk"],
        ["ktp-el", "ktp-el"],
        ["ktp-el", "pajak", "kk", "a", "b", "c"],
    ):
        r = await api.post(
            f"/api/sites/{SITE}/tickets",
            json={"service_id": "kk", "journey": journey},
            headers=await kiosk_headers(api, SITE),
        )
        assert r.status_code == 422, (journey, r.text)
        assert "journey" in r.text
