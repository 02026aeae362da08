"""Issue 16, intake, check and diff-reading: every cost bounded by the file's size (docs/security.md #26-#33).

Each test builds its hostile file by code (tests/hostile.py) and asserts what the tool does now. Time and memory
are measured in benchmarks/bench_hostile.py, not asserted here; the recipes that only were slow are still run at
their full size where that takes a few seconds.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import defects
import hostile
import pytest

from kpi_report.compare.read import read_progress_list
from kpi_report.core.errors import DiffError, OutputError
from kpi_report.core.model import CheckReport, Finding, Plan
from kpi_report.core.project import Project
from kpi_report.intake.workbook import Limits, take_in
from kpi_report.validate.check import WANTED_SHEETS, _FileResult, _flag_duplicate_submissions, check_year
from kpi_report.validate.outputs import FEEDBACK_DIR, write_check_outputs

FY = 2019
Defect = Callable[[Path, Path], Path]
REPO = Path(__file__).resolve().parents[1]
FILE = "産業振興課.xlsx"


@pytest.fixture(scope="module")
def clean_form(tmp_path_factory: pytest.TempPathFactory, sample_plan: Plan) -> Path:
    return defects.clean_filled_form(sample_plan, FY, tmp_path_factory.mktemp("clean"))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    (root / "inputs" / str(FY)).mkdir(parents=True)
    shutil.copy(REPO / "inputs" / "master.xlsx", root / "inputs" / "master.xlsx")
    return Project(root)


def submit(project: Project, clean_form: Path, build: Defect | None = None, name: str = FILE) -> Path:
    target = project.inputs(FY) / name
    if build is None:
        shutil.copy(clean_form, target)
    else:
        build(clean_form, target)
    return target


_CLEAN: set[str] = set()  # codes the clean form itself gets (none, unless the sample master asks for more)


@pytest.fixture(scope="module", autouse=True)
def clean_codes(clean_form: Path, sample_plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> None:
    """What the clean form is found to lack with the current sample master: left out of every assertion."""
    root = tmp_path_factory.mktemp("baseline") / "project"
    (root / "inputs" / str(FY)).mkdir(parents=True)
    shutil.copy(REPO / "inputs" / "master.xlsx", root / "inputs" / "master.xlsx")
    shutil.copy(clean_form, root / "inputs" / str(FY) / FILE)
    report = check_year(Project(root), sample_plan, FY)
    _CLEAN.update(f.code for f in report.findings if f.file == FILE)


def codes(report: CheckReport, file: str = FILE) -> list[str]:
    return [f.code for f in of_file(report, file)]


def of_file(report: CheckReport, file: str = FILE) -> list[Finding]:
    return [f for f in report.findings if f.file == file and f.code not in _CLEAN]


def feedback(project: Project) -> Path:
    return project.outputs(FY) / "check" / FEEDBACK_DIR


# -- 1. merged ranges ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["A20:XFD1048576", "L20:M1048576"])
def test_whole_row_merge_in_progress_is_one_finding(
    project: Project, clean_form: Path, sample_plan: Plan, ref: str
) -> None:
    """#1: merging whole rows (A20:XFD1048576) is one merged-cells finding, never 17 billion covered cells; the
    workbook is too costly for openpyxl, so no feedback copy (with a note) instead of a MemoryError."""
    submit(project, clean_form, hostile.merged("進捗", ref))
    report = check_year(project, sample_plan, FY)
    found = [(f.cell, f.code) for f in of_file(report)]
    assert ("A20" if ref[0] == "A" else "L20", "merged-cells") in found
    assert "no-feedback-copy" in codes(report)
    write_check_outputs(report, project, sample_plan)
    assert not (feedback(project) / FILE).exists()


def test_whole_row_merge_in_unread_sheet_gives_no_copy(
    project: Project, clean_form: Path, sample_plan: Plan
) -> None:
    """#1: the same merge in the unread 記入方法 sheet: the check is clean, and openpyxl never loads the file."""
    submit(project, clean_form, hostile.merged("記入方法", "A20:XFD1048576"))
    report = check_year(project, sample_plan, FY)
    assert codes(report) == ["no-feedback-copy"]
    write_check_outputs(report, project, sample_plan)
    assert not (feedback(project) / FILE).exists()


def test_small_merge_still_gets_a_copy(project: Project, clean_form: Path, sample_plan: Plan) -> None:
    submit(project, clean_form, hostile.merged("進捗", "L4:M5"))
    report = check_year(project, sample_plan, FY)
    assert [(f.cell, f.code) for f in of_file(report)][:1] == [("L4", "merged-cells")]
    assert "no-feedback-copy" not in codes(report)
    write_check_outputs(report, project, sample_plan)
    assert (feedback(project) / FILE).exists()


# -- 2. <col> ranges -------------------------------------------------------------------------------------


def test_many_column_ranges_are_not_expanded(project: Project, clean_form: Path, sample_plan: Plan) -> None:
    """#2: 150,000 <col min=1 max=16384 hidden> (a 1.85 MB file): read as ranges, never column by column: the
    two input columns are reported hidden; past 200,000 elements the sheet is refused."""
    path = submit(project, clean_form, hostile.col_ranges(150_000))
    assert path.stat().st_size < 2_500_000
    report = check_year(project, sample_plan, FY)
    found = [(f.cell, f.code) for f in of_file(report)]
    assert {("L3", "hidden-column"), ("M3", "hidden-column"), ("", "no-feedback-copy")} <= set(found)
    assert "sheet-too-large" not in codes(report)
    submit(project, clean_form, hostile.col_ranges(200_000))
    assert codes(check_year(project, sample_plan, FY)) == ["sheet-too-large"]


def test_a_few_whole_sheet_column_ranges_hide_every_column(clean_form: Path, tmp_path: Path) -> None:
    path = hostile.col_ranges(1_000)(clean_form, tmp_path / FILE)
    intake = take_in(path, WANTED_SHEETS)
    assert intake.sheets["進捗"].hidden_columns == frozenset(range(1, 16385))


@pytest.mark.parametrize(("low", "high"), [("-1000000000", "5"), ("1", "99999999999"), ("x", "2")])
def test_column_range_outside_the_sheet_is_unreadable(
    clean_form: Path, tmp_path: Path, low: str, high: str
) -> None:
    """#2: <col min="-1000000000" max="5">: the file is unreadable, not a MemoryError."""
    path = hostile.col_ranges(1, low, high)(clean_form, tmp_path / FILE)
    assert [f.code for f in take_in(path, WANTED_SHEETS).findings] == ["unreadable-file"]


# -- 9. duplicate submissions ----------------------------------------------------------------------------


def test_duplicate_submission_messages_are_bounded() -> None:
    """#9: 3,000 copies of one form: each message names five others and counts the rest (not 2,999 names)."""
    results = [_FileResult(f"産業振興課 ({n}).xlsx", "", department="産業振興課") for n in range(3000)]
    _flag_duplicate_submissions(results)
    messages = [r.findings[0].message for r in results]
    assert all(r.findings[0].code == "duplicate-submission" and not r.usable for r in results)
    assert max(len(m) for m in messages) < 400
    assert "ほか 2,994 件" in messages[0]
    assert "産業振興課 (0).xlsx" not in messages[0] and "産業振興課 (1).xlsx" in messages[0]


# -- 10. within the limits, still bounded ------------------------------------------------------------------


def test_many_values_outside_the_table_are_counted_not_listed(
    project: Project, clean_form: Path, sample_plan: Plan
) -> None:
    """#10: 190,000 values outside the table: 100 findings and one more-findings for the rest (a warning)."""
    submit(project, clean_form, hostile.values_outside(190_000))
    report = check_year(project, sample_plan, FY)
    found = of_file(report)
    assert [f.code for f in found].count("data-outside-table") == 100
    more = [f for f in found if f.code == "more-findings"]
    assert len(more) == 1 and more[0].severity == "warning"
    assert "189,900" in more[0].message and more[0].cell == "AA95019"
    assert len(found) < 110


