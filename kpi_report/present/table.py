"""The published table's text, decided once (docs/outputs.md#the-progress-list): every renderer formats from these views.

The merge stage gives a ProgressReport of plain data; :func:`present` turns it, once, into the text every output
shows — owners with related departments as lines, the status and its 要確認 mark, each year's notes as lines
(heading 【…年度】, sub-headings 《…》, ``・`` points), KPI values with units and precision, ``－`` and 未報告, the
status and grade counts. The workbook, the page and the PDF only lay these out, so a rule cannot drift
between them.

The views keep the model's attribute names (``row.measure``, ``row.status``, ``kpi.rate`` …) beside the
presented text, so a city's template written against the model keeps working (docs/templates.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from kpi_report.core.achievement import format_rate
from kpi_report.core.fiscal import fy_label
from kpi_report.core.model import (
    NOT_EVALUABLE,
    UNREPORTED,
    AreaEvaluation,
    GradeScheme,
    Kpi,
    KpiRow,
    Measure,
    MeasureRow,
    ProgressReport,
    YearNotes,
)

MISSING = "－"  # a value, year, rate or grade that is not there
FLAG_MARK = "要確認"  # a row published despite errors in its department's submission (--allow-errors)
BULLET = "・"
SUBHEADING_MARKS = ("《", "≪", "〈", "＜")
OWNERS_HEADER = ("所管課", "(関連課)")  # the owners column's header, as lines
GRADE_COLUMNS = ("A", "B", "C", "D", MISSING)
BUDGET_UNIT = "千円"  # 予算額・決算額 are entered and shown in thousands of yen
NO_DIRECTION = "未記入"  # the tally column of measures without a 今後の方向性 (効果検証)
_GOAL_SHORT = re.compile(r"^(基本目標\s*[0-9０-９ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ一二三四五六七八九十]+)")


# The text rules


def related_label(department: str) -> str:
    """A related department (関連課) as printed: '(水と緑と公園課)' — the one bracket rule of every output."""
    return f"({department})"


def is_subheading(point: str) -> bool:
    """A point such as 《小川駅西口地区》 heads the points after it and is shown without a bullet."""
    return point.startswith(SUBHEADING_MARKS)


def bulleted(point: str) -> str:
    """A note point as printed: with a ・ bullet, a sub-heading without."""
    return point if is_subheading(point) else f"{BULLET}{point}"


def note_lines(history: Sequence[YearNotes]) -> tuple[str, ...]:
    """The notes cell as lines: each year's heading, then its points with a ・ bullet (sub-headings without)."""
    lines: list[str] = []
    for year in history:
        lines.append(year.heading)
        lines.extend(bulleted(p) for p in year.points)
    return tuple(lines)


def department_lines(measure: Measure) -> tuple[DepartmentLine, ...]:
    """所管課 (関連課): each owner on its own line, then each related department in brackets."""
    return (
        *(DepartmentLine(name, False, name) for name in measure.owners),
        *(DepartmentLine(name, True, related_label(name)) for name in measure.related),
    )


def departments_inline(measure: Measure) -> str:
    """The departments on one line: owners joined by ・, then each related one in brackets."""
    return BULLET.join(measure.owners) + "".join(related_label(d) for d in measure.related)


MAX_DECIMALS = 2  # a KPI value is printed with at most this many decimals
_WRITTEN_NUMBER = re.compile(r"\s*[+-]?[0-9０-９,，]*[.．]([0-9０-９]+)")


def decimals_of(value: float) -> int:
    """The decimals a typed value has: 1.3 → 1, 72.5 → 1, 74 → 0, 41.08 → 2 (at most :data:`MAX_DECIMALS`)."""
    text = f"{abs(value):.{MAX_DECIMALS}f}".rstrip("0")
    return len(text) - text.index(".") - 1


def written_decimals(text: str) -> int:
    """The decimals a master text writes: '1.30' → 2 (a trailing zero counts), '55% ※…' → 0."""
    match = _WRITTEN_NUMBER.match(text)
    return min(len(match.group(1)), MAX_DECIMALS) if match else 0


