"""効果検証 outputs: the merge's rules (grades per scheme and method, 評価不能 never a D, last year's direction
carried forward) and what every output shows — the workbook read back with openpyxl, the page parsed, the
review's text extracted with pdftotext, the diff of two years' lists."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from kpi_report.compare.diff import Change, diff_files
from kpi_report.core.model import (
    NOT_EVALUABLE,
    AreaEntry,
    CheckReport,
    KpiEntry,
    KpiRow,
    MeasureEntry,
    Plan,
    PolicyArea,
    ProgressReport,
)
from kpi_report.merge.merge import merge
from kpi_report.plan.evaluation import parse_grade_scheme
from kpi_report.present.table import present
from kpi_report.render.progress_html import render_progress_html
from kpi_report.render.progress_xlsx import render_progress_xlsx

REPO = Path(__file__).resolve().parents[1]
DIRECTIONS = ("拡充", "継続", "改善", "縮小", "継続", "継続")
UNEVALUABLE = "K1-3-02"  # this KPI's statistic is not yet published in 2019


def evaluation_plan(plan: Plan, **settings: object) -> Plan:
    """The plain sample plan with 効果検証 on: a sheet 施策 (the lead = the first owner of the first measure)."""
    areas = tuple(
        PolicyArea(f"{gi}-{ai}", goal.title, area.title, area.measures[0].owners[0])
        for gi, goal in enumerate(plan.goals, start=1)
        for ai, area in enumerate(goal.areas, start=1)
    )
    new = replace(plan.settings, evaluation=True, budgets=True, **settings)  # type: ignore[arg-type]
    return replace(plan, settings=new, policy_areas=areas)


def year_report(plan: Plan, fy: int, unevaluable: bool = True) -> CheckReport:
    """Every department's entries of ``fy``: statuses, notes, directions, budgets, KPI actuals, evaluations."""
    shift = fy - 2018
    measures = tuple(
        MeasureEntry(
            fy,
            m.owners[0],
            m.id,
            "実施中",
            (f"{fy}年度の取組 {m.id}",),
            direction=DIRECTIONS[(i + shift) % len(DIRECTIONS)],
            issues=f"{m.id}の課題（{fy}）",
            budget=1234.0 * (i + 1) + shift,
            settlement=1000.0 * (i + 1),
        )
        for i, m in enumerate(plan.measures)
    )
    kpis = []
    for k in plan.kpis:
        if unevaluable and k.id == UNEVALUABLE and fy == 2019:
            kpis.append(KpiEntry(fy, k.owner, k.id, None, "", not_evaluable="未公表"))
            continue
        base, target = k.baseline or 0.0, k.target or 0.0
        value = base + (target - base) * (0.5 + 0.3 * shift)
        kpis.append(KpiEntry(fy, k.owner, k.id, value, str(value)))
    areas = tuple(
        AreaEntry(
            fy,
            p.lead,
            p.id,
            factors=f"{p.id} の要因分析（{fy}）",
            issues=f"{p.id} の課題（{fy}）",
            direction=DIRECTIONS[shift % len(DIRECTIONS)],
            response=f"{p.id} 前年度の方針への対応（{fy}）",
        )
        for p in plan.policy_areas
        if not (fy == 2019 and p.id == "4-2")  # one 主管課 has not sent its evaluation
    )
    return CheckReport(fy, (), measures, tuple(kpis), (), (), areas)


@pytest.fixture(scope="module")
def eplan(plain_plan: Plan) -> Plan:
    return evaluation_plan(plain_plan)


@pytest.fixture(scope="module")
def report(eplan: Plan) -> ProgressReport:
    return merge(eplan, 2019, {2018: year_report(eplan, 2018), 2019: year_report(eplan, 2019)}).report


def kpi_rows(report: ProgressReport) -> dict[str, KpiRow]:
    rows = [k for g in report.goals for k in (*g.indicators, *(k for a in g.areas for k in a.kpis))]
    return {r.kpi.id: r for r in rows}