def test_a_million_row_heights_are_over_the_element_limit(
    project: Project, clean_form: Path, sample_plan: Plan
) -> None:
    """#10: a million <row ht> in 進捗: read in one pass (rows are not stored), and no feedback copy."""
    submit(project, clean_form, hostile.row_heights(1_000_000))
    report = check_year(project, sample_plan, FY)
    assert codes(report) == ["no-feedback-copy"]


@pytest.mark.parametrize(
    "build",
    [hostile.big_unread_sheet(1_200_000), hostile.row_heights(1_000_000, "記入方法")],
    ids=["cells", "rows"],
)
def test_big_unread_sheet_gives_no_copy(
    project: Project, clean_form: Path, sample_plan: Plan, build: Defect
) -> None:
    """#10: an unread sheet of 1.2 M cells (or a million <row ht>) plus one finding: openpyxl never loads it."""
    submit(project, clean_form, build)
    path = project.inputs(FY) / FILE
    report = check_year(project, sample_plan, FY)
    assert codes(report) == ["no-feedback-copy"]
    write_check_outputs(report, project, sample_plan)
    assert path.exists() and not (feedback(project) / FILE).exists()


def test_copy_load_counts_only_up_to_the_bound(clean_form: Path, tmp_path: Path) -> None:
    path = hostile.big_unread_sheet(1_200_000)(clean_form, tmp_path / FILE)
    limits = Limits()
    intake = take_in(path, WANTED_SHEETS, limits)
    assert limits.max_copy_load < intake.copy_load < limits.max_copy_load + 100
    assert take_in(clean_form, WANTED_SHEETS).copy_load < 2_000


# -- 11. feedback copies ---------------------------------------------------------------------------------


def test_unreadable_file_gets_no_copy(project: Project, clean_form: Path, sample_plan: Plan) -> None:
    """#11: a file reported unreadable-file (here: its 進捗 names shared string 99 of 2) gets no copy."""
    submit(project, clean_form, hostile.shared_string_index("99"))
    report = check_year(project, sample_plan, FY)
    assert codes(report) == ["unreadable-file"]
    assert "範囲外" in of_file(report)[0].message
    write_check_outputs(report, project, sample_plan)
    assert not (feedback(project) / FILE).exists()


def test_symlinked_feedback_folder_is_refused(
    project: Project, clean_form: Path, sample_plan: Plan, tmp_path: Path
) -> None:
    """#11: outputs/<FY>/check/feedback a link to another folder: nothing there is written or deleted."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.xlsx").write_bytes(b"precious")
    feedback(project).parent.mkdir(parents=True)
    feedback(project).symlink_to(elsewhere)
    submit(project, clean_form, defects.status_not_in_scale)
    report = check_year(project, sample_plan, FY)
    with pytest.raises(OutputError, match="シンボリックリンク"):
        write_check_outputs(report, project, sample_plan)
    assert [p.name for p in elsewhere.iterdir()] == ["keep.xlsx"]
    assert (elsewhere / "keep.xlsx").read_bytes() == b"precious"


def test_stale_link_in_feedback_is_removed_not_its_target(
    project: Project, clean_form: Path, sample_plan: Plan, tmp_path: Path
) -> None:
    outside = tmp_path / "keep.xlsx"
    outside.write_bytes(b"precious")
    feedback(project).mkdir(parents=True)
    (feedback(project) / "old.xlsx").symlink_to(outside)
    submit(project, clean_form)
    write_check_outputs(check_year(project, sample_plan, FY), project, sample_plan)
    assert not (feedback(project) / "old.xlsx").is_symlink() and outside.read_bytes() == b"precious"


def test_input_linked_outside_inputs_is_refused(
    project: Project, clean_form: Path, sample_plan: Plan, tmp_path: Path
) -> None:
    """#11: inputs/2019/x.xlsx a link to a workbook outside inputs/: refused, not read, no copy mailed back."""
    outside = tmp_path / "secret.xlsx"
    shutil.copy(clean_form, outside)
    (project.inputs(FY) / FILE).symlink_to(outside)
    report = check_year(project, sample_plan, FY)
    assert codes(report) == ["outside-inputs"]
    assert not report.measure_entries and "産業振興課" not in report.missing_departments
    write_check_outputs(report, project, sample_plan)
    assert not (feedback(project) / FILE).exists()


