"""`kpi-report forms`: the department workbooks, read back with openpyxl as Excel would show them."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from kpi_report.cli import main
from kpi_report.core.columns import DIRECTION_COLUMN, NOT_EVALUABLE_COLUMN
from kpi_report.core.model import CheckReport, KpiEntry, MeasureEntry, Plan
from kpi_report.core.project import Project
from kpi_report.forms import writer as forms_module
from kpi_report.forms.layout import (
    ACTUAL_COLUMN,
    FIRST_DATA_ROW,
    HEADER_ROW,
    INSTRUCTIONS_SHEET,
    KPI_COLUMNS,
    KPI_INPUT_COLUMNS,
    KPI_SHEET,
    META_SHEET,
    NOTES_COLUMN,
    PREVIOUS_ACTUAL_COLUMN,
    PREVIOUS_NOTES_COLUMN,
    PROGRESS_COLUMNS,
    PROGRESS_INPUT_COLUMNS,
    PROGRESS_SHEET,
    SHARED_COLUMN,
    STATUS_COLUMN,
    form_filename,
)
from kpi_report.forms.writer import build_form, write_forms
from tools.build_sample_submissions import build as build_samples
from tools.fill_forms import fill_form

REPO = Path(__file__).resolve().parents[1]
SHARED_ID = "1-1-06"  # 地域子育て支援拠点事業: 子ども家庭支援センター (lead) and 子育て支援課
LEAD, CO_OWNER = "子ども家庭支援センター", "子育て支援課"
NO_KPI_DEPARTMENT = "障害福祉課"


@pytest.fixture(scope="module")
def forms_2019(tmp_path_factory: pytest.TempPathFactory, plain_plan: Plan) -> dict[str, Path]:
    """The FY2019 forms of the plain sample plan (no 効果検証), by department."""
    root = tmp_path_factory.mktemp("forms")
    paths = write_forms(Project(root), plain_plan, 2019)
    return dict(zip(plain_plan.departments, paths, strict=True))


def load(path: Path) -> Any:
    return openpyxl.load_workbook(path)


def column(name: str, columns: tuple[str, ...]) -> int:
    return columns.index(name) + 1


def data_rows(ws: Worksheet) -> Iterator[int]:
    return iter(range(FIRST_DATA_ROW, ws.max_row + 1))


def headed(ws: Worksheet) -> dict[str, int]:
    """{header: column number} of a form sheet's header row."""
    return {str(c.value): c.column for c in ws[FIRST_DATA_ROW - 1] if c.value is not None}


def meta(wb: Any) -> dict[str, Any]:
    return {row[0]: row[1] for row in wb[META_SHEET].iter_rows(values_only=True)}


def test_one_form_per_department_with_an_index(forms_2019: dict[str, Path], plain_plan: Plan) -> None:
    assert len(forms_2019) == len(plain_plan.departments) == 18
    for department, path in forms_2019.items():
        assert path.name == f"{department}.xlsx"
        assert path.parent.name == "forms" and path.parent.parent.name == "2019"
    index = json.loads((next(iter(forms_2019.values())).parent / "index.json").read_text("utf-8"))
    assert [f["department"] for f in index["forms"]] == list(plain_plan.departments)
    assert index["master_sha256"] == plain_plan.sha256


def test_sheets_and_the_very_hidden_record(forms_2019: dict[str, Path], plain_plan: Plan) -> None:
    wb = load(forms_2019[CO_OWNER])
    assert wb.sheetnames == [INSTRUCTIONS_SHEET, PROGRESS_SHEET, KPI_SHEET, META_SHEET]
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert [ws.sheet_state for ws in wb.worksheets[:3]] == ["visible"] * 3
    record = meta(wb)
    assert record["様式"] == "kpi-report/1"
    assert record["年度"] == 2019
    assert record["所管課"] == CO_OWNER
    assert record["マスター"] == plain_plan.sha256
    assert record["取組ID"].split("\n") == [m.id for m in plain_plan.measures_of(CO_OWNER)]
    assert record["KPI_ID"] == "K1-2-01"
    assert record["ツール"]
    assert wb.security is not None and wb.security.lockStructure


def test_a_department_without_kpis_gets_no_kpi_sheet(forms_2019: dict[str, Path]) -> None:
    wb = load(forms_2019[NO_KPI_DEPARTMENT])
    assert wb.sheetnames == [INSTRUCTIONS_SHEET, PROGRESS_SHEET, META_SHEET]
    assert not meta(wb)["KPI_ID"]


