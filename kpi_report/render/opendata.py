"""Render the open data folder (outputs/<FY>/opendata/): one tidy CSV per table and a datapackage.json.

The progress list is laid out for people (merged cells, year headings inside a cell, ``・`` points); data
users need the same content machine-readable (総務省「機械判読可能なデータの表記方法の統一ルール」): one value per
cell, no decorative rows, 西暦 as a number beside the 和暦 label, UTF-8 with a BOM so Excel opens it without
mojibake. The folder is a Frictionless Data Package (https://specs.frictionlessdata.io/): datapackage.json
names every file, its fields and types, primary and foreign keys, the licence (設定 ライセンス), the plan and
the report year.

Each table is declared once as a list of :class:`Column` (header, type, description, how to read the value
from a row, and when the column is used at all): a column or table the plan does not use is left out, so a
plan without budgets gets no empty 予算額 column. A new column is one more ``Column(...)`` line.

Deterministic: the same report gives the same bytes (sorted keys, no timestamps, fixed line ends).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any, Generic, Literal, TypeVar

from kpi_report.core.fiscal import fy_label
from kpi_report.core.model import CommitteeArea, CommitteeComment
from kpi_report.present.table import (
    AreaView,
    EvaluationView,
    GoalView,
    KpiView,
    MeasureView,
    NotePoint,
    ReportView,
)

DATAPACKAGE = "datapackage.json"
ENCODING = "utf-8-sig"  # the BOM tells Excel the file is UTF-8
LINE_END = "\n"  # records and line breaks inside a cell alike

Cell = str | int | float | bool | None
FieldType = Literal["string", "integer", "number", "boolean"]
R = TypeVar("R")


def _always(_view: ReportView) -> bool:
    return True


@dataclass(frozen=True)
class Column(Generic[R]):
    """One CSV column: its header, Table Schema type and description, its value per row, and when it is used."""

    name: str  # the header, as in the master where the master has one
    type: FieldType
    description: str
    value: Callable[[R], Cell]
    used: Callable[[ReportView], bool] = _always  # False: the plan does not use it, the column is left out


@dataclass(frozen=True)
class ForeignKey:
    """Columns of this table that refer to the primary key of another."""

    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Table(Generic[R]):
    """One CSV file of the package: its rows and columns, keys, and when it is written."""

    name: str  # resource name; the file is <name>.csv
    title: str
    description: str
    rows: Callable[[ReportView], Sequence[R]]
    columns: tuple[Column[R], ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    used: Callable[[ReportView], bool] = _always

    def used_columns(self, view: ReportView) -> tuple[Column[R], ...]:
        """The columns this report uses, in declared order."""
        return tuple(c for c in self.columns if c.used(view))


# The rows of each table


@dataclass(frozen=True)
class GoalRow:
    """A 基本目標 and its number (order in the master, from 1)."""

    number: int
    goal: GoalView


@dataclass(frozen=True)
class AreaRow:
    """A 施策 with its key '1-2' (goal number - area number in master order)."""

    goal: GoalRow
    number: int
    area: AreaView

    @property
    def key(self) -> str:
        """'1-2': unique in the plan, stable while the master's order is."""
        return f"{self.goal.number}-{self.number}"


@dataclass(frozen=True)
class MeasureYear:
    """One measure in one fiscal year."""

    area: AreaRow
    view: MeasureView
    fy: int
    fy_label: str  # 令和元年度
    report_year: bool  # the status (and 要確認) belong to the report year only
    points: tuple[NotePoint, ...] = ()  # the year's points (view.notes of this year)


@dataclass(frozen=True)
class KpiYear:
    """One KPI or 数値目標 in one fiscal year."""

    goal: GoalRow
    area: AreaRow | None  # None: a goal-level 数値目標
    view: KpiView
    fy: int
    fy_label: str
    actual: float | None
    report_year: bool  # the rate and grade are the report year's


def goal_rows(view: ReportView) -> tuple[GoalRow, ...]:
    """The goals, numbered in master order."""
    return tuple(GoalRow(n, g) for n, g in enumerate(view.goals, start=1))


def area_rows(view: ReportView) -> tuple[AreaRow, ...]:
    """The areas, numbered within their goal."""
    return tuple(
        AreaRow(goal, n, area) for goal in goal_rows(view) for n, area in enumerate(goal.goal.areas, start=1)
    )


def _year_labels(view: ReportView) -> dict[int, str]:
    """Each shown year's 和暦 label (made once, not once per row)."""
    report = view.report
    return {year: fy_label(year, report.reiwa_for_2019) for year in report.years}


