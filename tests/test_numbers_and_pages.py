"""Numbers and pages fit to publish (issue 11): KPI values keep their precision and units, an approximate master
value is a finding, the workbook's page breaks keep group rows with their measures, the review keeps headings
with what follows, and row heights follow the calibrated cell model."""

from __future__ import annotations

import io
import itertools
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpi_report.api import build, make_forms
from kpi_report.core.cellmetrics import LINE_PT, NO_LINE_START, PADDING_PT, line_capacity, row_height, wrap
from kpi_report.core.errors import MasterError
from kpi_report.core.model import Kpi, KpiRow
from kpi_report.core.project import Project
from kpi_report.core.values import normalize_choice, parse_master_number
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.present.table import (
    MAX_DECIMALS,
    KpiView,
    ReportView,
    decimals_of,
    format_number,
    kpi_view,
    present,
)
from kpi_report.render.progress_xlsx import (
    LIST_SHEET,
    PAGE_SLACK,
    SUMMARY_SHEET,
    page_breaks,
    print_scale,
    printable_height,
    render_progress_xlsx,
)
from kpi_report.validate.check import check_year

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "kpi_report" / "sample"


def _master_with(tmp_path: Path, kpi_id: str, column: str, value: str) -> Path:
    """The sample master with one KPI's 基準値 or 目標値 replaced."""
    path = tmp_path / "master.xlsx"
    shutil.copy(SAMPLE / "master.xlsx", path)
    wb = load_workbook(path)
    ws = wb["KPI"]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == kpi_id:
            row[headers.index(column)].value = value
    wb.save(path)
    return path


@pytest.mark.parametrize("value", ["約420", "およそ 55%"])
def test_an_approximate_master_target_is_a_finding_not_a_number(tmp_path: Path, value: str) -> None:
    with pytest.raises(MasterError) as info:
        load_plan(_master_with(tmp_path, "K1-2-01", "目標値", value))
    found = [(f.code, f.value) for f in info.value.findings]
    assert found == [("master-approximate-number", value)]
    assert "概数" in info.value.findings[0].message


def _kpi_view(unit: str, baseline: str, target: str, actuals: tuple[float | None, ...]) -> KpiView:
    """The presented row of a KPI whose master writes ``baseline`` and ``target``, with its actuals."""
    base, goal = parse_master_number(baseline).value, parse_master_number(target).value
    kpi = Kpi("K1", "G", "A", "指標", unit, base, baseline, 2014, goal, target, 2019, "増加", "", "課")
    years = tuple(range(2017, 2017 + len(actuals)))
    row = KpiRow(kpi, tuple(zip(years, actuals, strict=True)), actuals[-1], None, "")
    return kpi_view(row, years)


def test_values_keep_the_precision_the_kpi_uses() -> None:
    view = _kpi_view("", "1.16", "1.3", (1.32, 1.3))
    assert view.values_with_unit == ("1.32", "1.30")
    assert (view.baseline_with_unit, view.target_with_unit) == ("1.16", "1.30")
    percent = _kpi_view("%", "70%", "80%", (74.0, 72.5))
    assert percent.values_with_unit == ("74.0%", "72.5%")
    assert (percent.baseline_with_unit, percent.target_with_unit, percent.decimals) == ("70.0%", "80.0%", 1)


def test_a_trailing_zero_the_master_writes_is_precision() -> None:
    view = _kpi_view("", "1.20", "1.50", (1.4, None))
    assert view.values_with_unit == ("1.40", "－")
    assert view.target_with_unit == "1.50"


def test_baseline_and_target_carry_the_unit_as_the_actuals_do() -> None:
    view = _kpi_view("千人", "350", "420", (398.0,))
    assert (view.baseline_with_unit, view.values_with_unit[0], view.target_with_unit) == (
        "350千人",
        "398千人",
        "420千人",
    )
    written = _kpi_view("人", "18,167 人", "１８，４０４人", (18300.0,))
    assert (written.baseline_with_unit, written.target_with_unit) == ("18,167人", "18,404人")


def test_the_master_note_after_a_target_is_kept_after_the_unit() -> None:
    view = _kpi_view("%", "52.2%", "55% ※平成32年世論調査", (53.0,))
    assert view.target_with_unit == "55.0% ※平成32年世論調査"
    assert view.values_with_unit == ("53.0%",)
    assert _kpi_view("件", "－", "30件", (None,)).baseline_with_unit == "－"


