"""Complaints against real PostgreSQL: file (anonymous or with a ticket), list and read
(only the site's supervisor or an admin), answer, resolve, time to resolution in the
report, the SP4N-LAPOR! export with masked phones, and the rate limit."""

from __future__ import annotations

import csv
import io

import httpx

from services.ticketing import complaints
from tests.integration.ticketing.conftest import Login, issue

SITE = "uji"


async def file(api: httpx.AsyncClient, **body: object) -> httpx.Response:
    return await api.post(
        f"/api/sites/{SITE}/complaints",
        json={"kind": "complaint", "text": "Antrian terlalu lama, AC mati.", **body},
    )


async def test_file_list_answer_resolve_export(api: httpx.AsyncClient, login: Login) -> None:
    ticket = await issue(api, SITE, "pajak")
    linked = await file(api, ticket_id=ticket["id"], contact_phone="0812-3456-7890")
    assert linked.status_code == 201, linked.text
    assert linked.json()["number"] == "ADU-000001" and linked.json()["status"] == "received"
    anonymous = await file(api, kind="suggestion", text='=HYPERLINK("x") tambah kursi')
    assert anonymous.status_code == 201 and anonymous.json()["number"] == "ADU-000002"

    boss = await login("uji-supervisor")
    listed = await api.get(f"/api/sites/{SITE}/complaints", headers=boss)
    assert listed.status_code == 200
    rows = {c["number"]: c for c in listed.json()}
    first = rows["ADU-000001"]
    assert first["contact_phone"] == "+62812*****890"  # stored normalised, shown masked
    assert first["agency_id"] == "samsat" and first["service_id"] == "pajak"
    assert first["ticket_number"] == ticket["number"]
    assert rows["ADU-000002"]["contact_phone"] is None and rows["ADU-000002"]["ticket_id"] is None

    cid = first["id"]
    working = await api.post(
        f"/api/complaints/{cid}/answer",
        json={"text": "Sedang kami periksa.", "status": "in_process"},
        headers=boss,
    )
    assert working.status_code == 200 and working.json()["status"] == "in_process"
    assert working.json()["in_process_at"] and working.json()["resolved_at"] is None
    done = await api.post(
        f"/api/complaints/{cid}/answer",
        json={"text": "AC sudah diperbaiki.", "status": "resolved"},
        headers=boss,
    )
    body = done.json()
    assert body["status"] == "resolved" and body["resolved_at"] and body["resolution_s"] >= 0
    assert [a["text"] for a in body["answers"]] == ["Sedang kami periksa.", "AC sudah diperbaiki."]
    closed = await api.post(
        f"/api/complaints/{cid}/answer", json={"text": "lagi", "status": "in_process"}, headers=boss
    )
    assert closed.status_code == 409
    read = await api.get(f"/api/complaints/{cid}", headers=boss)
    assert read.status_code == 200 and len(read.json()["answers"]) == 2
    assert read.json()["contact_phone"] == "+62812*****890"
    only_open = await api.get(
        f"/api/sites/{SITE}/complaints", params={"status": "received"}, headers=boss
    )
    assert [c["number"] for c in only_open.json()] == ["ADU-000002"]

    audit = (await api.get(f"/api/sites/{SITE}/audit", headers=boss)).json()
    assert [e["action"] for e in audit[:2]] == ["complaint.answer", "complaint.answer"]

    report = (await api.get(f"/api/sites/{SITE}/reports", headers=boss)).json()
    assert report["complaints"]["received"] == 2 and report["complaints"]["resolved"] == 1
    assert report["complaints"]["complaints"] == 1 and report["complaints"]["suggestions"] == 1
    assert report["complaints"]["still_open"] == 1
    assert report["complaints"]["resolution_mean_s"] is not None

    export = await api.get(f"/api/sites/{SITE}/complaints.csv", headers=boss)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert list(lines[0]) == complaints.LAPOR_COLUMNS
    assert [line["nomor"] for line in lines] == ["ADU-000001", "ADU-000002"]
    one, two = lines
    assert one["kategori"] == "Pengaduan" and two["kategori"] == "Aspirasi"
    assert one["instansi tujuan"] == "Samsat Uji" and two["instansi tujuan"] == "MPP Uji Coba"
    assert one["status"] == "Selesai" and two["status"] == "Diterima"
    assert one["tanggapan"] == "Sedang kami periksa. | AC sudah diperbaiki."
    assert one["judul"].startswith("Pengaduan layanan Pajak Kendaraan: Antrian terlalu lama")
    assert one["isi laporan"] == "Antrian terlalu lama, AC mati."
    assert one["kontak"] == "0812*****890" and "3456" not in export.text
    assert two["isi laporan"].startswith("'=HYPERLINK")  # no formula runs in a spreadsheet


async def test_only_the_sites_supervisor_or_an_admin(api: httpx.AsyncClient, login: Login) -> None:
    cid = (await file(api)).json()["id"]
    url = f"/api/sites/{SITE}/complaints"
    operator = await login("uji-loket-01")
    other = await login("balangan-supervisor")
    assert (await api.get(url)).status_code == 401
    assert (await api.get(url, headers=operator)).status_code == 403
    assert (await api.get(url, headers=other)).status_code == 403
    assert (await api.get(f"{url}.csv", headers=other)).status_code == 403
    assert (await api.get(f"/api/complaints/{cid}", headers=other)).status_code == 403
    answer = {"text": "ok", "status": "resolved"}
    assert (
        await api.post(f"/api/complaints/{cid}/answer", json=answer, headers=operator)
    ).status_code == 403
    assert (
        await api.post(f"/api/complaints/{cid}/answer", json=answer, headers=other)
    ).status_code == 403
    # an admin named in balangan's file administers balangan only; a deployment admin all
    assert (await api.get(url, headers=await login("balangan-admin"))).status_code == 403
    admin = await login("mpp-admin")
    assert (await api.get(url, headers=admin)).status_code == 200
    assert (
        await api.post(f"/api/complaints/{cid}/answer", json=answer, headers=admin)
    ).status_code == 200


async def test_invalid_complaints(api: httpx.AsyncClient) -> None:
    assert (await file(api, kind="pujian")).status_code == 422
    assert (await file(api, text="   ")).status_code == 422
    assert (await file(api, contact_phone="12345")).status_code == 422
    assert (await file(api, ticket_id="00000000-0000-4000-8000-000000000000")).status_code == 422
    assert (await file(api, agency_id="nope")).status_code == 422
    missing = await api.post(
        "/api/sites/nowhere/complaints", json={"kind": "complaint", "text": "tidak ada lokasi"}
    )
    assert missing.status_code == 404
    page = await api.get(f"/pengaduan/{SITE}")
    assert page.status_code == 200 and "complaint.js" in page.text


async def test_rate_limit_per_address(api: httpx.AsyncClient) -> None:
    for _ in range(complaints.PER_HOUR):
        assert (await file(api)).status_code == 201
    refused = await file(api)
    assert refused.status_code == 429
    retry_after = int(refused.headers["retry-after"])
    assert 3500 <= retry_after <= 3601
    # another address is not held back
    transport = httpx.ASGITransport(app=api.app, client=("10.1.2.3", 5000))  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://ticketing") as neighbour:
        assert (await file(neighbour)).status_code == 201
