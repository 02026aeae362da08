"""Benchmark: `check` (safety checks included) on the sample submissions and on a generated large plan.

The large plan has 1,000 measures, 300 KPIs and 100 departments; every department's form is generated and
filled by program. Timed: check_year alone, then write_check_outputs, for a clean batch and for a batch where
every workbook has a finding (so every feedback copy is marked with openpyxl). Target: check under 5 s.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.common import peak_rss_mb, timed
from kpi_report.core.model import Plan
from kpi_report.core.project import Project
from kpi_report.forms.writer import write_forms
from kpi_report.plan.master import load_plan
from kpi_report.validate.check import check_year
from kpi_report.validate.outputs import write_check_outputs
from tools.fill_forms import fill_form
from tools.synth import NOTE, write_synthetic_master

REPO = Path(__file__).resolve().parents[1]
FY = 2019


def fill_all(project: Project, plan: Plan, status: str = "実施中") -> None:
    """Every department's form, filled by program (the first measure of each with ``status``)."""
    for form in write_forms(project, plan, FY):
        department = form.stem
        measures = {
            m.id: (status if i == 0 else "実施中", "\n".join(NOTE.format(n=n) for n in range(1, 4)))
            for i, m in enumerate(plan.measures_of(department))
        }
        actuals: dict[str, object] = {k.id: 100 + i for i, k in enumerate(plan.kpis_of(department))}
        fill_form(form, project.inputs(FY) / form.name, measures, actuals)


def bench(label: str, project: Project, plan: Plan) -> None:
    with timed(f"check {label}: check_year"):
        report = check_year(project, plan, FY)
    with timed(f"check {label}: write_check_outputs"):
        files = write_check_outputs(report, project, plan)
    print(
        f"  {len(report.submissions)} workbooks, {len(report.measure_entries)} measure entries, "
        f"{len(report.kpi_entries)} KPI entries, {len(report.findings)} findings, {len(files)} files written"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sample"
        shutil.copytree(REPO / "inputs", root / "inputs")
        project = Project(root)
        bench("sample (bundled inputs/2019)", project, load_plan(project.master))

        root = Path(tmp) / "large"
        write_synthetic_master(root / "inputs" / "master.xlsx", measures=1000, departments=100, kpis=300)
        project = Project(root)
        plan = load_plan(project.master)
        with timed("setup: forms and programmatic filling of 100 workbooks"):
            fill_all(project, plan)
        bench("1,000 measures / 100 departments, clean", project, plan)
        with timed("setup: refill with one status error per workbook"):
            shutil.rmtree(project.inputs(FY))
            fill_all(project, plan, status="実施")
        bench("1,000 measures / 100 departments, a finding in every workbook", project, plan)
    print(f"peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
