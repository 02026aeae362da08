"""Merge every fiscal year's accepted entries with the master into the report model (ProgressReport).

The entries are joined with the master's order and owners, sorted once (master order, year, lead owner
first) and grouped per measure and KPI in plain Python (a correction round's rebuild runs this on every
build: dicts and one sort each, no data frames); what leaves this module is plain dataclasses, so the
renderers (progress list xlsx/html, annual review pdf) only lay out a finished model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

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
    GradeScheme,
    Kpi,
    KpiEntry,
    KpiRow,
    Measure,
    MeasureEntry,
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

    measure_entries = [e for y in years for e in reports[y].measure_entries]
    kpi_entries = [e for y in years for e in reports[y].kpi_entries]
    known_measures = {m.id for m in plan.measures}
    known_kpis = {k.id for k in plan.kpis}
    orphans = {e.measure_id for e in measure_entries if e.measure_id not in known_measures}
    orphans.update(e.kpi_id for e in kpi_entries if e.kpi_id not in known_kpis)
    measure_records = _measure_records(plan, measure_entries)
    by_measure = _grouped_entries(measure_records)
    kpi_records = _kpi_records(plan, kpi_entries)
    actuals = _actuals(kpi_records)
    unevaluable = _not_evaluable(kpi_records, fy)
    remarks = _remarks(kpi_records)
    evaluations = _measure_evaluations(measure_records)
    previous_fy = max((y for y in years if y < fy), default=None)

    data_years = {e.fy for e in measure_entries} | {e.fy for e in kpi_entries} | {fy}
    shown_years = tuple(sorted(int(y) for y in data_years if start <= y <= fy))

    headings: dict[int, str] = {}  # each year's 【…年度】, made once
    rows: dict[str, MeasureRow] = {}
    for measure in plan.measures:
        row, conflict = _measure_row(plan, fy, measure, by_measure.get(measure.id, {}), flagged, headings)
        row = _with_evaluation(row, evaluations.get(measure.id, {}), fy, previous_fy)
        rows[measure.id] = row
        if conflict is not None:
            findings.append(conflict)

    scheme = plan.settings.scheme  # made once: the property builds it on every use
    kpi_rows: dict[tuple[str, str], list[KpiRow]] = {}  # (goal, area) -> its KPI rows in master order
    for k in plan.kpis:
        kpi_rows.setdefault((k.goal, k.area), []).append(
            _with_remarks(
                _kpi_row(
                    plan, k, shown_years, actuals.get(k.id, {}), fy, unevaluable.get(k.id, ""), start, scheme
                ),
                remarks.get(k.id, {}),
                fy,
            )
        )
    policy_areas: dict[tuple[str, str], PolicyArea] = {}
    for policy_area in plan.policy_areas:  # the first record of an area, as Plan.policy_area finds it
        policy_areas.setdefault((policy_area.goal, policy_area.title), policy_area)
    area_entries = {y: reports[y].area_entries for y in years}
    goals = tuple(
        GoalSection(
            title=goal.title,
            indicators=tuple(kpi_rows.get((goal.title, ""), ())),
            areas=tuple(
                AreaSection(
                    title=area.title,
                    rows=tuple(rows[m.id] for m in area.measures),
                    kpis=tuple(kpi_rows.get((goal.title, area.title), ())),
                    evaluation=_area_evaluation(
                        policy_areas.get((goal.title, area.title)), area_entries, fy, previous_fy
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


# what clean_text changes: without any of these characters a text is already clean (the common case)
_UNCLEAN = re.compile("[\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00a0\u200b-\u200d\u202f\u2060\ufeff\ud800-\udfff]")


def _clean(text: str) -> str:
    """``clean_text(text)[0]``, without its work for a text that has nothing to clean."""
    return clean_text(text)[0] if _UNCLEAN.search(text) else text


def _number(value: float | None) -> float | None:
    """A number as a float; None for None and NaN (no number)."""
    return None if value is None or value != value else float(value)


def _measure_order(plan: Plan) -> dict[str, int]:
    return {m.id: i for i, m in enumerate(plan.measures)}


@dataclass(slots=True)
class _MeasureRecord:
    """A measure entry of a known measure, cleaned, with its place: master order, year, owner rank."""

    measure_id: str
    fy: int
    department: str
    status: str
    notes: tuple[str, ...]
    file: str
    direction: str
    issues: str
    budget: float | None
    settlement: float | None


def _measure_records(plan: Plan, entries: Iterable[MeasureEntry]) -> list[_MeasureRecord]:
    """The entries of known measures in master order, then year, the owners' rank (lead = 0; a department that
    is no owner, the master having changed since, after every owner), department, file and row."""
    order = _measure_order(plan)
    ranks: dict[tuple[str, str], list[int]] = {}
    for m in plan.measures:
        for i, d in enumerate(m.owners):
            ranks.setdefault((m.id, d), []).append(i)
    outsider = [len(plan.departments) + 1]
    keyed: list[tuple[tuple[int, int, int, str, str, int], _MeasureRecord]] = []
    for e in entries:
        place = order.get(e.measure_id)
        if place is None:
            continue
        status, notes, direction, issues = e.status, e.notes, e.direction, e.issues
        if _UNCLEAN.search("\n".join((status, direction, issues, *notes))):  # one search for the clean ones
            status, direction, issues = _clean(status), _clean(direction), _clean(issues)
            notes = tuple(_clean(p) for p in notes)
        record = _MeasureRecord(
            e.measure_id,
            e.fy,
            e.department,
            status.strip(),
            tuple(notes),
            e.file,
            direction.strip(),
            issues.strip(),
            _number(e.budget),
            _number(e.settlement),
        )
        # an owner named twice in the master ranks the entry twice (as a join on owner and rank would)
        for rank in ranks.get((e.measure_id, e.department), outsider):
            keyed.append(((place, e.fy, rank, e.department, e.file, e.row), record))
    keyed.sort(key=lambda pair: pair[0])
    return [record for _, record in keyed]


@dataclass(slots=True)
class _KpiRecord:
    """A KPI entry of a known KPI, cleaned."""

    kpi_id: str
    fy: int
    actual: float | None  # None when not reported
    not_evaluable: str
    remarks: str


def _kpi_records(plan: Plan, entries: Iterable[KpiEntry]) -> list[_KpiRecord]:
    """The entries of known KPIs by KPI, year, a value first, the KPI's own department first, department,
    file and row."""
    owner = {k.id: k.owner for k in plan.kpis}
    keyed: list[tuple[tuple[str, int, bool, bool, str, str, int], _KpiRecord]] = []
    for e in entries:
        if e.kpi_id not in owner:
            continue
        actual = _number(e.actual)
        record = _KpiRecord(
            e.kpi_id, e.fy, actual, _clean(e.not_evaluable).strip(), _clean(e.remarks).strip()
        )
        key = (e.kpi_id, e.fy, actual is None, owner[e.kpi_id] != e.department, e.department, e.file, e.row)
        keyed.append((key, record))
    keyed.sort(key=lambda pair: pair[0])
    return [record for _, record in keyed]


def _actuals(records: Iterable[_KpiRecord]) -> dict[str, dict[int, float | None]]:
    """KPI_ID -> {fiscal year: actual}: the first reported value per year (owner's first)."""
    result: dict[str, dict[int, float | None]] = {}
    for r in records:
        result.setdefault(r.kpi_id, {}).setdefault(r.fy, r.actual)
    return result


def _not_evaluable(records: Iterable[_KpiRecord], fy: int) -> dict[str, str]:
    """KPI_ID -> 評価不能の理由 for the report year: the owner's first, and only where no value was reported."""
    result: dict[str, str] = {}
    for r in records:
        if r.fy == fy and r.actual is None and r.not_evaluable:
            result.setdefault(r.kpi_id, r.not_evaluable)
    return result


def _remarks(records: Iterable[_KpiRecord]) -> dict[str, dict[int, str]]:
    """KPI_ID -> {fiscal year: 備考}: the first given per year, in the actuals' order (owner's first)."""
    result: dict[str, dict[int, str]] = {}
    for r in records:
        if r.remarks:
            result.setdefault(r.kpi_id, {}).setdefault(r.fy, r.remarks)
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


_NO_EVALUATION = _Evaluation()


def _measure_evaluations(records: Iterable[_MeasureRecord]) -> dict[str, dict[int, _Evaluation]]:
    """取組ID -> fiscal year -> its direction, 課題 and budgets (the first given of each, lead owner first)."""
    result: dict[str, dict[int, _Evaluation]] = {}
    for r in records:
        if not (r.direction or r.issues or r.budget is not None or r.settlement is not None):
            continue  # nothing to give: the year's evaluation stays as it was (or none)
        by_year = result.setdefault(r.measure_id, {})
        was = by_year.get(r.fy, _NO_EVALUATION)
        by_year[r.fy] = _Evaluation(
            was.direction or r.direction,
            was.issues or r.issues,
            was.budget if was.budget is not None else r.budget,
            was.settlement if was.settlement is not None else r.settlement,
        )
    return result


def _with_evaluation(
    row: MeasureRow, by_year: dict[int, _Evaluation], fy: int, previous_fy: int | None
) -> MeasureRow:
    """The row with the report year's direction, 課題 and budgets, and last year's direction carried forward."""
    now = by_year.get(fy, _NO_EVALUATION)
    before = by_year.get(previous_fy, _NO_EVALUATION) if previous_fy is not None else _NO_EVALUATION
    if (now is _NO_EVALUATION or now == _NO_EVALUATION) and not before.direction:
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


def _grouped_entries(records: Iterable[_MeasureRecord]) -> dict[str, dict[int, list[_Entry]]]:
    """取組ID -> fiscal year -> entries, in the records' order (lead owner first)."""
    grouped: dict[str, dict[int, list[_Entry]]] = {}
    for r in records:
        grouped.setdefault(r.measure_id, {}).setdefault(r.fy, []).append(
            (r.department, r.status, r.notes, r.file)
        )
    return grouped


def _measure_row(
    plan: Plan,
    fy: int,
    measure: Measure,
    by_year: dict[int, list[_Entry]],
    flagged: tuple[str, ...],
    headings: dict[int, str] | None = None,
) -> tuple[MeasureRow, Finding | None]:
    """One measure's row: every year's notes (owners combined) and the report year's status.

    ``headings``: each year's heading made so far (filled here), shared by the rows of one merge."""
    headings = {} if headings is None else headings
    history: list[YearNotes] = []
    for year in sorted(by_year):
        entries = by_year[year]
        if len(entries) == 1:  # one department's entry: its points as given
            points = list(entries[0][2])
        else:
            points = []
            earlier_owners: set[str] = set()  # a point another owner already gave is shown once
            for department in dict.fromkeys(d for d, _, _, _ in entries):
                own = [p for d, _, notes, _ in entries if d == department for p in notes]
                points.extend(p for p in own if p not in earlier_owners)
                earlier_owners.update(own)
        if points:
            heading = headings.get(year)
            if heading is None:
                heading = headings[year] = fy_heading(year, plan.settings.reiwa_for_2019)
            history.append(YearNotes(fy=year, heading=heading, points=tuple(points)))
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
    is_flagged = bool(flagged) and (
        any(d in flagged for d in measure.owners) or any(d in flagged for d, _, _, _ in current)
    )
    return MeasureRow(measure=measure, status=status, history=tuple(history), flagged=is_flagged), conflict


def _kpi_row(
    plan: Plan,
    kpi: Kpi,
    years: tuple[int, ...],
    values: dict[int, float | None],
    fy: int,
    not_evaluable: str = "",
    start: int | None = None,
    scheme: GradeScheme | None = None,
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
        settings.scheme if scheme is None else scheme,
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
    """集計: the report year's statuses counted per goal, columns in scale order (the scale, other statuses
    seen in sorted order, then 未報告 when a measure has none)."""
    tallies: dict[str, dict[str, int]] = {}
    for goal in goals:
        tally = tallies.setdefault(goal.title, {})
        for area in goal.areas:
            for row in area.rows:
                status = row.status or UNREPORTED
                tally[status] = tally.get(status, 0) + 1
    seen = {status for tally in tallies.values() for status in tally}
    scale = list(plan.settings.statuses)
    others = sorted(seen - set(scale) - {UNREPORTED})
    columns = [*scale, *others] + ([UNREPORTED] if UNREPORTED in seen else [])
    counts = tuple(
        StatusCount(goal=goal.title, counts=tuple(tallies[goal.title].get(c, 0) for c in columns))
        for goal in goals
    )
    return tuple(columns), counts
