"""The library face: one import, one naming convention, plain results, and nothing printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import kpi_report
from kpi_report import CheckResult, FormsResult, Plan, build, check, diff, load_plan, make_forms


def test_the_whole_year_through_the_library_prints_nothing(
    sample_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = load_plan(sample_project)
    assert isinstance(plan, Plan) and len(plan.measures) == 60
    forms = make_forms(sample_project, 2019)
    assert isinstance(forms, FormsResult) and len(forms.files) == len(plan.departments)
    checked = check(sample_project, 2019)
    assert isinstance(checked, CheckResult) and checked.report.errors == ()
    assert (sample_project / "outputs" / "2019" / "check" / "findings.json") in checked.files
    built = [build(sample_project, fy) for fy in (2018, 2019)]
    assert built[1].report.fy == 2019
    result = diff(
        sample_project / "outputs" / "2018" / "progress-list.xlsx",
        sample_project / "outputs" / "2019" / "progress-list.xlsx",
        tmp_path / "diff.xlsx",
    )
    assert result.changes and (tmp_path / "diff.xlsx").is_file()
    assert capsys.readouterr() == ("", "")


def test_a_master_path_and_a_project_folder_load_the_same_plan(sample_project: Path) -> None:
    assert load_plan(sample_project / "inputs" / "master.xlsx") == load_plan(str(sample_project))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = kpi_report.no_such_thing


def test_importing_the_face_loads_neither_weasyprint_nor_pandas() -> None:
    code = (
        "import sys; from kpi_report import load_plan, make_forms, check, build, diff; "
        "print(sorted(m for m in ('weasyprint', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"
