"""Benchmark: `check` (safety checks included) on the sample submissions and on a generated large plan.

The large plan has 1,000 measures, 300 KPIs and 100 departments; every department's form is generated and
filled by program. Timed: check_year alone, then write_check_outputs, for a clean batch and for a batch where
every workbook has a finding (so every feedback copy is marked with openpyxl). Target: check under 5 s.
Then the whole `kpi-report check` command (a new process: start-up and imports too) after one department's
corrected form, with the cache in outputs/.cache/ (as a correction round runs it) and with --no-cache.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.common import REPO, command_seconds, peak_rss_mb, timed
from kpi_report.core.model import Plan
from kpi_report.core.project import Project
from kpi_report.forms.writer import write_forms
from kpi_report.plan.master import load_plan
from kpi_report.validate.check import check_year
from kpi_report.validate.outputs import write_check_outputs
from tools.fill_forms import fill_form
from tools.synth import NOTE, write_synthetic_master

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


def command(root: Path, repeat: int = 3) -> None:
    """The `kpi-report check` command after one department's correction: with the cache, and --no-cache."""
    from benchmarks.bench_rebuild import correct

    def run(*extra: str) -> float:  # exit 1: the check has findings
        return command_seconds("check", "--fy", str(FY), "--project", str(root), *extra, exits=(0, 1))

    run()  # the first check keeps the master and every form's result
    times: dict[str, list[float]] = {"the command, one form corrected": [], "the same, --no-cache": []}
    for k in range(repeat):
        for label, extra in (
            ("the command, one form corrected", ()),
            ("the same, --no-cache", ("--no-cache",)),
        ):
            correct(root, 300 + 2 * k + len(extra))
            times[label].append(run(*extra))
    for label, runs in times.items():
        print(f"{label}: best {min(runs):.2f} s (runs {', '.join(f'{r:.2f}' for r in runs)})")


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
        command(root)
        with timed("setup: refill with one status error per workbook"):
            shutil.rmtree(project.inputs(FY))
            fill_all(project, plan, status="実施")
        bench("1,000 measures / 100 departments, a finding in every workbook", project, plan)
    print(f"peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