# The merge's rules


def test_grades_follow_the_configured_scheme(eplan: Plan) -> None:
    scheme, _ = parse_grade_scheme("◎:100%、○:80%、△:50%、×")
    plan = replace(eplan, settings=replace(eplan.settings, grade_scheme=scheme))
    report = merge(plan, 2019, {2019: year_report(plan, 2019)}).report
    rows = kpi_rows(report)
    assert rows["K1-1-01"].grade == "○"  # 80 % of the way
    assert report.grade_scheme.labels == ("◎", "○", "△", "×")
    view = present(report)
    assert view.grade_columns == ("◎", "○", "△", "×", NOT_EVALUABLE, "－")


def test_progress_by_elapsed_years_judges_on_the_expected_share(eplan: Plan) -> None:
    # 2018 of 2014–2019: 4 of 5 years elapsed, 50 % of the way is 62.5 % of what is expected → B
    plan = replace(eplan, settings=replace(eplan.settings, method="経過按分"))
    rows = kpi_rows(merge(plan, 2018, {2018: year_report(plan, 2018)}).report)
    row = rows["K1-1-01"]
    assert row.rate == pytest.approx(0.5)
    assert row.expected == pytest.approx(0.8)
    assert row.judged_rate == pytest.approx(0.625)
    assert row.grade == "B"


def test_a_kpi_that_cannot_be_evaluated_is_never_a_d(report: ProgressReport) -> None:
    row = kpi_rows(report)[UNEVALUABLE]
    assert row.grade == NOT_EVALUABLE and row.not_evaluable == "未公表" and row.rate is None
    view = next(k for k in present(report).kpis if k.kpi.id == UNEVALUABLE)
    assert view.result_text == "評価不能（未公表）"


def test_a_reported_value_wins_over_a_reason(eplan: Plan) -> None:
    entries = year_report(eplan, 2019)
    kpis = tuple(
        replace(e, not_evaluable="未公表") if e.kpi_id == "K1-1-01" else e for e in entries.kpi_entries
    )
    report = merge(eplan, 2019, {2019: replace(entries, kpi_entries=kpis)}).report
    assert kpi_rows(report)["K1-1-01"].grade == "B"


def test_last_years_direction_is_carried_forward(report: ProgressReport) -> None:
    row = report.goals[0].areas[0].rows[0]
    assert (row.direction, row.previous_direction) == ("継続", "拡充")
    assert row.issues == "1-1-01の課題（2019）"
    assert (row.budget, row.settlement) == (1235.0, 1000.0)
    evaluation = report.goals[0].areas[0].evaluation
    assert evaluation is not None and evaluation.submitted
    assert (evaluation.direction, evaluation.previous_direction) == ("継続", "拡充")
    assert evaluation.previous_issues == "1-1 の課題（2018）"
    assert evaluation.factors == "1-1 の要因分析（2019）"


def test_the_lead_departments_entry_comes_first(eplan: Plan) -> None:
    entries = year_report(eplan, 2019)
    other = AreaEntry(2019, "ほかの課", "1-1", "別の要因分析", "", "縮小", "", file="a.xlsx")
    report = merge(eplan, 2019, {2019: replace(entries, area_entries=(other, *entries.area_entries))}).report
    evaluation = report.goals[0].areas[0].evaluation
    assert evaluation is not None and evaluation.factors == "1-1 の要因分析（2019）"


def test_a_lead_that_sent_nothing_is_shown_as_not_submitted(report: ProgressReport) -> None:
    evaluation = report.goals[3].areas[1].evaluation
    assert evaluation is not None and not evaluation.submitted
    assert evaluation.previous_direction == "拡充" and evaluation.factors == ""


def test_a_plan_without_evaluation_has_none_of_it(plain_plan: Plan) -> None:
    report = merge(plain_plan, 2019, {2019: year_report(evaluation_plan(plain_plan), 2019, False)}).report
    view = present(report)
    assert not report.evaluation and view.grade_columns == ("A", "B", "C", "D", "－")
    assert not view.direction_rows and all(a.evaluation is None for a in view.areas)
    assert all(r.direction_text == "" for a in view.areas for r in a.rows)


