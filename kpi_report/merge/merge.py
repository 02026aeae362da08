"""Merge every fiscal year's accepted entries with the master into the report model (ProgressReport).

The joins and the summary table are pandas work; what leaves this module is plain dataclasses, so the
renderers (progress list xlsx/html, annual review pdf) only lay out a finished model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from kpi_report.core.achievement import evaluate_kpi
from kpi_report.core.errors import InputsHaveErrors
from kpi_report.core.findings import make_finding
from kpi_report.core.fiscal import fy_heading, fy_label
from kpi_report.core.model import (
    UNREPORTED,
    AreaEntry,
    AreaEvaluation,
    AreaSection,
    CheckReport,
    Finding,
    GoalSection,
    Kpi,
    KpiRow,
    Measure,
    MeasureRow,
    Plan,
    PolicyArea,
    ProgressReport,
    StatusCount,
    YearNotes,
)
from kpi_report.core.values import clean_text


@dataclass(frozen=True)
class MergeResult:
    """The report model and the findings the merge itself raised (status conflicts)."""

    report: ProgressReport
    findings: tuple[Finding, ...]


def first_year(plan: Plan, years: Any) -> int | None:
    """The plan's first fiscal year: 計画開始年度, else the earliest year given (None when there is none)."""
    if plan.settings.start_fy is not None:
        return plan.settings.start_fy
    found = sorted(years)
    return found[0] if found else None


def error_departments(report: CheckReport) -> tuple[str, ...]:
    """Departments with error findings (or a workbook with errors) in one fiscal year, sorted."""
    names = {f.department for f in report.errors if f.department}
    names.update(s.department for s in report.submissions if s.errors and s.department)
    return tuple(sorted(names))


def refuse_unless_publishable(
    plan: Plan, report: CheckReport | None, allow_errors: bool, check_dir: str = ""
) -> None:
    """The rule for publishing a year: no error remains in its submissions, unless errors are allowed.

    Raises:
        InputsHaveErrors: the report year has error findings and ``allow_errors`` is False; the message points
            at ``check_dir`` (the check outputs) when given.
    """
    if report is None or not report.errors or allow_errors:
        return
    label = fy_label(report.fy, plan.settings.reiwa_for_2019)
    if check_dir:
        raise InputsHaveErrors(
            f"{label}の提出に {len(report.errors)} 件のエラーがあるため、一覧表を作成しませんでした。"
            f"{check_dir}/ の指摘を所管課に返し、修正版を受け取ってから再実行してください"
            "（エラーのまま作成するには --allow-errors）。"
        )
    raise InputsHaveErrors(
        f"{label}の提出に {len(report.errors)} 件のエラーがあります。"
        "修正してから実行するか、--allow-errors を付けてください。"
    )


