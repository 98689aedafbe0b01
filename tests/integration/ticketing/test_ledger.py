"""The public fairness ledger through the HTTP API, from the real outbox: a priority ticket
and a transfer overtake a regular one, each with its reason; no personal data is published."""

from __future__ import annotations

import httpx

from tests.integration.ticketing.conftest import Login, issue

SITE = "uji"


async def test_ledger_explains_who_went_first_and_why(api: httpx.AsyncClient, login: Login) -> None:
    info = await issue(api, SITE, "pajak")  # will be transferred into KK's line
    early = await issue(api, SITE, "kk", phone="081311112222")
    later_priority = await issue(api, SITE, "kk", priority="priority")
    samsat = await login("uji-samsat")
    await api.post(f"/api/sites/{SITE}/counters/uji-samsat/call-next", headers=samsat)
    moved = await api.post(
        f"/api/tickets/{info['id']}/transfer", json={"service_id": "kk"}, headers=samsat
    )
    assert moved.status_code == 200
    desk = await login("uji-loket-01")
    order = [
        (await api.post(f"/api/sites/{SITE}/counters/uji-loket-01/call-next", headers=desk)).json()[
            "number"
        ]
        for _ in range(3)
    ]
    # priority first; the transferred ticket was issued before `early`, so it goes next
    assert order == [later_priority["number"], info["number"], early["number"]]

    day = await api.get(f"/api/sites/{SITE}/ledger")
    assert day.status_code == 200, day.text
    assert "81311112222" not in day.text and "phone" not in day.text
    found = await api.get(f"/api/sites/{SITE}/ledger/{early['number']}")
    assert found.status_code == 200
    [visit] = found.json()["tickets"]
    assert visit["called_at"] is not None
    reasons = {o["number"]: o["reason"] for o in visit["overtaken_by"]}
    assert reasons == {later_priority["number"]: "priority", info["number"]: "transfer"}
    journeys = (await api.get(f"/api/sites/{SITE}/ledger/{info['number']}")).json()["tickets"]
    assert [v["service_id"] for v in journeys] == ["pajak", "kk"]
    assert journeys[1]["entry"] == "transfer"
    unknown = await api.get(f"/api/sites/{SITE}/ledger/Z-999")
    assert unknown.status_code == 404
    assert unknown.json()["detail"].startswith("Tiket Z-999 tidak ada hari ini (")
    past = await api.get(f"/api/sites/{SITE}/ledger/Z-999", params={"date": "2026-08-17"})
    assert past.json() == {"detail": "Tiket Z-999 tidak ada pada 17 Agustus 2026"}
    assert (await api.get("/api/sites/nowhere/ledger")).status_code == 404
    page = await api.get(f"/transparansi/{SITE}")
    assert page.status_code == 200 and "Transparansi" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
