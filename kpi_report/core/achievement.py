"""Achievement rate (達成率) and grade (評価) of a KPI, direction-aware (docs/master-format.md#rates-and-grades).

Every rule is here and table-tested in tests/test_achievement.py:

- 増加 and 減少: ``(actual − baseline) / (target − baseline)``; without a baseline, actual / target (増加) or
  target / actual (減少); target equal to baseline, a missing actual or value: no rate (－).
- 維持: 100 % when the actual is at or beyond the baseline, or below it by at most the tolerance
  (設定 維持の許容幅, default 0 %); else actual / baseline. Baseline equal to target is fine: no division by
  their difference.
- 経過按分 (設定 評価方式, or per KPI): the grade is judged on ``rate / expected``, where expected is the share
  of the baseline-to-target years elapsed by the report year (after 2 of 5 years, 40 % of the way is on track).
- A KPI the department says cannot be evaluated this year (評価不能の理由) gets no rate and the grade
  評価不能 with its reason — never a D, never blank.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpi_report.core.model import NOT_EVALUABLE, EvaluationMethod, GradeScheme, GradeThresholds, Kpi
from kpi_report.core.values import in_range

_EPSILON = 1e-9


def achievement_rate(kpi: Kpi, actual: float | None, tolerance: float = 0.0) -> float | None:
    """The rate for ``actual`` (1.0 = 100%), or None when it cannot be computed (shown as －) or is out of
    range (a target a hair above the baseline gives a rate no table or chart can show)."""
    rate = _rate(kpi, actual, tolerance)
    return rate if rate is None or in_range(rate) else None


def _rate(kpi: Kpi, actual: float | None, tolerance: float) -> float | None:
    base, target = kpi.baseline, kpi.target
    if actual is None:
        return None
    if kpi.direction == "維持":
        reference = base if base is not None else target
        if reference is None:
            return None
        if actual >= reference - abs(reference) * tolerance - _EPSILON:
            return 1.0
        return actual / reference if reference > 0 else None
    if target is None:
        return None
    if base is None:
        if kpi.direction == "増加":
            return actual / target if target != 0 else None
        return target / actual if actual != 0 else None
    if target == base:
        return None
    return (actual - base) / (target - base)


def grade_label(rate: float | None, scheme: GradeScheme) -> str:
    """The scheme's label for ``rate``; '' when there is no rate."""
    if rate is None:
        return ""
    for band in scheme.bands:
        if band.threshold is None:
            return band.label
        if band.threshold > 0 and rate >= band.threshold - _EPSILON:
            return band.label
        if band.threshold <= 0 and rate > band.threshold:
            return band.label
    return scheme.bands[-1].label


def grade(rate: float | None, thresholds: GradeThresholds) -> str:
    """評価 A/B/C/D from the rate; '' when there is no rate."""
    return grade_label(rate, GradeScheme.from_thresholds(thresholds))


def expected_share(kpi: Kpi, fy: int, plan_start: int | None = None) -> float | None:
    """経過按分: the share of the way from baseline to target expected by ``fy`` (0 < share ≤ 1), None if unknown.

    The years run from the baseline year (else the year before the plan starts) to the target year.
    """
    start = kpi.baseline_fy if kpi.baseline_fy is not None else (plan_start - 1 if plan_start else None)
    if start is None or kpi.target_fy is None or kpi.target_fy <= start:
        return None
    share = (fy - start) / (kpi.target_fy - start)
    return min(share, 1.0) if share > 0 else None


@dataclass(frozen=True)
class KpiGrade:
    """A KPI's result for one year: its rate, the rate the grade is judged on, and the grade."""

    rate: float | None
    judged_rate: float | None
    expected: float | None
    grade: str  # a label of the scheme, NOT_EVALUABLE, or "" (no rate)
    not_evaluable: str = ""  # the reason, when not evaluable


def evaluate_kpi(
    kpi: Kpi,
    actual: float | None,
    fy: int,
    scheme: GradeScheme,
    method: EvaluationMethod = "目標比",
    not_evaluable: str = "",
    tolerance: float = 0.0,
    plan_start: int | None = None,
) -> KpiGrade:
    """The rate and grade of ``kpi`` for ``fy`` under the plan's scheme and method (the KPI's own method first)."""
    if not_evaluable:
        return KpiGrade(None, None, None, NOT_EVALUABLE, not_evaluable)
    rate = achievement_rate(kpi, actual, tolerance)
    judged, expected = rate, None
    if (kpi.method or method) == "経過按分" and rate is not None and kpi.direction != "維持":
        expected = expected_share(kpi, fy, plan_start)
        if expected is not None:
            judged = rate / expected
    return KpiGrade(rate, judged, expected, grade_label(judged, scheme))


def format_rate(rate: float | None) -> str:
    """'60.0%', or '－' when there is no rate."""
    return "－" if rate is None else f"{rate * 100:.1f}%"
