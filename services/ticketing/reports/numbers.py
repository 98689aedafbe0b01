"""Numbers as Indonesian pages write them (as web/common/numbers.js does): "1.234", "83,33",
"91,5%"; "–" for no value."""

from __future__ import annotations


def count(n: int | None) -> str:
    """A count with the Indonesian thousands dot: "1.234"."""
    return "–" if n is None else f"{n:,}".replace(",", ".")


def decimal(value: float | None, digits: int) -> str:
    """A decimal with `digits` places and a decimal comma: "83,33"."""
    if value is None:
        return "–"
    whole, _, fraction = f"{value:.{digits}f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = count(abs(int(whole))) if whole.lstrip("-").isdigit() else whole
    return sign + grouped + ("," + fraction if fraction else "")


def percent(share: float | None) -> str:
    """A share (0–1) as a percentage with one decimal: "91,5%"."""
    return "–" if share is None else decimal(share * 100, 1) + "%"