def measure_years(view: ReportView) -> tuple[MeasureYear, ...]:
    """Every measure in every fiscal year shown (plan start .. report year), master order, then year."""
    report = view.report
    labels = _year_labels(view)
    return tuple(
        MeasureYear(area, row, year, labels[year], year == report.fy, points.get(year, ()))
        for area in area_rows(view)
        for row in area.area.rows
        for points in (_points_by_year(row),)
        for year in view.report.years
    )


def _points_by_year(row: MeasureView) -> dict[int, tuple[NotePoint, ...]]:
    """A measure's points of each year with notes, in order."""
    points = {year.fy: year.points for year in row.notes}
    if len(points) < len(row.notes):  # a year twice: its points together
        points = {}
        for year in row.notes:
            points[year.fy] = points.get(year.fy, ()) + year.points
    return points


def kpi_years(view: ReportView) -> tuple[KpiYear, ...]:
    """Every KPI and 数値目標 in every fiscal year shown, master order, then year."""
    placed: dict[str, tuple[GoalRow, AreaRow | None]] = {}
    for goal in goal_rows(view):
        for kpi in goal.goal.indicators:
            placed[kpi.kpi.id] = (goal, None)
    for area in area_rows(view):
        for kpi in area.area.kpis:
            placed[kpi.kpi.id] = (area.goal, area)
    report = view.report
    labels = _year_labels(view)
    rows: list[KpiYear] = []
    for kpi in view.kpis:
        goal, place = placed[kpi.kpi.id]
        of = dict(kpi.actuals)
        rows.extend(KpiYear(goal, place, kpi, y, labels[y], of.get(y), y == report.fy) for y in report.years)
    return tuple(rows)


# Values


def _lines(items: Sequence[str]) -> str:
    return "、".join(items)


def _plain_number(value: float) -> str:
    """A number without thousands separators or exponent: 1234, 0.5, 0.00001."""
    if float(value).is_integer():
        return str(int(value))
    return format(Decimal(repr(float(value))), "f")


def _as_written_differs(text: str, value: float | None, unit: str) -> bool:
    """The master's text says more than its number and unit (a note, a range, 'H26比')."""
    plain = unicodedata.normalize("NFKC", text).replace(",", "").strip()
    plain = plain.removesuffix(unicodedata.normalize("NFKC", unit)).strip()
    if plain in ("", "-", "－", "―", "ー"):  # written as 'none'
        return False
    return value is None or plain != _plain_number(value)


def _uses(predicate: Callable[[MeasureView], bool]) -> Callable[[ReportView], bool]:
    """Used when any measure of the report satisfies ``predicate``."""
    return lambda view: any(predicate(r) for g in view.goals for a in g.areas for r in a.rows)


def _kpis_use(predicate: Callable[[KpiView], bool]) -> Callable[[ReportView], bool]:
    """Used when any KPI of the report satisfies ``predicate``."""
    return lambda view: any(predicate(k) for k in view.kpis)


def _evaluation(view: ReportView) -> bool:
    """The plan uses 効果検証 (sheet 施策 or an evaluation key in 設定)."""
    return view.report.evaluation


def _budgets(view: ReportView) -> bool:
    """The forms asked for 予算額 and 決算額 (設定 事業費)."""
    return view.report.budgets


# The tables

GOAL_NUMBER = "基本目標番号"
AREA_KEY = "施策番号"
FY = "年度"
FY_LABEL = "年度（和暦）"
_FY_DESCRIPTION = "会計年度（西暦、4月始まり）"

GOALS: Table[GoalRow] = Table(
    name="goals",
    title="基本目標",
    description="計画の基本目標（マスターの順）",
    rows=goal_rows,
    columns=(
        Column(GOAL_NUMBER, "integer", "基本目標の順番（1から）", attrgetter("number")),
        Column("基本目標", "string", "基本目標の名称", attrgetter("goal.title")),
    ),
    primary_key=(GOAL_NUMBER,),
)

AREAS: Table[AreaRow] = Table(
    name="areas",
    title="施策",
    description="基本目標ごとの施策（マスターの順）",
    rows=area_rows,
    columns=(
        Column(AREA_KEY, "string", "「基本目標番号-施策の順番」（例 1-2）", attrgetter("key")),
        Column(GOAL_NUMBER, "integer", "施策が属する基本目標の番号", attrgetter("goal.number")),
        Column("施策", "string", "施策の名称", attrgetter("area.title")),
    ),
    primary_key=(AREA_KEY,),
    foreign_keys=(ForeignKey((GOAL_NUMBER,), "goals", (GOAL_NUMBER,)),),
)


