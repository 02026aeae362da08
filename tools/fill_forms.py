"""Fill a department form by program, the way a clerk's own script would: by column names, never by position.

Used by the tests, the benchmarks and the sample submissions. Only the published fixed points of the form are
relied on (sheets 進捗 / KPI, header cells 取組ID / 進捗状況 / 実施状況 and KPI_ID / 実績値 / 備考, as
:mod:`kpi_report.forms.layout` names them); everything else in the workbook is kept as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from kpi_report.core.columns import (
    AREA_ID_COLUMN,
    AREA_ISSUES_COLUMN,
    BUDGET_COLUMN,
    DIRECTION_COLUMN,
    FACTORS_COLUMN,
    ISSUES_COLUMN,
    NOT_EVALUABLE_COLUMN,
    RESPONSE_COLUMN,
    SETTLEMENT_COLUMN,
)
from kpi_report.core.files import openpyxl_bytes
from kpi_report.forms.layout import (
    ACTUAL_COLUMN,
    AREA_SHEET,
    KPI_ID_COLUMN,
    KPI_SHEET,
    MEASURE_ID_COLUMN,
    NOTES_COLUMN,
    PROGRESS_SHEET,
    REMARKS_COLUMN,
    STATUS_COLUMN,
)

HEADER_SCAN_ROWS = 20  # the header row is looked for in the first rows, not assumed


class FormLayoutError(Exception):
    """The form lacks a sheet or a header column the filler needs."""


def _header(ws: Any, key: str) -> tuple[int, dict[str, int]]:
    """The header row number and {column name: column number}, found by the cell holding ``key``."""
    for row in ws.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS):
        names = {str(c.value).strip(): c.column for c in row if isinstance(c.value, str) and c.value.strip()}
        if key in names:
            return row[0].row, names
    raise FormLayoutError(f"シート『{ws.title}』に見出し「{key}」が見つかりません。")


def _column(columns: Mapping[str, int], name: str, sheet: str) -> int:
    if name not in columns:
        raise FormLayoutError(f"シート『{sheet}』に列「{name}」がありません。")
    return columns[name]


def save_deterministic(wb: Any, out: Path) -> None:
    """Save an openpyxl workbook so that the same content always gives the same bytes."""
    data = openpyxl_bytes(wb)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)


def fill_form(
    form: Path,
    out: Path,
    measures: Mapping[str, tuple[str, str]],
    kpis: Mapping[str, object],
    *,
    kpi_remarks: Mapping[str, str] | None = None,
    description: str = "",
    directions: Mapping[str, str] | None = None,
    issues: Mapping[str, str] | None = None,
    budgets: Mapping[str, tuple[object, object]] | None = None,
    not_evaluable: Mapping[str, str] | None = None,
    areas: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Fill ``form`` and save the result as ``out`` (``form`` is not changed).

    Args:
        form: a form written by ``kpi-report forms``.
        out: where to save the filled workbook.
        measures: 取組ID -> (進捗状況, 実施状況); rows whose ID is absent are left as they are.
        kpis: KPI_ID -> 実績値 (a number, or text written as is).
        kpi_remarks: KPI_ID -> 備考.
        description: stored in the workbook's document properties (e.g. "サンプルデータ").
        directions: 取組ID -> 今後の方向性 (効果検証).
        issues: 取組ID -> 課題・今後の取組.
        budgets: 取組ID -> (予算額, 決算額) in 千円 (numbers, or text written as is).
        not_evaluable: KPI_ID -> 評価不能の理由.
        areas: 施策ID -> {column: text} of the sheet 施策評価 (要因分析, 課題, 今後の方向性, 前年度の方針への対応).

    Raises:
        FormLayoutError: a sheet or header column the values need is missing.
    """
    wb = load_workbook(form)
    extra: dict[str, Mapping[str, object]] = {
        DIRECTION_COLUMN: directions or {},
        ISSUES_COLUMN: issues or {},
        BUDGET_COLUMN: {k: v[0] for k, v in (budgets or {}).items()},
        SETTLEMENT_COLUMN: {k: v[1] for k, v in (budgets or {}).items()},
    }
    extra = {name: values for name, values in extra.items() if values}
    if measures or extra:
        if PROGRESS_SHEET not in wb.sheetnames:
            raise FormLayoutError(f"シート『{PROGRESS_SHEET}』がありません。")
        ws = wb[PROGRESS_SHEET]
        header_row, columns = _header(ws, MEASURE_ID_COLUMN)
        id_col = columns[MEASURE_ID_COLUMN]
        status_col = _column(columns, STATUS_COLUMN, PROGRESS_SHEET) if measures else 0
        notes_col = _column(columns, NOTES_COLUMN, PROGRESS_SHEET) if measures else 0
        extra_cols = {name: _column(columns, name, PROGRESS_SHEET) for name in extra}
        for row in range(header_row + 1, ws.max_row + 1):
            measure_id = ws.cell(row, id_col).value
            if measure_id is not None and str(measure_id) in measures:
                status, notes = measures[str(measure_id)]
                ws.cell(row, status_col).value = status
                ws.cell(row, notes_col).value = notes
            for name, values in extra.items():
                if measure_id is not None and str(measure_id) in values:
                    value: Any = values[str(measure_id)]
                    ws.cell(row, extra_cols[name]).value = value
    remarks = kpi_remarks or {}
    reasons = not_evaluable or {}
    if kpis or remarks or reasons:
        if KPI_SHEET not in wb.sheetnames:
            raise FormLayoutError(f"シート『{KPI_SHEET}』がありません。")
        ws = wb[KPI_SHEET]
        header_row, columns = _header(ws, KPI_ID_COLUMN)
        id_col = columns[KPI_ID_COLUMN]
        actual_col = _column(columns, ACTUAL_COLUMN, KPI_SHEET)
        remarks_col = _column(columns, REMARKS_COLUMN, KPI_SHEET) if remarks else 0
        reason_col = _column(columns, NOT_EVALUABLE_COLUMN, KPI_SHEET) if reasons else 0
        for row in range(header_row + 1, ws.max_row + 1):
            kpi_id = ws.cell(row, id_col).value
            if kpi_id is None:
                continue
            if str(kpi_id) in kpis:
                actual: Any = kpis[str(kpi_id)]  # whatever the caller's program writes, even text
                ws.cell(row, actual_col).value = actual
            if str(kpi_id) in remarks:
                ws.cell(row, remarks_col).value = remarks[str(kpi_id)]
            if str(kpi_id) in reasons:
                ws.cell(row, reason_col).value = reasons[str(kpi_id)]
    if areas:
        if AREA_SHEET not in wb.sheetnames:
            raise FormLayoutError(f"シート『{AREA_SHEET}』がありません。")
        ws = wb[AREA_SHEET]
        header_row, columns = _header(ws, AREA_ID_COLUMN)
        id_col = columns[AREA_ID_COLUMN]
        for name in (FACTORS_COLUMN, AREA_ISSUES_COLUMN, DIRECTION_COLUMN, RESPONSE_COLUMN):
            _column(columns, name, AREA_SHEET)
        for row in range(header_row + 1, ws.max_row + 1):
            area_id = ws.cell(row, id_col).value
            if area_id is not None and str(area_id) in areas:
                for name, text in areas[str(area_id)].items():
                    ws.cell(row, _column(columns, name, AREA_SHEET)).value = text
    if description:
        wb.properties.description = description
    save_deterministic(wb, out)
