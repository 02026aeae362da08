"""Plain data passed between the pipeline stages: the plan, findings, entries, the report model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

DEFAULT_STATUSES: tuple[str, ...] = ("実施中", "完了", "一部実施", "検討中", "未着手", "休止・中止")
DIRECTIONS: tuple[str, ...] = ("増加", "減少", "維持")
CATEGORIES: tuple[str, ...] = ("継続", "新規", "拡充", "検討")
UNREPORTED = "未報告"  # the status of a measure without an accepted one for the report year (集計, tables)

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class GradeThresholds:
    """評価 thresholds on the achievement rate (1.0 = 100%): A ≥ a, B ≥ b, C > c, else D."""

    a: float = 1.0
    b: float = 0.5
    c: float = 0.0


@dataclass(frozen=True)
class Settings:
    """The master's 設定 sheet."""

    plan_name: str = "総合戦略"  # 計画名
    city: str = ""  # 自治体名
    start_fy: int | None = None  # 計画開始年度
    end_fy: int | None = None  # 計画終了年度
    statuses: tuple[str, ...] = DEFAULT_STATUSES  # 進捗状況
    reiwa_for_2019: bool = True  # 和暦: 令和元年度 (True) or 平成31年度 for FY2019
    grades: GradeThresholds = field(default_factory=GradeThresholds)
    issue_date: str = ""  # 発行日, printed on the review's cover
    notes_max_chars: int = 2000  # 実施状況の最大文字数


@dataclass(frozen=True)
class Measure:
    """A 取組 (measure) of the master."""

    id: str  # 取組ID
    goal: str  # 基本目標
    area: str  # 施策
    number: str  # 番号 (display number within its area)
    name: str  # 名称
    content: str  # 内容
    owners: tuple[str, ...]  # 所管課; the first leads
    related: tuple[str, ...] = ()  # 関連課
    category: str = ""  # 区分
    budget_codes: tuple[str, ...] = ()  # 予算事業コード, text
    policy_no: str = ""  # 総合計画施策
    row: int = 0  # row in the master sheet


@dataclass(frozen=True)
class Kpi:
    """A KPI (施策-level) or 数値目標 (goal-level, area empty)."""

    id: str
    goal: str
    area: str  # "" for a goal-level 数値目標
    name: str  # 指標名
    unit: str  # 単位
    baseline: float | None  # 基準値 (number), None when absent
    baseline_text: str  # 基準値 as written
    baseline_fy: int | None  # 基準年度
    target: float | None  # 目標値 (number)
    target_text: str  # 目標値 as written, note included
    target_fy: int | None  # 目標年度
    direction: str  # 方向: 増加 / 減少 / 維持
    source: str  # 出典
    owner: str  # 所管課
    row: int = 0


@dataclass(frozen=True)
class Area:
    """A 施策 and its measures in master order."""

    title: str
    measures: tuple[Measure, ...]


@dataclass(frozen=True)
class Goal:
    """A 基本目標 and its areas in master order."""

    title: str
    areas: tuple[Area, ...]


@dataclass(frozen=True)
class Plan:
    """The loaded master: settings, hierarchy, flat lists and the master's checksum."""

    settings: Settings
    goals: tuple[Goal, ...]
    measures: tuple[Measure, ...]
    kpis: tuple[Kpi, ...]
    sha256: str = ""

    @property
    def departments(self) -> tuple[str, ...]:
        """Every department that owns a measure or reports a KPI, in first-appearance order."""
        seen: dict[str, None] = {}
        for m in self.measures:
            for d in m.owners:
                seen.setdefault(d, None)
        for k in self.kpis:
            seen.setdefault(k.owner, None)
        return tuple(seen)

    def measures_of(self, department: str) -> tuple[Measure, ...]:
        """Measures the department owns (lead or co-owner), in master order."""
        return tuple(m for m in self.measures if department in m.owners)

    def kpis_of(self, department: str) -> tuple[Kpi, ...]:
        """KPIs the department reports, in master order."""
        return tuple(k for k in self.kpis if k.owner == department)


@dataclass(frozen=True)
class Finding:
    """One validation problem: where, what was seen, and how to fix it (Japanese message)."""

    code: str  # stable slug, e.g. "status-not-in-scale"
    severity: Severity
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""  # A1 reference
    item_id: str = ""  # 取組ID or KPI_ID
    value: str = ""  # the value seen, as written
    department: str = ""