def merge(plan: Plan, fy: int, reports: Mapping[int, CheckReport], allow_errors: bool = False) -> MergeResult:
    """Merge the entries of every fiscal year from the plan's first year up to ``fy`` with the master.

    Args:
        plan: the loaded master.
        fy: the report year.
        reports: the checked inputs per fiscal year; years outside first year..fy are ignored.
        allow_errors: render even though the report year has errors; the affected departments' rows
            are flagged.

    Returns:
        The report model and the merge's own findings (conflicting statuses between owners).

    Raises:
        InputsHaveErrors: the report year has error findings and ``allow_errors`` is False.
    """
    current = reports.get(fy)
    refuse_unless_publishable(plan, current, allow_errors)
    start = first_year(plan, reports) or fy
    years = tuple(y for y in sorted(reports) if start <= y <= fy)
    flagged = error_departments(current) if current is not None else ()
    findings: list[Finding] = []

    measure_frame = _measure_frame(plan, reports, years)
    known_measures = {m.id for m in plan.measures}
    known_kpis = {k.id for k in plan.kpis}
    orphans = set(measure_frame.loc[~measure_frame["measure_id"].isin(known_measures), "measure_id"])
    by_measure = _grouped_entries(measure_frame[measure_frame["known"]])

    kpi_frame = _kpi_frame(plan, reports, years)
    orphans.update(kpi_frame.loc[~kpi_frame["kpi_id"].isin(known_kpis), "kpi_id"])
    actuals = _actuals(kpi_frame[kpi_frame["known"]])
    unevaluable = _not_evaluable(kpi_frame[kpi_frame["known"]], fy)
    remarks = _remarks(kpi_frame[kpi_frame["known"]])
    evaluations = _measure_evaluations(measure_frame[measure_frame["known"]])
    previous_fy = max((y for y in years if y < fy), default=None)

    data_years = set(measure_frame["fy"]) | set(kpi_frame["fy"]) | {fy}
    shown_years = tuple(sorted(int(y) for y in data_years if start <= y <= fy))

    rows: dict[str, MeasureRow] = {}
    for measure in plan.measures:
        row, conflict = _measure_row(plan, fy, measure, by_measure.get(measure.id, {}), flagged)
        row = _with_evaluation(row, evaluations.get(measure.id, {}), fy, previous_fy)
        rows[measure.id] = row
        if conflict is not None:
            findings.append(conflict)

    kpi_rows = {
        k.id: _with_remarks(
            _kpi_row(plan, k, shown_years, actuals.get(k.id, {}), fy, unevaluable.get(k.id, ""), start),
            remarks.get(k.id, {}),
            fy,
        )
        for k in plan.kpis
    }
    area_entries = {y: reports[y].area_entries for y in years}
    goals = tuple(
        GoalSection(
            title=goal.title,
            indicators=tuple(kpi_rows[k.id] for k in plan.kpis if k.goal == goal.title and not k.area),
            areas=tuple(
                AreaSection(
                    title=area.title,
                    rows=tuple(rows[m.id] for m in area.measures),
                    kpis=tuple(
                        kpi_rows[k.id] for k in plan.kpis if k.goal == goal.title and k.area == area.title
                    ),
                    evaluation=_area_evaluation(
                        plan.policy_area(goal.title, area.title), area_entries, fy, previous_fy
                    ),
                )
                for area in goal.areas
            ),
        )
        for goal in plan.goals
    )
    columns, counts = _status_counts(plan, goals)
    settings = plan.settings
    report = ProgressReport(
        plan_name=settings.plan_name,
        city=settings.city,
        fy=fy,
        fy_label=fy_label(fy, settings.reiwa_for_2019),
        notes_header=f"{fy_label(fy, settings.reiwa_for_2019)}までの実施等状況",
        years=shown_years,
        statuses=settings.statuses,
        issue_date=settings.issue_date_for(fy),
        goals=goals,
        missing_submissions=tuple(current.missing_departments) if current is not None else (),
        orphan_ids=tuple(sorted(orphans)),
        reiwa_for_2019=settings.reiwa_for_2019,
        status_columns=columns,
        status_counts=counts,
        flagged_departments=flagged if allow_errors else (),
        grade_thresholds=settings.grades,
        license=settings.license,
        evaluation=settings.evaluation,
        budgets=settings.budgets,
        grade_scheme=settings.scheme,
        directions=settings.directions,
        method=settings.method,
    )
    return MergeResult(report=report, findings=tuple(findings))


