"""The `appointment` SMS of a booked slot: the day, time and check-in window on the site's
own clock (WIB / WITA / WIT) at fixed instants, near local midnight too; the code and the
holder's link whole; one segment where the names allow; never in the message history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.notifier import messages
from services.notifier.appointments import appointment_sms, appointment_template
from services.notifier.channels import templates
from services.ticketing.domain.booking import check_in_window
from shared import links
from shared.events import AppointmentBooked, UnprocessableMessage, parse_appointment

CODE = "7KQ2M4AB"
LINK = links.appointment_link("http://127.0.0.1:8001", "balangan", CODE)


def booked(
    slot_start_utc: datetime,
    timezone: str,
    service_name: str = "KTP-el",
    minutes: int = 30,
    site_name: str = "MPP Kabupaten Balangan",
) -> AppointmentBooked:
    """The event ticketing records, its window from the one domain rule."""
    slot_end = slot_start_utc + timedelta(minutes=minutes)
    opens, closes = check_in_window(slot_start_utc, slot_end)
    return AppointmentBooked(
        event_id=UUID(int=1),
        occurred_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        site_id="balangan",
        site_name=site_name,
        timezone=timezone,
        appointment_id=UUID(int=2),
        code=CODE,
        service_id="ktp-el",
        service_name=service_name,
        slot_start=slot_start_utc,
        slot_end=slot_end,
        check_in_from=opens,
        check_in_until=closes,
        phone="+6281234567890",
        link=LINK,
    )


def test_the_link_carries_the_code_in_its_fragment_on_the_public_base_url() -> None:
    assert LINK == "http://127.0.0.1:8001/booking/balangan#7KQ2M4AB"
    assert links.appointment_link("https://mpp.example/", "uji", CODE).startswith(
        "https://mpp.example/booking/uji#"
    )


@pytest.mark.parametrize(
    ("slot_start_utc", "timezone", "expected"),
    [
        # Thursday 3 Dec 2026, 09.00 on the lobby's clock, in each of Indonesia's zones
        (
            datetime(2026, 12, 3, 2, 0, tzinfo=UTC),
            "Asia/Jakarta",
            "MPP Kab. Balangan: janji temu KTP-el Kamis 3 Des 09.00 WIB, kode 7KQ2-M4AB. "
            f"Lapor hadir 08.30-09.30. Batal: {LINK}",
        ),
        (
            datetime(2026, 12, 3, 1, 0, tzinfo=UTC),
            "Asia/Makassar",
            "MPP Kab. Balangan: janji temu KTP-el Kamis 3 Des 09.00 WITA, kode 7KQ2-M4AB. "
            f"Lapor hadir 08.30-09.30. Batal: {LINK}",
        ),
        (
            datetime(2026, 12, 3, 0, 0, tzinfo=UTC),
            "Asia/Jayapura",
            "MPP Kab. Balangan: janji temu KTP-el Kamis 3 Des 09.00 WIT, kode 7KQ2-M4AB. "
            f"Lapor hadir 08.30-09.30. Batal: {LINK}",
        ),
    ],
)
def test_the_sms_says_the_slot_and_window_on_the_sites_clock(
    slot_start_utc: datetime, timezone: str, expected: str
) -> None:
    text = appointment_sms(booked(slot_start_utc, timezone))
    assert text == expected
    assert len(text) <= messages.SMS_SEGMENT
    assert text.isascii()  # GSM-7: no en dash, no ellipsis


def test_a_slot_at_23_30_local_is_that_day_not_the_utc_one() -> None:
    # 23.30 WITA on Thursday is 15.30 UTC the same day; 23.30 WIT is 14.30 UTC
    wita = appointment_sms(booked(datetime(2026, 12, 3, 15, 30, tzinfo=UTC), "Asia/Makassar"))
    assert "Kamis 3 Des 23.30 WITA" in wita
    assert "Lapor hadir 23.00-00.00." in wita  # until the slot's end, local midnight
    wib = appointment_sms(booked(datetime(2026, 12, 3, 16, 30, tzinfo=UTC), "Asia/Jakarta"))
    assert "Kamis 3 Des 23.30 WIB" in wib and "Lapor hadir 23.00-00.00." in wib


def test_a_slot_at_00_30_local_is_the_next_day_though_utc_is_still_the_day_before() -> None:
    # 00.30 WIT on Friday 4 Dec is 15.30 UTC on Thursday 3 Dec
    text = appointment_sms(booked(datetime(2026, 12, 3, 15, 30, tzinfo=UTC), "Asia/Jayapura"))
    assert "Jumat 4 Des 00.30 WIT" in text
    assert "Lapor hadir 00.00-01.00." in text


def test_a_window_opening_the_evening_before_names_that_day() -> None:
    # a 00.15 WIB slot on Friday: the kiosk takes the check-in from 23.45 on Thursday
    text = appointment_sms(booked(datetime(2026, 12, 3, 17, 15, tzinfo=UTC), "Asia/Jakarta"))
    assert "Jumat 4 Des 00.15 WIB" in text
    assert "Lapor hadir Kamis 23.45-00.45." in text


def test_a_long_service_name_is_left_out_before_the_code_window_or_link_are_cut() -> None:
    event = booked(
        datetime(2026, 12, 3, 1, 0, tzinfo=UTC),
        "Asia/Makassar",
        service_name="Pendaftaran dan Perubahan Data JKN-KIS",
    )
    assert appointment_sms(event) == (
        "MPP Kab. Balangan: janji temu Kamis 3 Des 09.00 WITA, kode 7KQ2-M4AB. "
        f"Lapor hadir 08.30-09.30. Batal: {LINK}"
    )


def test_a_text_that_cannot_fit_one_segment_goes_whole_in_two() -> None:
    long_link = "https://antrian-mpp.pemerintah-kabupaten-contoh.go.id/booking/balangan#7KQ2M4AB"
    event = booked(datetime(2026, 12, 3, 1, 0, tzinfo=UTC), "Asia/Makassar").model_copy(
        update={"link": long_link}
    )
    text = appointment_sms(event)
    assert len(text) > messages.SMS_SEGMENT
    assert text == (
        "MPP Kab. Balangan: janji temu KTP-el Kamis 3 Des 09.00 WITA, kode 7KQ2-M4AB. "
        f"Lapor hadir 08.30-09.30. Batal: {long_link}"
    )


def test_the_whatsapp_template_fills_its_parameters_with_the_same_facts() -> None:
    template = appointment_template(
        booked(datetime(2026, 12, 3, 0, 0, tzinfo=UTC), "Asia/Jayapura")
    )
    assert len(template.values) == templates.parameter_count(template.name)
    assert templates.render(template) == (
        "MPP Kab. Balangan: Janji temu KTP-el pada Kamis 3 Des 09.00 WIT. Kode 7KQ2-M4AB. "
        "Lapor hadir di anjungan pukul 08.30-09.30. Batal atau lihat janji temu: "
        f"{LINK}"
    )


def test_the_history_never_shows_the_appointment_code() -> None:
    text = appointment_sms(booked(datetime(2026, 12, 3, 1, 0, tzinfo=UTC), "Asia/Makassar"))
    assert "7KQ2" not in messages.history_text("appointment", text)
    echo = f"gateway answered 400: rejected {text!r}"
    assert messages.history_error("appointment", echo) == "gateway answered 400"


def test_the_event_round_trips_and_a_bad_one_is_refused_with_a_reason() -> None:
    event = booked(datetime(2026, 12, 3, 1, 0, tzinfo=UTC), "Asia/Makassar")
    raw = event.to_json()
    assert b'"slot_start":"2026-12-03T01:00:00Z"' in raw
    assert b'"check_in_from":"2026-12-03T00:30:00Z"' in raw
    assert parse_appointment(raw) == event
    with pytest.raises(UnprocessableMessage, match="invalid appointment-booked: code"):
        parse_appointment(raw.replace(CODE.encode(), b"no code!"))
    with pytest.raises(UnprocessableMessage, match="invalid appointment-booked: phone"):
        parse_appointment(raw.replace(b"+6281234567890", b"081234567890"))
