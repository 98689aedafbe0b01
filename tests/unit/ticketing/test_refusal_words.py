"""The words of a refusal: field labels and pydantic's reasons in Bahasa Indonesia."""

from __future__ import annotations

from datetime import date

from services.ticketing.api.refusal_words import (
    label,
    long_date,
    no_ticket_on,
    not_found_words,
    refusal_entry,
)


def test_citizen_fields_have_indonesian_labels() -> None:
    assert label("contact_phone") == "Nomor HP"
    assert label("phone") == "Nomor HP"
    assert label("service_id") == "Layanan"
    assert label("no_such_field") == "no_such_field"


def test_a_value_error_reads_with_the_label_and_keeps_the_field() -> None:
    entry = refusal_entry(
        {
            "loc": ("body", "contact_phone"),
            "msg": "Value error, nomor harus diawali 0, 62 atau +62",
            "type": "value_error",
            "input": "12345",
        }
    )
    assert entry["msg"] == "Nomor HP: nomor harus diawali 0, 62 atau +62"
    assert entry["field"] == "contact_phone" and entry["label"] == "Nomor HP"
    assert entry["loc"] == ["body", "contact_phone"] and entry["type"] == "value_error"


def test_pydantic_reasons_are_indonesian_with_their_limits() -> None:
    short = refusal_entry(
        {
            "loc": ("body", "text"),
            "msg": "String should have at least 5 characters",
            "type": "string_too_short",
            "ctx": {"min_length": 5},
        }
    )
    assert short["msg"] == "Isi: terlalu pendek (minimal 5 karakter)"
    choice = refusal_entry(
        {
            "loc": ("body", "kind"),
            "msg": "Input should be 'complaint' or 'suggestion'",
            "type": "literal_error",
            "ctx": {"expected": "'complaint' or 'suggestion'"},
        }
    )
    assert choice["msg"] == "Jenis: harus salah satu dari: complaint, suggestion"
    missing = refusal_entry(
        {"loc": ("body", "service_id"), "msg": "Field required", "type": "missing"}
    )
    assert missing["msg"] == "Layanan: wajib diisi"
    whole = refusal_entry({"loc": ("body",), "msg": "JSON decode error", "type": "json_invalid"})
    assert whole["msg"] == "isi permintaan bukan JSON yang sah" and "field" not in whole


def test_not_found_reasons_are_indonesian() -> None:
    assert not_found_words("ticket not found") == "tiket tidak ditemukan"
    assert not_found_words("janji temu tidak ditemukan") == "janji temu tidak ditemukan"


def test_dates_and_unknown_numbers_read_in_indonesian() -> None:
    assert long_date(date(2026, 12, 2)) == "2 Desember 2026"
    assert long_date(date(2027, 1, 31)) == "31 Januari 2027"
    assert (
        no_ticket_on("Z-999", date(2026, 12, 2), today=True)
        == "Tiket Z-999 tidak ada hari ini (2 Desember 2026)"
    )
    assert (
        no_ticket_on("Z-999", date(2026, 8, 17), today=False)
        == "Tiket Z-999 tidak ada pada 17 Agustus 2026"
    )
    assert not_found_words("service 'paspor' not found at this site") == (
        "layanan 'paspor' tidak ada di lokasi ini"
    )
