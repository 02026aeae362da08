"""`kpi-report check`: returned department workbooks against the master, every case of docs/security.md #1-#21.

Each defect is injected by code (tests/defects.py) into a copy of a clean filled form and must give exactly
the expected (cell, code) findings for that file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import defects
import openpyxl
import pytest

from kpi_report.api import check as run_check
from kpi_report.cli import main
from kpi_report.console import finding_place
from kpi_report.core.model import CheckReport, Finding, Plan
from kpi_report.core.project import Project
from kpi_report.forms.layout import FEEDBACK_SHEET
from kpi_report.forms.writer import build_form, write_forms
from kpi_report.plan.master import load_plan
from kpi_report.publish.build import build
from kpi_report.validate.check import check_year
from kpi_report.validate.outputs import feedback_name, write_check_outputs
from tools.fill_forms import fill_form

FY = 2019
REPO = Path(__file__).resolve().parents[1]
Defect = Callable[[Path, Path], Path]


@pytest.fixture(scope="module")
def clean_form(tmp_path_factory: pytest.TempPathFactory, plain_plan: Plan) -> Path:
    """産業振興課's FY2019 form, filled with valid values."""
    return defects.clean_filled_form(plain_plan, FY, tmp_path_factory.mktemp("clean"))


@pytest.fixture
def project(tmp_path: Path, plain_master: Path) -> Project:
    """A project with the plain sample master (no 効果検証) and an empty inputs/2019/."""
    root = tmp_path / "project"
    (root / "inputs" / str(FY)).mkdir(parents=True)
    shutil.copy(plain_master, root / "inputs" / "master.xlsx")
    return Project(root)


def flat(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.cell, f.code) for f in findings]


def of_file(report: CheckReport, name: str) -> list[Finding]:
    return [f for f in report.findings if f.file == name]


def inject(
    project: Project, plan: Plan, clean: Path, defect: Defect, name: str
) -> tuple[CheckReport, list[Finding]]:
    defect(clean, project.inputs(FY) / name)
    report = check_year(project, plan, FY)
    return report, of_file(report, name)


# -- the round trip --------------------------------------------------------------------------------------


def fill_all(project: Project, plan: Plan) -> None:
    """Every department's form for FY, filled by program through the fixed column names."""
    forms = write_forms(project, plan, FY)
    for form in forms:
        department = form.stem
        measures = {m.id: ("実施中", defects.NOTES) for m in plan.measures_of(department)}
        actuals: dict[str, object] = {k.id: 10 + i for i, k in enumerate(plan.kpis_of(department))}
        fill_form(form, project.inputs(FY) / form.name, measures, actuals)


def test_round_trip_forms_filled_by_program_check_clean(project: Project, plain_plan: Plan) -> None:
    fill_all(project, plain_plan)
    report = check_year(project, plain_plan, FY)
    assert flat(list(report.findings)) == []
    assert report.missing_departments == ()
    assert len(report.submissions) == len(plain_plan.departments)
    owned = sum(len(m.owners) for m in plain_plan.measures)
    assert len(report.measure_entries) == owned
    assert len(report.kpi_entries) == len(plain_plan.kpis)
    entry = next(e for e in report.measure_entries if e.measure_id == "2-1-01")
    assert (entry.department, entry.status, entry.file, entry.row) == (
        "産業振興課",
        "実施中",
        "産業振興課.xlsx",
        4,
    )
    assert entry.notes == (
        "認定農業者の更新を呼びかけ、25経営体が認定を受けました。",
        "地産地消フェアを2回開催しました。",
    )
    kpi = next(e for e in report.kpi_entries if e.kpi_id == "G2-01")
    assert (kpi.actual, kpi.actual_text, kpi.department) == (10.0, "10", "産業振興課")


# -- every defect: exactly the expected findings -----------------------------------------------------------

