"""The SMS texts citizens read: Indonesian, complete, one segment where possible."""

from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notifier import messages

TICKET = UUID("3f2b8c1e-1234-4321-abcd-0123456789ab")
BASE = "http://127.0.0.1:8001"
SITE = "MPP Kabupaten Balangan"


def test_issued_says_number_service_people_ahead_wait_and_link() -> None:
    text = messages.issued_text(
        site_name=SITE,
        ticket_number="A-012",
        service_name="Perekaman KTP-el",
        waiting_ahead=4,
        estimated_wait_s=900,
        link=messages.tracking_url(BASE, TICKET),
    )
    assert text == (
        "MPP Kab. Balangan: Antrean A-012 (Perekaman KTP-el). 4 orang di depan Anda, "
        f"perkiraan 15 menit. Cek: {BASE}/t/{TICKET}"
    )


def test_issued_with_nobody_ahead_and_no_estimate() -> None:
    text = messages.issued_text(
        site_name=SITE,
        ticket_number="B-001",
        service_name="Paspor",
        waiting_ahead=0,
        estimated_wait_s=None,
        link=messages.tracking_url(BASE + "/", TICKET),
    )
    assert "Tidak ada antrean di depan Anda." in text
    assert "perkiraan" not in text
    assert f"{BASE}/t/{TICKET}" in text


@pytest.mark.parametrize(
    ("seconds", "phrase"),
    [
        (None, ""),
        (0, ", perkiraan 1 menit"),
        (61, ", perkiraan 2 menit"),
        (7200, ", perkiraan 2 jam 0 menit"),
    ],
)
def test_wait_phrase_rounds_up(seconds: int | None, phrase: str) -> None:
    assert messages.wait_phrase(seconds) == phrase


def test_near_turn() -> None:
    assert messages.near_turn_text(site_name=SITE, ticket_number="A-012", waiting_ahead=2) == (
        "MPP Kab. Balangan: Giliran Anda segera tiba: A-012, 2 orang lagi. "
        "Mohon bersiap di dekat loket."
    )
    assert "Anda berikutnya" in messages.near_turn_text(
        site_name=SITE, ticket_number="A-012", waiting_ahead=0
    )


def test_called_and_recall() -> None:
    first = messages.called_text(
        site_name=SITE, ticket_number="A-012", counter_name="Loket 3", call_count=1
    )
    assert first == "MPP Kab. Balangan: Nomor A-012 dipanggil ke Loket 3. Silakan menuju loket."
    again = messages.called_text(
        site_name=SITE, ticket_number="A-012", counter_name="Loket 3", call_count=2
    )
    assert again.startswith("MPP Kab. Balangan: Panggilan ulang. Nomor A-012 dipanggil ke Loket 3")


def test_survey_links_to_the_ticket_survey() -> None:
    text = messages.survey_text(
        site_name=SITE,
        service_name="Perekaman KTP-el",
        link=messages.survey_url(BASE, TICKET),
    )
    assert text.startswith("MPP Kab. Balangan: Terima kasih")
    assert text.endswith(f"Mohon nilai layanan kami: {BASE}/survey/{TICKET}")
    assert len(text) <= messages.SMS_SEGMENT


def test_long_names_are_shortened_only_when_that_makes_one_segment() -> None:
    long_service = "Pelayanan Perizinan Berusaha Terintegrasi Secara Elektronik"
    text = messages.called_text(
        site_name="Mal Pelayanan Publik Kabupaten Hulu Sungai Utara Provinsi Kalimantan Selatan",
        ticket_number="C-123",
        counter_name="Loket 12",
        call_count=1,
    )
    assert "C-123" in text
    assert "Loket 12" in text
    assert len(text) <= messages.SMS_SEGMENT
    survey = messages.survey_text(
        site_name=SITE, service_name=long_service, link=messages.survey_url(BASE, TICKET)
    )
    assert len(survey) <= messages.SMS_SEGMENT
    assert survey.endswith(f"/survey/{TICKET}")  # the link is never cut


@given(
    service=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=120),
    ahead=st.integers(min_value=0, max_value=999),
    wait=st.none() | st.integers(min_value=0, max_value=10**6),
)
def test_issued_always_keeps_number_and_link(service: str, ahead: int, wait: int | None) -> None:
    link = messages.tracking_url(BASE, TICKET)
    text = messages.issued_text(
        site_name=SITE,
        ticket_number="A-012",
        service_name=service,
        waiting_ahead=ahead,
        estimated_wait_s=wait,
        link=link,
    )
    assert "A-012" in text
    assert text.endswith(link)


def test_issued_sms_says_when_the_quota_is_forecast_to_run_out() -> None:
    text = messages.issued_text(
        site_name="MPP Kabupaten Tabanan",
        ticket_number="A-012",
        service_name="KTP-el",
        waiting_ahead=12,
        estimated_wait_s=2400,
        link="http://mpp.example/t/x",
        quota_runs_out_at="10.40",
    )
    assert "Kuota diperkirakan habis pukul 10.40" in text
    plain = messages.issued_text(
        site_name="MPP Kabupaten Tabanan",
        ticket_number="A-012",
        service_name="KTP-el",
        waiting_ahead=12,
        estimated_wait_s=2400,
        link="http://mpp.example/t/x",
    )
    assert "Kuota" not in plain


def test_verification_code_sms_warns_against_sharing_it() -> None:
    text = messages.verification_text(
        site_name="MPP Kabupaten Tabanan", code="042917", valid_minutes=5
    )
    assert "042917" in text and "JANGAN" in text and len(text) <= messages.SMS_SEGMENT


def test_a_shortened_service_name_is_cut_at_a_word_boundary() -> None:
    service = "Pencetakan Kartu Identitas Anak dan Perekaman Data Kependudukan Terpadu"
    text = messages.survey_text(
        site_name=SITE,
        service_name=service,
        link=messages.survey_url(BASE, TICKET),
    )
    assert len(text) <= messages.SMS_SEGMENT and text.isascii()
    shown = text.split("(", 1)[1].split(")", 1)[0]
    assert shown.endswith("...") and shown != service
    kept = shown.removesuffix("...")
    assert service.startswith(kept + " ")  # cut where a word ends, never inside one