# The presented texts


def test_views_carry_the_evaluation_texts(report: ProgressReport) -> None:
    view = present(report)
    row = view.goals[0].areas[0].rows[0]
    assert (row.direction_text, row.previous_direction_text) == ("継続", "拡充")
    assert (row.budget_text, row.settlement_text) == ("1,235千円", "1,000千円")
    e = view.goals[0].areas[2].evaluation
    assert e is not None
    assert e.kpi_results[1] == "婚活事業のカップリング数：評価不能（未公表）"
    assert e.kpi_results[0].endswith("：B（達成率 80.0%）")
    assert view.grade_rows[0].text == "KPI・数値目標 7 = B 6 / 評価不能 1"
    assert view.direction_rows[0].text.startswith("取組 34 = 拡充 ")
    assert sum(view.direction_rows[0].counts) == 34


# Every output's content


@pytest.fixture(scope="module")
def workbook(report: ProgressReport) -> Workbook:
    return load_workbook(io.BytesIO(render_progress_xlsx(present(report))))


def test_the_list_shows_direction_and_budgets_after_the_status(workbook: Workbook) -> None:
    ws = workbook["進捗状況一覧表"]
    header = [c.value for c in ws[3]]
    assert header[4:8] == ["進捗状況", "今後の方向性", "予算額（千円）", "決算額（千円）"]
    assert header[-1] == "取組ID" and ws.column_dimensions["J"].hidden
    first = [c.value for c in ws[6]]
    assert first[5:8] == ["継続", 1235, 1000] and first[-1] == "1-1-01"
    assert ws["G6"].number_format == "#,##0"


def test_the_kpi_sheet_names_the_reason(workbook: Workbook) -> None:
    ws = workbook["KPI"]
    header = [c.value for c in ws[3]]
    at = header.index("評価不能の理由")
    row = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] == UNEVALUABLE)
    assert row[header.index("評価")] == NOT_EVALUABLE and row[at] == "未公表"


def test_the_evaluation_sheet_has_one_row_per_area(workbook: Workbook) -> None:
    ws = workbook["施策評価"]
    header = [c.value for c in ws[3]]
    assert header[:4] == ["施策ID", "基本目標", "施策", "主管課"]
    rows = [dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=4, values_only=True)]
    assert [r["施策ID"] for r in rows] == [
        "1-1",
        "1-2",
        "1-3",
        "1-4",
        "1-5",
        "2-1",
        "2-2",
        "3-1",
        "4-1",
        "4-2",
    ]
    assert rows[2]["要因分析"] == "1-3 の要因分析（2019）"
    assert "評価不能（未公表）" in str(rows[2]["KPIの評価"])
    assert (rows[2]["今後の方向性"], rows[2]["前年度の今後の方向性"]) == ("継続", "拡充")
    assert str(rows[9]["主管課"]).endswith("（未提出）") and rows[9]["要因分析"] == "－"
    summary = workbook["集計"]
    texts = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert "KPI・数値目標の評価（基本目標別）" in texts and "取組の今後の方向性（基本目標別）" in texts


