"""A KPI's 備考 (issue 11): read from the form, merged (the owner's first), shown wherever the actual is — the
progress list's KPI sheet, the page, the review as a ※ note — carried into next year's form as 前年度備考, and
compared by diff. Also: build's console does not repeat status-conflict, which check reports."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import kodaira
import pytest
from openpyxl import load_workbook

from kpi_report.compare.diff import diff_files
from kpi_report.console import build_summary
from kpi_report.core.columns import (
    ACTUAL_COLUMN,
    FORM_KPIS,
    PREVIOUS_ACTUAL_COLUMN,
    PREVIOUS_REMARKS_COLUMN,
    REMARKS_COLUMN,
    headers,
    letter,
)
from kpi_report.core.findings import make_finding
from kpi_report.core.model import CheckReport, KpiEntry, KpiRow, Plan, ProgressReport
from kpi_report.core.project import Project
from kpi_report.forms.layout import KPI_SHEET, form_filename
from kpi_report.forms.writer import build_form
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.present.table import present
from kpi_report.publish.build import BuildResult, YearSummary
from kpi_report.render.progress_html import render_progress_html
from kpi_report.render.progress_xlsx import render_progress_xlsx
from kpi_report.validate.check import check_year
from tools.fill_forms import fill_form

REPO = Path(__file__).resolve().parents[1]
DEPARTMENT = "都市計画課"  # reports G1 (住み続けたいと思う市民の割合)
NOTE_2018 = "市民意識調査は隔年実施のため、平成30年度は調査なし。"
NOTE_2019 = "令和元年度調査の速報値。\n確定値は9月に公表。"


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return load_plan(kodaira.write_master(tmp_path_factory.mktemp("kodaira") / "master.xlsx"))


def with_remarks(reports: dict[int, CheckReport]) -> dict[int, CheckReport]:
    """G1's 備考 in 2018 and 2019; in 2019 also a non-owner's, which loses to the owner's."""

    def noted(report: CheckReport, text: str, other: bool) -> CheckReport:
        entries = [replace(e, remarks=text) if e.kpi_id == "G1" else e for e in report.kpi_entries]
        if other:
            entries.append(KpiEntry(report.fy, "産業振興課", "G1", None, "", remarks="他課の備考"))
        return replace(report, kpi_entries=tuple(entries))

    reports = dict(reports)
    reports[2018] = noted(reports[2018], NOTE_2018, False)
    if 2019 in reports:
        reports[2019] = noted(reports[2019], NOTE_2019, True)
    return reports


def kpi_rows(report: ProgressReport) -> dict[str, KpiRow]:
    rows = [k for g in report.goals for k in (*g.indicators, *(k for a in g.areas for k in a.kpis))]
    return {r.kpi.id: r for r in rows}


@pytest.fixture(scope="module")
def report(plan: Plan) -> ProgressReport:
    return merge(plan, 2019, with_remarks(kodaira.check_reports())).report


# The form: read, and carried into next year's


def test_remarks_are_read_and_shown_in_next_years_form(plan: Plan, tmp_path: Path) -> None:
    project = Project(tmp_path)
    blank = tmp_path / "blank.xlsx"
    blank.write_bytes(build_form(plan, 2018, DEPARTMENT))
    (tmp_path / "inputs" / "2018").mkdir(parents=True)
    measures, _ = kodaira.form_entries(plan, 2018, DEPARTMENT)
    filled = tmp_path / "inputs" / "2018" / form_filename(DEPARTMENT)
    fill_form(blank, filled, measures, {"G1": 81.2}, kpi_remarks={"G1": NOTE_2018})
    last_year = check_year(project, plan, 2018)
    assert [e.remarks for e in last_year.kpi_entries if e.kpi_id == "G1"] == [NOTE_2018]

    form = tmp_path / "form-2019.xlsx"
    form.write_bytes(build_form(plan, 2019, DEPARTMENT, previous=last_year))
    ws = load_workbook(form)[KPI_SHEET]
    header = [c.value for c in ws[3]]
    assert header[: len(headers(FORM_KPIS))] == list(headers(FORM_KPIS))
    spec = headers(FORM_KPIS)
    assert spec.index(PREVIOUS_REMARKS_COLUMN) == spec.index(PREVIOUS_ACTUAL_COLUMN) + 1
    assert spec.index(ACTUAL_COLUMN) == spec.index(PREVIOUS_REMARKS_COLUMN) + 1
    cell = ws[f"{letter(FORM_KPIS, PREVIOUS_REMARKS_COLUMN)}4"]
    assert cell.value == NOTE_2018 and cell.protection.locked
    assert ws[f"{letter(FORM_KPIS, PREVIOUS_ACTUAL_COLUMN)}4"].value == 81.2
    assert not ws[f"{letter(FORM_KPIS, REMARKS_COLUMN)}4"].protection.locked
    instructions = " ".join(str(c.value) for row in load_workbook(form)["記入方法"].iter_rows() for c in row)
    assert "前年度備考" in instructions

    # the new layout checks as before: the inputs are found by header, 前年度備考 is never read
    (tmp_path / "inputs" / "2019").mkdir()
    measures, _ = kodaira.form_entries(plan, 2019, DEPARTMENT)
    fill_form(
        form, tmp_path / "inputs" / "2019" / form_filename(DEPARTMENT), measures, {"G1": 82}, kpi_remarks={}
    )
    this_year = check_year(project, plan, 2019)
    mine = [f for f in this_year.findings if f.file == form_filename(DEPARTMENT)]
    assert not [f for f in mine if f.code in ("missing-column", "hidden-column", "master-text-edited")]
    assert [(e.actual, e.remarks) for e in this_year.kpi_entries if e.kpi_id == "G1"] == [(82.0, "")]


