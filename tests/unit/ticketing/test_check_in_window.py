"""The one check-in rule the kiosk enforces and the booking page shows: from 30 minutes
before the slot until the slot ends, on the site's own clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.ticketing.domain.booking import check_in_refusal, check_in_window

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 12, 3, 9, 0, tzinfo=WITA)
END = START + timedelta(minutes=30)


def test_the_window_opens_30_minutes_early_and_closes_with_the_slot() -> None:
    opens, closes = check_in_window(START, END)
    assert (opens, closes) == (datetime(2026, 12, 3, 8, 30, tzinfo=WITA), END)


def test_the_kiosk_refuses_exactly_outside_that_window() -> None:
    opens, closes = check_in_window(START, END)
    minute = timedelta(minutes=1)
    assert check_in_refusal(START, END, opens - minute, WITA) == "Lapor hadir dibuka pukul 08.30"
    assert check_in_refusal(START, END, opens, WITA) is None
    assert check_in_refusal(START, END, closes, WITA) is None
    refused = check_in_refusal(START, END, closes + minute, WITA)
    assert refused is not None and "sudah lewat" in refused