def _measure_columns() -> tuple[Column[MeasureYear], ...]:
    return (
        Column("取組ID", "string", "取組の識別子（マスターの取組ID）", attrgetter("view.row.measure.id")),
        Column(FY, "integer", _FY_DESCRIPTION, attrgetter("fy")),
        Column(FY_LABEL, "string", "年度の和暦表記（例 令和元年度）", attrgetter("fy_label")),
        Column(GOAL_NUMBER, "integer", "基本目標の番号（goals.csv）", attrgetter("area.goal.number")),
        Column(AREA_KEY, "string", "施策の番号（areas.csv）", attrgetter("area.key")),
        Column("基本目標", "string", "基本目標の名称", attrgetter("area.goal.goal.title")),
        Column("施策", "string", "施策の名称", attrgetter("area.area.title")),
        Column("番号", "string", "施策の中での取組の番号", attrgetter("view.row.measure.number")),
        Column("名称", "string", "取組の名称", attrgetter("view.row.measure.name")),
        Column("内容", "string", "取組の内容", attrgetter("view.row.measure.content")),
        Column(
            "所管課",
            "string",
            "所管課（複数は「、」区切り、最初が主）",
            lambda r: _lines(r.view.measure.owners),
        ),
        Column("関連課", "string", "関連課（複数は「、」区切り）", lambda r: _lines(r.view.measure.related)),
        Column(
            "区分",
            "string",
            "継続・新規・拡充・検討",
            attrgetter("view.row.measure.category"),
            _uses(lambda v: bool(v.measure.category)),
        ),
        Column(
            "予算事業コード",
            "string",
            "予算事業コード（複数は「、」区切り）",
            lambda r: _lines(r.view.measure.budget_codes),
            _uses(lambda v: bool(v.measure.budget_codes)),
        ),
        Column(
            "総合計画施策",
            "string",
            "総合計画の施策番号",
            attrgetter("view.row.measure.policy_no"),
            _uses(lambda v: bool(v.measure.policy_no)),
        ),
        Column(
            "進捗状況",
            "string",
            "報告年度の進捗状況（報告のないものは「未報告」）。それより前の年度は空欄（その年度の opendata を参照）",
            lambda r: r.view.status_label if r.report_year else None,
        ),
        Column(
            "実施状況",
            "string",
            "その年度の実施状況。1行に1項目（《》の行は見出し）。報告のない年度は空欄",
            lambda r: "\n".join([p.text for p in r.points]) or None,
        ),
        # 効果検証 (issue 12): the report year's answers, only when the plan asks for them
        Column(
            "今後の方向性",
            "string",
            "報告年度に所管課が示した取組の今後の方向性",
            lambda r: r.view.row.direction or None if r.report_year else None,
            _evaluation,
        ),
        Column(
            "課題・今後の取組",
            "string",
            "報告年度に所管課が書いた課題と今後の取組",
            lambda r: r.view.row.issues or None if r.report_year else None,
            _evaluation,
        ),
        Column(
            "予算額（千円）",
            "number",
            "報告年度の予算額（千円）",
            lambda r: r.view.row.budget if r.report_year else None,
            _budgets,
        ),
        Column(
            "決算額（千円）",
            "number",
            "報告年度の決算額（千円）",
            lambda r: r.view.row.settlement if r.report_year else None,
            _budgets,
        ),
        Column(
            "要確認",
            "boolean",
            "所管課の提出にエラーが残ったまま公表した行（true）。報告年度のみ",
            lambda r: r.view.flagged if r.report_year else None,
        ),
    )


MEASURES: Table[MeasureYear] = Table(
    name="measures",
    title="取組の進捗状況",
    description="取組ごと・年度ごとの進捗状況と実施状況（1行 = 1取組 × 1年度）",
    rows=measure_years,
    columns=_measure_columns(),
    primary_key=("取組ID", FY),
    foreign_keys=(
        ForeignKey((GOAL_NUMBER,), "goals", (GOAL_NUMBER,)),
        ForeignKey((AREA_KEY,), "areas", (AREA_KEY,)),
    ),
)