# The merge


def test_merge_keeps_the_owners_remarks_per_year(report: ProgressReport) -> None:
    g1 = kpi_rows(report)["G1"]
    assert g1.remarks == NOTE_2019
    assert (2018, NOTE_2018) in g1.year_remarks and (2019, NOTE_2019) in g1.year_remarks
    assert kpi_rows(report)["K1-1"].remarks == ""
    view = present(report)
    assert view.has_remarks
    assert next(k for k in view.kpis if k.kpi.id == "G1").remarks_text == NOTE_2019


def test_a_report_without_remarks_has_no_remarks(plan: Plan) -> None:
    report = merge(plan, 2019, kodaira.check_reports()).report
    assert not present(report).has_remarks
    html = render_progress_html(present(report)).decode("utf-8")
    assert 'data-label="備考"' not in html


# The outputs


def test_the_kpi_sheet_has_remarks_last(report: ProgressReport) -> None:
    ws = load_workbook(io.BytesIO(render_progress_xlsx(present(report))))["KPI"]
    header = [c.value for c in ws[3]]
    assert header[-1] == "備考"
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["G1"][-1] == NOTE_2019
    assert rows["K1-1"][-1] is None


def test_the_page_shows_remarks_in_the_kpi_table(report: ProgressReport) -> None:
    html = render_progress_html(present(report)).decode("utf-8")
    assert '<th scope="col">備考</th>' in html
    assert f'<td class="remarks" data-label="備考">{NOTE_2019}</td>' in html
    assert "令和元年度の備考" in html  # the caption says what the column is


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_review_notes_remarks_under_the_kpi_table(report: ProgressReport, tmp_path: Path) -> None:
    from kpi_report.render.review.review import render_review

    pdf = tmp_path / "review.pdf"
    pdf.write_bytes(render_review(present(report), [REPO / "templates"], workers=1))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert (
        "※住み続けたいと思う市民の割合（令和元年度の備考）：令和元年度調査の速報値。確定値は9月に公表。"
        in flat
    )
    assert "他課の備考" not in flat


# diff


def test_diff_reports_changed_remarks_and_tolerates_lists_without_them(
    plan: Plan, report: ProgressReport, tmp_path: Path
) -> None:
    old = merge(plan, 2018, with_remarks(kodaira.check_reports(2018))).report
    (tmp_path / "2018.xlsx").write_bytes(render_progress_xlsx(present(old)))
    (tmp_path / "2019.xlsx").write_bytes(render_progress_xlsx(present(report)))
    result = diff_files(tmp_path / "2018.xlsx", tmp_path / "2019.xlsx")
    changed = [c for c in result.changes if c.kind == "kpi-remarks-changed"]
    assert [(c.item_id, c.column, c.old, c.new) for c in changed] == [("G1", "備考", NOTE_2018, NOTE_2019)]
    assert dict(result.count_by_kind())["kpi-remarks-changed"] == 1

    # a list made before 備考 was published: no column added or removed, no remarks change
    wb = load_workbook(tmp_path / "2018.xlsx")
    ws = wb["KPI"]
    ws.delete_cols(ws.max_column)
    wb.save(tmp_path / "2018-old.xlsx")
    result = diff_files(tmp_path / "2018-old.xlsx", tmp_path / "2019.xlsx")
    kinds = {c.kind for c in result.changes}
    assert not kinds & {"kpi-remarks-changed", "column-added", "column-removed"}
    assert "kpi-remarks-changed" not in dict(result.count_by_kind())


# the console


def test_build_summary_leaves_status_conflicts_to_check(report: ProgressReport) -> None:
    conflict = make_finding(
        "status-conflict",
        file="a.xlsx",
        item_id="1-2-01",
        value="都市開発課: 実施中 / 都市計画課: 完了",
        shown="実施中",
    )
    result = BuildResult(
        fy=2019,
        files=(),
        years=(YearSummary(2019, 3, 0, 2, (), ()),),
        findings=(conflict,),
        orphan_ids=(),
        missing_submissions=(),
        flagged_departments=(),
        report=report,
    )
    text = build_summary(result)
    assert "1-2-01" not in text
    assert "警告 2 件" in text and "findings.xlsx" in text