def kpi_decimals(kpi: Kpi, values: Iterable[float | None]) -> int:
    """The precision a KPI uses: the most decimals among its 基準値, 目標値 (as the master writes them) and
    ``values`` (its actuals) — so 1.3 prints 1.30 next to 1.32, and 74% prints 74.0% next to 72.5%."""
    numbers = (v for v in (kpi.baseline, kpi.target, *values) if v is not None)
    return max(
        (
            written_decimals(kpi.baseline_text),
            written_decimals(kpi.target_text),
            *(decimals_of(v) for v in numbers),
        ),
        default=0,
    )


def format_number(value: float | None, decimals: int | None = None) -> str:
    """A KPI value: '1,234', '1.16', '1.30' with ``decimals`` (the KPI's, :func:`kpi_decimals`); without them,
    whole numbers without decimals and others with at most 2; '－' when missing."""
    if value is None:
        return MISSING
    if decimals is not None:
        return f"{value:,.{decimals}f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def value_text(value: float | None, unit: str, decimals: int | None = None) -> str:
    """A value with its unit: '1,234人', '73.2%'; '－' (no unit) when missing."""
    return MISSING if value is None else f"{format_number(value, decimals)}{unit}"


def master_value_text(value: float | None, written: str, unit: str, decimals: int | None = None) -> str:
    """基準値・目標値 as printed: the number in the KPI's precision with its unit, as the actuals are, and the
    master's note after it ('55.0% ※平成32年世論調査'); the master's text when it holds no number, '－' when empty.
    """
    if value is None:
        return written.strip() or MISSING
    note = _WRITTEN_NOTE.sub("", written, count=1).strip()
    plain_unit = unicodedata.normalize("NFKC", unit).strip()
    for end in range(len(note) + 1):  # the unit as written ('人', '％') is the KPI's unit, not a note
        if plain_unit and unicodedata.normalize("NFKC", note[:end]).strip() == plain_unit:
            note = note[end:].strip()
            break
    if not plain_unit and note.startswith(("%", "％")):  # a KPI without a unit whose master writes '50%'
        unit, note = "%", note[1:].strip()
    shown = value_text(value, unit, decimals)
    return f"{shown} {note}" if note else shown


_WRITTEN_NOTE = re.compile(r"\s*[+-]?[0-9０-９,，]+(?:[.．][0-9０-９]+)?")


def budget_text(value: float | None) -> str:
    """A budget figure: '12,345千円' (thousands separators), '－' when not given."""
    return value_text(value, BUDGET_UNIT)


def not_evaluable_text(reason: str) -> str:
    """'評価不能（未公表）': a KPI that cannot be evaluated this year, with its reason."""
    return f"{NOT_EVALUABLE}（{reason}）" if reason else NOT_EVALUABLE


def grade_columns_of(scheme: GradeScheme, not_evaluable: bool) -> tuple[str, ...]:
    """The grade tally's columns: the scheme's labels best first, 評価不能 when used, then － (no rate)."""
    return (*scheme.labels, *((NOT_EVALUABLE,) if not_evaluable else ()), MISSING)


def tally_text(what: str, columns: Sequence[str], counts: Sequence[int]) -> str:
    """'KPI 12 = A 5 / B 3 / C 2 / 評価不能 1 / － 1': a count and its parts, as いの町 and 阿久比町 publish them."""
    parts = " / ".join(f"{c} {n}" for c, n in zip(columns, counts, strict=True) if n)
    return f"{what} {sum(counts)} = {parts}" if parts else f"{what} 0"


def year_line(report: ProgressReport) -> str:
    """'令和元年度（2019年度）': the report year line under the title."""
    return f"{report.fy_label}（{report.fy}年度）"


def goal_short(title: str) -> str:
    """'基本目標Ⅰ' from '基本目標Ⅰ 結婚・出産…' (the first 10 characters when the title has no such prefix)."""
    match = _GOAL_SHORT.match(title)
    return match.group(1).replace(" ", "") if match else title[:10]


# The views


@dataclass(frozen=True)
class DepartmentLine:
    """One line of the 所管課 (関連課) cell."""

    name: str
    related: bool  # a 関連課, printed in brackets
    text: str  # as printed: '都市計画課' or '(水と緑と公園課)'


@dataclass(frozen=True)
class NotePoint:
    """One point of a year's notes."""

    text: str  # as entered, without bullet
    subheading: bool  # 《小川駅西口地区》: heads the points after it
    line: str  # as printed: '・…', a sub-heading as entered


