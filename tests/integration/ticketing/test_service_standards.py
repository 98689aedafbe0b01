"""The service standard through the HTTP API against real PostgreSQL: quotas (shared and
online apart), closed services, fair priority, the recall limit and a no-show's return."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from services.ticketing.app import create_app
from services.ticketing.settings import TicketingSettings
from tests.integration.ticketing.conftest import DEMO_PASSWORD, issue, kiosk_headers, settings_for

ALL_DAY = (
    "{ "
    + ", ".join(f'{d} = ["00:00-24:00"]' for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    + " }"
)
SITE = "atur"
SITE_FILE = f"""
config_version = 1
[site]
id = "atur"
name = "MPP Aturan"
timezone = "Asia/Jayapura"
hours = {ALL_DAY}
online = {{ verify_phone = false }}
pledge = "Kami melayani tanpa pungutan liar dan tanpa calo."

[[agencies]]
id = "disdukcapil"
name = "Disdukcapil"

[[services]]
id = "kuota"
agency = "disdukcapil"
name = "KTP-el"
prefix = "A"
rules = {{ daily_quota = 2 }}
standard = {{ requirements = ["Kartu Keluarga (KK) asli"], cost_rupiah = 0, completion = "Selesai di tempat" }}

[[services]]
id = "daring"
agency = "disdukcapil"
name = "Paspor"
prefix = "B"
rules = {{ daily_quota = 3, online_quota = 1 }}

[[services]]
id = "libur"
agency = "disdukcapil"
name = "Legalisir"
prefix = "C"
rules = {{ hours = {{}} }}

[[services]]
id = "adil"
agency = "disdukcapil"
name = "Kartu Keluarga"
prefix = "D"
rules = {{ priority_ratio = 2, max_recalls = 1, no_show_grace_minutes = 30, no_show_return_after = 1 }}

[[counters]]
id = "atur-loket-1"
name = "Loket 1"
services = ["kuota", "daring"]

[[counters]]
id = "atur-loket-2"
name = "Loket 2"
services = ["adil"]

