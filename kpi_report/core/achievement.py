"""Achievement rate (達成率) and grade (評価) of a KPI, direction-aware (docs/master-format.md#rates-and-grades)."""

from __future__ import annotations

from kpi_report.core.model import GradeThresholds, Kpi


def achievement_rate(kpi: Kpi, actual: float | None) -> float | None:
    """The rate for ``actual`` (1.0 = 100%), or None when it cannot be computed (shown as －)."""
    base, target = kpi.baseline, kpi.target
    if actual is None:
        return None
    if kpi.direction == "維持":
        reference = base if base is not None else target
        if reference is None:
            return None
        if actual >= reference:
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


def grade(rate: float | None, thresholds: GradeThresholds) -> str:
    """評価 A/B/C/D from the rate; '' when there is no rate."""
    if rate is None:
        return ""
    if rate >= thresholds.a - 1e-9:
        return "A"
    if rate >= thresholds.b - 1e-9:
        return "B"
    if rate > thresholds.c:
        return "C"
    return "D"


def format_rate(rate: float | None) -> str:
    """'60.0%', or '－' when there is no rate."""
    return "－" if rate is None else f"{rate * 100:.1f}%"