class _Page(HTMLParser):
    """Table headers, captions and the text of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.th_scopes: list[str | None] = []
        self.captions: list[str] = []
        self.text: list[str] = []
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "th":
            self.th_scopes.append(dict(attrs).get("scope"))
        self._in_caption = tag == "caption"

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.captions.append(data)
        self.text.append(data)


def test_the_page_shows_directions_tallies_and_evaluations(report: ProgressReport) -> None:
    page = _Page()
    page.feed(render_progress_html(present(report)).decode("utf-8"))
    text = "".join(page.text)
    assert all(page.th_scopes)
    for caption in ("KPI・数値目標の評価（件数）", "取組の今後の方向性（取組数）"):
        assert caption in page.captions
    assert any(
        c.startswith("③ 結婚・出産の希望の実現推進の施策評価（主管課：企画課）") for c in page.captions
    )
    for expected in (
        "今後の方向性",
        "前年度：拡充",
        "1,235千円",
        "1-3 の要因分析（2019）",
        "評価不能（未公表）",
        "前年度の方針への対応",
    ):
        assert expected in text


def test_the_page_of_a_plan_without_evaluation_has_no_such_column(plain_plan: Plan) -> None:
    report = merge(plain_plan, 2019, {2019: year_report(evaluation_plan(plain_plan), 2019, False)}).report
    html = render_progress_html(present(report)).decode("utf-8")
    assert "今後の方向性" not in html and "施策評価" not in html


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_review_shows_each_areas_evaluation(report: ProgressReport, tmp_path: Path) -> None:
    from kpi_report.render.review.review import render_review

    pdf = tmp_path / "review.pdf"
    pdf.write_bytes(render_review(present(report), [REPO / "templates"], workers=1))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    for expected in (
        "施策評価（主管課：企画課）",
        "婚活事業のカップリング数：評価不能（未公表）",
        "1-3の要因分析（2019）",
        "1-3前年度の方針への対応（2019）",
        "（前年度の今後の方向性：拡充）",
        "今後の方向性：継続（前年度：拡充）",
        "予算額1,235千円・決算額1,000千円",
        "KPI・数値目標7=B6/評価不能1",
        "取組の今後の方向性（基本目標別）",
        "令和元年度の施策評価は未提出",
        "評価不能:",
    ):
        assert expected in flat, expected


def test_diff_reports_direction_budget_grade_and_evaluation_changes(
    eplan: Plan, report: ProgressReport, tmp_path: Path
) -> None:
    old = merge(eplan, 2018, {2018: year_report(eplan, 2018)}).report
    (tmp_path / "2018.xlsx").write_bytes(render_progress_xlsx(present(old)))
    (tmp_path / "2019.xlsx").write_bytes(render_progress_xlsx(present(report)))
    result = diff_files(tmp_path / "2018.xlsx", tmp_path / "2019.xlsx")
    by_kind: dict[str, list[Change]] = {}
    for change in result.changes:
        by_kind.setdefault(change.kind, []).append(change)
    first = by_kind["direction-changed"][0]
    assert (first.item_id, first.detail) == ("1-1-01", "拡充 → 継続")
    budget = by_kind["budget-changed"][0]
    assert budget.detail == "予算額（千円）: 1,234 → 1,235"
    grade = next(c for c in by_kind["kpi-grade-changed"] if c.item_id == UNEVALUABLE)
    assert grade.detail == f"B → {NOT_EVALUABLE}"
    assert by_kind["kpi-not-evaluable-changed"][0].new == "未公表"
    area = by_kind["area-direction-changed"][0]
    assert (area.item_id, area.detail) == ("1-1", "拡充 → 継続")
    assert {c.column for c in by_kind["area-evaluation-changed"]} == {
        "要因分析",
        "課題",
        "前年度の方針への対応",
    }
    counted = dict(result.count_by_kind())
    assert counted["direction-changed"] == len(by_kind["direction-changed"])


def test_diff_of_lists_without_evaluation_counts_no_evaluation_kinds(
    plain_plan: Plan, tmp_path: Path
) -> None:
    from kpi_report.compare.diff import EVALUATION_KINDS

    plain = evaluation_plan(plain_plan)
    for fy in (2018, 2019):
        years = {y: year_report(plain, y, False) for y in range(2018, fy + 1)}
        report = merge(plain_plan, fy, years).report
        (tmp_path / f"{fy}.xlsx").write_bytes(render_progress_xlsx(present(report)))
    result = diff_files(tmp_path / "2018.xlsx", tmp_path / "2019.xlsx")
    assert not {kind for kind, _ in result.count_by_kind()} & EVALUATION_KINDS
