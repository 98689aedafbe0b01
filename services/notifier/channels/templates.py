"""The WhatsApp message templates the system starts conversations with (language `id`).

Meta sends only approved templates outside a citizen's 24-hour window, so every message the
system starts is one of these; docs/whatsapp-templates.md lists them for the MPP to submit
(names, category, text, parameters). `TEXTS` is the approved body with its {{n}} parameters,
here so a test can check that each call fills exactly the parameters its template has.
"""

from __future__ import annotations

import re

from services.notifier.channels import Template
from services.notifier.messages import ahead_phrase, near_phrase, short_site_name

LANGUAGE = "id"

TEXTS = {
    "antrian_diambil": (
        "{{1}}: Nomor antrean Anda {{2}} untuk layanan {{3}}. {{4}}. Pantau antrean: {{5}}"
    ),
    "antrian_hampir_tiba": (
        "{{1}}: Giliran Anda segera tiba. Nomor {{2}}, {{3}}. Mohon bersiap di dekat loket."
    ),
    "antrian_dipanggil": "{{1}}: Nomor {{2}} dipanggil ke {{3}}. Silakan menuju loket.",
    "antrian_dipanggil_ulang": (
        "{{1}}: Panggilan ulang. Nomor {{2}} dipanggil ke {{3}}. Silakan segera menuju loket."
    ),
    "survei_layanan": (
        "{{1}}: Terima kasih telah dilayani ({{2}}). Mohon nilai layanan kami: {{3}}"
    ),
    "janji_temu_dipesan": (
        "{{1}}: Janji temu {{2}} pada {{3}}. Kode {{4}}. Lapor hadir di anjungan pukul {{5}}. "
        "Batal atau lihat janji temu: {{6}}"
    ),
    # AUTHENTICATION category: Meta fixes the body ("{{1}} adalah kode verifikasi Anda.
    # Demi keamanan, jangan bagikan kode ini.") and adds the copy-code button.
    "kode_verifikasi": "{{1}} adalah kode verifikasi Anda. Demi keamanan, jangan bagikan kode ini.",
}

AUTHENTICATION = frozenset({"kode_verifikasi"})

_PARAM = re.compile(r"\{\{(\d+)\}\}")
_BLANKS = re.compile(r"\s+")


def parameter_count(name: str) -> int:
    return len(set(_PARAM.findall(TEXTS[name])))


def render(template: Template) -> str:
    """The template's text as the citizen reads it (for tests and the docs)."""
    return _PARAM.sub(lambda m: template.values[int(m.group(1)) - 1], TEXTS[template.name])


def _param(value: str) -> str:
    """Meta refuses parameters with newlines, tabs or more than 4 spaces in a row."""
    return _BLANKS.sub(" ", value).strip() or "-"


def _template(name: str, *values: str, copy_code: str | None = None) -> Template:
    return Template(name, tuple(_param(v) for v in values), copy_code)


def issued(
    *,
    site_name: str,
    ticket_number: str,
    service_name: str,
    waiting_ahead: int,
    estimated_wait_s: int | None,
    link: str,
    quota_runs_out_at: str | None = None,
) -> Template:
    ahead = ahead_phrase(waiting_ahead, estimated_wait_s, quota_runs_out_at)
    return _template(
        "antrian_diambil", short_site_name(site_name), ticket_number, service_name, ahead, link
    )


def near_turn(*, site_name: str, ticket_number: str, waiting_ahead: int) -> Template:
    return _template(
        "antrian_hampir_tiba", short_site_name(site_name), ticket_number, near_phrase(waiting_ahead)
    )


def called(*, site_name: str, ticket_number: str, counter_name: str, call_count: int) -> Template:
    name = "antrian_dipanggil_ulang" if call_count > 1 else "antrian_dipanggil"
    return _template(name, short_site_name(site_name), ticket_number, counter_name)


def survey(*, site_name: str, service_name: str, link: str) -> Template:
    return _template("survei_layanan", short_site_name(site_name), service_name, link)


def appointment(
    *, site_name: str, service_name: str, when: str, code: str, window: str, link: str
) -> Template:
    return _template(
        "janji_temu_dipesan", short_site_name(site_name), service_name, when, code, window, link
    )


def verification(*, code: str) -> Template:
    return _template("kode_verifikasi", code, copy_code=code)
