"""Plain data passed between the pipeline stages: the plan, findings, entries, the report model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

DEFAULT_STATUSES: tuple[str, ...] = ("実施中", "完了", "一部実施", "検討中", "未着手", "休止・中止")
DIRECTIONS: tuple[str, ...] = ("増加", "減少", "維持")
CATEGORIES: tuple[str, ...] = ("継続", "新規", "拡充", "検討")
DEFAULT_DIRECTIONS: tuple[str, ...] = ("拡充", "継続", "改善", "縮小", "廃止", "終了")  # 今後の方向性
DEFAULT_NOT_EVALUABLE: tuple[str, ...] = ("未公表", "調査年度でない", "事業終了", "その他")  # 評価不能の理由
NOT_EVALUABLE = "評価不能"  # the grade text of a KPI that cannot be evaluated this year (never a D)
EvaluationMethod = Literal["目標比", "経過按分"]
DEFAULT_LICENSE = "CC BY 4.0"  # 設定 ライセンス when the master names none
DEFAULT_COMMITTEE_SCALE: tuple[str, ...] = ("順調", "概ね順調", "やや遅れ", "遅れ")  # 委員評価
UNREPORTED = "未報告"  # the status of a measure without an accepted one for the report year (集計, tables)

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class GradeThresholds:
    """評価 thresholds on the achievement rate (1.0 = 100%): A ≥ a, B ≥ b, C > c, else D."""

    a: float = 1.0
    b: float = 0.5
    c: float = 0.0


@dataclass(frozen=True)
class GradeBand:
    """One grade label and the lowest rate that earns it (None: the last label, taking the rest)."""

    label: str
    threshold: float | None


@dataclass(frozen=True)
class GradeScheme:
    """The city's grade labels, best first: A/B/C/D, S/A/B/C, ◎○△× … (設定 評価区分).

    A label applies at or above its threshold; a threshold of 0 % or less applies only strictly above it, so
    that no progress is never graded as progress (A:100%、B:50%、C:0%、D gives C for any gain, D for none).
    """

    bands: tuple[GradeBand, ...] = (
        GradeBand("A", 1.0),
        GradeBand("B", 0.5),
        GradeBand("C", 0.0),
        GradeBand("D", None),
    )

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels, best first."""
        return tuple(b.label for b in self.bands)

    @classmethod
    def from_thresholds(cls, t: GradeThresholds) -> GradeScheme:
        """The A/B/C/D scheme of the 評価A / 評価B / 評価C keys."""
        return cls((GradeBand("A", t.a), GradeBand("B", t.b), GradeBand("C", t.c), GradeBand("D", None)))


@dataclass(frozen=True)
class PolicyArea:
    """A 施策 as the master's optional sheet 施策 names it: its stable ID and its lead department (主管課)."""

    id: str  # 施策ID
    goal: str  # 基本目標 title
    title: str  # 施策 title
    lead: str  # 主管課: the one department that writes the 施策's evaluation
    row: int = 0