@dataclass(frozen=True)
class MeasureEntry:
    """One department's report on one measure for one fiscal year."""

    fy: int
    department: str
    measure_id: str
    status: str  # "" when not given
    notes: tuple[str, ...]  # 実施状況, one point per item, bullet marks removed
    file: str = ""
    row: int = 0


@dataclass(frozen=True)
class KpiEntry:
    """One department's actual value (実績値) of one KPI for one fiscal year."""

    fy: int
    department: str
    kpi_id: str
    actual: float | None  # None = not reported
    actual_text: str  # as written
    file: str = ""
    row: int = 0
    remarks: str = ""  # 備考, as written (cleaned)


@dataclass(frozen=True)
class YearNotes:
    """One fiscal year's notes of a measure, as shown under its era heading."""

    fy: int
    heading: str  # 【平成28年度】
    points: tuple[str, ...]


@dataclass(frozen=True)
class MeasureRow:
    """A measure as the progress list shows it for the report year."""

    measure: Measure
    status: str  # the report year's 進捗状況 ("" when none accepted)
    history: tuple[YearNotes, ...]  # plan start .. report year; years without an entry left out
    flagged: bool = False  # rendered despite errors (--allow-errors)


@dataclass(frozen=True)
class KpiRow:
    """A KPI or 数値目標 with its actual values per fiscal year, rate and grade for the report year."""

    kpi: Kpi
    actuals: tuple[tuple[int, float | None], ...]  # (fiscal year, actual) for every year shown
    actual: float | None  # the report year's actual
    rate: float | None  # achievement rate, 1.0 = 100%; None shown as －
    grade: str  # A/B/C/D, "" when no rate


@dataclass(frozen=True)
class AreaSection:
    """A 施策 in the report: its measures and KPIs."""

    title: str
    rows: tuple[MeasureRow, ...]
    kpis: tuple[KpiRow, ...]


@dataclass(frozen=True)
class GoalSection:
    """A 基本目標 in the report: its 数値目標 and areas."""

    title: str
    indicators: tuple[KpiRow, ...]  # goal-level 数値目標
    areas: tuple[AreaSection, ...]


@dataclass(frozen=True)
class ProgressReport:
    """The finished model every renderer lays out (progress list xlsx/html, annual review pdf)."""

    plan_name: str
    city: str
    fy: int
    fy_label: str  # 令和元年度
    notes_header: str  # 令和元年度までの実施等状況
    years: tuple[int, ...]  # fiscal years with data, ascending, up to fy
    statuses: tuple[str, ...]  # the status scale, for counting
    issue_date: str
    goals: tuple[GoalSection, ...]
    missing_submissions: tuple[str, ...] = ()  # departments with no accepted workbook for fy
    orphan_ids: tuple[str, ...] = ()  # entries whose 取組ID/KPI_ID no longer exists in the master
    reiwa_for_2019: bool = True
    status_columns: tuple[str, ...] = ()  # 集計 columns: the scale, other statuses seen, then 未報告
    status_counts: tuple[StatusCount, ...] = ()  # per goal, counts in status_columns order
    flagged_departments: tuple[str, ...] = ()  # departments whose report-year errors were overridden
    grade_thresholds: GradeThresholds = field(default_factory=GradeThresholds)  # 評価 rule, for legends


@dataclass(frozen=True)
class StatusCount:
    """The report year's 進捗状況 counts of one 基本目標 (the 集計 table)."""

    goal: str
    counts: tuple[int, ...]  # in ProgressReport.status_columns order


Progress = Callable[[str, int, int], None]  # (label, done, total): how library code reports long work


@dataclass(frozen=True)
class Submission:
    """One workbook read for a fiscal year and whom it came from."""

    file: str  # file name inside inputs/<FY>/
    department: str  # "" when it could not be identified
    sha256: str
    errors: int  # error findings in this file
    warnings: int


@dataclass(frozen=True)
class CheckReport:
    """The result of checking one fiscal year's inputs: findings and the entries read."""

    fy: int
    findings: tuple[Finding, ...]
    measure_entries: tuple[MeasureEntry, ...]
    kpi_entries: tuple[KpiEntry, ...]
    submissions: tuple[Submission, ...]
    missing_departments: tuple[str, ...]  # departments that own something but sent nothing

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The error findings."""
        return tuple(f for f in self.findings if f.severity == "error")
