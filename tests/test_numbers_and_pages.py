"""Numbers and pages fit to publish (issue 11): KPI values keep their precision and units, an approximate master
value is a finding, the workbook's page breaks keep group rows with their measures, the review keeps headings
with what follows, and row heights follow the calibrated cell model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kpi_report.core.errors import MasterError
from kpi_report.core.model import Kpi, KpiRow
from kpi_report.core.values import parse_master_number
from kpi_report.plan.master import load_plan
from kpi_report.present.table import MAX_DECIMALS, KpiView, decimals_of, format_number, kpi_view

SAMPLE = Path(__file__).resolve().parent.parent / "kpi_report" / "sample"


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