@dataclass(frozen=True)
class Member:
    """A member of the external committee (master sheet 委員)."""

    id: str  # 委員ID
    name: str  # 氏名
    group: str = ""  # 区分 (学識経験者, 産業界 …)
    row: int = 0


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
    issue_date: str = ""  # 発行日 without a year: the review's cover of every year without its own
    issue_dates: tuple[tuple[int, str], ...] = ()  # 発行日 lines 「2023: 令和6年6月1日」: (report year, date)
    notes_max_chars: int = 2000  # 実施状況の最大文字数
    submit_to: str = "企画課"  # 提出先: the department the forms go back to
    deadline: date | None = None  # 提出期限, printed in every form's 記入方法
    license: str = DEFAULT_LICENSE  # ライセンス: the open data licence (outputs/<FY>/opendata/)
    # 効果検証 (evaluation): on when the master has a sheet 施策 or any evaluation key in 設定
    evaluation: bool = False
    directions: tuple[str, ...] = DEFAULT_DIRECTIONS  # 今後の方向性
    grade_scheme: GradeScheme | None = None  # 評価区分; None: the A–D scheme of ``grades``
    not_evaluable_reasons: tuple[str, ...] = DEFAULT_NOT_EVALUABLE  # 評価不能の理由
    method: EvaluationMethod = "目標比"  # 評価方式
    maintain_tolerance: float = 0.0  # 維持の許容幅: a 維持 KPI within this share below its baseline is kept
    budgets: bool = False  # 事業費: 記入する → the forms ask for 予算額 and 決算額 (千円)
    # 外部評価 (the committee): the rating scale, best first, and whether the review names the members
    committee_scale: tuple[str, ...] = DEFAULT_COMMITTEE_SCALE  # 委員評価
    member_names: bool = False  # 委員名の公表: する → named; しない (default) → 委員A, 委員B …

    @property
    def scheme(self) -> GradeScheme:
        """The grade labels in force: 評価区分, else 評価A/B/C."""
        return self.grade_scheme or GradeScheme.from_thresholds(self.grades)

    def issue_date_for(self, fy: int) -> str:
        """The 発行日 printed on report year ``fy``'s review: its own line, else the one without a year."""
        return dict(self.issue_dates).get(fy, self.issue_date)


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
    method: EvaluationMethod | None = None  # 評価方式 of this KPI; None: the plan's


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
    policy_areas: tuple[PolicyArea, ...] = ()  # sheet 施策 (効果検証), in sheet order
    members: tuple[Member, ...] = ()  # sheet 委員 (外部評価), in sheet order

    def policy_area(self, goal: str, area: str) -> PolicyArea | None:
        """The sheet-施策 record of an area, None when the plan has none for it."""
        return next((p for p in self.policy_areas if p.goal == goal and p.title == area), None)

    def policy_areas_led_by(self, department: str) -> tuple[PolicyArea, ...]:
        """The 施策 whose evaluation the department writes (主管課), in sheet order."""
        return tuple(p for p in self.policy_areas if p.lead == department)

    @property
    def departments(self) -> tuple[str, ...]:
        """Every department that owns a measure, reports a KPI or leads a 施策, in first-appearance order."""
        seen: dict[str, None] = {}
        for m in self.measures:
            for d in m.owners:
                seen.setdefault(d, None)
        for k in self.kpis:
            seen.setdefault(k.owner, None)
        for p in self.policy_areas:  # a 主管課 writes its 施策's evaluation even if it owns nothing else
            seen.setdefault(p.lead, None)
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
    direction: str = ""  # 今後の方向性 (効果検証), "" when not asked or not given
    issues: str = ""  # 課題・今後の取組
    budget: float | None = None  # 予算額（千円）
    settlement: float | None = None  # 決算額（千円）


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
    not_evaluable: str = ""  # 評価不能の理由: why the KPI cannot be evaluated this year ("" = evaluable)


@dataclass(frozen=True)
class AreaEntry:
    """The lead department's evaluation of one 施策 for one fiscal year (form sheet 施策評価)."""

    fy: int
    department: str
    area_id: str  # 施策ID
    factors: str  # 要因分析: why the KPIs moved
    issues: str  # 課題
    direction: str  # 今後の方向性 of the 施策
    response: str  # 前年度の方針への対応: what was done about last year's direction
    file: str = ""
    row: int = 0


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
    direction: str = ""  # the report year's 今後の方向性 (効果検証)
    issues: str = ""  # 課題・今後の取組
    budget: float | None = None  # 予算額（千円）
    settlement: float | None = None  # 決算額（千円）
    previous_direction: str = ""  # last year's 今後の方向性, carried forward


@dataclass(frozen=True)
class KpiRow:
    """A KPI or 数値目標 with its actual values per fiscal year, rate and grade for the report year."""

    kpi: Kpi
    actuals: tuple[tuple[int, float | None], ...]  # (fiscal year, actual) for every year shown
    actual: float | None  # the report year's actual
    rate: float | None  # achievement rate, 1.0 = 100%; None shown as －
    grade: str  # the grade label (A/B/C/D, ◎○△× …); NOT_EVALUABLE with a reason; "" when no rate
    not_evaluable: str = ""  # 評価不能の理由 of the report year ("" = evaluated)
    judged_rate: float | None = None  # the rate the grade was judged on (経過按分: rate / expected progress)
    expected: float | None = None  # 経過按分: the share of the way expected by the report year
    remarks: str = ""  # the report year's 備考 (why an actual is blank, a 速報値 …), "" when none
    year_remarks: tuple[tuple[int, str], ...] = ()  # (fiscal year, 備考) for every shown year with one