@dataclass(frozen=True)
class YearView:
    """One fiscal year's notes of a measure: the heading and its points."""

    fy: int
    heading: str  # 【平成28年度】
    points: tuple[NotePoint, ...]


@dataclass(frozen=True)
class MeasureView:
    """A measure row of the published table, its text decided."""

    row: MeasureRow  # the merged row (the model)
    departments: tuple[DepartmentLine, ...]
    departments_text: str  # the lines joined by line breaks
    departments_inline: str  # '産業振興課・農業委員会(学務課)'
    status_label: str  # the status, 未報告 when none
    status_lines: tuple[str, ...]  # the status, then 要確認 when flagged
    status_text: str  # status_lines joined by line breaks
    notes: tuple[YearView, ...]  # years without an entry left out
    note_lines: tuple[str, ...]  # every year's heading and printed points
    notes_text: str  # note_lines joined by line breaks
    this_year: tuple[NotePoint, ...]  # the report year's points
    this_year_text: str  # their printed lines joined by line breaks
    direction_text: str = (
        ""  # 効果検証: the report year's 今後の方向性, '－' when not given (evaluation plans)
    )
    issues_text: str = ""  # 課題・今後の取組
    budget_text: str = ""  # '12,345千円' or '－' (plans that collect 事業費)
    settlement_text: str = ""
    previous_direction_text: str = ""  # last year's 今後の方向性, '' when none

    @property
    def direction(self) -> str:
        """The report year's 今後の方向性 as reported ("" when none)."""
        return self.row.direction

    @property
    def issues(self) -> str:
        """課題・今後の取組 as reported."""
        return self.row.issues

    @property
    def measure(self) -> Measure:
        """The master's measure (number, name, content, owners, related …)."""
        return self.row.measure

    @property
    def status(self) -> str:
        """The report year's status as reported ("" when none)."""
        return self.row.status

    @property
    def flagged(self) -> bool:
        """Published despite errors (--allow-errors): shown with 要確認."""
        return self.row.flagged

    @property
    def history(self) -> tuple[YearNotes, ...]:
        """The merged notes, points as entered (the model's view; prefer ``notes``)."""
        return self.row.history


@dataclass(frozen=True)
class KpiView:
    """A KPI or 数値目標 with its values as printed."""

    row: KpiRow  # the merged row (the model)
    values: tuple[str, ...]  # each shown year's actual: '1,234' or '－'
    values_with_unit: tuple[str, ...]  # '1,234人' or '－'
    baseline: str  # 基準値 as a number, '－' when none
    baseline_as_written: str  # 基準値 as the master writes it, '－' when empty
    baseline_fy: str  # '平成26年度', '' when none
    target: str
    target_as_written: str
    target_fy: str
    rate_text: str  # '60.0%' or '－'
    grade_text: str  # the grade label (A/B/C/D, ◎○△× …), 評価不能, or '－'
    result_text: str = ""  # the grade, or '評価不能（未公表）' with its reason, or '－'
    expected_text: str = ""  # 経過按分: the share expected by the report year, '40.0%'; '' otherwise
    baseline_with_unit: str = ""  # 基準値 as printed beside the actuals: '350千人', '1.30', '－'
    target_with_unit: str = ""  # 目標値 likewise, the master's note kept: '55.0% ※平成32年世論調査'
    decimals: int = 0  # the KPI's precision (:func:`kpi_decimals`): every value of the row has this many
    remarks_text: str = ""  # the report year's 備考 as printed (line breaks kept), '' when none

    @property
    def remarks(self) -> str:
        """The report year's 備考 as reported ("" when none)."""
        return self.row.remarks

    @property
    def not_evaluable(self) -> str:
        """評価不能の理由 of the report year ("" when evaluated)."""
        return self.row.not_evaluable

    @property
    def kpi(self) -> Kpi:
        """The master's KPI (id, name, unit, direction, owner …)."""
        return self.row.kpi

    @property
    def actuals(self) -> tuple[tuple[int, float | None], ...]:
        """(fiscal year, actual) for every year shown."""
        return self.row.actuals

    @property
    def actual(self) -> float | None:
        """The report year's actual."""
        return self.row.actual

    @property
    def rate(self) -> float | None:
        """The achievement rate, 1.0 = 100%."""
        return self.row.rate

    @property
    def grade(self) -> str:
        """A/B/C/D, '' when there is no rate."""
        return self.row.grade


