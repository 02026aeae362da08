"""The column specs (kpi_report.core.columns) are what init, the master loader, the forms and check use."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import defects
import openpyxl
import pytest

from kpi_report.core import columns
from kpi_report.core.columns import (
    FORM_KPIS,
    FORM_PROGRESS,
    MASTER_KPIS,
    MASTER_MEASURES,
    MASTER_SETTINGS,
    Column,
)
from kpi_report.core.model import Kpi, KpiEntry, Measure, MeasureEntry, Plan, Settings
from kpi_report.core.project import Project
from kpi_report.forms.layout import HEADER_ROW, KPI_SHEET, PROGRESS_SHEET
from kpi_report.forms.writer import build_form
from kpi_report.plan.master import check_master
from kpi_report.plan.scaffold import write_blank_project
from kpi_report.validate.check import check_year

FY = 2019
REPO = Path(__file__).resolve().parents[1]
MASTER_SHEETS = (("取組", MASTER_MEASURES), ("KPI", MASTER_KPIS))


@pytest.fixture(scope="module")
def blank_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The master workbook `kpi-report init` writes."""
    return write_blank_project(tmp_path_factory.mktemp("init") / "p") / "inputs" / "master.xlsx"


def sheet_rows(path: Path, sheet: str) -> list[list[object]]:
    wb = openpyxl.load_workbook(path)
    try:
        return [list(row) for row in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def column_widths(ws: Any, count: int) -> list[float]:
    """The widths of the first ``count`` columns as Excel shows them (a <col> element may span columns)."""
    widths: dict[int, float] = {}
    for dimension in ws.column_dimensions.values():
        for index in range(dimension.min, dimension.max + 1):
            widths[index] = dimension.width - 0.7109375  # the padding xlsxwriter adds to a width
    return [widths.get(i, 0.0) for i in range(1, count + 1)]


@pytest.mark.parametrize(("model", "spec"), [(Measure, MASTER_MEASURES), (Kpi, MASTER_KPIS)])
def test_every_master_field_is_a_model_field(model: type, spec: tuple[Column, ...]) -> None:
    fields = {f.name for f in dataclasses.fields(model)}
    assert [c.field for c in spec if c.field not in fields] == []


@pytest.mark.parametrize(
    ("models", "spec"),
    [((Measure, MeasureEntry), FORM_PROGRESS), ((Kpi, KpiEntry), FORM_KPIS)],
)
def test_every_form_field_is_a_model_field(models: tuple[type, type], spec: tuple[Column, ...]) -> None:
    master, entry = ({f.name for f in dataclasses.fields(m)} for m in models)
    assert [c.field for c in spec if c.field and c.field not in (entry if c.input else master)] == []
    assert all(c.input or c.field or c.kind == "computed" for c in spec)


def test_every_setting_is_a_settings_field() -> None:
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert [k.field for k in MASTER_SETTINGS if k.field not in fields] == []


def test_headers_are_unique_and_the_id_comes_first() -> None:
    for spec in (MASTER_MEASURES, MASTER_KPIS, FORM_PROGRESS, FORM_KPIS):
        assert len(set(columns.headers(spec))) == len(spec)
        assert spec[0].required and spec[0].header in ("取組ID", "KPI_ID")


@pytest.mark.parametrize(("sheet", "spec"), MASTER_SHEETS)
def test_init_writes_the_spec_headers_and_examples(
    blank_master: Path, sheet: str, spec: tuple[Column, ...]
) -> None:
    header, example = sheet_rows(blank_master, sheet)[:2]
    assert header == list(columns.headers(spec))
    assert example == [c.example for c in spec]


def test_init_widths_are_the_spec_widths(blank_master: Path) -> None:
    ws = openpyxl.load_workbook(blank_master)["取組"]
    assert column_widths(ws, len(MASTER_MEASURES)) == pytest.approx([c.width for c in MASTER_MEASURES])


def test_init_writes_the_spec_settings(blank_master: Path) -> None:
    assert [tuple(row[:2]) for row in sheet_rows(blank_master, "設定")] == [
        (k.key, k.example) for k in MASTER_SETTINGS
    ]


def test_the_init_master_loads_as_its_examples(blank_master: Path) -> None:
    plan, findings = check_master(blank_master)
    assert findings == [] and plan is not None
    measure, kpi = plan.measures[0], plan.kpis[0]
    assert measure.id == columns.column(MASTER_MEASURES, "取組ID").example
    assert measure.content == columns.column(MASTER_MEASURES, "内容").example
    assert kpi.source == columns.column(MASTER_KPIS, "出典").example


@pytest.mark.parametrize(
    ("sheet", "header"),
    [(sheet, header) for sheet, spec in MASTER_SHEETS for header in columns.required(spec)],
)
def test_the_loader_requires_every_required_column(
    blank_master: Path, tmp_path: Path, sheet: str, header: str
) -> None:
    wb = openpyxl.load_workbook(blank_master)
    ws = wb[sheet]
    ws.delete_cols(next(c.column for c in ws[1] if c.value == header))
    wb.save(tmp_path / "master.xlsx")
    _, findings = check_master(tmp_path / "master.xlsx")
    missing = [
        (f.sheet, f.cell)
        for f in findings
        if f.code == "master-missing-column" and f"「{header}」" in f.message
    ]
    assert missing == [(sheet, "1行目")]


@pytest.mark.parametrize(("sheet", "spec"), MASTER_SHEETS)
def test_optional_columns_may_be_left_out(
    blank_master: Path, tmp_path: Path, sheet: str, spec: tuple[Column, ...]
) -> None:
    wb = openpyxl.load_workbook(blank_master)
    ws = wb[sheet]
    for header in reversed(columns.optional(spec)):
        ws.delete_cols(next(c.column for c in ws[1] if c.value == header))
    wb.save(tmp_path / "master.xlsx")
    plan, findings = check_master(tmp_path / "master.xlsx")
    assert [f.code for f in findings] == [] and plan is not None


@pytest.mark.parametrize(("sheet", "spec"), [(PROGRESS_SHEET, FORM_PROGRESS), (KPI_SHEET, FORM_KPIS)])
def test_the_form_header_row_is_the_spec(
    plain_plan: Plan, tmp_path: Path, sheet: str, spec: tuple[Column, ...]
) -> None:
    path = tmp_path / "form.xlsx"
    path.write_bytes(build_form(plain_plan, FY, defects.DEPARTMENT))
    ws = openpyxl.load_workbook(path)[sheet]
    assert [c.value for c in ws[HEADER_ROW]] == list(columns.headers(spec))
    assert column_widths(ws, len(spec)) == pytest.approx([c.width for c in spec])
    first = HEADER_ROW + 1
    unlocked = [c.header for i, c in enumerate(spec, start=1) if not ws.cell(first, i).protection.locked]
    assert unlocked == list(columns.inputs(spec))


@pytest.fixture(scope="module")
def clean_form(tmp_path_factory: pytest.TempPathFactory, plain_plan: Plan) -> Path:
    return defects.clean_filled_form(plain_plan, FY, tmp_path_factory.mktemp("clean"))


def checked(tmp_path: Path, master: Path, plan: Plan, form: Path) -> list[tuple[str, str, str]]:
    root = tmp_path / "project"
    (root / "inputs" / str(FY)).mkdir(parents=True)
    shutil.copy(master, root / "inputs" / "master.xlsx")
    shutil.copy(form, root / "inputs" / str(FY) / form.name)
    report = check_year(Project(root), plan, FY)
    return [(f.sheet, f.cell, f.code) for f in report.findings if f.file == form.name]


@pytest.mark.parametrize(
    ("sheet", "header"),
    [(PROGRESS_SHEET, c.header) for c in FORM_PROGRESS[1:] if c.input and c.required]
    + [(KPI_SHEET, c.header) for c in FORM_KPIS[1:] if c.input and c.required],
)
def test_check_finds_every_required_input_column_by_its_header(
    plain_master: Path, plain_plan: Plan, clean_form: Path, tmp_path: Path, sheet: str, header: str
) -> None:
    spec = FORM_PROGRESS if sheet == PROGRESS_SHEET else FORM_KPIS
    renamed = defects.set_cells(
        clean_form,
        tmp_path / clean_form.name,
        sheet,
        {f"{columns.letter(spec, header)}{HEADER_ROW}": "別の見出し"},
    )
    found = checked(tmp_path, plain_master, plain_plan, renamed)
    assert (sheet, "", "missing-column") in found


def test_check_reads_input_columns_wherever_they_are(
    plain_master: Path, plain_plan: Plan, clean_form: Path, tmp_path: Path
) -> None:
    def swap(wb: openpyxl.Workbook) -> None:  # 進捗状況 and 実施状況 exchanged, header and values
        ws = wb[PROGRESS_SHEET]
        a, b = (columns.headers(FORM_PROGRESS).index(h) + 1 for h in ("進捗状況", "実施状況"))
        for row in range(HEADER_ROW, ws.max_row + 1):
            ws.cell(row, a).value, ws.cell(row, b).value = ws.cell(row, b).value, ws.cell(row, a).value

    moved = defects.edit(clean_form, tmp_path / clean_form.name, swap)
    assert checked(tmp_path, plain_master, plain_plan, moved) == []


def test_markdown_table_lists_every_column() -> None:
    table = columns.markdown_table(MASTER_MEASURES)
    lines = table.splitlines()
    assert len(lines) == 2 + len(MASTER_MEASURES)
    assert all(f"| {c.header} |" in table for c in MASTER_MEASURES)
    assert "| 取組ID | はい |" in table and "| 関連課 |  |" in table
    assert all(f"| {k.key} |" in columns.settings_markdown_table() for k in MASTER_SETTINGS)
