"""Numbers on Indonesian pages: decimal comma, thousands dot, as web/common/numbers.js."""

from __future__ import annotations

from services.ticketing.reports.numbers import count, decimal, percent


def test_percentages_use_the_decimal_comma() -> None:
    assert percent(1.0) == "100,0%"
    assert percent(0.925) == "92,5%"
    assert percent(0) == "0,0%"
    assert percent(None) == "–"


def test_counts_and_decimals_group_thousands_with_a_dot() -> None:
    assert count(1234567) == "1.234.567" and count(12) == "12" and count(None) == "–"
    assert decimal(83.333, 2) == "83,33"
    assert decimal(1234.5, 1) == "1.234,5"
    assert decimal(-1234.5, 1) == "-1.234,5"
    assert decimal(7, 0) == "7"