@dataclass(frozen=True)
class EvaluationView:
    """A 施策's evaluation (効果検証) as printed: '－' for what was not written, 未提出 when nothing came."""

    evaluation: AreaEvaluation  # the model
    factors: str  # 要因分析
    issues: str  # 課題
    direction: str  # 今後の方向性
    response: str  # 前年度の方針への対応
    previous_direction: str  # last year's 今後の方向性, '－' when none
    previous_issues: str  # last year's 課題, '－' when none
    submitted: bool  # the 主管課 sent this year's evaluation
    lead: str  # 主管課
    id: str  # 施策ID
    kpi_results: tuple[str, ...]  # '指標名：A（達成率 60.0%）', '指標名：評価不能（未公表）'

    @property
    def items(self) -> tuple[tuple[str, str], ...]:
        """(heading, text) of the evaluation block in printed order."""
        return (
            ("要因分析", self.factors),
            ("課題", self.issues),
            ("今後の方向性", self.direction),
            ("前年度の方針への対応", self.response),
        )


@dataclass(frozen=True)
class AreaView:
    """A 施策: its measure rows and KPIs."""

    title: str
    rows: tuple[MeasureView, ...]
    kpis: tuple[KpiView, ...]
    evaluation: EvaluationView | None = None  # 効果検証 (plans with the sheet 施策)


@dataclass(frozen=True)
class GoalView:
    """A 基本目標: its 数値目標 and areas."""

    title: str
    short: str  # '基本目標1'
    indicators: tuple[KpiView, ...]
    areas: tuple[AreaView, ...]


@dataclass(frozen=True)
class CountRow:
    """One 基本目標's counts (of measures per status, or of KPIs per grade)."""

    label: str  # the goal's title
    short: str
    counts: tuple[int, ...]
    text: str = ""  # the tally as one line: 'KPI 12 = A 5 / B 3 / …' (effect evaluation plans)

    @property
    def total(self) -> int:
        """The row's sum."""
        return sum(self.counts)


@dataclass(frozen=True)
class ReportView:
    """The published table and its companions, as every renderer shows them."""

    report: ProgressReport  # the model (plan name, report year, notes header, flagged departments …)
    year_line: str  # 令和元年度（2019年度）
    year_labels: tuple[str, ...]  # each shown year: 平成28年度 …
    goals: tuple[GoalView, ...]
    kpis: tuple[KpiView, ...]  # every KPI and 数値目標 in master order
    status_columns: tuple[str, ...]  # the scale, other statuses seen, then 未報告
    status_rows: tuple[CountRow, ...]
    grade_columns: tuple[str, ...]
    grade_rows: tuple[CountRow, ...]
    owners_header: tuple[str, ...] = OWNERS_HEADER
    flag_mark: str = FLAG_MARK
    evaluation: bool = False  # 効果検証: directions, evaluation blocks and tallies are shown
    budgets: bool = False  # 事業費 columns are shown
    direction_columns: tuple[str, ...] = ()  # the 今後の方向性 scale, others seen, then 未記入
    direction_rows: tuple[CountRow, ...] = ()  # measures per direction per goal (evaluation plans)
    areas: tuple[AreaView, ...] = ()  # every 施策 in order (for the 施策評価 sheet)

    @cached_property
    def has_remarks(self) -> bool:
        """Some KPI or 数値目標 has a 備考 for the report year (the outputs show the column or notes): worked
        out once (the page asks it for every KPI row)."""
        return any(k.remarks_text for k in self.kpis)

    @property
    def measure_total(self) -> int:
        """How many measures the table holds."""
        return sum(len(a.rows) for g in self.goals for a in g.areas)


# Building the views


def _point(text: str) -> NotePoint:
    """A note point: :func:`is_subheading` and :func:`bulleted`, the test made once."""
    if text.startswith(SUBHEADING_MARKS):
        return NotePoint(text, True, text)
    return NotePoint(text, False, BULLET + text)


