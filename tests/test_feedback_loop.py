"""The correction loop: a clerk returns the feedback copy, `check` reads it without its own earlier marks, and
what a department cannot act on never reaches its feedback.

Every file here is real: forms made by ``make_forms``, filled by ``tools.fill_forms.fill_form``, checked by
``kpi_report.api.check``, and the feedback copies edited with openpyxl as a clerk's Excel would save them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kpi_report.api import check, make_forms
from kpi_report.core.columns import AREA_ISSUES_COLUMN, DIRECTION_COLUMN, FACTORS_COLUMN
from kpi_report.core.project import Project
from kpi_report.forms.layout import FEEDBACK_RECORD_SHEET, FEEDBACK_SHEET
from tools.fill_forms import fill_form, save_deterministic

FY = 2019
REPO = Path(__file__).resolve().parents[1]
DEPARTMENT = "産業振興課"
NOTES = "地産地消フェアを開催しました。"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """The sample master (with 効果検証), forms for FY made, and an empty inputs/FY/."""
    root = tmp_path / "project"
    (root / "inputs" / str(FY)).mkdir(parents=True)
    shutil.copy(REPO / "inputs" / "master.xlsx", root / "inputs" / "master.xlsx")
    project = Project(root)
    make_forms(project, FY)
    return project


def form(project: Project, department: str = DEPARTMENT) -> Path:
    return project.outputs(FY) / "forms" / f"{department}.xlsx"


def submitted(project: Project, department: str = DEPARTMENT) -> Path:
    return project.inputs(FY) / f"{department}.xlsx"


def feedback(project: Project, department: str = DEPARTMENT) -> Path:
    return project.outputs(FY) / "check" / "feedback" / f"{department}.xlsx"


def fill(project: Project, statuses: dict[str, str], department: str = DEPARTMENT) -> None:
    """The department's form filled: every measure 実施中 except ``statuses``; every KPI 10; the sample's
    効果検証 too (every measure 継続, and the sheet 施策評価 of the 施策 the department leads)."""
    plan = make_forms(project, FY).plan
    measures = {m.id: (statuses.get(m.id, "実施中"), NOTES) for m in plan.measures_of(department)}
    fill_form(
        form(project, department),
        submitted(project, department),
        measures,
        {k.id: 10 for k in plan.kpis_of(department)},
        directions={m.id: "継続" for m in plan.measures_of(department)},
        areas={
            a.id: {FACTORS_COLUMN: "要因", AREA_ISSUES_COLUMN: "課題", DIRECTION_COLUMN: "継続"}
            for a in plan.policy_areas_led_by(department)
        },
    )


def status_cells(path: Path) -> dict[str, Any]:
    """取組ID -> its 進捗状況 cell in the workbook at ``path``."""
    wb = openpyxl.load_workbook(path)
    ws = wb["進捗"]
    header = {str(c.value): c.column or 0 for c in ws[3]}
    return {
        str(ws.cell(r, header["取組ID"]).value): ws.cell(r, header["進捗状況"])
        for r in range(4, ws.max_row + 1)
        if ws.cell(r, header["取組ID"]).value
    }


def return_feedback_copy(project: Project, statuses: dict[str, str]) -> None:
    """The clerk types ``statuses`` into the feedback copy and sends it back as the submission."""
    wb = openpyxl.load_workbook(feedback(project))
    ws = wb["進捗"]
    header = {str(c.value): c.column or 0 for c in ws[3]}
    for r in range(4, ws.max_row + 1):
        measure_id = str(ws.cell(r, header["取組ID"]).value)
        if measure_id in statuses:
            ws.cell(r, header["進捗状況"]).value = statuses[measure_id]
    save_deterministic(wb, submitted(project))


def marks(path: Path) -> list[tuple[str, str]]:
    """(sheet, cell) of every cell with a comment or a red/yellow fill."""
    wb = openpyxl.load_workbook(path)
    found = []
    for ws in wb.worksheets:
        if ws.title in (FEEDBACK_SHEET, FEEDBACK_RECORD_SHEET):
            continue
        for row in ws.iter_rows():
            for cell in row:
                red = cell.fill.fill_type == "solid" and str(cell.fill.fgColor.rgb)[-6:] in (
                    "FFC7CE",
                    "FFEB9C",
                )
                if cell.comment is not None or red:
                    found.append((ws.title, cell.coordinate))
    return found


def test_a_returned_feedback_copy_gets_a_new_copy_with_only_the_current_findings(project: Project) -> None:
    first, second = (m.id for m in make_forms(project, FY).plan.measures_of(DEPARTMENT)[:2])
    fill(project, {first: "実施"})
    report = check(project, FY).report
    assert [(f.item_id, f.code) for f in report.findings if f.file] == [(first, "status-not-in-scale")]
    first_cell = status_cells(feedback(project))[first].coordinate
    assert marks(feedback(project)) == [("進捗", first_cell)]
    original_fill = status_cells(form(project))[first].fill.fgColor.rgb

    # the clerk corrects the marked cell and makes a new mistake in the feedback copy, and returns it
    return_feedback_copy(project, {first: "実施中", second: "実施"})
    report = check(project, FY).report
    own = [f for f in report.findings if f.file]
    assert [(f.item_id, f.code) for f in own] == [(second, "status-not-in-scale")]
    wb = openpyxl.load_workbook(feedback(project))
    assert wb.sheetnames.count(FEEDBACK_SHEET) == 1 and f"{FEEDBACK_SHEET}1" not in wb.sheetnames
    assert wb.sheetnames[0] == FEEDBACK_SHEET and wb[FEEDBACK_RECORD_SHEET].sheet_state == "veryHidden"
    listed = list(wb[FEEDBACK_SHEET].iter_rows(min_row=2, values_only=True))
    assert [(row[3], row[4]) for row in listed] == [(second, own[0].message)]
    cells = status_cells(feedback(project))
    assert marks(feedback(project)) == [("進捗", cells[second].coordinate)]
    assert cells[first].value == "実施中" and cells[first].fill.fgColor.rgb == original_fill

    # all corrected: the copy is the clerk's workbook without any mark of ours
    return_feedback_copy(project, {second: "実施中"})
    report = check(project, FY).report
    assert [f for f in report.findings if f.file] == []
    wb = openpyxl.load_workbook(feedback(project))
    assert FEEDBACK_SHEET not in wb.sheetnames and FEEDBACK_RECORD_SHEET not in wb.sheetnames
    assert marks(feedback(project)) == []
    assert wb.active is not None and wb.active.title == "記入方法"


def test_the_feedback_record_sheet_is_never_reported_as_a_hidden_or_missing_sheet(project: Project) -> None:
    first = make_forms(project, FY).plan.measures_of(DEPARTMENT)[0].id
    fill(project, {first: "実施"})
    check(project, FY)
    wb = openpyxl.load_workbook(feedback(project))
    del wb["進捗"]  # a returned copy that lost a sheet: the sheets listed are the clerk's, not ours
    save_deterministic(wb, submitted(project))
    findings = [f for f in check(project, FY).report.findings if f.file]
    assert "hidden-sheet" not in [f.code for f in findings]
    missing = next(f for f in findings if f.code == "missing-sheet")
    assert FEEDBACK_SHEET not in missing.message and FEEDBACK_RECORD_SHEET not in missing.message


# -- warnings the clerk cannot fix -----------------------------------------------------------------------------


def edit_master(project: Project, change: Any) -> None:
    wb = openpyxl.load_workbook(project.master)
    change(wb)
    wb.save(project.master)


def set_setting(key: str, value: str) -> Any:
    def change(wb: Any) -> None:
        ws = wb["設定"]
        row = next((r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == key), ws.max_row + 1)
        ws.cell(row, 1).value, ws.cell(row, 2).value = key, value

    return change


def rename_measure(measure_id: str, name: str) -> Any:
    def change(wb: Any) -> None:
        ws = wb["取組"]
        header = {c.value: c.column for c in ws[1]}
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, header["取組ID"]).value == measure_id:
                ws.cell(r, header["名称"]).value = name

    return change


def file_findings(project: Project) -> list[tuple[str, str, str]]:
    return [(f.severity, f.item_id, f.code) for f in check(project, FY).report.findings if f.file]


@pytest.mark.parametrize(
    "change",
    [set_setting("発行日", "令和2年7月1日"), lambda wb: None],
    ids=["issue-date-only", "re-saved-unchanged"],
)
def test_a_master_change_elsewhere_gives_the_department_no_finding(project: Project, change: Any) -> None:
    fill(project, {})
    edit_master(project, change)
    assert file_findings(project) == []
    assert (
        openpyxl.load_workbook(feedback(project)).sheetnames
        == openpyxl.load_workbook(submitted(project)).sheetnames
    )


def test_another_departments_renamed_measure_gives_this_department_no_finding(project: Project) -> None:
    plan = make_forms(project, FY).plan
    other = next(m for m in plan.measures if DEPARTMENT not in m.owners)
    fill(project, {})
    edit_master(project, rename_measure(other.id, "名称を変更した取組"))
    assert file_findings(project) == []


def test_own_renamed_measure_is_a_note_for_the_planning_section_not_the_clerks_feedback(
    project: Project,
) -> None:
    measure = make_forms(project, FY).plan.measures_of(DEPARTMENT)[0]
    fill(project, {})
    edit_master(project, rename_measure(measure.id, "名称を変更した取組"))
    assert file_findings(project) == [("info", "", "older-master")]
    finding = next(f for f in check(project, FY).report.findings if f.code == "older-master")
    assert measure.id in finding.message
    wb = openpyxl.load_workbook(feedback(project))
    assert FEEDBACK_SHEET not in wb.sheetnames and marks(feedback(project)) == []


# -- co-owners who disagree ------------------------------------------------------------------------------------


def test_status_conflict_is_in_the_findings_and_in_both_owners_feedback(project: Project) -> None:
    plan = make_forms(project, FY).plan
    measure = next(m for m in plan.measures if len(m.owners) >= 2)
    lead, other = measure.owners[:2]
    fill(project, {measure.id: "完了"}, lead)
    fill(project, {measure.id: "検討中"}, other)
    result = check(project, FY)
    conflicts = [f for f in result.report.findings if f.code == "status-conflict"]
    assert sorted(f.department for f in conflicts) == sorted([lead, other])
    assert all(f.item_id == measure.id and "「完了」" in f.message for f in conflicts)
    data = json.loads((project.outputs(FY) / "check" / "findings.json").read_text(encoding="utf-8"))
    assert sorted(f["department"] for f in data["findings"] if f["code"] == "status-conflict") == sorted(
        [lead, other]
    )
    listing = openpyxl.load_workbook(project.outputs(FY) / "check" / "findings.xlsx")["指摘一覧"]
    assert sum(row[6] == "status-conflict" for row in listing.iter_rows(min_row=2, values_only=True)) == 2
    for department in (lead, other):
        cell = status_cells(feedback(project, department))[measure.id]
        assert cell.comment is not None and "筆頭所管課" in cell.comment.text
        wb = openpyxl.load_workbook(feedback(project, department))
        assert measure.id in [row[3] for row in wb[FEEDBACK_SHEET].iter_rows(min_row=2, values_only=True)]
