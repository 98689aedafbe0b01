"""Supervisor and admin calls against real PostgreSQL: close/open a service today, today's
quota, counter states, reassigning a counter, staff accounts — each scoped by role and site
and written to the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.integration.ticketing.conftest import Login, issue, kiosk_headers

SITE = "uji"


async def test_supervisor_closes_and_opens_a_service_for_today(
    api: httpx.AsyncClient, login: Login
) -> None:
    boss = await login("uji-supervisor")
    kiosk = await kiosk_headers(api, SITE)  # enrolled first: the audit log below is the closing's
    closed = await api.post(f"/api/sites/{SITE}/services/kk/close", headers=boss)
    assert closed.status_code == 200 and closed.json()["closed"] is True
    refused = await api.post(f"/api/sites/{SITE}/tickets", json={"service_id": "kk"}, headers=kiosk)
    assert refused.status_code == 409 and "ditutup sementara" in refused.json()["detail"]
    assert (await api.get(f"/api/sites/{SITE}/queues")).json()["kk"]["open"] is False
    assert (await api.post(f"/api/sites/{SITE}/services/kk/open", headers=boss)).json()[
        "closed"
    ] is False
    await issue(api, SITE, "kk")
    log = (await api.get(f"/api/sites/{SITE}/audit", headers=boss)).json()
    assert [e["action"] for e in log[:2]] == ["service.open", "service.close"]
    assert log[1]["actor"] == "uji-supervisor" and log[1]["before"] is None
    assert log[1]["after"] == {"closed": True, "quota": None}
    assert log[0]["before"] == {"closed": True, "quota": None}


async def test_quota_for_today(api: httpx.AsyncClient, login: Login) -> None:
    boss = await login("uji-supervisor")
    r = await api.put(
        f"/api/sites/{SITE}/services/pajak/quota-today", json={"quota": 1}, headers=boss
    )
    assert r.status_code == 200 and r.json()["quota"] == 1
    await issue(api, SITE, "pajak")
    full = await api.post(
        f"/api/sites/{SITE}/tickets",
        json={"service_id": "pajak"},
        headers=await kiosk_headers(api, SITE),
    )
    assert full.status_code == 409 and "Kuota" in full.json()["detail"]
    assert (
        await api.put(
            f"/api/sites/{SITE}/services/pajak/quota-today", json={"quota": None}, headers=boss
        )
    ).status_code == 200
    await issue(api, SITE, "pajak")  # no standard quota: open again
    assert (
        await api.put(
            f"/api/sites/{SITE}/services/pajak/quota-today", json={"quota": -1}, headers=boss
        )
    ).status_code == 422


async def test_counter_states_and_reassignment(api: httpx.AsyncClient, login: Login) -> None:
    boss = await login("uji-supervisor")
    desk = await login("uji-loket-01")
    ktp = await issue(api, SITE, "ktp-el")
    kk = await issue(api, SITE, "kk")
    await api.post(f"/api/sites/{SITE}/counters/uji-loket-01/call-next", headers=desk)
    states = {
        c["id"]: c for c in (await api.get(f"/api/sites/{SITE}/counters", headers=boss)).json()
    }
    assert states["uji-loket-01"]["current"]["number"] == ktp["number"]
    assert states["uji-loket-02"]["current"] is None
    moved = await api.put(
        f"/api/sites/{SITE}/counters/uji-loket-02/services",
        json={"service_ids": ["kk"], "call_order": "configured"},
        headers=boss,
    )
    assert moved.status_code == 200 and moved.json()["service_ids"] == ["kk"]
    desk2 = await login("uji-loket-02")
    called = await api.post(f"/api/sites/{SITE}/counters/uji-loket-02/call-next", headers=desk2)
    assert called.json()["id"] == kk["id"]
    bad = await api.put(
        f"/api/sites/{SITE}/counters/uji-loket-02/services",
        json={"service_ids": ["nope"]},
        headers=boss,
    )
    assert bad.status_code == 422
    entry = (await api.get(f"/api/sites/{SITE}/audit", headers=boss)).json()[0]
    assert entry["action"] == "counter.reassign" and entry["before"]["service_ids"] == [
        "ktp-el",
        "kk",
    ]


async def test_roles_and_sites_are_enforced(api: httpx.AsyncClient, login: Login) -> None:
    operator = await login("uji-loket-01")
    other_boss = await login("balangan-supervisor")
    for headers in (operator, other_boss):
        assert (await api.get(f"/api/sites/{SITE}/counters", headers=headers)).status_code == 403
        assert (
            await api.post(f"/api/sites/{SITE}/services/kk/close", headers=headers)
        ).status_code == 403
        assert (await api.get(f"/api/sites/{SITE}/audit", headers=headers)).status_code == 403
        assert (await api.get("/api/admin/staff", headers=headers)).status_code == 403
    assert (await api.get(f"/api/sites/{SITE}/counters")).status_code == 401
    assert (
        await api.get("/api/sites/nowhere/counters", headers=await login("mpp-admin"))
    ).status_code == 404


async def test_admin_manages_staff_and_a_deactivated_token_stops_working(
    api: httpx.AsyncClient, login: Login
) -> None:
    admin = await login("mpp-admin")
    created = await api.post(
        "/api/admin/staff",
        json={
            "username": "uji-petugas-baru",
            "site_id": SITE,
            "role": "operator",
            "counter_ids": ["uji-loket-03"],
            "password": "sandi-rahasia-baru",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    token = await api.post(
        "/api/auth/token", data={"username": "uji-petugas-baru", "password": "sandi-rahasia-baru"}
    )
    assert token.status_code == 200
    newbie = {"Authorization": f"Bearer {token.json()['access_token']}"}
    await issue(api, SITE, "ktp-el")
    assert (
        await api.post(f"/api/sites/{SITE}/counters/uji-loket-03/call-next", headers=newbie)
    ).status_code == 200
    assert (
        await api.post(f"/api/sites/{SITE}/counters/uji-loket-04/call-next", headers=newbie)
    ).status_code == 403
    weak = await api.post(
        "/api/admin/staff",
        json={"username": "uji-x", "site_id": SITE, "role": "operator", "password": "short"},
        headers=admin,
    )
    assert weak.status_code == 422
    from_file = await api.post(
        "/api/admin/staff",
        json={
            "username": "uji-loket-01",
            "site_id": SITE,
            "role": "admin",
            "password": "sandi-rahasia-baru",
        },
        headers=admin,
    )
    assert from_file.status_code == 422
    gone = await api.delete("/api/admin/staff/uji-petugas-baru", headers=admin)
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert (
        await api.post(f"/api/sites/{SITE}/counters/uji-loket-03/call-next", headers=newbie)
    ).status_code == 401
    accounts = {
        a["username"]: a
        for a in (await api.get(f"/api/admin/staff?site_id={SITE}", headers=admin)).json()
    }
    assert (
        accounts["uji-petugas-baru"]["source"] == "admin"
        and accounts["uji-loket-01"]["source"] == "config"
    )
    reloaded = await api.post("/api/admin/sites/reload", headers=admin)
    assert reloaded.status_code == 200 and reloaded.json()["loaded"] == []  # nothing changed
    # the reload kept the admin-made account (only accounts from the files are the files')
    accounts = {
        a["username"]: a
        for a in (await api.get(f"/api/admin/staff?site_id={SITE}", headers=admin)).json()
    }
    assert "uji-petugas-baru" in accounts


async def test_audit_log_filters_by_action_actor_and_period(
    api: httpx.AsyncClient, login: Login
) -> None:
    boss = await login("uji-supervisor")
    admin = await login("mpp-admin")
    closed = await api.post(
        f"/api/sites/{SITE}/services/kk/close", json={"reason": "  printer rusak "}, headers=boss
    )
    assert closed.status_code == 200
    assert (await api.post(f"/api/sites/{SITE}/services/kk/open", headers=admin)).status_code == 200
    audit = f"/api/sites/{SITE}/audit"

    async def log(**params: str) -> list[dict[str, object]]:
        r = await api.get(audit, params=params, headers=boss)
        assert r.status_code == 200, r.text
        entries: list[dict[str, object]] = r.json()
        return entries

    closes = await log(action="service.close")
    assert closes and {e["action"] for e in closes} == {"service.close"}
    assert closes[0]["after"] == {"closed": True, "quota": None, "reason": "printer rusak"}
    by_admin = await log(actor="mpp-admin")
    assert by_admin and {e["actor"] for e in by_admin} == {"mpp-admin"}
    assert by_admin[0]["action"] == "service.open"
    assert await log(actor="mpp-admin", action="service.close") == []
    site = (await api.get(f"/api/sites/{SITE}")).json()
    today = datetime.now(UTC).astimezone(ZoneInfo(site["timezone"])).date()
    assert len(await log(**{"from": today.isoformat(), "to": today.isoformat()})) >= 2
    assert await log(**{"to": (today - timedelta(days=1)).isoformat()}) == []
    assert await log(**{"from": (today + timedelta(days=1)).isoformat()}) == []
    backwards = await api.get(
        audit, params={"from": today.isoformat(), "to": "2020-01-01"}, headers=boss
    )
    assert backwards.status_code == 422 and "tanggal" in str(backwards.json()["detail"])
    bad = await api.get(audit, params={"from": "kemarin"}, headers=boss)
    assert bad.status_code == 422
    short = await api.post(
        f"/api/sites/{SITE}/services/kk/close", json={"reason": "x" * 201}, headers=boss
    )
    assert short.status_code == 422
