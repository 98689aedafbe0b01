"""The SMS texts, in Bahasa Indonesia. Pure functions: no I/O, unit tested.

One SMS segment is 160 GSM-7 characters, so texts stay ASCII and, when a long
service or site name would push them over, the name is shortened rather than the
number, counter or link the citizen needs.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from shared import links, local_time

SMS_SEGMENT = 160

_SITE_ABBREVIATIONS = (
    ("Mal Pelayanan Publik", "MPP"),
    ("Kabupaten", "Kab."),
    ("Provinsi", "Prov."),
)


def short_site_name(site_name: str) -> str:
    """'Mal Pelayanan Publik Kabupaten Balangan' → 'MPP Kab. Balangan'."""
    name = site_name.strip()
    for long, short in _SITE_ABBREVIATIONS:
        name = name.replace(long, short)
    return name


def tracking_url(base_url: str, ticket_id: UUID | str) -> str:
    return links.tracking_link(base_url, ticket_id)


def survey_url(base_url: str, ticket_id: UUID | str, secret: str | None = None) -> str:
    """The survey link; signed and expiring (shared.links) when the secret is known."""
    if secret:
        return links.survey_link(ticket_id, base_url, secret)
    return f"{base_url.rstrip('/')}/survey/{ticket_id}"


def _shorten(name: str, overflow: int, floor: int) -> str:
    """Drop `overflow` characters from the end of `name`, keeping at least `floor`, cutting at
    a word boundary and marking the cut with "..." (GSM-7: no "…", which would turn the whole
    SMS into 70-character UCS-2 segments). A name with no word boundary within reach stays
    whole: "Pencetaka.." says less than the full word."""
    if overflow <= 0 or len(name) <= _SHORT:
        return name
    cut = name.rfind(" ", 1, len(name) - overflow - len("...") + 1)
    kept = name[:cut].rstrip(" ,;:-(")
    if cut < 0 or len(kept) < floor:
        return name
    return kept + "..."


# the fewest characters a shortened name keeps: a site's name must still say which site
_FLOOR = {"site": 16}
_NAME_FLOOR = 8
# a name this short is never cut ("Perekaman KTP-el" stays whole)
_SHORT = 16


def _fit(template: str, shrinkable: tuple[str, ...], **values: str) -> str:
    """Fill `template`; if it overflows one segment, shorten the `shrinkable` names in order.

    Numbers, counters and links are never shortened: the citizen needs them whole.
    """
    full = template.format(**values)
    text = full
    for field in shrinkable:
        overflow = len(text) - SMS_SEGMENT
        if overflow <= 0:
            break
        values[field] = _shorten(values[field], overflow, _FLOOR.get(field, _NAME_FLOOR))
        text = template.format(**values)
    # Shortening that still leaves two segments only mangles names: send the full text.
    return text if len(text) <= SMS_SEGMENT else full


def wait_phrase(minutes_s: int | None) -> str:
    """Seconds → ', perkiraan 15 menit' (rounded up), or '' when unknown."""
    if minutes_s is None:
        return ""
    minutes = max(1, math.ceil(minutes_s / 60))
    if minutes >= 120:
        return f", perkiraan {minutes // 60} jam {minutes % 60} menit"
    return f", perkiraan {minutes} menit"


def ahead_phrase(
    waiting_ahead: int, estimated_wait_s: int | None, quota_runs_out_at: str | None = None
) -> str:
    """Who waits ahead, the estimated wait and, near the quota, when it runs out (the
    `issued` SMS and its WhatsApp template say the same)."""
    if waiting_ahead == 0:
        ahead = "Tidak ada antrean di depan Anda"
    else:
        ahead = f"{waiting_ahead} orang di depan Anda{wait_phrase(estimated_wait_s)}"
    if quota_runs_out_at:
        # so citizens know before they travel: a friend still at home reads it too
        ahead += f". Kuota diperkirakan habis pukul {quota_runs_out_at}"
    return ahead


def near_phrase(waiting_ahead: int) -> str:
    return "Anda berikutnya" if waiting_ahead == 0 else f"{waiting_ahead} orang lagi"


def issued_text(
    *,
    site_name: str,
    ticket_number: str,
    service_name: str,
    waiting_ahead: int,
    estimated_wait_s: int | None,
    link: str,
    quota_runs_out_at: str | None = None,
) -> str:
    ahead = ahead_phrase(waiting_ahead, estimated_wait_s, quota_runs_out_at)
    return _fit(
        "{site}: Antrean {number} ({service}). {ahead}. Cek: {link}",
        ("service", "site"),
        service=service_name,
        site=short_site_name(site_name),
        number=ticket_number,
        ahead=ahead,
        link=link,
    )


def near_turn_text(*, site_name: str, ticket_number: str, waiting_ahead: int) -> str:
    lagi = near_phrase(waiting_ahead)
    return _fit(
        "{site}: Giliran Anda segera tiba: {number}, {lagi}. Mohon bersiap di dekat loket.",
        ("site",),
        site=short_site_name(site_name),
        number=ticket_number,
        lagi=lagi,
    )


def called_text(*, site_name: str, ticket_number: str, counter_name: str, call_count: int) -> str:
    if call_count > 1:
        template = (
            "{site}: Panggilan ulang. Nomor {number} dipanggil ke {counter}. "
            "Silakan segera menuju loket."
        )
    else:
        template = "{site}: Nomor {number} dipanggil ke {counter}. Silakan menuju loket."
    return _fit(
        template,
        ("site",),
        site=short_site_name(site_name),
        counter=counter_name,
        number=ticket_number,
    )


def survey_text(*, site_name: str, service_name: str, link: str) -> str:
    return _fit(
        "{site}: Terima kasih telah dilayani ({service}). Mohon nilai layanan kami: {link}",
        ("service", "site"),
        service=service_name,
        site=short_site_name(site_name),
        link=link,
    )


def verification_text(*, site_name: str, code: str, valid_minutes: int) -> str:
    """The one-time code of an online booking. Never forwarded: touts (calo) ask for it."""
    text = (
        f"{short_site_name(site_name)}: Kode verifikasi antrean daring Anda {code}. "
        f"Berlaku {valid_minutes} menit. JANGAN berikan kode ini kepada siapa pun, "
        "termasuk petugas."
    )
    return text if len(text) <= SMS_SEGMENT else text[:SMS_SEGMENT]


def spaced_code(code: str) -> str:
    """'7KQ2M4AB' → '7KQ2-M4AB': easier to read off a phone and type at the kiosk (which
    drops the dash)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def appointment_text(
    *,
    site_name: str,
    service_name: str,
    code: str,
    slot_start: datetime,
    check_in_from: datetime,
    check_in_until: datetime,
    zone: ZoneInfo,
    link: str,
) -> str:
    """A booked slot: its day and time, its code, the kiosk's check-in window and the
    holder's cancel link, on the site's clock. A window opening on the day before the slot
    (a slot at 00.15) names that day. When even a shortened service name leaves two
    segments, the name goes (the holder's page shows it); the rest is never cut."""
    opens = local_time.clock(check_in_from, zone)
    if check_in_from.astimezone(zone).date() != slot_start.astimezone(zone).date():
        opens = f"{local_time.WEEKDAYS[check_in_from.astimezone(zone).weekday()]} {opens}"
    when = f"{local_time.short_day(slot_start, zone)} {local_time.clock(slot_start, zone)}"
    values = {
        "site": short_site_name(site_name),
        "service": service_name,
        "when": f"{when} {local_time.zone_label(zone, slot_start)}".rstrip(),
        "code": spaced_code(code),
        "opens": opens,
        "closes": local_time.clock(check_in_until, zone),
        "link": link,
    }
    tail = ", kode {code}. Lapor hadir {opens}-{closes}. Batal: {link}"
    text = _fit("{site}: janji temu {service} {when}" + tail, ("service", "site"), **values)
    if len(text) <= SMS_SEGMENT:
        return text
    nameless = _fit("{site}: janji temu {when}" + tail, ("site",), **values)
    return nameless if len(nameless) <= SMS_SEGMENT else text


HIDDEN_TEXTS = {
    "verification": "(kode verifikasi disembunyikan)",
    "appointment": "(kode janji temu disembunyikan)",
}
"""What staff read instead of an SMS that carries a code the citizen alone may hold (a
phone verification's one-time code, the code of a booked slot): never in any answer."""

_SURVEY_SIG = re.compile(r"([?&]sig=)[^\s&]+")


def history_text(kind: str, text: str) -> str:
    """An SMS as the message history shows it: no one-time code, and no survey signature
    (with it staff could fill in the citizen's survey of their own service)."""
    hidden = HIDDEN_TEXTS.get(kind)
    if hidden is not None:
        return hidden
    return _SURVEY_SIG.sub(r"\1(disembunyikan)", text)


def history_error(kind: str, error: str | None) -> str | None:
    """A failed attempt's error as the history shows it. A gateway may echo the SMS back in
    its error body: for a code's SMS only the part before the echo is kept ('gateway
    answered 400', 'ConnectTimeout')."""
    if error is None or kind not in HIDDEN_TEXTS:
        return error
    return error.partition(":")[0]
