"""IKM arithmetic of PermenPANRB 14/2017 against a worked example and the category bounds."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from services.ticketing.domain import ikm

# Four respondents, elements U1…U9:
RESPONSES = [
    [4, 3, 3, 4, 3, 3, 4, 3, 3],
    [3, 3, 2, 4, 3, 4, 4, 3, 3],
    [4, 4, 3, 4, 3, 3, 3, 2, 3],
    [3, 2, 3, 4, 3, 4, 4, 3, 2],
]


def test_worked_example() -> None:
    """By hand, the mean of each element (NRR) over the four respondents:

        U1 (4+3+4+3)/4 = 14/4 = 3.50     U6 (3+4+3+4)/4 = 14/4 = 3.50
        U2 (3+3+4+2)/4 = 12/4 = 3.00     U7 (4+4+3+4)/4 = 15/4 = 3.75
        U3 (3+2+3+3)/4 = 11/4 = 2.75     U8 (3+3+2+3)/4 = 11/4 = 2.75
        U4 (4+4+4+4)/4 = 16/4 = 4.00     U9 (3+3+3+2)/4 = 11/4 = 2.75
        U5 (3+3+3+3)/4 = 12/4 = 3.00

    Σ NRR = 3.50 + 3.00 + 2.75 + 4.00 + 3.00 + 3.50 + 3.75 + 2.75 + 2.75 = 29.00
    Σ NRR × 1/9 = 29/9 = 3.2222…
    IKM = 3.2222… × 25 = 725/9 = 80.555… → 80.56, between 76.61 and 88.30: B (Baik).
    """
    result = ikm.from_answers(RESPONSES)
    assert result.respondents == 4
    assert result.element_means == tuple(
        Decimal(v) for v in ("3.50", "3.00", "2.75", "4.00", "3.00", "3.50", "3.75", "2.75", "2.75")
    )
    assert ikm.ikm_from_means([Fraction(s, 4) for s in (14, 12, 11, 16, 12, 14, 15, 11, 11)]) == (
        Fraction(725, 9)
    )
    assert result.ikm == Decimal("80.56")
    assert (result.category, result.quality) == ("B", "Baik")
    assert result.as_json()["ikm"] == 80.56
    elements = result.as_json()["elements"]
    assert isinstance(elements, list)
    assert elements[2] == {
        "element": 3,
        "code": "u3",
        "name": "Waktu penyelesaian",
        "mean": 2.75,
    }


def test_from_sql_style_means_gives_the_same_index() -> None:
    means = [Decimal("3.5"), 3.0, 2.75, 4, 3, 3.5, 3.75, 2.75, 2.75]
    result = ikm.from_means(4, means)  # type: ignore[arg-type]
    assert result.ikm == Decimal("80.56")


def test_from_sql_sums_is_the_index_of_the_answers() -> None:
    """What the reports and the public IKM read: count(*) and sum(u1)…sum(u9)."""
    sums = [sum(r[i] for r in RESPONSES) for i in range(9)]
    assert sums == [14, 12, 11, 16, 12, 14, 15, 11, 11]
    assert ikm.from_sums(4, sums) == ikm.from_answers(RESPONSES)
    assert ikm.from_sums(4, sums).ikm == Decimal("80.56")
    nobody = ikm.from_sums(0, [None] * 9)  # SQL's sum over no rows is NULL
    assert (nobody.respondents, nobody.ikm) == (0, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100", "A"),
        ("88.31", "A"),
        ("88.30", "B"),
        ("88.304", "B"),  # rounds to 88.30
        ("88.305", "A"),  # rounds half up to 88.31
        ("76.61", "B"),
        ("76.60", "C"),
        ("65.00", "C"),
        ("64.99", "D"),
        ("25", "D"),
    ],
)
def test_category_boundaries(value: str, expected: str) -> None:
    assert ikm.category(Decimal(value))[0] == expected


def test_every_answer_the_same_gives_the_ends_of_the_scale() -> None:
    assert ikm.from_answers([[4] * 9]).ikm == Decimal("100.00")
    assert ikm.from_answers([[4] * 9]).quality == "Sangat Baik"
    assert ikm.from_answers([[1] * 9]).ikm == Decimal("25.00")
    assert ikm.from_answers([[1] * 9]).category == "D"
    assert ikm.from_answers([[3] * 9]).ikm == Decimal("75.00")
    assert ikm.from_answers([[3] * 9]).category == "C"


def test_no_respondents_no_index() -> None:
    empty = ikm.from_answers([])
    assert (empty.respondents, empty.ikm, empty.category) == (0, None, None)
    assert empty.as_json()["ikm"] is None


@pytest.mark.parametrize(
    "answers", [[4] * 8, [4] * 10, [0, 4, 4, 4, 4, 4, 4, 4, 4], [5] * 9, [True] * 9]
)
def test_invalid_answers_are_refused(answers: list[int]) -> None:
    with pytest.raises(ikm.InvalidAnswers):
        ikm.check_answers(answers)


def test_out_of_scale_index_is_refused() -> None:
    with pytest.raises(ValueError, match="between 25 and 100"):
        ikm.category(Decimal("24.99"))