def _measure_frame(plan: Plan, reports: Mapping[int, CheckReport], years: tuple[int, ...]) -> pd.DataFrame:
    """Every measure entry of the years shown, with the master order and the owner rank (lead = 0)."""
    records = [
        {
            "fy": e.fy,
            "department": e.department,
            "measure_id": e.measure_id,
            "status": clean_text(e.status)[0].strip(),
            "notes": tuple(clean_text(p)[0] for p in e.notes),
            "file": e.file,
            "row": e.row,
            "direction": clean_text(e.direction)[0].strip(),
            "issues": clean_text(e.issues)[0].strip(),
            "budget": e.budget,
            "settlement": e.settlement,
        }
        for y in years
        for e in reports[y].measure_entries
    ]
    columns = [
        "fy",
        "department",
        "measure_id",
        "status",
        "notes",
        "file",
        "row",
        "direction",
        "issues",
        "budget",
        "settlement",
    ]
    entries = pd.DataFrame.from_records(records, columns=columns)
    order = pd.DataFrame({"measure_id": [m.id for m in plan.measures], "order": range(len(plan.measures))})
    ranks = pd.DataFrame.from_records(
        [(m.id, d, i) for m in plan.measures for i, d in enumerate(m.owners)],
        columns=["measure_id", "department", "rank"],
    )
    frame = entries.merge(order, on="measure_id", how="left").merge(
        ranks, on=["measure_id", "department"], how="left"
    )
    frame["known"] = frame["order"].notna()
    # a department that is not an owner (the master changed since) comes after every owner
    frame["rank"] = frame["rank"].fillna(len(plan.departments) + 1)
    return frame.sort_values(["order", "fy", "rank", "department", "file", "row"], kind="stable")