def test_whole_numbers_stay_whole_and_precision_is_capped() -> None:
    assert _kpi_view("人", "45人", "20人", (30.0, 28.0)).values_with_unit == ("30人", "28人")
    assert decimals_of(0.3333333) == MAX_DECIMALS
    assert format_number(1234.5, 2) == "1,234.50"


# The progress list workbook as printed


@pytest.fixture(scope="module")
def sample_view(tmp_path_factory: pytest.TempPathFactory) -> ReportView:
    """The bundled sample's 2019 report (2018 and 2019 submissions), presented."""
    project = Project(REPO)
    plan = load_plan(REPO / "inputs" / "master.xlsx")
    reports = {fy: check_year(project, plan, fy) for fy in (2018, 2019)}
    return present(merge(plan, 2019, reports, allow_errors=True).report)


@pytest.fixture(scope="module")
def sample_list(sample_view: ReportView) -> Worksheet:
    return load_workbook(io.BytesIO(render_progress_xlsx(sample_view)))[LIST_SHEET]


def _group_rows(ws: Worksheet) -> set[int]:
    """The goal and area rows (1-based): merged across the visible columns, with no 取組ID."""
    return {r.min_row for r in ws.merged_cells.ranges if r.min_row > 3 and r.min_col == 1}


def test_the_workbook_page_breaks_never_leave_a_group_row_last_on_a_page(sample_list: Worksheet) -> None:
    breaks = [b.id for b in sample_list.row_breaks.brk]
    groups = _group_rows(sample_list)
    assert len(breaks) >= 3 and groups
    # a break with id n ends the page after row n (1-based): that row is never a goal or area row
    assert not [n for n in breaks if n in groups]
    assert breaks == sorted(set(breaks)) and all(b.man for b in sample_list.row_breaks.brk)


def test_each_printed_page_of_the_list_fits_the_page_at_the_fit_to_width_scale(
    sample_list: Worksheet,
) -> None:
    widths = [sample_list.column_dimensions[get_column_letter(c)].width for c in range(1, 8)]
    visible = [w - 0.71 for w, c in zip(widths, range(1, 8), strict=True) if not _hidden(sample_list, c)]
    page = printable_height(print_scale(visible))
    heights = [sample_list.row_dimensions[r].height or 15.0 for r in range(1, sample_list.max_row + 1)]
    edges = [0, *(b.id for b in sample_list.row_breaks.brk), len(heights)]
    for n, (start, end) in enumerate(itertools.pairwise(edges)):
        repeated = heights[2] if n else 0.0  # the header row repeats on the later pages
        assert repeated + sum(heights[start:end]) <= page * PAGE_SLACK + 0.01, (start, end)


def _hidden(ws: Worksheet, col: int) -> bool:
    return bool(ws.column_dimensions[get_column_letter(col)].hidden)


def test_page_breaks_move_up_before_a_goal_and_its_area() -> None:
    # title rows 0-2, then goal 3, area 4, measures 5-7, goal 8, area 9, measures 10-11; a page holds 523.8 pt
    heights = [24.0, 18.0, 27.0, 15.5, 15.5, 200.0, 200.0, 5.0, 15.5, 15.5, 100.0, 100.0]
    # the goal row 8 still fits on the first page, its area row 9 does not: both begin the second page
    assert page_breaks(heights, {3, 4, 8, 9}, 3, 27.0, page=540.0) == [8]
    assert page_breaks(heights, set(), 3, 27.0, page=540.0) == [9]
    # a page of group rows only is never left empty: the break stays where the rows stop fitting
    assert page_breaks([10.0, 10.0, 10.0, 500.0], {0, 1, 2}, 0, 0.0, page=100.0) == [3]


def test_the_summary_chart_fits_within_the_printed_columns(sample_view: ReportView) -> None:
    data = render_progress_xlsx(sample_view)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        drawing = archive.read(next(n for n in names if n.startswith("xl/drawings/drawing"))).decode()
    ws = load_workbook(io.BytesIO(data))[SUMMARY_SHEET]
    assert ws.print_area is not None
    last = ws.print_area[0].split(":")[1] if isinstance(ws.print_area, list) else ws.print_area.split(":")[1]
    last_col = column_index_from_string("".join(ch for ch in last if ch.isalpha()).lstrip("$"))
    to_col = int(drawing.split("<xdr:to><xdr:col>")[1].split("<")[0])  # 0-based column the chart ends in
    assert to_col < last_col  # ends inside the print area's last column
    assert not ws.print_title_rows  # its tables have different columns: no header is repeated


# Row heights: the calibrated cell model