CASES: list[tuple[str, Defect, list[tuple[str, str]]]] = [
    # 1 statuses typed by hand: spaces normalised, the rest named
    (
        "status_variants.xlsx",
        defects.status_variants,
        [("L6", "status-not-in-scale"), ("L7", "status-missing")],
    ),
    ("status_not_in_scale.xlsx", defects.status_not_in_scale, [("L4", "status-not-in-scale")]),
    # 3 formulas and error values
    ("formula_without_value.xlsx", defects.formula_without_value, [("L4", "formula-without-value")]),
    (
        "excel_error_value.xlsx",
        defects.excel_error_value,
        [(f"{defects.ACTUAL_COL}4", "excel-error-value"), (f"{defects.ACTUAL_COL}5", "excel-error-value")],
    ),
    ("formula_with_cached_value.xlsx", defects.formula_with_cached_value, []),
    # 4 locked master columns edited
    ("master_name_edited.xlsx", defects.master_name_edited, [("E4", "master-text-edited")]),
    # 5 rows deleted, inserted, re-ordered, added
    ("row_deleted.xlsx", defects.row_deleted, [("", "missing-measure")]),
    ("row_inserted.xlsx", defects.row_inserted, []),
    ("rows_reordered.xlsx", defects.rows_reordered, []),
    ("unknown_id_added.xlsx", defects.unknown_id_added, [("A12", "unknown-id")]),
    ("other_department_row.xlsx", defects.other_department_row, [("A12", "not-owned")]),
    ("id_cleared.xlsx", defects.id_cleared, [("A4", "missing-id"), ("", "missing-measure")]),
    # 6 the same ID twice
    # (the row now carries another measure's 名称 and 内容: reported too, a hint that the ID was typed over)
    (
        "duplicate_id.xlsx",
        defects.duplicate_id,
        [
            ("A5", "duplicate-id"),
            ("E5", "master-text-edited"),
            ("F5", "master-text-edited"),
            ("", "missing-measure"),
        ],
    ),
    # 7 made for another year, department or master
    ("wrong_fiscal_year.xlsx", defects.meta_value("年度", 2018), [("", "wrong-fiscal-year")]),
    ("unknown_department.xlsx", defects.meta_value("所管課", "総務課"), [("", "unknown-department")]),
    ("older_master_same_rows.xlsx", defects.meta_value("マスター", "0" * 64), []),
    (
        "older_master_without_content_record.xlsx",
        lambda src, dst: defects.meta_value("表示内容", "")(
            defects.meta_value("マスター", "0" * 64)(src, dst), dst
        ),
        [("", "older-master")],
    ),
    ("without_form_record.xlsx", defects.without_form_record, [("", "unknown-department")]),
    # 8 headers, columns, sheets
    ("header_renamed.xlsx", defects.header_renamed, [("", "missing-column")]),
    ("column_deleted.xlsx", defects.column_deleted, [("", "missing-column")]),
    ("sheet_renamed.xlsx", defects.sheet_renamed, [("", "missing-sheet")]),
    ("sheet_deleted.xlsx", defects.sheet_deleted, [("", "missing-sheet")]),
    # 9 merged cells, hidden rows, columns, sheets
    ("merged_input_cells.xlsx", defects.merged_input_cells, [("L4", "merged-cells")]),
    ("hidden_row.xlsx", defects.hidden_row, [("A5", "hidden-row")]),
    ("hidden_column.xlsx", defects.hidden_column, [("M3", "hidden-column")]),
    ("extra_hidden_sheet.xlsx", defects.extra_hidden_sheet, [("", "hidden-sheet")]),
    # 10 notes over the configured maximum and over Excel's cell limit
    ("notes_over_limit.xlsx", defects.notes_too_long(2001), [("M4", "notes-too-long")]),
    ("notes_over_excel_limit.xlsx", defects.notes_too_long(40_000), [("M4", "notes-too-long")]),
    # 11 control, zero-width and non-breaking characters
    ("control_characters.xlsx", defects.control_characters, [("M4", "text-cleaned")]),
    # 12 not submissions
    ("~$産業振興課.xlsx", defects.lock_file, [("", "skipped-file")]),
    ("Thumbs.db", defects.lock_file, [("", "skipped-file")]),
    (".DS_Store", defects.lock_file, [("", "skipped-file")]),
    ("調査票の説明.pdf", defects.pdf_file, [("", "skipped-file")]),
    # 13 legacy formats, macros
    ("legacy_xls.xls", defects.legacy_xls, [("", "legacy-format")]),
    ("legacy_xls_renamed.xlsx", defects.legacy_xls, [("", "legacy-format")]),
    ("macro_workbook.xlsm", defects.macro_workbook, [("", "macro-workbook")]),
    ("ods_file.ods", defects.ods_file, [("", "legacy-format")]),
    # 14 password
    ("encrypted.xlsx", defects.encrypted, [("", "encrypted-workbook")]),
    # 15 empty, truncated, random
    ("empty.xlsx", defects.empty_file, [("", "empty-file")]),
    ("truncated_download.xlsx", defects.truncated_download, [("", "unreadable-file")]),
    ("random_bytes.xlsx", defects.random_bytes, [("", "unreadable-file")]),
    # 16 entity expansion, external entities
    ("billion_laughs.xlsx", defects.billion_laughs, [("", "xml-doctype")]),
    ("external_entity.xlsx", defects.external_entity, [("", "xml-doctype")]),
    # 17 zip bomb, thousands of parts
    ("zip_bomb.xlsx", defects.zip_bomb, [("", "archive-ratio")]),
    ("many_parts.xlsx", defects.many_parts, [("", "archive-too-many-parts")]),
    # 18 dimension bombs
    ("dimension_claim.xlsx", defects.dimension_claim, []),
    ("far_cell.xlsx", defects.far_cell, [("XFD1048576", "data-outside-table")]),
    # 19 external links, DDE, data connections
    ("external_link.xlsx", defects.external_link, [("", "external-link")]),
    ("dde_link.xlsx", defects.dde_link, [("", "dde-link")]),
    ("data_connection.xlsx", defects.data_connection, [("", "data-connection")]),
    # 20, 21 hostile text is only text
    ("formula_like_text.xlsx", defects.formula_like_text, [("L4", "status-not-in-scale")]),
    ("html_text.xlsx", defects.html_text, []),
]


@pytest.mark.parametrize(("name", "defect", "expected"), CASES, ids=[c[0] for c in CASES])
def test_defect_gives_exactly_the_expected_findings(
    project: Project,
    plain_plan: Plan,
    clean_form: Path,
    name: str,
    defect: Defect,
    expected: list[tuple[str, str]],
) -> None:
    _report, findings = inject(project, plain_plan, clean_form, defect, name)
    assert flat(findings) == expected
    for f in findings:
        assert f.file == name
        assert f.message and "{" not in f.message
        if f.sheet and f.cell:  # the place is shown beside the message (console, list, comment), once
            assert f"シート『{f.sheet}』{f.cell}" in finding_place(f)
            assert f"シート『{f.sheet}』{f.cell}" not in f.message


@pytest.mark.parametrize(
    ("typed", "actual", "expected"),
    [
        ("1,234", 1234.0, []),
        ("１２３", 123.0, []),
        ("73.2%", 73.2, []),
        ("45人", 45.0, []),
        ("007", 7.0, []),
        (45, 45.0, []),
        ("約50", None, [(f"{defects.ACTUAL_COL}6", "actual-not-a-number")]),
        ("集計中", None, [(f"{defects.ACTUAL_COL}6", "actual-not-a-number")]),
        ("None", None, [(f"{defects.ACTUAL_COL}6", "actual-not-a-number")]),
        ("－", None, [(f"{defects.ACTUAL_COL}6", "actual-not-reported")]),
        (None, None, [(f"{defects.ACTUAL_COL}6", "actual-not-reported")]),
    ],
)
def test_actual_values_are_normalised_or_named(
    project: Project,
    plain_plan: Plan,
    clean_form: Path,
    typed: object,
    actual: float | None,
    expected: list[tuple[str, str]],
) -> None:
    report, findings = inject(project, plain_plan, clean_form, defects.actual_typed(typed), "actual.xlsx")
    assert flat(findings) == expected
    entry = next(e for e in report.kpi_entries if e.kpi_id == "K2-2-01")
    assert entry.actual == actual
    if expected and expected[0][1] == "actual-not-a-number":
        assert findings[0].value == typed
        assert f"「{typed}」" in findings[0].message


