"""Refusals speak Bahasa Indonesia and name the field by its label; a browser following a bad
tracking link gets an Indonesian page, an API client keeps JSON."""

from __future__ import annotations

import uuid

import httpx

from tests.integration.ticketing.conftest import kiosk_headers

SITE = "uji"


async def test_ticket_refusals_name_the_field_in_indonesian(api: httpx.AsyncClient) -> None:
    kiosk = await kiosk_headers(api, SITE)
    phone = await api.post(
        f"/api/sites/{SITE}/tickets",
        json={"service_id": "ktp-el", "phone": "12345"},
        headers=kiosk,
    )
    assert phone.status_code == 422
    [entry] = phone.json()["detail"]
    assert entry["msg"].startswith("Nomor HP: "), entry
    assert entry["field"] == "phone" and entry["loc"] == ["body", "phone"]
    missing = await api.post(f"/api/sites/{SITE}/tickets", json={}, headers=kiosk)
    assert [e["msg"] for e in missing.json()["detail"]] == ["Layanan: wajib diisi"]
    unknown = await api.get(f"/api/tickets/{uuid.uuid4()}")
    assert unknown.status_code == 404 and unknown.json() == {"detail": "tiket tidak ditemukan"}


async def test_complaint_refusal_reads_nomor_hp(api: httpx.AsyncClient) -> None:
    response = await api.post(
        f"/api/sites/{SITE}/complaints",
        json={"kind": "suggestion", "text": "tolong tambah kursi", "contact_phone": "12345"},
    )
    assert response.status_code == 422, response.text
    [entry] = response.json()["detail"]
    assert entry["msg"].startswith("Nomor HP: nomor"), entry
    assert entry["field"] == "contact_phone" and entry["label"] == "Nomor HP"


async def test_bad_tracking_link_is_a_page_for_browsers_json_for_clients(
    api: httpx.AsyncClient,
) -> None:
    page = await api.get("/t/bukan-tiket", headers={"accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Tiket tidak ditemukan" in page.text and '<a href="/">Kembali</a>' in page.text
    assert 'lang="id"' in page.text
    client = await api.get("/t/bukan-tiket", headers={"accept": "application/json"})
    assert client.status_code == 404 and client.json() == {"detail": "tiket tidak ditemukan"}
