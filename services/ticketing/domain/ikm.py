"""The Indeks Kepuasan Masyarakat (IKM) of PermenPANRB 14/2017: pure arithmetic, no I/O.

A respondent answers each of the nine elements (unsur) of the survey (SKM) with 1–4
(tidak baik, kurang baik, baik, sangat baik). Per element, the mean of its answers (NRR);
the IKM is the weighted mean of the nine NRRs, each with weight 1/9, times 25 — so it lies
between 25 and 100 — and falls in a quality category A–D.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ELEMENTS: tuple[tuple[str, str], ...] = (
    ("u1", "Persyaratan"),
    ("u2", "Sistem, mekanisme dan prosedur"),
    ("u3", "Waktu penyelesaian"),
    ("u4", "Biaya/tarif"),
    ("u5", "Produk spesifikasi jenis pelayanan"),
    ("u6", "Kompetensi pelaksana"),
    ("u7", "Perilaku pelaksana"),
    ("u8", "Penanganan pengaduan, saran dan masukan"),
    ("u9", "Sarana dan prasarana"),
)
"""The nine elements (unsur) in the regulation's order: (column, name)."""

ANSWERS: dict[int, str] = {1: "Tidak baik", 2: "Kurang baik", 3: "Baik", 4: "Sangat baik"}

CATEGORIES: tuple[tuple[Decimal, str, str], ...] = (
    (Decimal("88.31"), "A", "Sangat Baik"),
    (Decimal("76.61"), "B", "Baik"),
    (Decimal("65.00"), "C", "Kurang Baik"),
    (Decimal("25.00"), "D", "Tidak Baik"),
)
"""Lower bound (inclusive, on the IKM rounded to two decimals), category, quality."""

_CENT = Decimal("0.01")


class InvalidAnswers(ValueError):
    pass


def check_answers(answers: Sequence[int]) -> None:
    """Nine answers, each 1–4; raise InvalidAnswers otherwise."""
    if len(answers) != len(ELEMENTS):
        raise InvalidAnswers(f"harus ada {len(ELEMENTS)} jawaban, diterima {len(answers)}")
    for i, a in enumerate(answers, start=1):
        if isinstance(a, bool) or not isinstance(a, int) or not 1 <= a <= 4:
            raise InvalidAnswers(f"jawaban unsur {i} harus 1, 2, 3 atau 4")


def round2(value: float | Fraction | Decimal) -> Decimal:
    """Two decimals, half up (as a clerk rounds by hand, not banker's rounding)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    elif not isinstance(value, Decimal):
        value = Decimal(repr(value))  # float or int: its shortest decimal form
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def category(ikm: float | Decimal) -> tuple[str, str]:
    """(category, quality) of an IKM value: 80.56 → ('B', 'Baik')."""
    value = round2(ikm)
    if value > 100 or value < Decimal("25.00"):
        raise ValueError(f"an IKM lies between 25 and 100, not {value}")
    for lower, cat, quality in CATEGORIES:
        if value >= lower:
            return cat, quality
    raise AssertionError("unreachable")  # pragma: no cover


Number = float | Fraction | Decimal


def ikm_from_means(means: Sequence[Number]) -> Fraction:
    """IKM = (Σ NRR_i × 1/9) × 25 over the nine element means, in exact arithmetic."""
    if len(means) != len(ELEMENTS):
        raise ValueError(f"expected {len(ELEMENTS)} element means, got {len(means)}")
    return sum((Fraction(m) for m in means), Fraction(0)) * Fraction(1, 9) * 25


@dataclass(frozen=True)
class Ikm:
    respondents: int
    element_means: tuple[Decimal, ...]  # NRR per element, two decimals
    ikm: Decimal | None  # None without respondents
    category: str | None
    quality: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "respondents": self.respondents,
            "ikm": None if self.ikm is None else float(self.ikm),
            "category": self.category,
            "quality": self.quality,
            "elements": [
                {"element": i, "code": code, "name": name, "mean": float(mean)}
                for i, ((code, name), mean) in enumerate(
                    zip(ELEMENTS, self.element_means, strict=False), start=1
                )
            ],
        }


def from_means(respondents: int, means: Sequence[Number | None]) -> Ikm:
    """The IKM of `respondents` whose element means (from SQL's avg) are `means`."""
    if respondents == 0 or any(m is None for m in means):
        return Ikm(0, (), None, None, None)
    present = [m for m in means if m is not None]
    value = round2(ikm_from_means(present))
    cat, quality = category(value)
    return Ikm(respondents, tuple(round2(m) for m in present), value, cat, quality)


def from_answers(responses: Iterable[Sequence[int]]) -> Ikm:
    """The IKM of individual responses (nine answers each), computed exactly."""
    rows = list(responses)
    for row in rows:
        check_answers(row)
    if not rows:
        return from_means(0, [None] * len(ELEMENTS))
    means = [Fraction(sum(r[i] for r in rows), len(rows)) for i in range(len(ELEMENTS))]
    return from_means(len(rows), list(means))


def from_sums(respondents: int, sums: Sequence[int | None]) -> Ikm:
    """The IKM of `respondents` whose answers to each element add up to `sums` (SQL's
    count and sum per element), computed as exact fractions."""
    if respondents == 0:
        return from_means(0, [None] * len(ELEMENTS))
    means = [Fraction(s or 0, respondents) for s in sums]
    return from_means(respondents, list(means))