[[staff]]
username = "atur-supervisor"
role = "supervisor"
"""


@pytest.fixture
def ticketing_settings(
    ticketing_db: str, kafka_topics: str, sites_dir: Path, tmp_path: Path
) -> TicketingSettings:
    folder = tmp_path / "sites"
    shutil.copytree(sites_dir, folder)
    (folder / "atur.toml").write_text(SITE_FILE)
    return settings_for(ticketing_db, kafka_topics, folder)


@pytest.fixture
async def api(ticketing_settings: TicketingSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ticketing_settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client


async def auth(api: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await api.post("/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_the_site_tells_each_services_standard_and_the_pledge(
    api: httpx.AsyncClient,
) -> None:
    site = (await api.get(f"/api/sites/{SITE}")).json()
    assert site["pledge"] == "Kami melayani tanpa pungutan liar dan tanpa calo."
    assert site["complaint_channels"][0] == "SP4N-LAPOR!: www.lapor.go.id"
    services = {s["id"]: s for s in site["services"]}
    assert services["kuota"]["standard"] == {
        "requirements": ["Kartu Keluarga (KK) asli"],
        "cost_rupiah": 0,
        "cost_note": "",
        "completion": "Selesai di tempat",
    }
    # a file that says nothing about a cost claims nothing: not "Gratis"
    assert services["libur"]["standard"]["cost_rupiah"] is None
    assert services["libur"]["standard"]["requirements"] == []
    # the shipped site files carry theirs: SKCK's official PNBP at Tabanan
    tabanan = (await api.get("/api/sites/tabanan")).json()
    skck = next(s for s in tabanan["services"] if s["id"] == "skck")
    assert skck["standard"]["cost_rupiah"] == 30000 and "KTP-el" in skck["standard"]["requirements"]
    assert tabanan["pledge"].startswith("Dengan ini kami menyatakan")


async def test_daily_quota_refuses_with_a_reason_a_kiosk_can_show(api: httpx.AsyncClient) -> None:
    await issue(api, SITE, "kuota")
    await issue(api, SITE, "kuota")
    full = await api.post(
        f"/api/sites/{SITE}/tickets",
        json={"service_id": "kuota"},
        headers=await kiosk_headers(api, SITE),
    )
    assert full.status_code == 409
    assert full.json()["detail"] == "Kuota KTP-el hari ini sudah habis"
    line = (await api.get(f"/api/sites/{SITE}/queues")).json()["kuota"]
    assert line["issued_today"] == 2 and line["quota_left"]["kiosk"] == 0
    # a refused request burned no number: cancelling does not give the quota back either
    assert line["waiting"] == 2


async def test_online_quota_is_counted_apart_from_the_kiosk(api: httpx.AsyncClient) -> None:
    await issue(api, SITE, "daring", channel="online", phone="081211112222")
    online_full = await api.post(
        f"/api/sites/{SITE}/tickets",
        json={"service_id": "daring", "channel": "online", "phone": "081233334444"},
    )
    assert online_full.status_code == 409 and "daring" in online_full.json()["detail"]
    await issue(api, SITE, "daring")
    await issue(api, SITE, "daring")
    assert (
        await api.post(
            f"/api/sites/{SITE}/tickets",
            json={"service_id": "daring"},
            headers=await kiosk_headers(api, SITE),
        )
    ).status_code == 409


async def test_a_closed_service_says_so_on_the_kiosk(api: httpx.AsyncClient) -> None:
    closed = await api.post(
        f"/api/sites/{SITE}/tickets",
        json={"service_id": "libur"},
        headers=await kiosk_headers(api, SITE),
    )
    assert closed.status_code == 409
    assert "Legalisir tutup" in closed.json()["detail"]
    line = (await api.get(f"/api/sites/{SITE}/queues")).json()["libur"]
    assert line["open"] is False and "tutup" in line["closed_reason"]
    assert (await api.get(f"/api/sites/{SITE}/queues")).json()["kuota"]["open"] is True


async def test_priority_goes_first_but_every_third_call_is_regular(api: httpx.AsyncClient) -> None:
    regular = [await issue(api, SITE, "adil") for _ in range(2)]
    priority = [await issue(api, SITE, "adil", priority="priority") for _ in range(3)]
    desk = await auth(api, "atur-loket-2")
    order = []
    for _ in range(5):
        r = await api.post(f"/api/sites/{SITE}/counters/atur-loket-2/call-next", headers=desk)
        assert r.status_code == 200
        order.append(r.json()["id"])
    prio, reg = [t["id"] for t in priority], [t["id"] for t in regular]
    assert order == [prio[0], prio[1], reg[0], prio[2], reg[1]]


async def test_recall_limit_and_no_show_return_near_the_front(
    api: httpx.AsyncClient, ticketing_settings: TicketingSettings
) -> None:
    first, second, third = [await issue(api, SITE, "adil") for _ in range(3)]
    desk = await auth(api, "atur-loket-2")
    called = (
        await api.post(f"/api/sites/{SITE}/counters/atur-loket-2/call-next", headers=desk)
    ).json()
    assert called["id"] == first["id"]
    assert (await api.post(f"/api/tickets/{first['id']}/recall", headers=desk)).status_code == 200
    too_many = await api.post(f"/api/tickets/{first['id']}/recall", headers=desk)
    assert too_many.status_code == 409 and "tidak hadir" in too_many.json()["detail"]
    assert (await api.post(f"/api/tickets/{first['id']}/no-show", headers=desk)).status_code == 200
    # the citizen comes back: placed after one waiting ticket (no_show_return_after = 1)
    back = await api.post(f"/api/tickets/{first['id']}/return", headers=desk)
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "waiting" and back.json()["waiting_ahead"] == 1
    assert (await api.post(f"/api/tickets/{second['id']}/return", headers=desk)).status_code == 409
    order = [
        (await api.post(f"/api/sites/{SITE}/counters/atur-loket-2/call-next", headers=desk)).json()[
            "id"
        ]
        for _ in range(3)
    ]
    assert order == [second["id"], first["id"], third["id"]]
    conn = await asyncpg.connect(ticketing_settings.database_url)
    try:
        reentries = await conn.fetchval(
            """SELECT count(*) FROM ticketing.outbox
                WHERE topic = 'ticket-issued' AND payload::jsonb->>'reentry' = 'returned'
                  AND payload::jsonb->>'ticket_id' = $1""",
            first["id"],
        )
        assert reentries == 1
    finally:
        await conn.close()
