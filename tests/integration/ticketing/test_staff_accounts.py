"""Staff tokens follow the account and admins have their site (CONTRACT.md "Who may do
what"), through the real app and PostgreSQL: a demoted admin's old token is an operator's
at its next use, an admin named in one site's file administers that site only, the
deployment file's admins administer all, and what PUT /api/admin/staff changed outlives a
site-file reload."""

from __future__ import annotations

import httpx

from tests.integration.ticketing.conftest import DEMO_PASSWORD, Login

SITE = "uji"


async def test_me_answers_the_account_as_it_is_now(api: httpx.AsyncClient, login: Login) -> None:
    assert (await api.get("/api/auth/me")).status_code == 401
    forged = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"}
    assert (await api.get("/api/auth/me", headers=forged)).status_code == 401
    me = await api.get("/api/auth/me", headers=await login("uji-loket-02"))
    assert me.status_code == 200
    assert me.json() == {
        "username": "uji-loket-02",
        "role": "operator",
        "site_id": SITE,
        "counter_ids": ["uji-loket-02"],
        "deployment_admin": False,
    }
    boss = (await api.get("/api/auth/me", headers=await login("mpp-admin"))).json()
    assert boss["role"] == "admin" and boss["deployment_admin"] is True


async def test_a_demoted_admins_old_token_is_an_operators_at_its_next_use(
    api: httpx.AsyncClient, login: Login
) -> None:
    root = await login("mpp-admin")
    made = await api.post(
        "/api/admin/staff",
        json={
            "username": "uji-admin-lama",
            "site_id": SITE,
            "role": "admin",
            "password": "sandi-admin-lama-1",
        },
        headers=root,
    )
    assert made.status_code == 201, made.text
    token = await api.post(
        "/api/auth/token", data={"username": "uji-admin-lama", "password": "sandi-admin-lama-1"}
    )
    old = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await api.get(f"/api/admin/staff?site_id={SITE}", headers=old)).status_code == 200

    demoted = await api.put(
        "/api/admin/staff/uji-admin-lama",
        json={"role": "operator", "counter_ids": ["uji-loket-07"]},
        headers=root,
    )
    assert demoted.status_code == 200 and demoted.json()["role"] == "operator"
    # the same token, not a new login: it now speaks for an operator of Loket 7
    assert (await api.get(f"/api/admin/staff?site_id={SITE}", headers=old)).status_code == 403
    new_admin = {
        "username": "uji-admin-baru",
        "site_id": SITE,
        "role": "admin",
        "password": "sandi-admin-baru-1",
    }
    assert (await api.post("/api/admin/staff", json=new_admin, headers=old)).status_code == 403
    assert (await api.get(f"/api/sites/{SITE}/audit", headers=old)).status_code == 403
    me = (await api.get("/api/auth/me", headers=old)).json()
    assert me["role"] == "operator" and me["counter_ids"] == ["uji-loket-07"]
    assert (
        await api.post(f"/api/sites/{SITE}/counters/uji-loket-08/call-next", headers=old)
    ).status_code == 403

    # deactivated: the token fails at its next use; a new password replaces the old one
    assert (
        await api.put("/api/admin/staff/uji-admin-lama", json={"active": False}, headers=root)
    ).status_code == 200
    assert (await api.get("/api/auth/me", headers=old)).status_code == 401
    audit = (await api.get(f"/api/sites/{SITE}/audit", headers=root)).json()
    assert [a["action"] for a in audit[:3]] == ["staff.update", "staff.update", "staff.create"]
    assert "password_hash" not in str(audit)


async def test_an_admin_named_in_one_sites_file_administers_that_site_only(
    api: httpx.AsyncClient, login: Login
) -> None:
    balangan = await login("balangan-admin")
    for other in ("uji", "tabanan", "lahat"):
        for path in (f"/api/sites/{other}/audit", f"/api/sites/{other}/counters"):
            assert (await api.get(path, headers=balangan)).status_code == 403, path
        assert (
            await api.get(f"/api/admin/staff?site_id={other}", headers=balangan)
        ).status_code == 403
        assert (
            await api.post(f"/api/sites/{other}/services/ktp-el/close", headers=balangan)
        ).status_code == 403
    assert (await api.get("/api/admin/staff", headers=balangan)).status_code == 403  # all sites
    assert (await api.post("/api/admin/sites/reload", headers=balangan)).status_code == 403
    stranger = {
        "username": "tabanan-titipan",
        "site_id": "tabanan",
        "role": "admin",
        "password": "sandi-titipan-123",
    }
    assert (await api.post("/api/admin/staff", json=stranger, headers=balangan)).status_code == 403
    assert (
        await api.put("/api/admin/staff/tabanan-loket-01", json={"active": False}, headers=balangan)
    ).status_code == 403
    assert (
        await api.put("/api/admin/staff/mpp-admin", json={"active": False}, headers=balangan)
    ).status_code == 403
    # its own site it administers
    assert (await api.get("/api/sites/balangan/audit", headers=balangan)).status_code == 200
    assert (await api.get("/api/admin/staff?site_id=balangan", headers=balangan)).status_code == 200
    # and the deployment's admin administers every site
    root = await login("mpp-admin")
    for site in ("uji", "tabanan", "lahat", "balangan"):
        assert (await api.get(f"/api/sites/{site}/audit", headers=root)).status_code == 200


async def test_what_the_api_changed_outlives_a_site_file_reload(
    api: httpx.AsyncClient, login: Login
) -> None:
    root = await login("mpp-admin")
    changed = await api.put(
        "/api/admin/staff/uji-loket-09",
        json={"counter_ids": ["uji-loket-09", "uji-loket-10"], "password": "sandi-loket-sembilan"},
        headers=root,
    )
    assert changed.status_code == 200, changed.text
    # the site file changes (a bump of its digest) and is reloaded
    app = api.app  # type: ignore[attr-defined]
    sites_dir = app.state.settings.sites_dir
    path = sites_dir / f"{SITE}.toml"
    original = path.read_text()
    try:
        path.write_text(original + "\n# edited\n")
        reloaded = await api.post("/api/admin/sites/reload", headers=root)
        assert reloaded.status_code == 200 and reloaded.json()["loaded"] == [SITE]
    finally:
        path.write_text(original)
    assert (
        await api.post(
            "/api/auth/token", data={"username": "uji-loket-09", "password": DEMO_PASSWORD}
        )
    ).status_code == 401
    token = await api.post(
        "/api/auth/token", data={"username": "uji-loket-09", "password": "sandi-loket-sembilan"}
    )
    assert token.status_code == 200
    assert token.json()["counter_ids"] == ["uji-loket-09", "uji-loket-10"]


async def test_refused_account_changes_say_why_in_indonesian(
    api: httpx.AsyncClient, login: Login
) -> None:
    root = await login("mpp-admin")
    empty = await api.put("/api/admin/staff/uji-loket-01", json={}, headers=root)
    assert empty.status_code == 422 and "tidak ada yang diubah" in str(empty.json())
    unknown = await api.put(
        "/api/admin/staff/uji-loket-01", json={"counter_ids": ["loket-hantu"]}, headers=root
    )
    assert unknown.status_code == 422 and "loket-hantu" in str(unknown.json())
    itself = await api.put("/api/admin/staff/mpp-admin", json={"active": False}, headers=root)
    assert itself.status_code == 422
    assert (
        await api.put("/api/admin/staff/tiada", json={"active": True}, headers=root)
    ).status_code == 404
    operator = await login("uji-loket-01")
    assert (
        await api.put("/api/admin/staff/uji-loket-02", json={"active": False}, headers=operator)
    ).status_code == 403
