"""Retry backoff bounds, and phone numbers never in full in log lines."""

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notifier.providers import LogProvider, Sms, sms_log_line
from services.notifier.sender import backoff_s, loggable_error, scrub_phones


@given(attempt=st.integers(min_value=1, max_value=50), rand=st.floats(0, 1, exclude_max=True))
def test_backoff_stays_within_half_to_full_ceiling(attempt: int, rand: float) -> None:
    delay = backoff_s(attempt, 1.0, 60.0, rand)
    ceiling = min(60.0, 2.0 ** (attempt - 1))
    assert ceiling / 2 <= delay <= ceiling
    assert 0.5 <= delay <= 60.0


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_s(n, 1.0, 60.0, 0.999999) for n in range(1, 9)] == pytest.approx(
        [1, 2, 4, 8, 16, 32, 60, 60], rel=1e-5
    )


def test_log_line_masks_the_phone() -> None:
    line = sms_log_line(Sms(to="+6281234567890", text="Halo", event_id="e", kind="issued"))
    assert line == "SMS to +62812*****890 [issued] Halo"
    assert "+6281234567890" not in line


async def test_log_provider_never_prints_the_full_phone(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    await LogProvider().send(
        Sms(to="+6281234567890", text="Nomor A-001", event_id="e", kind="called")
    )
    assert "SMS to +62812*****890 [called] Nomor A-001" in caplog.text
    assert "6281234567890" not in caplog.text


def test_gateway_errors_are_scrubbed_of_phones() -> None:
    error = scrub_phones("invalid recipient +6281234567890 (6281234567890)")
    assert "6281234567890" not in error
    assert "+62812*****890" in error


def test_a_gateway_echoing_a_code_sms_logs_only_its_status() -> None:
    echo = "gateway answered 400: bad text 'MPP Uji: janji temu KK, kode 7KQ2-M4AB' +6281234567890"
    assert loggable_error("appointment", echo) == "gateway answered 400"
    assert loggable_error("verification", echo) == "gateway answered 400"
    kept = loggable_error("issued", echo)
    assert "7KQ2-M4AB" in kept and "6281234567890" not in kept
