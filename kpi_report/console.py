"""Plain-text summaries of a plan and of findings, for the console."""

from __future__ import annotations

from collections.abc import Iterable

from kpi_report.core.fiscal import fy_label
from kpi_report.core.model import Finding, Plan


def plan_summary(plan: Plan) -> str:
    """The plan's summary: counts, then goals with their areas, then departments."""
    s = plan.settings
    period = ""
    if s.start_fy and s.end_fy:
        period = f"（{fy_label(s.start_fy, s.reiwa_for_2019)}〜{fy_label(s.end_fy, s.reiwa_for_2019)}）"
    areas = sum(len(g.areas) for g in plan.goals)
    goal_level = sum(1 for k in plan.kpis if not k.area)
    lines = [
        f"{s.city + ' ' if s.city else ''}{s.plan_name}{period}",
        f"基本目標 {len(plan.goals)} / 施策 {areas} / 取組 {len(plan.measures)} / "
        f"KPI {len(plan.kpis) - goal_level} / 数値目標 {goal_level} / 所管課 {len(plan.departments)}",
        "",
    ]
    for goal in plan.goals:
        indicators = sum(1 for k in plan.kpis if k.goal == goal.title and not k.area)
        lines.append(f"{goal.title}  （数値目標 {indicators}）")
        for area in goal.areas:
            kpis = sum(1 for k in plan.kpis if k.goal == goal.title and k.area == area.title)
            lines.append(f"  {area.title}  （取組 {len(area.measures)} / KPI {kpis}）")
    lines.append("")
    lines.append("所管課: " + "、".join(plan.departments))
    return "\n".join(lines)


def findings_text(findings: Iterable[Finding]) -> str:
    """One line per finding: severity, place, message."""
    marks = {"error": "エラー", "warning": "警告", "info": "情報"}
    lines = []
    for f in findings:
        place = " ".join(p for p in (f.file, f"『{f.sheet}』" if f.sheet else "", f.cell) if p)
        lines.append(f"[{marks[f.severity]}] {place}: {f.message} ({f.code})")
    return "\n".join(lines)