def _kpi_columns() -> tuple[Column[KpiYear], ...]:
    def current(get: Callable[[KpiView], Cell]) -> Callable[[KpiYear], Cell]:
        return lambda r: get(r.view) if r.report_year else None

    return (
        Column("KPI_ID", "string", "指標の識別子（マスターのKPI_ID）", attrgetter("view.row.kpi.id")),
        Column(FY, "integer", _FY_DESCRIPTION, attrgetter("fy")),
        Column(FY_LABEL, "string", "年度の和暦表記（例 令和元年度）", attrgetter("fy_label")),
        Column(GOAL_NUMBER, "integer", "基本目標の番号（goals.csv）", attrgetter("goal.number")),
        Column(
            AREA_KEY,
            "string",
            "施策の番号（areas.csv）。空欄は基本目標の数値目標",
            lambda r: r.area.key if r.area else None,
        ),
        Column("基本目標", "string", "基本目標の名称", attrgetter("goal.goal.title")),
        Column(
            "施策", "string", "施策の名称（数値目標は空欄）", lambda r: r.area.area.title if r.area else None
        ),
        Column("指標名", "string", "指標の名称", attrgetter("view.row.kpi.name")),
        Column("単位", "string", "値の単位", attrgetter("view.row.kpi.unit")),
        Column("基準値", "number", "基準値", attrgetter("view.row.kpi.baseline")),
        Column(
            "基準値（原文）",
            "string",
            "マスターに書かれたとおりの基準値（注記を含む）",
            attrgetter("view.row.kpi.baseline_text"),
            _kpis_use(lambda v: _as_written_differs(v.kpi.baseline_text, v.kpi.baseline, v.kpi.unit)),
        ),
        Column("基準年度", "integer", "基準値の年度（西暦）", attrgetter("view.row.kpi.baseline_fy")),
        Column("目標値", "number", "目標値", attrgetter("view.row.kpi.target")),
        Column(
            "目標値（原文）",
            "string",
            "マスターに書かれたとおりの目標値（注記を含む）",
            attrgetter("view.row.kpi.target_text"),
            _kpis_use(lambda v: _as_written_differs(v.kpi.target_text, v.kpi.target, v.kpi.unit)),
        ),
        Column("目標年度", "integer", "目標値の年度（西暦）", attrgetter("view.row.kpi.target_fy")),
        Column("方向", "string", "目指す方向（増加・減少・維持）", attrgetter("view.row.kpi.direction")),
        Column("出典", "string", "値の出典", attrgetter("view.row.kpi.source")),
        Column("所管課", "string", "実績値を報告する課", attrgetter("view.row.kpi.owner")),
        Column("実績値", "number", "その年度の実績値（空欄は未報告）", attrgetter("actual")),
        Column(
            "達成率（%）",
            "number",
            "報告年度の達成率（%、小数1桁。公表した一覧表と同じ）。それより前の年度は空欄",
            current(lambda v: None if v.rate is None else round(v.rate * 100, 1)),
        ),
        Column(
            "評価",
            "string",
            "報告年度の評価（達成率による区分）。それより前の年度は空欄",
            current(lambda v: v.grade or None),
        ),
        Column(
            "評価不能の理由",
            "string",
            "報告年度に評価できなかった理由（未公表、調査年度でない など）",
            current(lambda v: v.row.not_evaluable or None),
            lambda view: view.report.evaluation or any(k.row.not_evaluable for k in view.kpis),
        ),
        Column(
            "備考",
            "string",
            "その年度の実績値について所管課が書いた備考（速報値、未集計の理由 など）",
            lambda r: dict(r.view.row.year_remarks).get(r.fy) or None,
            _kpis_use(lambda v: bool(v.row.year_remarks)),
        ),
    )


KPIS: Table[KpiYear] = Table(
    name="kpis",
    title="指標（KPI・数値目標）の実績",
    description="指標ごと・年度ごとの実績値と、報告年度の達成率・評価（1行 = 1指標 × 1年度）",
    rows=kpi_years,
    columns=_kpi_columns(),
    primary_key=("KPI_ID", FY),
    foreign_keys=(
        ForeignKey((GOAL_NUMBER,), "goals", (GOAL_NUMBER,)),
        ForeignKey((AREA_KEY,), "areas", (AREA_KEY,)),
    ),
    used=lambda view: bool(view.kpis),
)


@dataclass(frozen=True)
class EvaluationRow:
    """A 施策 with its evaluation (効果検証) in the report year."""

    view: ReportView
    area: AreaRow
    evaluation: EvaluationView