def test_row_heights_follow_the_calibrated_cell_model(sample_list: Worksheet) -> None:
    notes_col = next(c.column for c in sample_list[3] if c.value and "実施等状況" in str(c.value))
    checked = 0
    for r in range(4, sample_list.max_row + 1):
        if r in _group_rows(sample_list):
            continue
        texts = [
            (
                str(sample_list.cell(r, c).value or ""),
                sample_list.column_dimensions[get_column_letter(c)].width,
            )
            for c in range(1, notes_col + 1)
        ]
        lines = max(len(wrap(t, w - 0.71)) for t, w in texts)
        height = sample_list.row_dimensions[r].height
        assert height == pytest.approx(lines * LINE_PT + PADDING_PT, abs=LINE_PT), r
        checked += 1
    assert checked >= 50


def test_the_line_model_is_calibrated_against_libreoffice() -> None:
    # measured: LibreOffice 7.4 prints a 10 pt wrapped line 11.7 pt apart and fits 36 full-width characters in a
    # column of width 66, 19 in one of width 34; the model stays within 5 % above (never below: no row is cut)
    assert 11.7 <= LINE_PT <= 11.7 * 1.05
    for width, libreoffice in ((66, 36), (34, 19)):
        model = line_capacity(width) / 2  # full-width characters a line holds
        assert libreoffice * 0.9 <= model <= libreoffice
    # the old model (13.5 pt lines, width - 1 half-width characters) made a 10-line cell 40 % too tall
    text = "あ" * 36 * 10
    assert row_height(len(wrap(text, 66))) <= (10 * 11.7 + 2) * 1.2


def test_a_closing_mark_never_starts_a_wrapped_line() -> None:
    capacity = int(line_capacity(34) // 2)  # full-width characters a line holds
    for mark in "。、）」":
        text = "あ" * capacity + mark + "い"
        lines = wrap(text, 34)
        assert all(line[:1] not in NO_LINE_START for line in lines[1:]), lines
        assert "".join(lines) == text
    assert wrap("あ" * capacity + "。", 34)[-1] == "あ。"


def test_the_forms_instructions_column_fits_the_printed_page(sample_project: Path) -> None:
    form = next(f for f in make_forms(sample_project, 2019).files if f.suffix == ".xlsx")
    ws = load_workbook(form)["記入方法"]
    width = ws.column_dimensions["A"].width
    # A4 portrait less 0.5 in margins is 523 pt; LibreOffice without Calibri sizes a unit at about 7 pt
    assert width * 7.0 <= 595.3 - 72
    assert ws.print_area is not None and "$A$1:$A$" in str(ws.print_area)
    assert ws.page_setup.fitToHeight == 0


# The review PDF: headings kept with what follows


def test_the_review_css_keeps_headings_with_what_follows() -> None:
    css = re.sub(
        r"/\*.*?\*/", "", (REPO / "templates" / "annual-review.css").read_text(encoding="utf-8"), flags=re.S
    )
    rules = {m.group(1).strip(): m.group(2) for m in re.finditer(r"([^{}]+)\{([^{}]*)\}", css)}
    assert "break-inside: avoid" in rules["div.area-head"]
    assert "break-after: avoid" in rules["h2"] and "break-after: avoid" in rules[".measures p.caption"]
    assert "break-inside: avoid" in rules["div.evaluation"]
    template = (REPO / "templates" / "annual-review.html.j2").read_text(encoding="utf-8")
    head = template.index('<div class="area-head">')
    assert template.index("<h2 id=", head) < template.index("kpi_table(area.area.kpis", head)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_no_review_page_ends_with_a_heading(sample_project: Path) -> None:
    build(sample_project, 2019)
    pdf = sample_project / "outputs" / "2019" / "annual-review.pdf"
    plan = load_plan(sample_project / "inputs" / "master.xlsx")
    headings = {normalize_choice(a) for a in {m.area for m in plan.measures}} | {
        normalize_choice(t) for t in ("重要業績評価指標（KPI）", "数値目標", "取組の進捗（令和元年度）")
    }
    pages = int(next(ln for ln in _run("pdfinfo", pdf).splitlines() if ln.startswith("Pages:")).split()[1])
    assert pages > 10
    for page in range(1, pages + 1):
        lines = [ln.strip() for ln in _run("pdftotext", "-f", page, "-l", page, "-layout", pdf).splitlines()]
        body = [ln for ln in lines if ln and not re.fullmatch(r"-\s*\d+\s*-", ln)]
        last = normalize_choice(body[-1]) if body else ""
        assert last not in headings and not last.startswith("施策評価（"), (page, body[-1:])


def _run(*args: object) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout
