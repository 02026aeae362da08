"""The progress-list workbook read back with openpyxl: layout, group rows, print setup, row heights, literal text."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

import kodaira
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from kpi_report.core.cellmetrics import LINE_PT, MAX_ROW_PT, wrap
from kpi_report.core.model import AreaSection, GoalSection, Plan, ProgressReport
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.present.table import present
from kpi_report.render.progress_xlsx import WIDTHS, flagged_legend, render_progress_xlsx


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return load_plan(kodaira.write_master(tmp_path_factory.mktemp("kodaira") / "master.xlsx"))


@pytest.fixture(scope="module")
def report(plan: Plan) -> ProgressReport:
    return merge(plan, 2019, kodaira.check_reports()).report


@pytest.fixture(scope="module")
def data(report: ProgressReport) -> bytes:
    return render_progress_xlsx(present(report))


@pytest.fixture(scope="module")
def sheet(data: bytes) -> Worksheet:
    return load_workbook(io.BytesIO(data))["進捗状況一覧表"]


def measure_rows(ws: Worksheet) -> dict[str, list[int]]:
    """取組ID -> the sheet rows holding it (more than one when a measure continues)."""
    found: dict[str, list[int]] = {}
    for r in range(4, ws.max_row + 1):
        value = ws.cell(r, 7).value
        if value:
            found.setdefault(str(value), []).append(r)
    return found


def test_title_year_and_header(sheet: Worksheet) -> None:
    assert sheet["A1"].value == "小平市まち・ひと・しごと創生総合戦略 進捗状況一覧表"
    assert sheet["A2"].value == "令和元年度（2019年度）"
    assert [sheet.cell(3, c).value for c in range(1, 8)] == [
        "施策番号",
        "名称",
        "内容",
        "所管課\n(関連課)",
        "進捗状況",
        "令和元年度までの実施等状況",
        "取組ID",
    ]
    assert sheet.column_dimensions["G"].hidden
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:F1", "A2:F2"} <= merged


def test_goal_and_area_rows_merged_and_shaded(sheet: Worksheet) -> None:
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A4"].value == kodaira.G1
    assert sheet["A5"].value == "① 農のあるまちづくりの推進"
    assert {"A4:F4", "A5:F5"} <= merged
    goal_fill, area_fill = sheet["A4"].fill.fgColor.rgb, sheet["A5"].fill.fgColor.rgb
    assert sheet["A4"].fill.fill_type == "solid" and sheet["A5"].fill.fill_type == "solid"
    assert goal_fill != area_fill
    assert sheet["A6"].fill.fill_type is None  # measure rows are not shaded
    assert sheet["A4"].font.b and sheet["G4"].value is None
    goals = [sheet.cell(r, 1).value for r in range(4, sheet.max_row + 1) if f"A{r}:F{r}" in merged]
    assert [g for g in goals if str(g).startswith("基本目標")] == [kodaira.G1, kodaira.G2, kodaira.G3]
    assert [g for g in goals if str(g).startswith(("①", "②", "③", "④"))][2:6] == [
        "① 子育て支援の充実",
        "② 教育環境の充実",
        "③ 学びの場の充実",
        "④ 健康づくりの推進",
    ]


def test_measures_in_master_order_with_numbers_owners_status_notes(sheet: Worksheet) -> None:
    rows = measure_rows(sheet)
    assert list(rows) == [m[0] for m in kodaira.MEASURES]
    first = rows["1-1-01"][0]
    assert sheet.cell(first, 1).value == "1" and sheet.cell(first, 1).data_type == "s"
    assert sheet.cell(first, 2).value == "市内農家の収入増に向けた取組の支援"
    assert sheet.cell(first, 5).value == "実施中"
    assert str(sheet.cell(first, 6).value).split("\n")[:3] == [
        "【平成28年度】",
        "・認定農業者の更新や新規認定の呼びかけを行い、10経営体が認定を受けました。",
        "・経営基盤強化の補助を行う、地域農業担い手支援事業を実施しました。",
    ]
    assert [sheet.cell(rows[i][0], 1).value for i in ("1-1-03", "1-2-01", "1-2-02")] == ["3", "1", "2"]
    assert sheet.cell(rows["1-2-01"][0], 4).value == "都市開発課\n都市計画課\n産業振興課"
    assert sheet.cell(rows["1-2-02"][0], 4).value == "都市計画課\n(地域整備支援課)\n(水と緑と公園課)"
    assert (
        sheet.cell(rows["2-1-01"][0], 4).value
        == "子育て支援課\n(学務課)\n(地域文化課)\n(健康推進課)\n(保育課)"
    )
    notes = str(sheet.cell(rows["1-1-02"][0], 6).value)
    assert notes.startswith("【平成28年度】\n・未着手\n【平成29年度】\n・実績なし (前年度事業の検証")
    assert "\n【令和元年度】\n" in notes and "【平成31年度】" not in notes
    assert sheet.cell(rows["2-4-02"][0], 6).value == "【令和元年度】\n・健康ポイント事業を開始しました。"
    assert sheet.cell(rows["2-3-01"][0], 6).value in ("", None)


def test_subheading_without_bullet(sheet: Worksheet) -> None:
    notes = str(sheet.cell(measure_rows(sheet)["1-2-01"][0], 6).value).split("\n")
    assert notes[:3] == ["【平成28年度】", "《小川駅西口地区》", "・" + kodaira.LONG_POINT]


def test_print_setup(sheet: Worksheet) -> None:
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == "9"
    assert sheet.sheet_properties.pageSetUpPr is not None and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (1, None)  # 1 is the default and may be left out
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.freeze_panes == "A4"
    cell = sheet.cell(measure_rows(sheet)["1-1-01"][0], 6)
    assert cell.alignment.wrap_text and cell.alignment.vertical == "top"


def test_row_heights_set_and_growing_with_text(sheet: Worksheet) -> None:
    rows = measure_rows(sheet)
    heights = {i: [sheet.row_dimensions[r].height for r in rs] for i, rs in rows.items()}
    assert all(h is not None and 0 < h <= MAX_ROW_PT for hs in heights.values() for h in hs)
    short = heights["2-3-01"][0]  # no notes: one line
    assert short is not None and short < 30
    four_years = heights["1-1-01"][0]
    one_year = heights["2-4-02"][0]
    assert four_years is not None and one_year is not None and four_years > one_year > short
    for measure_id, (first, *_) in rows.items():
        notes = str(sheet.cell(first, 6).value or "")
        height = sheet.row_dimensions[first].height
        assert height is not None and height >= len(wrap(notes, WIDTHS[5])) * LINE_PT, measure_id


def test_very_long_notes_continue_on_the_next_row(sheet: Worksheet, report: ProgressReport) -> None:
    rows = measure_rows(sheet)["1-2-01"]  # four years of a long point from three owners
    assert len(rows) > 1 and rows == list(range(rows[0], rows[0] + len(rows)))
    assert all(sheet.row_dimensions[r].height == pytest.approx(MAX_ROW_PT, abs=LINE_PT) for r in rows[:-1])
    joined = "\n".join(str(sheet.cell(r, 6).value) for r in rows)
    assert joined.count("【") == 4 and joined.count(kodaira.LONG_POINT) == 4
    assert all(sheet.cell(r, 2).value in ("", None) for r in rows[1:])


def test_hostile_text_is_literal(report: ProgressReport) -> None:
    goal = report.goals[1]
    area = goal.areas[1]
    row = area.rows[0]
    hostile = replace(
        row,
        measure=replace(row.measure, number="+1", content="-2", owners=("@SUM(A1)",), related=("{=1+1}",)),
        status="=1+2",
    )
    patched = replace(
        report,
        goals=(replace(goal, areas=(AreaSection(area.title, (hostile,), area.kpis),)),),
    )
    data = render_progress_xlsx(present(patched))
    ws = load_workbook(io.BytesIO(data))["進捗状況一覧表"]
    r = measure_rows(ws)[row.measure.id][0]
    cells = [ws.cell(r, c) for c in range(1, 7)]
    assert [c.value for c in cells[:5]] == [
        "+1",
        '=HYPERLINK("http://169.254.169.254/","click")',
        "-2",
        "@SUM(A1)\n({=1+1})",
        "=1+2",
    ]
    assert all(c.data_type == "s" for c in cells)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any("<f>" in s or "<f " in s or "<hyperlink" in s for s in sheets)
        assert not any("hyperlink" in n for n in z.namelist())


def test_kpi_sheet(data: bytes) -> None:
    ws = load_workbook(io.BytesIO(data))["KPI"]
    assert ws["A1"].value == "小平市まち・ひと・しごと創生総合戦略 KPI・数値目標"
    assert ws["A2"].value == "令和元年度（2019年度）"
    header = [c.value for c in ws[3]]
    assert header[:7] == ["KPI_ID", "基本目標", "施策", "指標名", "単位", "基準値", "基準年度"]
    assert header[7:15] == [
        "平成28年度実績",
        "平成29年度実績",
        "平成30年度実績",
        "令和元年度実績",
        "目標値",
        "目標年度",
        "達成率",
        "評価",
    ]
    col = {h: i + 1 for i, h in enumerate(header)}
    by_id = {ws.cell(r, 1).value: r for r in range(4, ws.max_row + 1)}
    assert list(by_id) == ["G1", "K1-1", "K2-1", "K2-2"]
    r = by_id["K1-1"]
    assert ws.cell(r, col["基準値"]).value == 60 and ws.cell(r, col["令和元年度実績"]).value == 69
    assert ws.cell(r, col["基準年度"]).value == "平成26年度"
    rate = ws.cell(r, col["達成率"])
    assert rate.value == pytest.approx(0.45) and rate.number_format == "0.0%"
    assert ws.cell(r, col["評価"]).value == "C"
    g = by_id["G1"]
    assert ws.cell(g, col["施策"]).value in ("", None)  # a goal-level 数値目標
    assert ws.cell(g, col["令和元年度実績"]).value == "－"
    assert ws.cell(g, col["達成率"]).value == "－" and ws.cell(g, col["評価"]).value == "－"
    assert ws.cell(by_id["K2-2"], col["基準値"]).value == "－"
    assert ws.print_title_rows == "$3:$3" and ws.page_setup.orientation == "landscape"


def test_summary_sheet_with_native_chart(data: bytes, report: ProgressReport) -> None:
    ws = load_workbook(io.BytesIO(data))["集計"]
    header = [c.value for c in ws[3]]
    assert header[0] == "基本目標" and header[1] == "実施中" and header[-1] == "計"
    assert [ws.cell(r, 1).value for r in (4, 5, 6, 7)] == [kodaira.G1, kodaira.G2, kodaira.G3, "合計"]
    assert ws.cell(4, 2).value == 5 and ws.cell(7, len(header)).value == len(kodaira.MEASURES)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in chart and "集計" in chart


def test_flagged_rows_are_marked(report: ProgressReport) -> None:
    goal = report.goals[0]
    area = goal.areas[0]
    flagged = replace(area.rows[0], flagged=True)
    patched = replace(
        report,
        goals=(GoalSection(goal.title, (), (AreaSection(area.title, (flagged, *area.rows[1:]), ()),)),),
        flagged_departments=("産業振興課",),
    )
    ws = load_workbook(io.BytesIO(render_progress_xlsx(present(patched))))["進捗状況一覧表"]
    rows = measure_rows(ws)
    marked, plain = ws.cell(rows["1-1-01"][0], 2), ws.cell(rows["1-1-02"][0], 2)
    assert marked.fill.fill_type == "solid" and plain.fill.fill_type is None
    header = ws.oddHeader
    assert header is not None and "産業振興課" in (header.left.text or "")


def test_same_report_same_bytes(report: ProgressReport, data: bytes) -> None:
    assert render_progress_xlsx(present(report)) == data


def test_wrap_counts_full_width_characters_double() -> None:
    assert wrap("あ" * 10, 11) == ["あ" * 5, "あ" * 5]
    assert wrap("a" * 10, 11) == ["a" * 10]
    assert wrap("１２３４５", 7) == ["１２３", "４５"]
    assert wrap("一行目\n二行目", 40) == ["一行目", "二行目"]
    assert wrap("", 10) == [""]
    assert len(wrap("see https://example.jp/very/long/path と書きました", 12)) >= 4


def test_flagged_legend_stays_short() -> None:
    legend = flagged_legend([f"部署{i:02d}課" for i in range(30)])
    assert legend.startswith("※色付きの行は") and "部署00課・部署01課" in legend and "ほか25課" in legend
    assert len(legend) < 100