def evaluated_areas(view: ReportView) -> tuple[EvaluationRow, ...]:
    """The areas with an evaluation (効果検証), in master order."""
    return tuple(
        EvaluationRow(view, a, a.area.evaluation) for a in area_rows(view) if a.area.evaluation is not None
    )


AREA_EVALUATIONS: Table[EvaluationRow] = Table(
    name="area_evaluations",
    title="施策評価（効果検証）",
    description="報告年度の施策ごとの評価: 主管課の要因分析・課題・今後の方向性・前年度の方針への対応（1行 = 1施策）",
    rows=evaluated_areas,
    columns=(
        Column(AREA_KEY, "string", "施策の番号（areas.csv）", attrgetter("area.key")),
        Column("施策ID", "string", "施策の識別子（マスターのシート『施策』）", attrgetter("evaluation.id")),
        Column(FY, "integer", _FY_DESCRIPTION, attrgetter("view.report.fy")),
        Column(FY_LABEL, "string", "年度の和暦表記", attrgetter("view.report.fy_label")),
        Column("主管課", "string", "施策の評価を書いた課", attrgetter("evaluation.lead")),
        Column(
            "提出",
            "boolean",
            "主管課がこの年度の施策評価を提出した（true）",
            attrgetter("evaluation.submitted"),
        ),
        Column(
            "要因分析", "string", "KPIが動いた理由の分析", lambda r: r.evaluation.evaluation.factors or None
        ),
        Column("課題", "string", "課題", lambda r: r.evaluation.evaluation.issues or None),
        Column(
            "今後の方向性",
            "string",
            "施策の今後の方向性",
            lambda r: r.evaluation.evaluation.direction or None,
        ),
        Column(
            "前年度の方針への対応",
            "string",
            "前年度の方向性・課題に対して行ったこと",
            lambda r: r.evaluation.evaluation.response or None,
        ),
        Column(
            "前年度の方向性",
            "string",
            "前年度に決めた施策の今後の方向性",
            lambda r: r.evaluation.evaluation.previous_direction or None,
        ),
    ),
    primary_key=(AREA_KEY,),
    foreign_keys=(ForeignKey((AREA_KEY,), "areas", (AREA_KEY,)),),
    used=lambda view: bool(evaluated_areas(view)),
)


@dataclass(frozen=True)
class OpinionRow:
    """One committee member's rating and opinion on one 施策, with the city's response."""

    view: ReportView
    area: CommitteeArea
    comment: CommitteeComment


def opinion_rows(view: ReportView) -> tuple[OpinionRow, ...]:
    """Every opinion of the 外部評価, 施策 in master order, members in master order."""
    committee = view.report.committee
    if committee is None:
        return ()
    return tuple(OpinionRow(view, area, c) for area in committee.areas for c in area.comments)


COMMITTEE: Table[OpinionRow] = Table(
    name="committee_opinions",
    title="外部評価（委員の評価と意見、市の対応）",
    description="報告年度の外部評価: 委員ごと・施策ごとの評価と意見、それに対する市の対応（1行 = 1委員 × 1施策）",
    rows=opinion_rows,
    columns=(
        Column("施策ID", "string", "施策の識別子", attrgetter("area.id")),
        Column(
            "委員",
            "string",
            "委員（設定 委員名の公表 が「しない」なら 委員A などの記号）",
            attrgetter("comment.member"),
        ),
        Column(FY, "integer", _FY_DESCRIPTION, attrgetter("view.report.fy")),
        Column(FY_LABEL, "string", "年度の和暦表記", attrgetter("view.report.fy_label")),
        Column("基本目標", "string", "基本目標の名称", attrgetter("area.goal")),
        Column("施策", "string", "施策の名称", attrgetter("area.title")),
        Column("評価", "string", "委員の評価（設定 委員評価 の段階）", lambda r: r.comment.rating or None),
        Column("意見", "string", "委員の意見", lambda r: r.comment.opinion or None),
        Column("市の対応", "string", "意見に対する市の対応", lambda r: r.comment.response or None),
    ),
    primary_key=("施策ID", "委員"),
    used=lambda view: bool(opinion_rows(view)),
)

TABLES: tuple[Table[Any], ...] = (GOALS, AREAS, MEASURES, KPIS, AREA_EVALUATIONS, COMMITTEE)


# Writing


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _plain_number(value)
    return str(value)


# values the csv writer writes as _cell makes them: a text as it is, a whole number in digits, None empty
_AS_WRITTEN = frozenset({str, int, type(None)})