def test_input_linked_inside_inputs_is_read(project: Project, clean_form: Path, sample_plan: Plan) -> None:
    kept = project.root / "inputs" / "received" / FILE
    kept.parent.mkdir()
    shutil.copy(clean_form, kept)
    (project.inputs(FY) / FILE).symlink_to(kept)
    assert codes(check_year(project, sample_plan, FY)) == []


def test_strict_workbook_copy_keeps_the_clerks_sheets(
    project: Project, clean_form: Path, sample_plan: Plan
) -> None:
    """#11: a Strict Open XML workbook is read, and its feedback copy has 検証結果 and the four sheets."""
    faulty = defects.status_not_in_scale(clean_form, project.root / "faulty.xlsx")
    submit(project, faulty, hostile.strict)
    report = check_year(project, sample_plan, FY)
    assert codes(report) == ["status-not-in-scale"]
    write_check_outputs(report, project, sample_plan)
    from openpyxl import load_workbook

    wb = load_workbook(feedback(project) / FILE)
    assert wb.sheetnames[0] == "検証結果"
    assert {"記入方法", "進捗", "KPI", "_meta"} <= set(wb.sheetnames)
    assert wb["進捗"]["L4"].comment is not None


# -- 12. shared strings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", ["-3", "2", "99999999999999999999"])
def test_shared_string_index_out_of_range_is_unreadable(clean_form: Path, tmp_path: Path, index: str) -> None:
    """#12: index -3 used to read another string (accepted); past the end read as blank (status-missing)."""
    path = hostile.shared_string_index(index)(clean_form, tmp_path / FILE)
    findings = take_in(path, WANTED_SHEETS).findings
    assert [f.code for f in findings] == ["unreadable-file"] and "範囲外" in findings[0].message


def test_shared_string_index_in_range_is_read(clean_form: Path, tmp_path: Path) -> None:
    path = hostile.shared_string_index("1")(clean_form, tmp_path / FILE)
    assert take_in(path, WANTED_SHEETS).sheets["進捗"].cells[(4, 12)].value == "完了"


# -- 4. diff's extent guard, and its zip checks (one layer with the intake's) -------------------------------


def _progress_list(path: Path, measures: int) -> Path:
    """A minimal progress list of ``measures`` rows, written as raw XML (openpyxl and xlsxwriter are slow)."""
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>M{r}</t></is></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>取組{r}</t></is></c><c r="C{r}" t="inlineStr"><is><t>実施中</t></is></c></row>'
        for r in range(2, measures + 2)
    )
    header = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>取組ID</t></is></c><c r="B1" t="inlineStr"><is><t>名称</t></is>'
        '</c><c r="C1" t="inlineStr"><is><t>進捗状況</t></is></c></row>'
    )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet '
        'name="進捗状況一覧表" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData>{header}{rows}'
        "</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def test_far_cell_in_single_quotes_is_refused_before_the_reader(tmp_path: Path) -> None:
    """#4: <row r='1048576'><c r='XFD1048576'>: the Rust reader aborted the process (exit 134)."""
    listed = _progress_list(tmp_path / "list.xlsx", 3)
    assert len(read_progress_list(listed).measures.items) == 3
    far = hostile.far_cell_single_quoted(listed, tmp_path / "far.xlsx")
    with pytest.raises(DiffError, match="A1:XFD1048576"):
        read_progress_list(far)


def test_cell_without_references_past_the_grid_is_refused(tmp_path: Path) -> None:
    listed = _progress_list(tmp_path / "list.xlsx", 3)
    row = b"<row>" + b"<c><v>1</v></c>" * 16_385 + b"</row>"
    wide = defects.rewrite(
        listed, tmp_path / "wide.xlsx", {}, lambda n, d: d.replace(b"</sheetData>", row + b"</sheetData>")
    )
    with pytest.raises(DiffError, match="壊れています"):
        read_progress_list(wide)