def measure_view(row: MeasureRow, fy: int, evaluation: bool = False) -> MeasureView:
    """The presented row of one measure for report year ``fy`` (with its 効果検証 texts when ``evaluation``)."""
    departments = department_lines(row.measure)
    notes = tuple(YearView(y.fy, y.heading, tuple(map(_point, y.points))) for y in row.history)
    printed: list[str] = []  # note_lines(row.history), from the points just made
    for year in notes:
        printed.append(year.heading)
        printed.extend(p.line for p in year.points)
    lines = tuple(printed)
    status_lines = (row.status, FLAG_MARK) if row.flagged else (row.status,)
    this_year = next((y.points for y in notes if y.fy == fy), ())
    return MeasureView(
        row=row,
        departments=departments,
        departments_text="\n".join(d.text for d in departments),
        departments_inline=departments_inline(row.measure),
        status_label=row.status or UNREPORTED,
        status_lines=status_lines,
        status_text="\n".join(status_lines),
        notes=notes,
        note_lines=lines,
        notes_text="\n".join(lines),
        this_year=this_year,
        this_year_text="\n".join(p.line for p in this_year),
        direction_text=(row.direction or MISSING) if evaluation else "",
        issues_text=row.issues,
        budget_text=budget_text(row.budget) if evaluation else "",
        settlement_text=budget_text(row.settlement) if evaluation else "",
        previous_direction_text=row.previous_direction,
    )


def kpi_view(row: KpiRow, years: Sequence[int], reiwa_for_2019: bool = True) -> KpiView:
    """The presented row of one KPI, its actuals for each of ``years``."""
    kpi = row.kpi
    of = dict(row.actuals)

    def label(fy: int | None) -> str:
        return fy_label(fy, reiwa_for_2019) if fy else ""

    decimals = kpi_decimals(kpi, (v for _, v in row.actuals))
    return KpiView(
        row=row,
        values=tuple(format_number(of.get(y), decimals) for y in years),
        values_with_unit=tuple(value_text(of.get(y), kpi.unit, decimals) for y in years),
        baseline=format_number(kpi.baseline, decimals),
        baseline_as_written=kpi.baseline_text or MISSING,
        baseline_fy=label(kpi.baseline_fy),
        target=format_number(kpi.target, decimals),
        target_as_written=kpi.target_text or MISSING,
        target_fy=label(kpi.target_fy),
        rate_text=format_rate(row.rate),
        grade_text=row.grade or MISSING,
        result_text=not_evaluable_text(row.not_evaluable)
        if row.grade == NOT_EVALUABLE
        else (row.grade or MISSING),
        expected_text=format_rate(row.expected) if row.expected is not None else "",
        baseline_with_unit=master_value_text(kpi.baseline, kpi.baseline_text, kpi.unit, decimals),
        target_with_unit=master_value_text(kpi.target, kpi.target_text, kpi.unit, decimals),
        decimals=decimals,
        remarks_text=row.remarks,
    )


def kpi_result(k: KpiView) -> str:
    """'指標名：A（達成率 60.0%）', '指標名：評価不能（未公表）', '指標名：－（実績なし）': a KPI's line in a 施策's evaluation."""
    if k.row.grade == NOT_EVALUABLE:
        return f"{k.kpi.name}：{k.result_text}"
    if not k.row.grade:
        return f"{k.kpi.name}：{MISSING}（{'実績なし' if k.actual is None else '算定できず'}）"
    expected = f"、期待値 {k.expected_text}" if k.expected_text else ""
    return f"{k.kpi.name}：{k.grade_text}（達成率 {k.rate_text}{expected}）"


def evaluation_view(evaluation: AreaEvaluation, kpis: Sequence[KpiView]) -> EvaluationView:
    """A 施策's evaluation block as printed."""

    def shown(text: str) -> str:
        return text or MISSING

    return EvaluationView(
        evaluation=evaluation,
        factors=shown(evaluation.factors),
        issues=shown(evaluation.issues),
        direction=shown(evaluation.direction),
        response=shown(evaluation.response),
        previous_direction=shown(evaluation.previous_direction),
        previous_issues=shown(evaluation.previous_issues),
        submitted=evaluation.submitted,
        lead=evaluation.lead,
        id=evaluation.id,
        kpi_results=tuple(kpi_result(k) for k in kpis),
    )