def _instruction_texts(path: Path) -> list[str]:
    ws = load(path)[INSTRUCTIONS_SHEET]
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value]


def test_instructions_leave_a_blank_deadline_when_none_is_set(forms_2019: dict[str, Path]) -> None:
    ws = load(forms_2019[CO_OWNER])[INSTRUCTIONS_SHEET]
    texts = _instruction_texts(forms_2019[CO_OWNER])
    assert "提出期限: 　　年　　月　　日　提出先: 企画課" in texts
    deadline = next(
        c for row in ws.iter_rows() for c in row if c.value and str(c.value).startswith("提出期限")
    )
    assert deadline.protection.locked is False  # the planning section types the date without unprotecting
    assert ws.protection.sheet


def test_instructions_never_show_clerks_a_command(forms_2019: dict[str, Path]) -> None:
    assert [t for t in _instruction_texts(forms_2019[CO_OWNER]) if "kpi-report" in t] == []


def test_the_submission_department_and_deadline_come_from_the_settings(
    plain_plan: Plan, tmp_path: Path
) -> None:
    settings = dataclasses.replace(plain_plan.settings, submit_to="政策推進課", deadline=date(2024, 5, 31))
    path = tmp_path / "form.xlsx"
    path.write_bytes(build_form(dataclasses.replace(plain_plan, settings=settings), 2019, CO_OWNER))
    texts = _instruction_texts(path)
    assert "提出期限: 令和6年5月31日（金）　提出先: 政策推進課" in texts
    assert any("政策推進課へ提出してください" in t for t in texts)
    assert [t for t in texts if "企画課" in t] == []


def test_forms_deadline_option_overrides_the_master(
    sample_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["forms", "--project", str(sample_project), "--fy", "2019", "--deadline", "令和2年5月29日"]) == 0
    )
    assert "提出期限: 令和2年5月29日（金）　提出先: 企画課" in capsys.readouterr().out
    form = sample_project / "outputs" / "2019" / "forms" / f"{CO_OWNER}.xlsx"
    assert "提出期限: 令和2年5月29日（金）　提出先: 企画課" in _instruction_texts(form)


