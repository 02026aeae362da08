"""Numbers and pages fit to publish (issue 11): KPI values keep their precision and units, an approximate master
value is a finding, the workbook's page breaks keep group rows with their measures, the review keeps headings
with what follows, and row heights follow the calibrated cell model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kpi_report.core.errors import MasterError
from kpi_report.plan.master import load_plan

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
