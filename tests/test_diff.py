"""kpi-report diff: two progress lists compared for auditors (hand-made edits, real rendered lists, outputs, CLI)."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import threading
import zipfile
from pathlib import Path

import kodaira
import pytest
import xlsxwriter
from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock

from kpi_report import cli
from kpi_report.compare.diff import Change, DiffResult, Span, char_spans, diff_files, same_value
from kpi_report.compare.output import diff_json, diff_json_bytes, render_diff_xlsx, run_diff
from kpi_report.compare.read import split_year_blocks
from kpi_report.core.errors import DiffError
from kpi_report.core.model import ProgressReport, YearNotes
from kpi_report.core.project import Project
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.present.table import present
from kpi_report.publish.build import build
from kpi_report.render.progress_xlsx import render_progress_xlsx
from tools.progress_fixture import FixtureKpi, FixtureList, FixtureMeasure, notes_text, progress_list_bytes

G1 = "基本目標1「住み続けたいまちの空間をつくる」"
G2 = "基本目標2「子育てと教育のまちをつくる」"
A11, A12, A21 = "① 農のあるまちづくりの推進", "② 緑の保全", "① 子育て支援の充実"
M1_CONTENT = "営農意欲ある経営体として認定農業者を拡充し、関係機関と連携して農業経営基盤の強化を図ります。"
M2_2017 = "認定農業者の更新や新規認定の呼びかけを行い、10経営体が認定を受けました。"
M3_2019 = "学校給食等への地場産農産物の利用の促進に対し、補助金を交付しました。"
HOSTILE = '=HYPERLINK("http://169.254.169.254/","click")'


def _notes(i: int, last_fy: int) -> str:
    blocks = []
    for fy in range(2016, last_fy + 1):
        points = [f"取組{i}の{fy}年度の実施内容を記載しました。"]
        if i == 2 and fy == 2017:
            points = [M2_2017, "《小川駅西口地区》", "権利者への説明会を開催しました。"]
        blocks.append((fy, points))
    return notes_text(blocks)


def _measure(i: int, goal: str, area: str, number: str, name: str, last_fy: int = 2018) -> FixtureMeasure:
    return FixtureMeasure(
        id=f"1-1-0{i}",
        goal=goal,
        area=area,
        number=number,
        name=name,
        content=M1_CONTENT if i == 1 else f"{name}を進めます。",
        owners="産業振興課\n(学務課)" if i == 3 else ("子育て支援課" if goal == G2 else "産業振興課"),
        status="実施中",
        notes=_notes(i, last_fy),
    )


def _kpis(new: bool) -> tuple[FixtureKpi, ...]:
    if not new:
        return (
            FixtureKpi(
                "K1",
                G1,
                A11,
                "認定農業者数",
                "経営体",
                0.0,
                "平成27年度",
                (10.0, 20.0, 30.0),
                50.0,
                "令和元年度",
                0.6,
                "B",
            ),
            FixtureKpi(
                "K2",
                G2,
                "",
                "合計特殊出生率の満足度",
                "人",
                73.2,
                "平成27年度",
                (40.0, "45人", 50.0),
                "1,234",
                "令和元年度",
                "－",
                "－",
            ),
        )
    return (
        FixtureKpi(
            "K1",
            G1,
            A11,
            "認定農業者数",
            "経営体",
            0.0,
            "平成27年度",
            (10.0, 20.0, 35.0, 50.0),
            50.0,
            "令和元年度",
            1.0,
            "A",
        ),
        FixtureKpi(
            "K2",
            G2,
            "",
            "合計特殊出生率の満足度",
            "人",
            "73.20",
            "平成27年度",
            (40.0, 45.0, 50.0, "－"),
            1234.0,
            "令和元年度",
            "－",
            "－",
        ),
    )


def old_list() -> FixtureList:
    """The published list of 平成30年度 (FY2018)."""
    return FixtureList(
        plan_name="テスト市総合戦略",
        fy=2018,
        measures=(
            _measure(1, G1, A11, "1", "市内農家の収入増に向けた取組の支援"),
            _measure(2, G1, A11, "2", "農業体験の推進"),
            _measure(3, G1, A11, "3", "地産地消の促進"),
            _measure(4, G1, A12, "1", "緑地の保全"),
            _measure(5, G1, A12, "2", "公園の整備"),
            _measure(8, G1, A12, "3", "街路樹の管理"),
            _measure(6, G2, A21, "1", "子育て相談の充実"),
        ),
        kpis=_kpis(new=False),
        kpi_years=(2016, 2017, 2018),
    )


def new_list(with_ids: bool = True) -> FixtureList:
    """The list of 令和元年度 (FY2019) with one of each kind of edit an auditor looks for."""
    base = {m.id: m for m in old_list().measures}
    m1 = dataclasses.replace(base["1-1-01"], content=M1_CONTENT.replace("関係機関", "地域の関係団体"))
    m2 = dataclasses.replace(base["1-1-02"], notes=base["1-1-02"].notes.replace("10経営体", "12経営体"))
    m3 = dataclasses.replace(base["1-1-03"], notes=base["1-1-03"].notes + "\n【令和元年度】\n・" + M3_2019)
    m8 = dataclasses.replace(base["1-1-08"], number="1")
    m6 = dataclasses.replace(base["1-1-06"], status="完了")
    m5 = dataclasses.replace(base["1-1-05"], goal=G2, area=A21, number="2")
    m7 = dataclasses.replace(
        _measure(7, G2, A21, "3", "放課後の居場所づくり"), owners="子育て支援課\n(学務課)"
    )
    return FixtureList(
        plan_name="テスト市総合戦略",
        fy=2019,
        measures=(m1, m2, m3, m8, m6, m5, m7),
        kpis=_kpis(new=True),
        kpi_years=(2016, 2017, 2018, 2019),
        with_ids=with_ids,
        header_overrides={"内容": "事業内容"},
    )


def write(path: Path, doc: FixtureList) -> Path:
    path.write_bytes(progress_list_bytes(doc))
    return path


@pytest.fixture
def lists(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())


@pytest.fixture
def result(lists: tuple[Path, Path]) -> DiffResult:
    return diff_files(*lists)


def flat(result: DiffResult) -> list[tuple[str, str, str]]:
    return [(c.kind, c.item_id, c.column) for c in result.changes]


def one(result: DiffResult, kind: str, item_id: str = "") -> Change:
    found = [c for c in result.changes if c.kind == kind and c.item_id == item_id]
    assert len(found) == 1, found
    return found[0]


EXPECTED = [
    ("column-renamed", "", "事業内容"),
    ("content-changed", "1-1-01", "事業内容"),
    ("past-notes-edited", "1-1-02", "令和元年度までの実施等状況"),
    ("new-year-notes", "1-1-03", "令和元年度までの実施等状況"),
    ("status-changed", "1-1-06", "進捗状況"),
    ("measure-moved", "1-1-05", "位置"),
    ("measure-added", "1-1-07", ""),
    ("measure-removed", "1-1-04", ""),
    ("kpi-actual-changed", "K1", "平成30年度実績"),
    ("kpi-rate-changed", "K1", "達成率"),
    ("kpi-grade-changed", "K1", "評価"),
    ("kpi-new-actual", "K1", "令和元年度実績"),
]


def test_each_change_reported_once_with_its_kind(result: DiffResult) -> None:
    assert flat(result) == EXPECTED
    assert result.measure_matching == "id"
    assert result.kpi_matching == "kpi-id"
    assert result.findings == ()


def test_reworded_content_character_spans(result: DiffResult) -> None:
    change = one(result, "content-changed", "1-1-01")
    assert change.old == M1_CONTENT
    assert change.spans == (
        Span("equal", "営農意欲ある経営体として認定農業者を拡充し、"),
        Span("delete", "関係機関"),
        Span("insert", "地域の関係団体"),
        Span("equal", "と連携して農業経営基盤の強化を図ります。"),
    )
    assert change.cell == "C6"  # row 6: title, year, header, goal, area, then the first measure


def test_edited_past_year_note_is_its_own_kind_with_the_whole_number(result: DiffResult) -> None:
    change = one(result, "past-notes-edited", "1-1-02")
    assert change.detail == "【平成29年度】の記載を修正"
    assert change.spans == (
        Span("equal", "【平成29年度】\n・認定農業者の更新や新規認定の呼びかけを行い、"),
        Span("delete", "10"),
        Span("insert", "12"),
        Span("equal", "経営体が認定を受けました。\n《小川駅西口地区》\n・権利者への説明会を開催しました。"),
    )


def test_new_year_block_is_normal_growth(result: DiffResult) -> None:
    change = one(result, "new-year-notes", "1-1-03")
    assert change.new == f"【令和元年度】\n・{M3_2019}"
    assert change.spans == (Span("insert", f"【令和元年度】\n・{M3_2019}"),)
    assert change.department == "産業振興課"  # lead owner, the related (学務課) left out


def test_move_added_removed_and_status(result: DiffResult) -> None:
    moved = one(result, "measure-moved", "1-1-05")
    assert moved.old == f"{G1} ／ {A12} ／ 2"
    assert moved.new == f"{G2} ／ {A21} ／ 2"
    assert one(result, "measure-added", "1-1-07").new == "放課後の居場所づくり"
    assert one(result, "measure-removed", "1-1-04").old == "緑地の保全"
    status = one(result, "status-changed", "1-1-06")
    assert (status.old, status.new, status.detail) == ("実施中", "完了", "実施中 → 完了")


def test_renumbering_and_new_notes_header_are_not_changes(result: DiffResult) -> None:
    # 1-1-08 went from number 3 to 1 (its neighbours left the area): not a change of its own
    assert [c for c in result.changes if c.item_id == "1-1-08"] == []
    assert not any(c.column.startswith("平成30年度までの") for c in result.changes)


def test_kpi_changes_and_representation_only_differences(result: DiffResult) -> None:
    actual = one(result, "kpi-actual-changed", "K1")
    assert (actual.old, actual.new) == ("30", "35")
    rate = one(result, "kpi-rate-changed", "K1")
    assert (rate.old, rate.new) == ("60.0%", "100.0%")
    grade = one(result, "kpi-grade-changed", "K1")
    assert grade.detail == "B → A"
    assert one(result, "kpi-new-actual", "K1").new == "50"
    # K2: 73.2 vs "73.20", "1,234" vs 1234, "45人" vs 45, a new year shown as －: nothing to report
    assert [c for c in result.changes if c.item_id == "K2"] == []


def test_same_value_tolerates_representation() -> None:
    assert same_value(73.2, "73.20")
    assert same_value("1,234", 1234.0)
    assert same_value("45人", 45, unit="人")
    assert same_value("－", None)
    assert same_value(0.732, "73.2%", percent=True)
    assert not same_value(73.2, 73.3)
    assert not same_value("集計中", 45)


def test_year_blocks() -> None:
    blocks = split_year_blocks("前書き\n【平成28年度】\n・a\n【令和元年度】\n・b")
    assert [(b.key, b.fy, b.heading) for b in blocks] == [
        ("", None, ""),
        ("2016", 2016, "【平成28年度】"),
        ("2019", 2019, "【令和元年度】"),
    ]
    assert blocks[1].text == "【平成28年度】\n・a"


def test_char_spans_group_into_readable_runs() -> None:
    assert char_spans("市民の生活を支援します", "町民の活動を応援します") == (
        Span("delete", "市民の生活を支"),
        Span("insert", "町民の活動を応"),
        Span("equal", "援します"),
    )
    assert char_spans("1,234人", "1,284人") == (
        Span("delete", "1,234"),
        Span("insert", "1,284"),
        Span("equal", "人"),
    )
    assert char_spans("同じ", "同じ") == (Span("equal", "同じ"),)


def test_fallback_matching_without_the_id_column(tmp_path: Path) -> None:
    old = write(tmp_path / "old.xlsx", dataclasses.replace(old_list(), with_ids=False))
    new = write(tmp_path / "new.xlsx", new_list(with_ids=False))
    result = diff_files(old, new)
    assert result.measure_matching == "name"
    assert [(c.kind, c.name, c.column) for c in result.changes if c.sheet == "進捗状況一覧表"] == [
        ("column-renamed", "", "事業内容"),
        ("content-changed", "市内農家の収入増に向けた取組の支援", "事業内容"),
        ("past-notes-edited", "農業体験の推進", "令和元年度までの実施等状況"),
        ("new-year-notes", "地産地消の促進", "令和元年度までの実施等状況"),
        ("status-changed", "子育て相談の充実", "進捗状況"),
        ("measure-moved", "公園の整備", "位置"),
        ("measure-added", "放課後の居場所づくり", ""),
        ("measure-removed", "緑地の保全", ""),
    ]
    assert [(f.code, f.file) for f in result.findings] == [
        ("diff-matched-by-name", "old.xlsx"),
        ("diff-matched-by-name", "new.xlsx"),
    ]


def test_renamed_goal_is_one_heading_change_not_moves(tmp_path: Path) -> None:
    renamed = "基本目標1「住み続けたいまちをつくる」"
    doc = old_list()
    new = dataclasses.replace(
        doc, measures=tuple(dataclasses.replace(m, goal=renamed) if m.goal == G1 else m for m in doc.measures)
    )
    result = diff_files(write(tmp_path / "a.xlsx", doc), write(tmp_path / "b.xlsx", new))
    assert [(c.kind, c.column, c.old, c.new) for c in result.changes] == [
        ("heading-changed", "基本目標", G1, renamed)
    ]
    assert result.changes[0].spans == (
        Span("equal", "基本目標1「住み続けたいまち"),
        Span("delete", "の空間"),
        Span("equal", "をつくる」"),
    )


def test_reordered_measure_is_one_move(tmp_path: Path) -> None:
    doc = old_list()
    m = list(doc.measures)
    m[0], m[1], m[2] = m[1], m[2], m[0]  # 1-1-01 moves below 1-1-03
    result = diff_files(
        write(tmp_path / "a.xlsx", doc),
        write(tmp_path / "b.xlsx", dataclasses.replace(doc, measures=tuple(m))),
    )
    assert flat(result) == [("measure-moved", "1-1-01", "位置")]
    assert result.changes[0].detail == "並び順が変わりました"


def test_identical_lists_have_no_changes(tmp_path: Path) -> None:
    a = write(tmp_path / "a.xlsx", old_list())
    assert diff_files(a, a).changes == ()


# ---- the output workbook, JSON and determinism -----------------------------------------------------------------


@pytest.fixture
def outputs(lists: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path, DiffResult]:
    out, js = tmp_path / "diff.xlsx", tmp_path / "diff.json"
    return out, js, run_diff(lists[0], lists[1], out, js)


def _fill(cell: object) -> str:
    rgb = cell.fill.fgColor.rgb  # type: ignore[attr-defined]
    return str(rgb)[-6:] if cell.fill.fill_type else ""  # type: ignore[attr-defined]


def test_workbook_sheets_and_summary(outputs: tuple[Path, Path, DiffResult]) -> None:
    out, _, result = outputs
    wb = load_workbook(out)
    assert wb.sheetnames == ["概要", "変更一覧", "新一覧", "新KPI"]
    summary = wb["概要"]
    values = [[c.value for c in row] for row in summary.iter_rows()]
    texts = {v for row in values for v in row if isinstance(v, str)}
    assert {"old.xlsx", "new.xlsx", result.old.sha256, result.new.sha256} <= texts
    assert "取組＝取組ID、KPI＝KPI_ID" in texts
    counts = {
        row[0]: row[1] for row in values if row[0] in ("過去年度の実施状況の修正", "取組の移動", "評価の変化")
    }
    assert counts == {"過去年度の実施状況の修正": 1, "取組の移動": 1, "評価の変化": 1}
    assert values[next(i for i, r in enumerate(values) if r[0] == G2)][:2] == [G2, 3]
    with zipfile.ZipFile(out) as archive:
        assert "xl/charts/chart1.xml" in archive.namelist()


def test_changes_sheet_rich_text_filter_and_frozen_header(outputs: tuple[Path, Path, DiffResult]) -> None:
    out, _, result = outputs
    ws = load_workbook(out, rich_text=True)["変更一覧"]
    assert ws.freeze_panes == "C2"
    assert ws.auto_filter.ref == f"A1:N{len(result.changes) + 1}"
    rows = {(r[1].value, r[3].value): r for r in ws.iter_rows(min_row=2)}
    assert len(rows) == len(EXPECTED)
    row = rows[("内容の変更", "1-1-01")]
    assert (row[8].value, row[9].value) == ("事業内容", M1_CONTENT)
    rich = row[11].value
    assert isinstance(rich, CellRichText)
    marked = [b for b in rich if isinstance(b, TextBlock) and (b.font.strike or b.font.u)]
    blocks = [(b.text, b.font.strike, str(getattr(b.font.color, "rgb", ""))[-6:], b.font.u) for b in marked]
    assert blocks == [("関係機関", True, "C00000", None), ("地域の関係団体", None, "0033CC", "single")]
    assert "".join(b if isinstance(b, str) else b.text for b in rich).startswith("営農意欲")
    assert row[13].hyperlink is not None and row[13].value == "C6"
    new_year = rows[("新年度の実施状況の追加", "1-1-03")][11]
    assert new_year.value == f"【令和元年度】\n・{M3_2019}"
    assert new_year.font.color.rgb[-6:] == "0033CC"


def test_new_list_cells_highlighted_and_commented(outputs: tuple[Path, Path, DiffResult]) -> None:
    out, _, _ = outputs
    ws = load_workbook(out)["新一覧"]
    assert ws["C3"].value == "事業内容"
    content = ws["C6"]
    assert _fill(content) == "FFE699"
    assert content.comment is not None and M1_CONTENT in content.comment.text
    past = ws["F7"]
    assert _fill(past) == "F8CBAD"
    assert past.comment is not None and "10経営体" in past.comment.text
    new_year = ws["F8"]
    assert (_fill(new_year), new_year.comment) == ("DDEBF7", None)
    ids = {ws.cell(r, 7).value: r for r in range(4, ws.max_row + 1)}
    added = ids["1-1-07"]
    assert {_fill(ws.cell(added, c)) for c in range(1, 8)} == {"C6E0B4"}
    moved = ws.cell(ids["1-1-05"], 1)
    assert _fill(moved) == "D9D2E9" and moved.comment is not None and A12 in moved.comment.text
    unchanged = ws.cell(ids["1-1-08"], 2)
    assert _fill(unchanged) == "" and unchanged.value == "街路樹の管理"
    kpi = load_workbook(out)["新KPI"]
    assert _fill(kpi["J4"]) == "F8CBAD" and kpi["J4"].value == 35  # 平成30年度実績 of K1, edited
    assert kpi["N4"].number_format == "0.0%"


def test_json_has_the_same_content(outputs: tuple[Path, Path, DiffResult]) -> None:
    _, js, result = outputs
    raw = js.read_bytes()
    assert "関係機関".encode() in raw  # UTF-8, not \\u escapes
    data = json.loads(raw)
    assert data == json.loads(json.dumps(diff_json(result)))
    assert data["format"] == "kpi-report-diff"
    assert data["matching"]["measures"] == {"method": "id", "label": "取組ID"}
    assert data["summary"]["total"] == len(EXPECTED)
    by_kind = {k["kind"]: k["count"] for k in data["summary"]["by_kind"]}
    assert by_kind["past-notes-edited"] == 1 and by_kind["kpi-removed"] == 0
    first = data["changes"][1]
    assert (first["kind"], first["id"], first["cell"]) == ("content-changed", "1-1-01", "C6")
    assert first["spans"][1:3] == [
        {"op": "delete", "text": "関係機関"},
        {"op": "insert", "text": "地域の関係団体"},
    ]
    rate = next(c for c in data["changes"] if c["kind"] == "kpi-rate-changed")
    assert rate["spans"] == [{"op": "delete", "text": "60.0%"}, {"op": "insert", "text": "100.0%"}]
    assert list(data) == sorted(data)


def test_same_inputs_same_bytes(lists: tuple[Path, Path]) -> None:
    first, second = diff_files(*lists), diff_files(*lists)
    assert render_diff_xlsx(first) == render_diff_xlsx(second)
    assert diff_json_bytes(first) == diff_json_bytes(second)


def test_hostile_text_stays_literal(tmp_path: Path) -> None:
    doc = old_list()
    new = doc.with_measure("1-1-01", name=HOSTILE, content="+1").with_measure("1-1-02", status="@SUM(A1)")
    out = tmp_path / "diff.xlsx"
    result = run_diff(write(tmp_path / "a.xlsx", doc), write(tmp_path / "b.xlsx", new), out)
    assert {c.kind for c in result.changes} == {"name-changed", "content-changed", "status-changed"}
    wb = load_workbook(out)
    cells = [c for row in wb["変更一覧"].iter_rows() for c in row if isinstance(c.value, str)]
    cells += [c for row in wb["新一覧"].iter_rows() for c in row if isinstance(c.value, str)]
    hostile = [c for c in cells if c.value in (HOSTILE, "+1", "@SUM(A1)")]
    assert len(hostile) >= 6
    assert {c.data_type for c in hostile} == {"s"}
    with zipfile.ZipFile(out) as archive:
        sheets = "".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/sheet")
        )
    assert "<f>" not in sheets


# ---- real rendered lists (kpi_report.render.progress_xlsx) ------------------------------------------------------------


@pytest.fixture(scope="module")
def kodaira_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[int, ProgressReport]:
    plan = load_plan(kodaira.write_master(tmp_path_factory.mktemp("kodaira") / "master.xlsx"))
    return {fy: merge(plan, fy, kodaira.check_reports(fy)).report for fy in (2018, 2019)}


def test_rendered_lists_of_two_years(kodaira_reports: dict[int, ProgressReport], tmp_path: Path) -> None:
    old = tmp_path / "2018.xlsx"
    new = tmp_path / "2019.xlsx"
    old.write_bytes(render_progress_xlsx(present(kodaira_reports[2018])))
    new.write_bytes(render_progress_xlsx(present(kodaira_reports[2019])))
    result = diff_files(old, new)
    assert result.measure_matching == "id" and result.kpi_matching == "kpi-id"
    assert (result.old.report_fy, result.new.report_fy) == (2018, 2019)
    kinds = {c.kind for c in result.changes}
    assert not kinds & {
        "measure-added",
        "measure-removed",
        "measure-moved",
        "past-notes-edited",
        "column-removed",
    }
    with_2019 = {
        row.measure.id
        for goal in kodaira_reports[2019].goals
        for area in goal.areas
        for row in area.rows
        if any(y.fy == 2019 for y in row.history)
    }
    new_year = [c for c in result.changes if c.kind == "new-year-notes"]
    assert sorted(c.item_id for c in new_year) == sorted(with_2019)
    assert {c.detail for c in new_year} == {"【令和元年度】を追加"}


def _edit_history(report: ProgressReport, measure_id: str, fy: int, old: str, new: str) -> ProgressReport:
    goals = []
    for goal in report.goals:
        areas = []
        for area in goal.areas:
            rows = []
            for row in area.rows:
                if row.measure.id == measure_id:
                    history = tuple(
                        YearNotes(y.fy, y.heading, tuple(p.replace(old, new) for p in y.points))
                        if y.fy == fy
                        else y
                        for y in row.history
                    )
                    row = dataclasses.replace(row, history=history)
                rows.append(row)
            areas.append(dataclasses.replace(area, rows=tuple(rows)))
        goals.append(dataclasses.replace(goal, areas=tuple(areas)))
    return dataclasses.replace(report, goals=tuple(goals))


def test_rendered_list_with_a_past_note_rewritten(
    kodaira_reports: dict[int, ProgressReport], tmp_path: Path
) -> None:
    report = kodaira_reports[2019]
    edited = _edit_history(report, "1-1-01", 2017, "11経営体", "15経営体")
    old, new = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    old.write_bytes(render_progress_xlsx(present(report)))
    new.write_bytes(render_progress_xlsx(present(edited)))
    result = diff_files(old, new)
    assert [(c.kind, c.item_id, c.detail) for c in result.changes] == [
        ("past-notes-edited", "1-1-01", "【平成29年度】の記載を修正")
    ]
    assert [s for s in result.changes[0].spans if s.op != "equal"] == [
        Span("delete", "11"),
        Span("insert", "15"),
    ]


def test_rendered_list_against_itself_has_no_changes(
    kodaira_reports: dict[int, ProgressReport], tmp_path: Path
) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(render_progress_xlsx(present(kodaira_reports[2019])))
    result = diff_files(path, path)
    assert result.changes == ()
    assert len(result.new.measures.items) == sum(
        len(a.rows) for g in kodaira_reports[2019].goals for a in g.areas
    )


# ---- unreadable inputs and the command line --------------------------------------------------------------------


def test_unreadable_inputs_are_diff_errors(tmp_path: Path, lists: tuple[Path, Path]) -> None:
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"\x00" * 100)
    with pytest.raises(DiffError, match=r"\.xlsx ファイルではありません"):
        diff_files(garbage, lists[1])
    legacy = tmp_path / "legacy.xlsx"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(DiffError, match="Excel 97"):
        diff_files(lists[0], legacy)
    other = tmp_path / "other.xlsx"
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wb.add_worksheet("Sheet1").write_string(0, 0, "関係ない表")
    wb.close()
    other.write_bytes(buffer.getvalue())
    with pytest.raises(DiffError, match="進捗状況一覧表のシートがありません"):
        diff_files(other, lists[1])
    with pytest.raises(DiffError, match="がありません"):
        diff_files(tmp_path / "missing.xlsx", lists[1])
    not_a_workbook = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(not_a_workbook, "w") as archive:
        archive.writestr("readme.txt", "zip, but not a workbook")
    with pytest.raises(DiffError, match=r"\.xlsx として読めません"):
        diff_files(not_a_workbook, lists[1])


def test_pipe_or_device_is_refused_not_read(tmp_path: Path, lists: tuple[Path, Path]) -> None:
    """A named pipe blocked the read forever and /dev/zero filled memory until the process was killed."""
    fifo = tmp_path / "fifo.xlsx"
    os.mkfifo(fifo)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            diff_files(lists[0], fifo)
        except BaseException as exc:
            errors.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # unblock the reader so the test run can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert errors and isinstance(errors[0], DiffError), "diff blocked on a named pipe"
    assert "通常のファイルではありません" in str(errors[0])
    with pytest.raises(DiffError, match="通常のファイルではありません"):
        diff_files(lists[0], Path("/dev/zero"))  # it was read until the process was killed


def test_sheet_with_a_cell_at_xfd1048576_is_refused_before_reading(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = wb.add_worksheet("進捗状況一覧表")
    ws.write_string(0, 0, "名称")
    ws.write_string(0, 1, "進捗状況")
    ws.write_string(1_048_575, 16_383, "x")
    wb.close()
    path = tmp_path / "bad_dimensions.xlsx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(DiffError, match="A1:XFD1048576"):
        diff_files(path, path)


def test_cli_exit_codes_and_summary(
    lists: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = lists
    out, js = tmp_path / "d.xlsx", tmp_path / "d.json"
    assert cli.main(["diff", str(old), str(new), "--out", str(out), "--json", str(js)]) == 0
    printed = capsys.readouterr().out
    assert "変更: 合計 12 件" in printed and "過去年度の実施状況の修正: 1" in printed
    assert out.is_file() and js.is_file()
    assert cli.main(["diff", str(old), str(new), "--out", str(out), "--exit-code"]) == 1
    assert cli.main(["diff", str(old), str(old), "--out", str(out), "--exit-code"]) == 0
    assert "差異はありません。" in capsys.readouterr().out
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"not a workbook")
    assert cli.main(["diff", str(garbage), str(new), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "kpi-report: garbage.xlsx は .xlsx ファイルではありません" in err
    assert cli.main(["diff", str(old), str(new), "--out", str(new)]) == 2
    assert "比較する一覧と同じ" in capsys.readouterr().err
    assert cli.main(["diff", str(old), str(new), "--out", str(out), "--json", str(out)]) == 2
    assert "--out と --json が同じファイル" in capsys.readouterr().err
    assert cli.main(["diff", str(old), str(new)]) == 2  # --out is required


def test_sample_project_two_years(sample_project: Path, tmp_path: Path) -> None:
    project = Project(sample_project)
    reports = {fy: build(project, fy).report for fy in (2018, 2019)}
    old, new = (project.outputs(fy) / "progress-list.xlsx" for fy in (2018, 2019))
    result = run_diff(old, new, tmp_path / "diff.xlsx", tmp_path / "diff.json")
    assert (result.measure_matching, result.kpi_matching) == ("id", "kpi-id")
    assert (result.old.report_fy, result.new.report_fy) == (2018, 2019)
    assert len(result.new.measures.items) == sum(len(a.rows) for g in reports[2019].goals for a in g.areas)
    kinds = {c.kind for c in result.changes}
    assert not kinds & {
        "measure-added",
        "measure-removed",
        "measure-moved",
        "past-notes-edited",
        "column-removed",
    }
    with_2019 = sorted(
        row.measure.id
        for goal in reports[2019].goals
        for area in goal.areas
        for row in area.rows
        if any(y.fy == 2019 for y in row.history)
    )
    assert sorted(c.item_id for c in result.changes if c.kind == "new-year-notes") == with_2019
    statuses = {
        row.measure.id: row.status
        for fy in (2018, 2019)
        for g in reports[fy].goals
        for a in g.areas
        for row in a.rows
    }
    for change in (c for c in result.changes if c.kind == "status-changed"):
        assert change.new == statuses[change.item_id]
    assert json.loads((tmp_path / "diff.json").read_text(encoding="utf-8"))["summary"]["total"] == len(
        result.changes
    )


def test_added_and_removed_columns_are_reported_once(tmp_path: Path) -> None:
    old = write(tmp_path / "old.xlsx", old_list())
    wb = load_workbook(old)
    sheet = wb["進捗状況一覧表"]
    sheet.cell(3, 8, "備考")
    sheet.cell(6, 8, "手書きの備考")
    kpi = wb["KPI"]
    kpi.delete_cols(7)  # 基準年度
    new = tmp_path / "new.xlsx"
    wb.save(new)
    result = diff_files(old, new)
    assert [(c.kind, c.sheet, c.column) for c in result.changes] == [
        ("column-added", "進捗状況一覧表", "備考"),
        ("column-removed", "KPI", "基準年度"),
    ]