def _kpi_frame(plan: Plan, reports: Mapping[int, CheckReport], years: tuple[int, ...]) -> pd.DataFrame:
    """Every KPI entry of the years shown; the KPI's own department first."""
    owner = {k.id: k.owner for k in plan.kpis}
    records = [
        {
            "fy": e.fy,
            "kpi_id": e.kpi_id,
            "actual": e.actual,
            "not_evaluable": clean_text(e.not_evaluable)[0].strip(),
            "remarks": clean_text(e.remarks)[0].strip(),
            "by_owner": owner.get(e.kpi_id) == e.department,
            "department": e.department,
            "file": e.file,
            "row": e.row,
        }
        for y in years
        for e in reports[y].kpi_entries
    ]
    columns = ["fy", "kpi_id", "actual", "not_evaluable", "remarks", "by_owner", "department", "file", "row"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["known"] = frame["kpi_id"].isin(set(owner))
    frame["has_value"] = frame["actual"].notna()
    return frame.sort_values(
        ["kpi_id", "fy", "has_value", "by_owner", "department", "file", "row"],
        ascending=[True, True, False, False, True, True, True],
        kind="stable",
    )


def _actuals(frame: pd.DataFrame) -> dict[str, dict[int, float | None]]:
    """KPI_ID -> {fiscal year: actual}: the first reported value per year (owner's first)."""
    first = frame.drop_duplicates(["kpi_id", "fy"], keep="first")
    result: dict[str, dict[int, float | None]] = {}
    for kpi_id, year, actual in first[["kpi_id", "fy", "actual"]].itertuples(index=False):
        result.setdefault(str(kpi_id), {})[int(year)] = None if pd.isna(actual) else float(actual)
    return result


def _not_evaluable(frame: pd.DataFrame, fy: int) -> dict[str, str]:
    """KPI_ID -> 評価不能の理由 for the report year: the owner's first, and only where no value was reported."""
    year = frame[(frame["fy"] == fy) & ~frame["has_value"] & (frame["not_evaluable"] != "")]
    first = year.drop_duplicates(["kpi_id"], keep="first")
    return {str(k): str(r) for k, r in first[["kpi_id", "not_evaluable"]].itertuples(index=False)}


def _remarks(frame: pd.DataFrame) -> dict[str, dict[int, str]]:
    """KPI_ID -> {fiscal year: 備考}: the first given per year, in the actuals' order (owner's first)."""
    given = frame[frame["remarks"] != ""].drop_duplicates(["kpi_id", "fy"], keep="first")
    result: dict[str, dict[int, str]] = {}
    for kpi_id, year, text in given[["kpi_id", "fy", "remarks"]].itertuples(index=False):
        result.setdefault(str(kpi_id), {})[int(year)] = str(text)
    return result


def _with_remarks(row: KpiRow, by_year: dict[int, str], fy: int) -> KpiRow:
    """The row with the report year's 備考 and every shown year's."""
    if not by_year:
        return row
    shown = tuple((y, by_year[y]) for y, _ in row.actuals if y in by_year)
    return replace(row, remarks=by_year.get(fy, ""), year_remarks=shown)


@dataclass(frozen=True)
class _Evaluation:
    """One year's 効果検証 inputs of a measure: the first given per field, lead owner first."""

    direction: str = ""
    issues: str = ""
    budget: float | None = None
    settlement: float | None = None


def _measure_evaluations(frame: pd.DataFrame) -> dict[str, dict[int, _Evaluation]]:
    """取組ID -> fiscal year -> its direction, 課題 and budgets (the first given of each, lead owner first)."""
    result: dict[str, dict[int, _Evaluation]] = {}
    columns = ["measure_id", "fy", "direction", "issues", "budget", "settlement"]
    for measure_id, year, direction, issues, budget, settlement in frame[columns].itertuples(index=False):
        was = result.setdefault(str(measure_id), {}).get(int(year), _Evaluation())
        result[str(measure_id)][int(year)] = _Evaluation(
            was.direction or str(direction),
            was.issues or str(issues),
            was.budget if was.budget is not None else (None if pd.isna(budget) else float(budget)),
            was.settlement
            if was.settlement is not None
            else (None if pd.isna(settlement) else float(settlement)),
        )
    return result


def _with_evaluation(
    row: MeasureRow, by_year: dict[int, _Evaluation], fy: int, previous_fy: int | None
) -> MeasureRow:
    """The row with the report year's direction, 課題 and budgets, and last year's direction carried forward."""
    now = by_year.get(fy, _Evaluation())
    before = by_year.get(previous_fy, _Evaluation()) if previous_fy is not None else _Evaluation()
    if now == _Evaluation() and not before.direction:
        return row
    return replace(
        row,
        direction=now.direction,
        issues=now.issues,
        budget=now.budget,
        settlement=now.settlement,
        previous_direction=before.direction,
    )


def _lead_first(entries: tuple[AreaEntry, ...], area: PolicyArea) -> list[AreaEntry]:
    """The entries for ``area``, the lead department's (主管課) first, then the others in file order."""
    found = [e for e in entries if e.area_id == area.id]
    return sorted(found, key=lambda e: (e.department != area.lead, e.file, e.row))


def _area_evaluation(
    area: PolicyArea | None,
    entries: Mapping[int, tuple[AreaEntry, ...]],
    fy: int,
    previous_fy: int | None,
) -> AreaEvaluation | None:
    """A 施策's evaluation for the report year (the 主管課's entry first) with last year's direction and 課題."""
    if area is None:
        return None
    now = _lead_first(entries.get(fy, ()), area)
    before = _lead_first(entries.get(previous_fy, ()), area) if previous_fy is not None else []

    def first(found: list[AreaEntry], attribute: str) -> str:
        return next(
            (clean_text(getattr(e, attribute))[0].strip() for e in found if getattr(e, attribute)), ""
        )

    return AreaEvaluation(
        id=area.id,
        lead=area.lead,
        factors=first(now, "factors"),
        issues=first(now, "issues"),
        direction=first(now, "direction"),
        response=first(now, "response"),
        previous_direction=first(before, "direction"),
        previous_issues=first(before, "issues"),
        submitted=bool(now),
    )


_Entry = tuple[str, str, tuple[str, ...], str]  # department, status, notes, file


def _grouped_entries(frame: pd.DataFrame) -> dict[str, dict[int, list[_Entry]]]:
    """取組ID -> fiscal year -> entries, in the frame's order (lead owner first)."""
    grouped: dict[str, dict[int, list[_Entry]]] = {}
    columns = ["measure_id", "fy", "department", "status", "notes", "file"]
    for measure_id, year, department, status, notes, file in frame[columns].itertuples(index=False):
        grouped.setdefault(str(measure_id), {}).setdefault(int(year), []).append(
            (str(department), str(status), tuple(notes), str(file))
        )
    return grouped


def _measure_row(
    plan: Plan, fy: int, measure: Measure, by_year: dict[int, list[_Entry]], flagged: tuple[str, ...]
) -> tuple[MeasureRow, Finding | None]:
    """One measure's row: every year's notes (owners combined) and the report year's status."""
    history: list[YearNotes] = []
    for year in sorted(by_year):
        points: list[str] = []
        earlier_owners: set[str] = set()  # a point another owner already gave is shown once
        for department in dict.fromkeys(d for d, _, _, _ in by_year[year]):
            own = [p for d, _, notes, _ in by_year[year] if d == department for p in notes]
            points.extend(p for p in own if p not in earlier_owners)
            earlier_owners.update(own)
        if points:
            history.append(
                YearNotes(
                    fy=year, heading=fy_heading(year, plan.settings.reiwa_for_2019), points=tuple(points)
                )
            )
    current = by_year.get(fy, [])
    given = [(d, s, f) for d, s, _, f in current if s]
    status = given[0][1] if given else ""
    conflict = None
    if len({s for _, s, _ in given}) > 1:
        conflict = make_finding(
            "status-conflict",
            file=given[0][2],
            item_id=measure.id,
            value=" / ".join(f"{d}: {s}" for d, s, _ in given),
            department=given[0][0],
            shown=status,
        )
    is_flagged = any(d in flagged for d in measure.owners) or any(d in flagged for d, _, _, _ in current)
    return MeasureRow(measure=measure, status=status, history=tuple(history), flagged=is_flagged), conflict


def _kpi_row(
    plan: Plan,
    kpi: Kpi,
    years: tuple[int, ...],
    values: dict[int, float | None],
    fy: int,
    not_evaluable: str = "",
    start: int | None = None,
) -> KpiRow:
    """A KPI's actuals and its report-year grade under the plan's scheme and method (the KPI's own first).

    A reported value wins over a reason not to evaluate; a reason without a value gives 評価不能, never a D.
    """
    actual = values.get(fy)
    settings = plan.settings
    result = evaluate_kpi(
        kpi,
        actual,
        fy,
        settings.scheme,
        settings.method,
        not_evaluable if actual is None else "",
        settings.maintain_tolerance,
        settings.start_fy if settings.start_fy is not None else start,
    )
    return KpiRow(
        kpi=kpi,
        actuals=tuple((y, values.get(y)) for y in years),
        actual=actual,
        rate=result.rate,
        grade=result.grade,
        not_evaluable=result.not_evaluable,
        judged_rate=result.judged_rate,
        expected=result.expected,
    )


def _status_counts(
    plan: Plan, goals: tuple[GoalSection, ...]
) -> tuple[tuple[str, ...], tuple[StatusCount, ...]]:
    """集計: the report year's statuses counted per goal (a crosstab), columns in scale order."""
    records = [
        (goal.title, row.status or UNREPORTED) for goal in goals for area in goal.areas for row in area.rows
    ]
    frame = pd.DataFrame.from_records(records, columns=["goal", "status"])
    scale = list(plan.settings.statuses)
    others = sorted(set(frame["status"]) - set(scale) - {UNREPORTED})
    columns = [*scale, *others] + ([UNREPORTED] if (frame["status"] == UNREPORTED).any() else [])
    table = pd.crosstab(frame["goal"], frame["status"]).reindex(
        index=[g.title for g in goals], columns=columns, fill_value=0
    )
    counts = tuple(
        StatusCount(goal=str(goal), counts=tuple(int(n) for n in values))
        for goal, values in zip(table.index, table.to_numpy().tolist(), strict=True)
    )
    return tuple(columns), counts
