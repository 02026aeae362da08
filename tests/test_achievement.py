"""Achievement rate and grade, direction-aware (docs/master-format.md#rates-and-grades)."""

from __future__ import annotations

import pytest

from kpi_report.core.achievement import achievement_rate, format_rate, grade
from kpi_report.core.model import GradeThresholds, Kpi


def kpi(direction: str, baseline: float | None, target: float | None) -> Kpi:
    return Kpi("K1", "G", "A", "指標", "人", baseline, "", None, target, "", 2019, direction, "", "課")


def test_decrease_uses_the_same_formula() -> None:
    # waiting children 45 → target 20, actual 30 → 60%
    assert achievement_rate(kpi("減少", 45, 20), 30) == pytest.approx(0.6)


def test_increase() -> None:
    assert achievement_rate(kpi("増加", 100, 200), 150) == pytest.approx(0.5)


def test_keep_at_least_the_baseline() -> None:
    assert achievement_rate(kpi("維持", 80, 80), 81) == 1.0
    assert achievement_rate(kpi("維持", 80, 80), 40) == pytest.approx(0.5)


def test_no_baseline() -> None:
    assert achievement_rate(kpi("増加", None, 200), 150) == pytest.approx(0.75)
    assert achievement_rate(kpi("減少", None, 20), 40) == pytest.approx(0.5)


@pytest.mark.parametrize(("baseline", "target", "actual"), [(50, 50, 60), (10, 20, None), (None, 0, 5)])
def test_no_rate_instead_of_a_crash(
    baseline: float | None, target: float | None, actual: float | None
) -> None:
    rate = achievement_rate(kpi("増加", baseline, target), actual)
    assert rate is None
    assert format_rate(rate) == "－"
    assert grade(rate, GradeThresholds()) == ""


@pytest.mark.parametrize(
    ("rate", "expected"), [(1.2, "A"), (1.0, "A"), (0.5, "B"), (0.01, "C"), (0.0, "D"), (-0.3, "D")]
)
def test_grades_by_default_thresholds(rate: float, expected: str) -> None:
    assert grade(rate, GradeThresholds()) == expected