def test_forms_deadline_that_is_not_a_date_is_a_usage_error(
    sample_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forms", "--project", str(sample_project), "--fy", "2019", "--deadline", "来週"]) == 2
    assert "日付「来週」を読み取れません" in capsys.readouterr().err


def test_rows_are_the_departments_measures_and_kpis_in_master_order(
    forms_2019: dict[str, Path], plain_plan: Plan
) -> None:
    for department, path in forms_2019.items():
        wb = load(path)
        ws = wb[PROGRESS_SHEET]
        assert [c.value for c in ws[HEADER_ROW]] == list(PROGRESS_COLUMNS)
        assert ws["A1"].value == f"令和元年度 進捗状況記入様式　{department}"
        ids = [ws.cell(r, 1).value for r in data_rows(ws)]
        assert ids == [m.id for m in plain_plan.measures_of(department)]
        if plain_plan.kpis_of(department):
            ks = wb[KPI_SHEET]
            assert [c.value for c in ks[HEADER_ROW]] == list(KPI_COLUMNS)
            assert [ks.cell(r, 1).value for r in data_rows(ks)] == [
                k.id for k in plain_plan.kpis_of(department)
            ]


def test_only_the_input_cells_are_unlocked(forms_2019: dict[str, Path]) -> None:
    wb = load(forms_2019[CO_OWNER])
    for sheet, columns, inputs in (
        (PROGRESS_SHEET, PROGRESS_COLUMNS, PROGRESS_INPUT_COLUMNS),
        (KPI_SHEET, KPI_COLUMNS, KPI_INPUT_COLUMNS),
    ):
        ws = wb[sheet]
        assert ws.protection.sheet and not ws.protection.password
        assert ws.protection.formatColumns is False and ws.protection.formatRows is False  # allowed
        for row in data_rows(ws):
            for index, name in enumerate(columns, start=1):
                cell = ws.cell(row, index)
                assert cell.protection.locked is (name not in inputs), (sheet, cell.coordinate)
                if name not in inputs:
                    assert cell.fill.fgColor.rgb == "FFEDEDED", cell.coordinate  # visibly read-only


def validations(ws: Worksheet, kind: str) -> list[Any]:
    return [dv for dv in ws.data_validations.dataValidation if dv.type == kind]


def test_status_is_a_drop_down_of_the_masters_scale(forms_2019: dict[str, Path], plain_plan: Plan) -> None:
    ws = load(forms_2019[CO_OWNER])[PROGRESS_SHEET]
    (dv,) = validations(ws, "list")
    assert dv.formula1.strip('"').split(",") == list(plain_plan.settings.statuses)
    letter = ws.cell(HEADER_ROW, column(STATUS_COLUMN, PROGRESS_COLUMNS)).column_letter
    assert str(dv.sqref) == f"{letter}{FIRST_DATA_ROW}:{letter}{ws.max_row}"
    assert dv.showErrorMessage and dv.errorStyle in (None, "stop")
    assert "一覧から選んでください" in dv.error


def test_a_custom_status_scale_is_offered(plain_plan: Plan, tmp_path: Path) -> None:
    scale = ("順調", "遅れ", "未着手")
    plan = dataclasses.replace(plain_plan, settings=dataclasses.replace(plain_plan.settings, statuses=scale))
    path = tmp_path / "form.xlsx"
    path.write_bytes(build_form(plan, 2019, CO_OWNER))
    (dv,) = validations(load(path)[PROGRESS_SHEET], "list")
    assert dv.formula1.strip('"').split(",") == list(scale)


def test_a_scale_excel_cannot_hold_inline_is_listed_from_the_hidden_sheet(
    plain_plan: Plan, tmp_path: Path
) -> None:
    scale = (
        "実施中（予定どおり）",
        "実施中（遅れ, 要対応）",
        *(f"区分{i:02d}の長い説明文をここに書きます" for i in range(20)),
    )
    plan = dataclasses.replace(plain_plan, settings=dataclasses.replace(plain_plan.settings, statuses=scale))
    path = tmp_path / "form.xlsx"
    path.write_bytes(build_form(plan, 2019, CO_OWNER))
    wb = load(path)
    (dv,) = validations(wb[PROGRESS_SHEET], "list")
    assert dv.formula1 == f"'_meta'!$D$1:$D${len(scale)}"
    assert [wb[META_SHEET].cell(r, 4).value for r in range(1, len(scale) + 1)] == list(scale)


def test_notes_have_an_excel_enforced_length_limit(forms_2019: dict[str, Path], plain_plan: Plan) -> None:
    ws = load(forms_2019[CO_OWNER])[PROGRESS_SHEET]
    (dv,) = validations(ws, "textLength")
    letter = ws.cell(HEADER_ROW, column(NOTES_COLUMN, PROGRESS_COLUMNS)).column_letter
    assert str(dv.sqref) == f"{letter}{FIRST_DATA_ROW}:{letter}{ws.max_row}"
    assert dv.operator == "lessThanOrEqual"
    assert dv.formula1 == str(plain_plan.settings.notes_max_chars)
    assert "Alt+Enter" in dv.prompt
    assert dv.showErrorMessage and "2,000 文字以内" in dv.error
    notes = ws.cell(FIRST_DATA_ROW, column(NOTES_COLUMN, PROGRESS_COLUMNS))
    assert notes.alignment.wrap_text
    assert ws.column_dimensions[letter].width >= 40  # a wide cell to write in


def test_actual_accepts_numbers_only_and_states_the_unit(forms_2019: dict[str, Path]) -> None:
    ws = load(forms_2019["秘書広報課"])[KPI_SHEET]
    units = {ws.cell(r, 1).value: ws.cell(r, column("単位", KPI_COLUMNS)).value for r in data_rows(ws)}
    assert units == {"K3-1-01": "%", "K3-1-02": "件", "K3-1-03": "人"}
    decimals = validations(ws, "decimal")
    assert len(decimals) == len(units)
    letter = ws.cell(HEADER_ROW, column(ACTUAL_COLUMN, KPI_COLUMNS)).column_letter
    for dv in decimals:
        row = int(str(dv.sqref)[len(letter) :])
        assert str(dv.sqref) == f"{letter}{row}"
        unit = units[ws.cell(row, 1).value]
        assert dv.prompt.startswith(f"単位: {unit}。数値のみ入力（未集計は空欄）")
        assert dv.allow_blank and dv.showErrorMessage and dv.showInputMessage
        assert float(dv.formula1) < -1e9 and float(dv.formula2) > 1e9  # any plausible number
    percent = next(dv for dv in decimals if "単位: %" in dv.prompt)
    assert "「%」は付けず" in percent.prompt


def span(first: str, last: str) -> str:
    """A range as openpyxl writes it (a single cell without the colon)."""
    return str(CellRange(f"{first}:{last}").coord)


def conditional_ranges(ws: Worksheet) -> dict[str, list[str]]:
    return {str(cf.sqref): [rule.type for rule in cf.rules] for cf in ws.conditional_formatting}


def test_required_cells_left_blank_are_highlighted(forms_2019: dict[str, Path]) -> None:
    wb = load(forms_2019[CO_OWNER])
    ws = wb[PROGRESS_SHEET]
    status = ws.cell(HEADER_ROW, column(STATUS_COLUMN, PROGRESS_COLUMNS)).column_letter
    notes = ws.cell(HEADER_ROW, column(NOTES_COLUMN, PROGRESS_COLUMNS)).column_letter
    assert conditional_ranges(ws) == {
        span(f"{status}{FIRST_DATA_ROW}", f"{notes}{ws.max_row}"): ["containsBlanks"]
    }
    ks = wb[KPI_SHEET]
    actual = ks.cell(HEADER_ROW, column(ACTUAL_COLUMN, KPI_COLUMNS)).column_letter
    assert conditional_ranges(ks) == {
        span(f"{actual}{FIRST_DATA_ROW}", f"{actual}{ks.max_row}"): ["containsBlanks"]
    }


def test_print_setup_and_frozen_header(forms_2019: dict[str, Path]) -> None:
    wb = load(forms_2019[CO_OWNER])
    for sheet in (PROGRESS_SHEET, KPI_SHEET):
        ws = wb[sheet]
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9  # A4
        assert ws.print_title_rows == "$1:$3"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
        assert ws.freeze_panes == f"A{FIRST_DATA_ROW}"


def shared_cell(path: Path) -> str:
    ws = load(path)[PROGRESS_SHEET]
    row = next(r for r in data_rows(ws) if ws.cell(r, 1).value == SHARED_ID)
    return str(ws.cell(row, column(SHARED_COLUMN, PROGRESS_COLUMNS)).value)


def test_shared_measures_appear_in_each_owners_form_naming_the_co_owners(forms_2019: dict[str, Path]) -> None:
    expected = f"共同: {LEAD}、{CO_OWNER}（主担当: {LEAD}）"
    assert shared_cell(forms_2019[LEAD]) == expected
    assert shared_cell(forms_2019[CO_OWNER]) == expected
    ws = load(forms_2019[LEAD])[PROGRESS_SHEET]
    others = [ws.cell(r, column(SHARED_COLUMN, PROGRESS_COLUMNS)).value for r in data_rows(ws)]
    assert sum(1 for v in others if v) == 1  # only the shared measure is marked


def test_last_years_notes_and_actual_are_shown_read_only(plain_plan: Plan, tmp_path: Path) -> None:
    previous = CheckReport(
        fy=2018,
        findings=(),
        measure_entries=(
            MeasureEntry(
                2018,
                CO_OWNER,
                SHARED_ID,
                "実施中",
                ("保育園で子育てひろばを開きました。", "《児童館》", "毎週開催"),
            ),
            MeasureEntry(2018, LEAD, SHARED_ID, "完了", ("センターの報告",)),
        ),
        kpi_entries=(KpiEntry(2018, CO_OWNER, "K1-2-01", 31.0, "31人"),),
        submissions=(),
        missing_departments=(),
    )
    written = write_forms(Project(tmp_path), plain_plan, 2019, previous=previous)
    wb = load(next(p for p in written if p.name == form_filename(CO_OWNER)))
    ws = wb[PROGRESS_SHEET]
    row = next(r for r in data_rows(ws) if ws.cell(r, 1).value == SHARED_ID)
    cell = ws.cell(row, column(PREVIOUS_NOTES_COLUMN, PROGRESS_COLUMNS))
    assert (
        cell.value == "【平成30年度】（実施中）\n・保育園で子育てひろばを開きました。\n《児童館》\n・毎週開催"
    )
    assert cell.protection.locked  # its own notes, not the lead department's, and read-only
    ks = wb[KPI_SHEET]
    actual = ks.cell(FIRST_DATA_ROW, column(PREVIOUS_ACTUAL_COLUMN, KPI_COLUMNS))
    assert actual.value == 31 and actual.protection.locked


def test_the_era_follows_the_masters_rule(plain_plan: Plan, tmp_path: Path) -> None:
    heisei = dataclasses.replace(
        plain_plan, settings=dataclasses.replace(plain_plan.settings, reiwa_for_2019=False)
    )
    for plan, fy, title in (
        (plain_plan, 2018, "平成30年度"),
        (plain_plan, 2019, "令和元年度"),
        (heisei, 2019, "平成31年度"),
    ):
        path = tmp_path / f"{fy}-{title}.xlsx"
        path.write_bytes(build_form(plan, fy, CO_OWNER))
        assert load(path)[PROGRESS_SHEET]["A1"].value == f"{title} 進捗状況記入様式　{CO_OWNER}"


def test_forms_are_byte_identical_when_run_again(
    forms_2019: dict[str, Path], plain_plan: Plan, tmp_path: Path
) -> None:
    again = write_forms(Project(tmp_path), plain_plan, 2019)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in forms_2019.values()]