def test_actual_typed_as_percent_in_excel_is_the_percentage(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    report, findings = inject(project, plain_plan, clean_form, defects.actual_as_percent, "p.xlsx")
    assert findings == []
    entry = next(e for e in report.kpi_entries if e.kpi_id == "K2-2-01")
    assert (entry.actual, entry.actual_text) == (45.0, "45%")


# -- what the entries carry ---------------------------------------------------------------------------------


def test_statuses_with_spaces_are_normalised_to_the_scale(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    report, findings = inject(project, plain_plan, clean_form, defects.status_variants, "s.xlsx")
    statuses = {e.row: e.status for e in report.measure_entries}
    assert statuses == {
        4: "実施中",
        5: "実施中",
        6: "",
        7: "",
        8: "実施中",
        9: "実施中",
        10: "実施中",
        11: "実施中",
    }
    assert findings[0].value == "実施"
    assert "実施中、完了、一部実施、検討中、未着手、休止・中止" in findings[0].message


def test_entries_are_matched_by_id_not_by_position(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        ws = wb["進捗"]
        for col in range(1, 14):
            a, b = ws.cell(4, col), ws.cell(5, col)
            a.value, b.value = b.value, a.value
        ws["L4"].value = "完了"  # now the row of 2-1-02

    report, findings = inject(
        project, plain_plan, clean_form, lambda s, d: defects.edit(s, d, change), "moved.xlsx"
    )
    assert findings == []
    by_id = {e.measure_id: (e.status, e.row) for e in report.measure_entries}
    assert by_id["2-1-02"] == ("完了", 4)
    assert by_id["2-1-01"] == ("実施中", 5)


def test_duplicated_id_keeps_neither_row(project: Project, plain_plan: Plan, clean_form: Path) -> None:
    report, findings = inject(project, plain_plan, clean_form, defects.duplicate_id, "dup.xlsx")
    assert "A4" in findings[0].message
    assert "2-1-01" not in {e.measure_id for e in report.measure_entries}
    assert next(f for f in findings if f.code == "missing-measure").item_id == "2-1-02"


def test_master_text_edit_shows_old_and_new(project: Project, plain_plan: Plan, clean_form: Path) -> None:
    _report, findings = inject(project, plain_plan, clean_form, defects.master_name_edited, "e.xlsx")
    old = next(m.name for m in plain_plan.measures if m.id == "2-1-01")
    assert f"「{old}」" in findings[0].message
    assert "「市内農家の支援（課で書き換え）」" in findings[0].message
    assert findings[0].severity == "warning"


def test_long_notes_are_reported_with_their_length_and_kept_whole(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    report, findings = inject(project, plain_plan, clean_form, defects.notes_too_long(40_000), "long.xlsx")
    assert "40,000 文字" in findings[0].message and "2,000 文字" in findings[0].message
    entry = next(e for e in report.measure_entries if e.row == 4)
    assert len("\n".join(entry.notes)) == 40_000


def test_control_characters_are_cleaned(project: Project, plain_plan: Plan, clean_form: Path) -> None:
    report, findings = inject(project, plain_plan, clean_form, defects.control_characters, "c.xlsx")
    entry = next(e for e in report.measure_entries if e.row == 4)
    assert entry.notes == ("説明会を開催しました。 参加者45人",)
    assert findings[0].value == "説明会を\x01開催\u200bしました。\u00a0参加者45人"


def test_hostile_text_reaches_the_entries_intact(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    report, _ = inject(project, plain_plan, clean_form, defects.formula_like_text, "f.xlsx")
    notes = {e.row: e.notes for e in report.measure_entries}
    assert notes[4] == defects.FORMULA_TEXTS
    assert notes[5] == ("=1+1",)
    (project.inputs(FY) / "f.xlsx").unlink()
    report, findings = inject(project, plain_plan, clean_form, defects.html_text, "h.xlsx")
    assert findings == []
    assert (
        next(e for e in report.measure_entries if e.file == "h.xlsx" and e.row == 4).notes
        == defects.HTML_TEXTS
    )


def test_macro_workbook_values_are_still_read(project: Project, plain_plan: Plan, clean_form: Path) -> None:
    report, findings = inject(project, plain_plan, clean_form, defects.macro_workbook, "産業振興課.xlsm")
    assert findings[0].severity == "warning"
    assert len(report.measure_entries) == 8
    assert report.submissions[0].department == "産業振興課"


def test_merged_cells_never_shift_values(project: Project, plain_plan: Plan, clean_form: Path) -> None:
    report, findings = inject(project, plain_plan, clean_form, defects.merged_input_cells, "m.xlsx")
    assert findings[0].value == "L4:M4"
    entry = next(e for e in report.measure_entries if e.row == 4)
    assert (entry.status, entry.notes) == ("実施中", ())


def test_external_entity_content_appears_nowhere(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    report, _findings = inject(project, plain_plan, clean_form, defects.external_entity, "x.xlsx")
    files = write_check_outputs(report, project, plain_plan)
    assert not any(f.name == "x.xlsx" for f in files)  # no feedback copy of a rejected file
    blob = json.dumps([f.__dict__ for f in report.findings], ensure_ascii=False)
    for path in files:
        blob += path.read_bytes().decode("latin-1")
    assert "root:" not in blob


# -- identification, duplicates, missing submissions -----------------------------------------------------


def test_form_made_for_another_year_names_it(tmp_path: Path, plain_master: Path, plain_plan: Plan) -> None:
    root = tmp_path / "p"
    (root / "inputs" / "2018").mkdir(parents=True)
    shutil.copy(plain_master, root / "inputs" / "master.xlsx")
    defects.clean_filled_form(plain_plan, FY, root / "inputs" / "2018")
    report = check_year(Project(root), plain_plan, 2018)
    findings = of_file(report, "産業振興課.xlsx")
    assert flat(findings) == [("", "wrong-fiscal-year")]
    assert "令和元年度用" in findings[0].message and "平成30年度" in findings[0].message
    assert report.measure_entries == ()
    assert "産業振興課" not in report.missing_departments


def _evolve_master(root: Path) -> tuple[str, str]:
    """The master as a plan changes over the years: a measure added for 健康推進課 (ID 1-1-99) and the
    measure 1-1-02 deleted. Returns (added ID, deleted ID)."""
    master = root / "inputs" / "master.xlsx"
    wb = openpyxl.load_workbook(master)
    ws = wb["取組"]
    first = [c.value for c in ws[2]]
    deleted = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "1-1-02")
    ws.delete_rows(deleted)
    ws.append(["1-1-99", *first[1:4], "新しい取組", "令和元年度に追加した取組です。", *first[6:]])
    wb.save(master)
    return "1-1-99", "1-1-02"


def test_a_past_years_forms_are_read_with_the_master_of_their_time(plain_project: Path) -> None:
    """A plan adds and deletes measures over its years: last year's forms were right for last year. Read
    as history (build, forms) they give warnings, not errors; checked as the current year they still fail."""
    added, deleted = _evolve_master(plain_project)
    project = Project(plain_project)
    plan = load_plan(project.master)
    strict = check_year(project, plan, 2018)
    assert {f.code for f in strict.errors} >= {"master-changed", "missing-measure", "unknown-id"}
    past = check_year(project, plan, 2018, past=True)
    assert past.errors == ()
    warned = [f for f in past.findings if f.code == "past-master-changed"]
    assert [f.department for f in warned] == ["健康推進課"]  # both measures are its own
    assert added in warned[0].message and deleted in warned[0].message and "平成30年度" in warned[0].message
    kept = {e.measure_id for e in past.measure_entries}
    assert deleted in kept and added not in kept  # the old row is read; nothing is invented for the new one


def test_build_keeps_past_years_free_of_errors_after_the_master_changed(plain_project: Path) -> None:
    _evolve_master(plain_project)
    result = build(Project(plain_project), 2019, allow_errors=True)  # 2019's forms predate the change too
    errors = {y.fy: y.errors for y in result.years}
    assert errors[2018] == 0 and errors[2019] > 0


def test_a_department_renamed_since_keeps_its_past_years(plain_project: Path) -> None:
    """A reorganisation renames 企画課 to 企画政策課 in the master: its 平成30年度 forms are still the record of
    that year; they were dropped as an unknown department, and their notes vanished from the report."""
    master = plain_project / "inputs" / "master.xlsx"
    wb = openpyxl.load_workbook(master)
    for ws in (wb["取組"], wb["KPI"]):
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and "企画課" in cell.value:
                    cell.value = cell.value.replace("企画課", "企画政策課")
    wb.save(master)
    project = Project(plain_project)
    plan = load_plan(master)
    strict = check_year(project, plan, 2018)
    assert "unknown-department" in {f.code for f in strict.errors}
    past = check_year(project, plan, 2018, past=True)
    assert past.errors == ()
    assert [f.code for f in past.findings if f.department == "企画課"] == ["past-department"]
    assert "企画政策課" not in past.missing_departments
    own = {m.id for m in plan.measures_of("企画政策課")}
    assert own & {e.measure_id for e in past.measure_entries if e.department == "企画課"}


def test_form_of_another_department_under_its_name(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    shutil.copy(clean_form, project.inputs(FY) / "子育て支援課.xlsx")
    report = check_year(project, plain_plan, FY)
    findings = of_file(report, "子育て支援課.xlsx")
    assert flat(findings) == [("", "wrong-department")]
    assert "産業振興課" in findings[0].message
    assert report.measure_entries == ()


def test_form_from_an_older_master_with_other_measures(project: Project, plain_plan: Plan) -> None:
    """A measure added to the master since the form was made, and one the form has that the master dropped."""
    mine = plain_plan.measures_of(defects.DEPARTMENT)
    dropped = dataclasses.replace(mine[0], id="2-1-99", name="廃止された取組")
    old_measures = (*tuple(m for m in plain_plan.measures if m.id != mine[-1].id), dropped)
    old_plan = dataclasses.replace(plain_plan, measures=old_measures, sha256="0" * 64)
    form = project.root / "old-form.xlsx"
    form.write_bytes(build_form(old_plan, FY, defects.DEPARTMENT))
    measures = {m.id: ("実施中", defects.NOTES) for m in old_plan.measures_of(defects.DEPARTMENT)}
    fill_form(form, project.inputs(FY) / "old.xlsx", measures, defects.ACTUALS)
    report = check_year(project, plain_plan, FY)
    findings = of_file(report, "old.xlsx")
    assert flat(findings) == [("", "master-changed"), ("A11", "unknown-id"), ("", "missing-measure")]
    assert f"取組の追加: {mine[-1].id}" in findings[0].message
    assert "取組の削除: 2-1-99" in findings[0].message


def test_workbook_without_record_is_identified_by_its_file_name(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    report, findings = inject(project, plain_plan, clean_form, defects.without_form_record, "産業振興課.xlsx")
    assert flat(findings) == [("", "no-form-record")]
    assert findings[0].severity == "info"
    assert len(report.measure_entries) == 8


def test_two_workbooks_for_one_department_are_both_errors(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    shutil.copy(clean_form, project.inputs(FY) / "産業振興課.xlsx")
    shutil.copy(clean_form, project.inputs(FY) / "産業振興課（修正版）.xlsx")
    report = check_year(project, plain_plan, FY)
    first, second = of_file(report, "産業振興課.xlsx"), of_file(report, "産業振興課（修正版）.xlsx")
    assert flat(first) == flat(second) == [("", "duplicate-submission")]
    assert "産業振興課（修正版）.xlsx" in first[0].message and "産業振興課.xlsx" in second[0].message
    assert report.measure_entries == () and report.kpi_entries == ()


def test_departments_that_sent_nothing_are_missing_submissions(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    shutil.copy(clean_form, project.inputs(FY) / "産業振興課.xlsx")
    report = check_year(project, plain_plan, FY)
    others = tuple(d for d in plain_plan.departments if d != "産業振興課")
    assert report.missing_departments == others
    missing = [f for f in report.findings if f.code == "missing-submission"]
    assert [f.department for f in missing] == list(others)
    assert all(f.severity == "error" for f in missing)


def test_missing_inputs_folder_means_every_department_is_missing(tmp_path: Path, plain_plan: Plan) -> None:
    report = check_year(Project(tmp_path), plain_plan, 2017)
    assert report.missing_departments == plain_plan.departments
    assert report.submissions == ()


def test_broken_and_hostile_files_do_not_stop_the_batch(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    folder = project.inputs(FY)
    for name, defect in (
        ("a_zip_bomb.xlsx", defects.zip_bomb),
        ("b_encrypted.xlsx", defects.encrypted),
        ("c_billion_laughs.xlsx", defects.billion_laughs),
        ("d_random.xlsx", defects.random_bytes),
    ):
        defect(clean_form, folder / name)
    shutil.copy(clean_form, folder / "産業振興課.xlsx")
    report = check_year(project, plain_plan, FY)
    assert {e.file for e in report.measure_entries} == {"産業振興課.xlsx"}
    assert len(report.measure_entries) == 8
    assert [s.file for s in report.submissions] == sorted(p.name for p in folder.iterdir())
    assert of_file(report, "産業振興課.xlsx") == []


# -- outputs -------------------------------------------------------------------------------------------------


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_inputs_are_never_modified(project: Project, plain_plan: Plan, clean_form: Path) -> None:
    for name, defect in (
        ("s.xlsx", defects.status_not_in_scale),
        ("m.xlsm", defects.macro_workbook),
        ("e.xlsx", defects.encrypted),
    ):
        defect(clean_form, project.inputs(FY) / name)
    before = hashes(project.inputs(FY))
    run_check(project, FY)
    assert hashes(project.inputs(FY)) == before


def test_feedback_copy_marks_the_faulty_cell(project: Project, plain_plan: Plan, clean_form: Path) -> None:
    report, findings = inject(
        project, plain_plan, clean_form, defects.status_not_in_scale, "status_not_in_scale.xlsx"
    )
    write_check_outputs(report, project, plain_plan)
    copy = project.outputs(FY) / "check" / "feedback" / "status_not_in_scale.xlsx"
    wb = openpyxl.load_workbook(copy)
    cell = wb["進捗"]["L4"]
    assert cell.value == "実施"
    assert cell.fill.fgColor.rgb == "00FFC7CE"
    assert cell.comment is not None and findings[0].message in cell.comment.text
    assert wb["進捗"]["L5"].comment is None
    assert wb.sheetnames[0] == FEEDBACK_SHEET
    # every zip entry has the fixed date, worksheets included (openpyxl writes those through temporary files)
    assert {i.date_time for i in zipfile.ZipFile(copy).infolist()} == {(1980, 1, 1, 0, 0, 0)}
    listed = [row for row in wb[FEEDBACK_SHEET].iter_rows(min_row=2, values_only=True)]
    assert listed == [("エラー", "進捗", "L4", "2-1-01", findings[0].message)]


def test_feedback_copy_of_a_macro_workbook_is_an_xlsx_without_macros(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    report, _ = inject(project, plain_plan, clean_form, defects.macro_workbook, "産業振興課.xlsm")
    files = write_check_outputs(report, project, plain_plan)
    copy = project.outputs(FY) / "check" / "feedback" / "産業振興課.xlsx"
    assert copy in files
    assert not any("vba" in n.lower() for n in zipfile.ZipFile(copy).namelist())


def test_findings_workbook_and_json(project: Project, plain_plan: Plan, clean_form: Path) -> None:
    report, _findings = inject(project, plain_plan, clean_form, defects.formula_like_text, "産業振興課.xlsx")
    files = write_check_outputs(report, project, plain_plan)
    check_dir = project.outputs(FY) / "check"
    assert files[:2] == [check_dir / "findings.xlsx", check_dir / "findings.json"]
    wb = openpyxl.load_workbook(files[0])
    assert wb.sheetnames == ["所管課別", "指摘一覧"]
    summary = wb["所管課別"]
    assert summary.freeze_panes == "A2" and summary.auto_filter.ref
    rows = {r[0]: r for r in summary.iter_rows(min_row=2, values_only=True)}
    assert rows["産業振興課"] == ("産業振興課", "産業振興課.xlsx", 1, 0, "要修正")
    assert rows["企画課"] == ("企画課", "", 0, 0, "未提出")
    listing = wb["指摘一覧"]
    assert listing.freeze_panes == "A2" and listing.auto_filter.ref
    assert listing.max_row == len(report.findings) + 1
    first = next(listing.iter_rows(min_row=2))
    assert [c.value for c in first[:7]] == [
        "エラー",
        "産業振興課",
        "産業振興課.xlsx",
        "進捗",
        "L4",
        "2-1-01",
        "status-not-in-scale",
    ]
    assert first[8].value == "-2" and first[8].data_type == "s"  # #20: literal text, never a formula
    data = json.loads(files[1].read_text(encoding="utf-8"))
    assert data["fy"] == FY and data["fy_label"] == "令和元年度"
    assert [f["code"] for f in data["findings"]] == [f.code for f in report.findings]
    assert data["counts"]["error"] == len(report.errors)
    assert data["missing_departments"] == list(report.missing_departments)


def test_outputs_are_byte_identical_when_run_twice(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    defects.status_variants(clean_form, project.inputs(FY) / "s.xlsx")
    first = run_check(project, FY).files
    before = {p: p.read_bytes() for p in first}
    second = run_check(project, FY).files
    assert first == second
    assert {p: p.read_bytes() for p in second} == before


def test_stale_feedback_copies_are_removed(project: Project, plain_plan: Plan, clean_form: Path) -> None:
    defects.status_not_in_scale(clean_form, project.inputs(FY) / "old.xlsx")
    run_check(project, FY)
    (project.inputs(FY) / "old.xlsx").unlink()
    shutil.copy(clean_form, project.inputs(FY) / "new.xlsx")
    run_check(project, FY)
    assert [p.name for p in (project.outputs(FY) / "check" / "feedback").iterdir()] == ["new.xlsx"]


def test_a_folder_named_like_a_feedback_copy_is_left_alone(
    project: Project, plain_plan: Plan, clean_form: Path
) -> None:
    stray = project.outputs(FY) / "check" / "feedback" / "old.xlsx"
    stray.mkdir(parents=True)
    shutil.copy(clean_form, project.inputs(FY) / "new.xlsx")
    run_check(project, FY)
    assert sorted(p.name for p in stray.parent.iterdir()) == ["new.xlsx", "old.xlsx"]


# -- the command ---------------------------------------------------------------------------------------------


def test_cli_exit_0_when_clean_and_1_with_errors(
    project: Project, plain_plan: Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_all(project, plain_plan)
    assert main(["check", "--fy", "R1", "--project", str(project.root)]) == 0
    out = capsys.readouterr().out
    assert "産業振興課" in out and "エラー 0 件" in out
    assert str(project.outputs(FY) / "check" / "findings.xlsx") in out
    defects.status_not_in_scale(
        project.inputs(FY) / "産業振興課.xlsx", project.inputs(FY) / "産業振興課.xlsx"
    )
    assert main(["check", "--fy", "2019", "--project", str(project.root)]) == 1
    out = capsys.readouterr().out
    assert "[エラー] 産業振興課.xlsx シート『進捗』L4: " in out
    assert "要修正" in out


def test_cli_warnings_only_exit_0(
    project: Project, plain_plan: Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_all(project, plain_plan)
    target = project.inputs(FY) / "産業振興課.xlsx"
    defects.master_name_edited(target, target)
    assert main(["check", "--fy", "2019", "--project", str(project.root)]) == 0
    assert "[警告]" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_form_saved_by_libreoffice_checks_clean(project: Project, plain_plan: Plan, clean_form: Path) -> None:
    """Some city halls use LibreOffice Calc: a filled form re-saved by it must check clean and get feedback."""
    work = project.root / "lo"
    work.mkdir()
    defects.status_not_in_scale(clean_form, work / "産業振興課.xlsx")
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{work / 'profile'}",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(project.inputs(FY)),
            str(work / "産業振興課.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    report = check_year(project, plain_plan, FY)
    assert flat(of_file(report, "産業振興課.xlsx")) == [("L4", "status-not-in-scale")]
    assert len(report.measure_entries) == 8 and len(report.kpi_entries) == 4
    write_check_outputs(report, project, plain_plan)
    copy = openpyxl.load_workbook(project.outputs(FY) / "check" / "feedback" / "産業振興課.xlsx")
    assert copy["進捗"]["L4"].comment is not None


def test_file_names_that_are_not_utf8_are_read_and_named(
    project: Project, plain_plan: Plan, clean_form: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A zip made on Japanese Windows unpacks to Shift_JIS file names: read under the decoded name."""
    folder = bytes(project.inputs(FY))
    defects.status_not_in_scale(clean_form, Path(os.fsdecode(folder + "/産業振興課.xlsx".encode("cp932"))))
    Path(os.fsdecode(folder + b"/\xff\xfe.xlsx")).write_bytes(b"garbage")
    assert main(["check", "--fy", "2019", "--project", str(project.root)]) == 1
    out = capsys.readouterr().out
    assert "[エラー] 産業振興課.xlsx シート『進捗』L4: " in out
    check_dir = project.outputs(FY) / "check"
    data = json.loads((check_dir / "findings.json").read_text(encoding="utf-8"))
    assert sorted(s["file"] for s in data["submissions"]) == ["\\xff\\xfe.xlsx", "産業振興課.xlsx"]
    assert (check_dir / "feedback" / "産業振興課.xlsx").is_file()


def test_feedback_copies_get_names_the_file_system_takes() -> None:
    assert feedback_name("産業振興課.xlsx", set()) == "産業振興課.xlsx"
    assert feedback_name("産業振興課.xlsm", set()) == "産業振興課.xlsx"  # macros are not kept
    assert feedback_name("産業振興課.xlsm", {"産業振興課.xlsx"}) == "産業振興課.xlsm.xlsx"
    assert (
        feedback_name("産業振興課.xlsm", {"産業振興課.xlsx", "産業振興課.xlsm.xlsx"})
        == "産業振興課.xlsm(2).xlsx"
    )
    # a name at the file system's limit (255 bytes) must not grow past it when .xlsx is added
    long = "課" * 83 + ".xlsm"  # 254 bytes
    taken = {"課" * 83 + ".xlsx"}
    name = feedback_name(long, taken)
    assert len(name.encode()) <= 255 and name.endswith(".xlsx") and name not in taken
    stem = "企画課" + "あ" * 80 + "x"  # two inputs of 255 bytes that differ only in their extension
    taken = set()
    for file in (stem + ".xlsm", stem + ".xlsx"):
        taken.add(feedback_name(file, taken))
    assert len(taken) == 2 and all(len(n.encode()) <= 255 for n in taken)