def _status_counts(
    report: ProgressReport, goals: Sequence[GoalView]
) -> tuple[tuple[str, ...], list[CountRow]]:
    """The merge's 集計 when it has one per goal; otherwise the scale, then 未報告, counted here."""
    if report.status_columns and len(report.status_counts) == len(goals):
        return report.status_columns, [
            CountRow(goal.title, goal.short, tuple(count.counts))
            for goal, count in zip(goals, report.status_counts, strict=True)
        ]
    columns = (*report.statuses, UNREPORTED)
    rows = []
    for goal in goals:
        counts = dict.fromkeys(columns, 0)
        for area in goal.areas:
            for row in area.rows:
                counts[row.status if row.status in counts else UNREPORTED] += 1
        rows.append(CountRow(goal.title, goal.short, tuple(counts.values())))
    return columns, rows


def _grade_counts(goals: Sequence[GoalView], columns: Sequence[str], evaluation: bool) -> list[CountRow]:
    """Each goal's count of KPIs and 数値目標 per grade (the scheme's labels, 評価不能, － for no rate)."""
    rows = []
    for goal in goals:
        counts = dict.fromkeys(columns, 0)
        for kpi in (*goal.indicators, *(k for area in goal.areas for k in area.kpis)):
            counts[kpi.grade_text if kpi.grade_text in counts else MISSING] += 1
        values = tuple(counts.values())
        text = tally_text("KPI・数値目標", columns, values) if evaluation else ""
        rows.append(CountRow(goal.title, goal.short, values, text))
    return rows


def _direction_counts(
    report: ProgressReport, goals: Sequence[GoalView]
) -> tuple[tuple[str, ...], list[CountRow]]:
    """Each goal's count of measures per 今後の方向性: the scale, others seen, then 未記入."""
    given = [r.row.direction for g in goals for a in g.areas for r in a.rows]
    others = sorted({d for d in given if d and d not in report.directions})
    columns = (*report.directions, *others, *((NO_DIRECTION,) if "" in given else ()))
    rows = []
    for goal in goals:
        counts = dict.fromkeys(columns, 0)
        for area in goal.areas:
            for row in area.rows:
                counts[row.row.direction or NO_DIRECTION] += 1
        values = tuple(counts.values())
        rows.append(CountRow(goal.title, goal.short, values, tally_text("取組", columns, values)))
    return columns, rows


def present(report: ProgressReport) -> ReportView:
    """The views every renderer formats from, built once from the merged report."""
    reiwa = report.reiwa_for_2019
    evaluation = report.evaluation
    views: dict[int, KpiView] = {}

    def kpis(rows: Sequence[KpiRow]) -> tuple[KpiView, ...]:
        for row in rows:
            if id(row) not in views:
                views[id(row)] = kpi_view(row, report.years, reiwa)
        return tuple(views[id(row)] for row in rows)

    goals = tuple(
        GoalView(
            title=goal.title,
            short=goal_short(goal.title),
            indicators=kpis(goal.indicators),
            areas=tuple(
                AreaView(
                    area.title,
                    tuple(measure_view(r, report.fy, evaluation) for r in area.rows),
                    kpis(area.kpis),
                    evaluation_view(area.evaluation, kpis(area.kpis))
                    if area.evaluation is not None
                    else None,
                )
                for area in goal.areas
            ),
        )
        for goal in report.goals
    )
    every_kpi = [k for g in goals for k in (*g.indicators, *(k for a in g.areas for k in a.kpis))]
    status_columns, status_rows = _status_counts(report, goals)
    unevaluable = any(k.row.grade == NOT_EVALUABLE for k in every_kpi)
    grade_columns = grade_columns_of(report.grade_scheme, evaluation or unevaluable)
    direction_columns, direction_rows = _direction_counts(report, goals) if evaluation else ((), [])
    return ReportView(
        report=report,
        year_line=year_line(report),
        year_labels=tuple(fy_label(y, reiwa) for y in report.years),
        goals=goals,
        kpis=tuple(sorted(every_kpi, key=lambda k: k.kpi.row)),
        status_columns=tuple(status_columns),
        status_rows=tuple(status_rows),
        grade_columns=grade_columns,
        grade_rows=tuple(_grade_counts(goals, grade_columns, evaluation)),
        evaluation=evaluation,
        budgets=report.budgets,
        direction_columns=direction_columns,
        direction_rows=tuple(direction_rows),
        areas=tuple(a for g in goals for a in g.areas),
    )