def test_file_names_are_safe_for_every_file_system() -> None:
    assert form_filename("総務部/総務課") == "総務部_総務課.xlsx"
    assert form_filename('a\\b:c*d?e"f<g>h|i') == "a_b_c_d_e_f_g_h_i.xlsx"
    long = form_filename("長" * 300)
    assert long == "長" * 50 + ".xlsx" and len(long.encode()) <= 255


def test_a_very_long_department_name_still_gets_its_form(plain_plan: Plan, tmp_path: Path) -> None:
    """300 characters made the file name too long for the file system: that form failed and the
    index was never written."""
    long = "企画政策部" * 60
    first = dataclasses.replace(plain_plan.measures[0], owners=(long,))
    plan = dataclasses.replace(plain_plan, measures=(first, *plain_plan.measures[1:]))
    paths = write_forms(Project(tmp_path), plan, 2019)
    index = json.loads((paths[0].parent / "index.json").read_text(encoding="utf-8"))
    entry = next(e for e in index["forms"] if e["department"] == long)
    assert (paths[0].parent / entry["file"]).is_file() and len(entry["file"].encode()) <= 255


def test_a_form_that_cannot_be_built_leaves_the_folder_as_it_was(
    plain_plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = write_forms(Project(tmp_path), plain_plan, 2019)
    folder = paths[0].parent
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    last = plain_plan.departments[-1]
    build = forms_module._build_form

    def fail_last(plan: Plan, fy: int, department: str, prev: Any) -> bytes:
        if department == last:
            raise RuntimeError("cannot build")
        return build(plan, fy, department, prev)

    monkeypatch.setattr(forms_module, "_build_form", fail_last)
    changed = dataclasses.replace(
        plain_plan, settings=dataclasses.replace(plain_plan.settings, statuses=("済",))
    )
    with pytest.raises(RuntimeError):
        write_forms(Project(tmp_path), changed, 2019)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # no half-new set


def test_cli_writes_the_forms(sample_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for fy in (2018, 2019):
        shutil.rmtree(sample_project / "inputs" / str(fy), ignore_errors=True)
    assert main(["forms", "--fy", "R1", "--project", str(sample_project)]) == 0
    out = capsys.readouterr().out
    assert "令和元年度の記入様式を 18 課分作成しました" in out
    assert str(sample_project / "outputs" / "2019" / "forms" / "子育て支援課.xlsx") in out
    assert len(list((sample_project / "outputs" / "2019" / "forms").glob("*.xlsx"))) == 18


def test_cli_rejects_an_unreadable_fiscal_year(
    sample_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forms", "--fy", "来年", "--project", str(sample_project)]) == 2
    assert "年度「来年」を読み取れません" in capsys.readouterr().err


def test_cli_shows_last_years_submissions(sample_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", "--fy", "2019", "--project", str(sample_project)]) == 0
    assert "前年度の提出 18 件" in capsys.readouterr().out
    ws = load(sample_project / "outputs" / "2019" / "forms" / "水と緑の環境課.xlsx")[PROGRESS_SHEET]
    previous = str(ws.cell(FIRST_DATA_ROW, column(PREVIOUS_NOTES_COLUMN, PROGRESS_COLUMNS)).value)
    assert previous.startswith("【平成30年度】（実施中）\n《神山公園》\n・芝生広場")


def test_fill_form_writes_by_column_name_and_keeps_the_rest(
    forms_2019: dict[str, Path], tmp_path: Path
) -> None:
    form = forms_2019[CO_OWNER]
    moved = tmp_path / "moved.xlsx"
    wb = load(form)
    wb[PROGRESS_SHEET].insert_cols(2)  # a clerk's copy with a column added: positions shift, names do not
    wb.save(moved)
    out = tmp_path / "filled.xlsx"
    fill_form(
        moved,
        out,
        {"1-2-01": ("実施中", "・定員を拡大しました。")},
        {"K1-2-01": 24},
        kpi_remarks={"K1-2-01": "速報値"},
    )
    filled = load(out)
    ws = filled[PROGRESS_SHEET]
    header = {c.value: c.column for c in ws[HEADER_ROW] if c.value}
    row = next(r for r in data_rows(ws) if ws.cell(r, header["取組ID"]).value == "1-2-01")
    assert ws.cell(row, header[STATUS_COLUMN]).value == "実施中"
    assert ws.cell(row, header[NOTES_COLUMN]).value == "・定員を拡大しました。"
    ks = filled[KPI_SHEET]
    assert ks.cell(FIRST_DATA_ROW, column(ACTUAL_COLUMN, KPI_COLUMNS)).value == 24
    assert ks.cell(FIRST_DATA_ROW, column("備考", KPI_COLUMNS)).value == "速報値"
    assert filled[META_SHEET].sheet_state == "veryHidden" and meta(filled)["所管課"] == CO_OWNER
    assert validations(ks, "decimal") and ks.protection.sheet and filled.security.lockStructure


def test_fill_form_is_deterministic(forms_2019: dict[str, Path], tmp_path: Path) -> None:
    outs = [tmp_path / "a.xlsx", tmp_path / "b.xlsx"]
    for out in outs:
        fill_form(forms_2019[LEAD], out, {SHARED_ID: ("完了", "終わりました")}, {})
    assert outs[0].read_bytes() == outs[1].read_bytes()


def test_sample_submissions_are_rebuilt_byte_for_byte(sample_project: Path) -> None:
    for fy in (2018, 2019):
        shutil.rmtree(sample_project / "inputs" / str(fy))
    written = build_samples(Project(sample_project))
    assert len(written) == 36
    for path in written:
        committed = REPO / "inputs" / path.parent.name / path.name
        assert path.read_bytes() == committed.read_bytes(), committed


def test_sample_submissions_are_complete_labelled_and_cross_the_era(sample_plan: Plan) -> None:
    notes: dict[int, dict[tuple[str, str], str]] = {2018: {}, 2019: {}}
    for fy, era in ((2018, "平成30年度"), (2019, "令和元年度")):
        files = sorted((REPO / "inputs" / str(fy)).glob("*.xlsx"))
        assert len(files) == len(sample_plan.departments)
        for path in files:
            wb = load(path)
            assert wb.properties.description.startswith("サンプルデータ")
            department = meta(wb)["所管課"]
            ws = wb[PROGRESS_SHEET]
            assert ws["A1"].value.startswith(era)
            for r in data_rows(ws):
                status = ws.cell(r, column(STATUS_COLUMN, PROGRESS_COLUMNS)).value
                assert status in sample_plan.settings.statuses
                notes[fy][department, ws.cell(r, 1).value] = ws.cell(
                    r, column(NOTES_COLUMN, PROGRESS_COLUMNS)
                ).value
                assert ws.cell(r, headed(ws)[DIRECTION_COLUMN]).value in sample_plan.settings.directions
            if KPI_SHEET in wb.sheetnames:
                ks = wb[KPI_SHEET]
                for r in data_rows(ks):
                    actual = ks.cell(r, column(ACTUAL_COLUMN, KPI_COLUMNS)).value
                    reason = ks.cell(r, headed(ks)[NOT_EVALUABLE_COLUMN]).value
                    if (fy, ks.cell(r, 1).value) == (2019, "K1-4-01"):  # a survey not held that year
                        assert (actual, reason) == (None, "調査年度でない")
                    else:
                        assert isinstance(actual, int | float) and reason is None
                    assert ks.cell(r, column("備考", KPI_COLUMNS)).value == "サンプルデータ（架空の値）"
    owned = {(d, m.id) for d in sample_plan.departments for m in sample_plan.measures_of(d)}
    assert set(notes[2018]) == set(notes[2019]) == owned
    assert all(notes[2018][key] != notes[2019][key] for key in owned)
    every = "\n".join(notes[2018].values()) + "\n".join(notes[2019].values())
    assert "実績なし（" in every and "《" in every and "サンプルデータ" in every