def test_huge_list_is_refused_not_a_memory_error(tmp_path: Path) -> None:
    """#10: a 300,000-measure list (MemoryError, exit 3): refused with a message before the reader sees it."""
    huge = _progress_list(tmp_path / "huge.xlsx", 60_000)  # the bench reads the 300,000 of the recipe
    with pytest.raises(DiffError, match="範囲が大きすぎます"):
        read_progress_list(huge)


def test_diff_uses_the_intakes_xml_checks(tmp_path: Path) -> None:
    """#4: one layer of zip safety: a DTD in any part of a progress list is refused by the intake's check."""
    listed = _progress_list(tmp_path / "list.xlsx", 3)
    laughs = defects.rewrite(
        listed,
        tmp_path / "laughs.xlsx",
        {},
        lambda n, d: (
            d.replace(b"<workbook", b'<!DOCTYPE w [<!ENTITY a "aaaa">]><workbook', 1)
            if n == "xl/workbook.xml"
            else d
        ),
    )
    with pytest.raises(DiffError, match="DTD"):
        read_progress_list(laughs)


# -- 12. the master's escapes, the status scale, reserved names ----------------------------------------------


def test_excel_escapes_in_the_master_are_undone(tmp_path: Path) -> None:
    """#12: _x000D_, _x000B_ and _x0000_ in the master were printed literally in every output: a CR is a line
    break, the others are control characters removed with master-text-cleaned; a typed _x0041_ stays."""
    import openpyxl

    from kpi_report.plan.master import check_master

    master = tmp_path / "master.xlsx"
    shutil.copy(REPO / "inputs" / "master.xlsx", master)
    wb = openpyxl.load_workbook(master)
    ws = wb["取組"]
    headers = [c.value for c in ws[1]]
    name_col = headers.index("名称") + 1
    ws.cell(2, name_col).value = "前段_x000D_後段"
    ws.cell(3, name_col).value = "縦タブ_x000B_と_x0000_ヌル"
    ws.cell(4, name_col).value = "記号_x005F_x0041_そのまま"
    wb.save(master)
    plan, findings = check_master(master)
    assert plan is not None
    names = [m.name for m in plan.measures[:3]]
    assert names == ["前段\n後段", "縦タブとヌル", "記号_x0041_そのまま"]
    assert [f.code for f in findings if f.code == "master-text-cleaned"] == ["master-text-cleaned"]


def test_a_quote_in_the_status_scale_is_listed_from_the_hidden_sheet(
    sample_plan: Plan, tmp_path: Path
) -> None:
    """#12: 実施中"予定" made the inline list formula invalid (Excel refuses to open the form's rule)."""
    import dataclasses

    import openpyxl

    from kpi_report.forms.writer import build_form

    scale = ('実施中"予定どおり"', "完了", "未着手")
    plan = dataclasses.replace(
        sample_plan, settings=dataclasses.replace(sample_plan.settings, statuses=scale)
    )
    path = tmp_path / "form.xlsx"
    path.write_bytes(build_form(plan, FY, "産業振興課"))
    wb = openpyxl.load_workbook(path)
    lists = [dv for dv in wb["進捗"].data_validations.dataValidation if dv.type == "list"]
    formulas = [dv.formula1 for dv in lists]  # (a 効果検証 plan also has the 今後の方向性 list)
    assert "'_meta'!$D$1:$D$3" in formulas and not any("予定" in f for f in formulas)
    assert [wb["_meta"].cell(r, 4).value for r in range(1, 4)] == list(scale)


@pytest.mark.parametrize(
    ("department", "file"),
    [("CON", "CON_.xlsx"), ("nul", "nul_.xlsx"), ("Com1", "Com1_.xlsx"), ("AUX.課", "AUX_.課.xlsx")],
)
def test_forms_never_take_a_name_windows_reserves(department: str, file: str) -> None:
    """#12: a department named CON or NUL got the form CON.xlsx / NUL.xlsx, which Windows cannot open or save."""
    from kpi_report.forms.layout import form_filename

    assert form_filename(department) == file
    assert form_filename("CONSOLE") == "CONSOLE.xlsx"
