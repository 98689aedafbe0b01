"""The words of a refusal, in one place: each request field's Indonesian label, pydantic's
reasons in Bahasa Indonesia, and the Indonesian form of the domain's "not found" reasons.

A 422 keeps FastAPI's shape (`detail` a list of `{loc, msg, type}`) and adds, per entry, the
machine-readable `field` and its Indonesian `label`; `msg` is the reason in Bahasa Indonesia
prefixed with the label ("Nomor HP: nomor harus diawali 0, 62 atau +62")."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from fastapi.encoders import jsonable_encoder

FIELD_LABELS: Mapping[str, str] = {
    "phone": "Nomor HP",
    "contact_phone": "Nomor HP",
    "phone_last4": "4 digit terakhir nomor HP",
    "Phone-Last4": "4 digit terakhir nomor HP",
    "service_id": "Layanan",
    "service_ids": "Layanan",
    "priority": "Prioritas",
    "channel": "Saluran",
    "kind": "Jenis",
    "text": "Isi",
    "ticket_id": "Tiket",
    "ticket_number": "Nomor tiket",
    "agency_id": "Instansi",
    "reason": "Alasan",
    "code": "Kode",
    "name": "Nama",
    "nik": "NIK",
    "date": "Tanggal",
    "day": "Tanggal",
    "slot": "Jam",
    "starts_at": "Jam",
    "quota": "Kuota",
    "from": "Dari",
    "to": "Sampai",
    "answers": "Jawaban",
    "scores": "Nilai",
    "comment": "Komentar",
    "status": "Status",
    "username": "Nama pengguna",
    "password": "Kata sandi",
    "counter_id": "Loket",
    "Idempotency-Key": "Kunci idempotensi",
}

# pydantic's error types → the reason in Bahasa Indonesia ({…} from the error's ctx)
_REASONS: Mapping[str, str] = {
    "missing": "wajib diisi",
    "extra_forbidden": "kolom ini tidak dikenal",
    "string_too_short": "terlalu pendek (minimal {min_length} karakter)",
    "string_too_long": "terlalu panjang (maksimal {max_length} karakter)",
    "string_type": "harus berupa teks",
    "string_pattern_mismatch": "bentuknya tidak sesuai",
    "literal_error": "harus salah satu dari: {expected}",
    "enum": "harus salah satu dari: {expected}",
    "uuid_parsing": "bukan ID yang sah",
    "uuid_type": "bukan ID yang sah",
    "int_parsing": "harus berupa bilangan bulat",
    "int_type": "harus berupa bilangan bulat",
    "bool_parsing": "harus ya atau tidak",
    "greater_than_equal": "minimal {ge}",
    "less_than_equal": "maksimal {le}",
    "greater_than": "harus lebih dari {gt}",
    "less_than": "harus kurang dari {lt}",
    "too_short": "terlalu sedikit (minimal {min_length})",
    "too_long": "terlalu banyak (maksimal {max_length})",
    "date_from_datetime_parsing": "tanggal tidak sah (YYYY-MM-DD)",
    "date_parsing": "tanggal tidak sah (YYYY-MM-DD)",
    "datetime_parsing": "waktu tidak sah",
    "json_invalid": "isi permintaan bukan JSON yang sah",
    "model_attributes_type": "harus berupa objek JSON",
    "dict_type": "harus berupa objek JSON",
    "list_type": "harus berupa daftar",
}

# the domain's English "not found" reasons → Bahasa Indonesia
_NOT_FOUND: Mapping[str, str] = {
    "ticket not found": "tiket tidak ditemukan",
    "site not found": "lokasi MPP tidak ditemukan",
    "kiosk not found at this site": "kios tidak terdaftar di lokasi ini",
    "counter not found at this site": "loket tidak ada di lokasi ini",
    "complaint not found": "pengaduan tidak ditemukan",
    "verification not found": "verifikasi tidak ditemukan",
    "appointment not found": "janji temu tidak ditemukan",
    "appointment not found at this site": "janji temu tidak ada di lokasi ini",
}


_MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip

_SERVICE_NOT_FOUND = re.compile(r"service (.+) not found at this site")


def long_date(day: date) -> str:
    """2026-12-02 → "2 Desember 2026"."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def no_ticket_on(number: str, day: date, today: bool) -> str:
    """The ledger's refusal of a number that day ("today" when the day was not asked)."""
    if today:
        return f"Tiket {number} tidak ada hari ini ({long_date(day)})"
    return f"Tiket {number} tidak ada pada {long_date(day)}"


def label(field: str) -> str:
    """The Indonesian label of a request field (the raw name when it has none)."""
    return FIELD_LABELS.get(field, field)


def not_found_words(reason: str) -> str:
    """A domain "not found" reason in Bahasa Indonesia (already Indonesian ones unchanged)."""
    service = _SERVICE_NOT_FOUND.fullmatch(reason)
    if service:
        return f"layanan {service.group(1)} tidak ada di lokasi ini"
    return _NOT_FOUND.get(reason, reason)


def _field_of(loc: Sequence[Any]) -> str | None:
    names = [str(p) for p in loc if not isinstance(p, int)]
    if len(names) > 1 and names[0] in {"body", "query", "path", "header", "cookie"}:
        return names[-1]
    return None


def _reason(error: Mapping[str, Any]) -> str:
    template = _REASONS.get(str(error.get("type", "")))
    if template is None:
        return str(error.get("msg", "")).removeprefix("Value error, ")
    ctx = dict(error.get("ctx") or {})
    if "expected" in ctx:
        ctx["expected"] = str(ctx["expected"]).replace("'", "").replace(" or ", ", ")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split(" (")[0].split(" {")[0]


def refusal_entry(error: Mapping[str, Any]) -> dict[str, Any]:
    """One 422 entry in Bahasa Indonesia: `{loc, msg, type, field?, label?}`."""
    loc = list(error.get("loc", []))
    entry: dict[str, Any] = {"loc": loc, "msg": _reason(error), "type": error.get("type")}
    if "input" in error:
        entry["input"] = jsonable_encoder(error["input"])
    field = _field_of(loc)
    if field is not None:
        entry["field"] = field
        entry["label"] = label(field)
        entry["msg"] = f"{entry['label']}: {entry['msg']}"
    return entry