def table_csv(table: Table[Any], view: ReportView) -> bytes:
    """One table as CSV bytes: a header row, then one row per record; UTF-8 with BOM, LF line ends."""
    columns = table.used_columns(view)
    values = [c.value for c in columns]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=LINE_END)
    writer.writerow([c.name for c in columns])
    writer.writerows(
        [v if (v := value(row)).__class__ in _AS_WRITTEN else _cell(v) for value in values]
        for row in table.rows(view)
    )
    return buffer.getvalue().encode(ENCODING)


_LICENSES: dict[str, tuple[str, str, str]] = {  # normalised 設定 value -> (SPDX id, URL, title)
    "ccby4.0": (
        "CC-BY-4.0",
        "https://creativecommons.org/licenses/by/4.0/",
        "Creative Commons Attribution 4.0",
    ),
    "ccbysa4.0": (
        "CC-BY-SA-4.0",
        "https://creativecommons.org/licenses/by-sa/4.0/",
        "Creative Commons Attribution Share-Alike 4.0",
    ),
    "cc01.0": ("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0 Universal"),
    "cc0": ("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0 Universal"),
    "公共データ利用規約第1.0版": (
        "PDL-1.0",
        "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
        "公共データ利用規約（第1.0版）",
    ),
}
_LICENSE_KEY = re.compile(r"[\s\-_()（）]|ライセンス|国際|表示")


def license_record(text: str) -> dict[str, str]:
    """The datapackage licence of 設定 ライセンス: SPDX name, URL and title when known, else the text as title."""
    key = _LICENSE_KEY.sub("", unicodedata.normalize("NFKC", text).lower())
    known = _LICENSES.get(key)
    if known:
        name, path, title = known
        return {"name": name, "path": path, "title": title}
    if re.match(r"https?://", text.strip()):
        return {"path": text.strip(), "title": text.strip()}
    return {"name": text.strip(), "title": text.strip()}


def _schema(table: Table[Any], view: ReportView) -> dict[str, Any]:
    fields = []
    for column in table.used_columns(view):
        field: dict[str, Any] = {"name": column.name, "type": column.type, "description": column.description}
        if column.name in table.primary_key:
            field["constraints"] = {"required": True}
        fields.append(field)
    schema: dict[str, Any] = {"fields": fields, "primaryKey": list(table.primary_key), "missingValues": [""]}
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": list(k.fields), "reference": {"resource": k.resource, "fields": list(k.reference)}}
            for k in table.foreign_keys
        ]
    return schema


def datapackage(view: ReportView, files: dict[str, bytes], tables: Sequence[Table[Any]]) -> dict[str, Any]:
    """The Data Package descriptor of the CSV files written (Frictionless Data Package, v1 profile)."""
    report = view.report
    label = f"{report.fy_label}（{report.fy}年度）"
    owner = "" if report.plan_name.startswith(report.city) else report.city  # 清瀬市清瀬市… never
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": f"kpi-report-{report.fy}",
        "title": f"{owner}{report.plan_name} 進捗状況 {label}",
        "description": (
            f"{owner}{report.plan_name}の{label}の進捗状況一覧表を機械判読できる形にしたもの。"
            "取組ごと・指標ごとに、計画の初年度から報告年度までの各年度を1行で表す。"
        ),
        "licenses": [license_record(report.license)],
        "plan": report.plan_name,
        "city": report.city,
        "fiscalYear": report.fy,
        "fiscalYearLabel": report.fy_label,
        "keywords": [report.plan_name, "進捗状況", "KPI"],
        "resources": [],
    }
    if report.city:
        package["contributors"] = [{"title": report.city, "role": "publisher"}]
    for table in tables:
        data = files[f"{table.name}.csv"]
        package["resources"].append(
            {
                "name": table.name,
                "path": f"{table.name}.csv",
                "title": table.title,
                "description": table.description,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": ENCODING,
                "bytes": len(data),
                "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
                "dialect": {"delimiter": ",", "lineTerminator": LINE_END, "quoteChar": '"', "header": True},
                "schema": _schema(table, view),
            }
        )
    return package


def render_opendata(view: ReportView) -> dict[str, bytes]:
    """The open data folder's files: file name -> bytes (every used table's CSV, then datapackage.json)."""
    tables = [t for t in TABLES if t.used(view)]
    files = {f"{t.name}.csv": table_csv(t, view) for t in tables}
    descriptor = datapackage(view, files, tables)
    files[DATAPACKAGE] = (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return files