@dataclass(frozen=True)
class AreaSection:
    """A 施策 in the report: its measures and KPIs."""

    title: str
    rows: tuple[MeasureRow, ...]
    kpis: tuple[KpiRow, ...]
    evaluation: AreaEvaluation | None = None  # 効果検証 of the 施策 (sheet 施策 plans only)


@dataclass(frozen=True)
class AreaEvaluation:
    """A 施策's evaluation for the report year, with last year's direction and problems carried forward."""

    id: str  # 施策ID
    lead: str  # 主管課
    factors: str = ""  # 要因分析
    issues: str = ""  # 課題
    direction: str = ""  # 今後の方向性
    response: str = ""  # 前年度の方針への対応
    previous_direction: str = ""
    previous_issues: str = ""
    submitted: bool = False  # the lead department sent this year's evaluation


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
    license: str = DEFAULT_LICENSE  # the open data licence (設定 ライセンス)
    evaluation: bool = False  # the plan uses 効果検証: directions, evaluation blocks, grade tallies
    budgets: bool = False  # 事業費 were collected
    grade_scheme: GradeScheme = field(default_factory=GradeScheme)  # the labels in force, best first
    directions: tuple[str, ...] = DEFAULT_DIRECTIONS  # the 今後の方向性 scale
    method: EvaluationMethod = "目標比"
    committee: CommitteeReport | None = None  # 外部評価 (plans with sheet 委員 only)


@dataclass(frozen=True)
class CommitteeOpinion:
    """One member's rating and opinion on one 施策 (a committee workbook's sheet 意見) and the city's response."""

    member_id: str  # 委員ID
    area_id: str  # 施策ID
    rating: str  # one of the scale, "" when not given
    opinion: str  # 意見, "" when not given
    file: str = ""
    row: int = 0


@dataclass(frozen=True)
class CommitteeResponse:
    """The city's response (市の対応) to one opinion (対応.xlsx)."""

    member_id: str
    area_id: str
    response: str
    row: int = 0


@dataclass(frozen=True)
class CommitteeCheck:
    """The committee's returned workbooks and the responses workbook of one fiscal year, checked."""

    fy: int
    findings: tuple[Finding, ...]
    opinions: tuple[CommitteeOpinion, ...]  # usable ones, member order then 施策 order
    overall: tuple[tuple[str, str], ...]  # (委員ID, 全体意見)
    responses: tuple[CommitteeResponse, ...]
    submitted: tuple[str, ...]  # 委員ID of the members whose workbook was read
    files: tuple[tuple[str, str], ...] = ()  # (path inside inputs/<FY>/, sha256) of every file read

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The error findings."""
        return tuple(f for f in self.findings if f.severity == "error")


@dataclass(frozen=True)
class CommitteeComment:
    """An opinion as published: who (named or 委員A …), the rating, the opinion and the city's response."""

    member: str  # display name: 氏名, or 委員A … per 委員名の公表
    rating: str
    opinion: str
    response: str = ""


@dataclass(frozen=True)
class CommitteeArea:
    """One 施策's ratings tallied over the scale and its opinions."""

    id: str  # 施策ID
    goal: str
    title: str
    tally: tuple[int, ...]  # counts in CommitteeReport.scale order
    comments: tuple[CommitteeComment, ...]

    @property
    def rated(self) -> int:
        """How many members rated the 施策."""
        return sum(self.tally)


@dataclass(frozen=True)
class CommitteeReport:
    """The 外部評価 chapter: per 施策 the tally and opinions with the city's responses; the overall opinions."""

    scale: tuple[str, ...]
    members: int  # members in the master
    responded: int  # members whose workbook was read
    areas: tuple[CommitteeArea, ...]
    overall: tuple[tuple[str, str], ...]  # (display name, 全体意見)
    named: bool  # 委員名の公表 する

    @property
    def totals(self) -> tuple[int, ...]:
        """The ratings of every 施策 together, in scale order."""
        return tuple(sum(a.tally[i] for a in self.areas) for i in range(len(self.scale)))


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
    area_entries: tuple[AreaEntry, ...] = ()  # 施策評価 sheets (効果検証)

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The error findings."""
        return tuple(f for f in self.findings if f.severity == "error")
