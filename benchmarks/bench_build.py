"""Benchmark: `build` for the sample and for a generated 1,000-measure, 5-year plan.

Prints the time of each stage: the whole build (check of every year + merge + render + write) on the sample,
then on the large plan: writing the filled submissions (setup, not timed as build), the whole build, and
merge and render alone on the same entries.

Usage: .venv/bin/python -m benchmarks.bench_build [--quick]   (--quick: 200 measures instead of 1,000)
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from benchmarks.common import peak_rss_mb, timed
from kpi_report.core.model import Plan
from kpi_report.core.project import Project
from kpi_report.forms.layout import form_filename
from kpi_report.forms.writer import build_form
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.present.table import present
from kpi_report.publish.build import build
from kpi_report.render.progress_html import render_progress_html
from kpi_report.render.progress_xlsx import render_progress_xlsx
from kpi_report.validate.check import check_year
from tools.fill_forms import fill_form
from tools.synth import write_synthetic_master

REPO = Path(__file__).resolve().parents[1]
STATUSES = ("実施中", "実施中", "実施中", "完了", "一部実施", "検討中")
POINTS = (
    "地域の関係団体と連携し、説明会を{n}回開催しました。参加者の意見を踏まえ、実施方法を見直しました。",
    "事業の周知のため、市報とホームページで{n}回案内を行い、前年度より多くの申込みがありました。",
    "《{n}地区》",
    "対象となる{n}世帯に個別に案内を送付し、相談窓口での支援につなげました。",
)


def write_submissions(project: Project, plan: Plan, years: range) -> int:
    """Generate each department's form for each year and fill it by program, as clerks would. Returns the count."""
    count = 0
    for fy in years:
        folder = project.inputs(fy)
        folder.mkdir(parents=True, exist_ok=True)
        for d, department in enumerate(plan.departments):
            form = project.root / "blank" / form_filename(department)
            form.parent.mkdir(exist_ok=True)
            form.write_bytes(build_form(plan, fy, department))
            measures = {
                m.id: (
                    STATUSES[(i + fy) % len(STATUSES)],
                    "\n".join(
                        POINTS[(i + k) % len(POINTS)].format(n=(i + fy + k) % 9 + 1) for k in range(2 + i % 2)
                    ),
                )
                for i, m in enumerate(plan.measures_of(department))
            }
            kpis: dict[str, object] = {
                k.id: (k.baseline or 0) + (fy - 2014) * (1 + d % 3) for k in plan.kpis_of(department)
            }
            fill_form(form, folder / form_filename(department), measures, kpis)
            form.unlink()
            count += 1
    return count


def bench_sample() -> None:
    if not any((REPO / "inputs").glob("20[0-9][0-9]/*.xlsx")):
        print("sample: no submissions in inputs/<FY>/, skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(REPO / "inputs", root / "inputs")
        years = sorted(int(p.name) for p in (root / "inputs").iterdir() if p.is_dir() and p.name.isdigit())
        with timed(f"build: sample plan, report year {years[-1]} ({len(years)} years of submissions)"):
            build(Project(root), years[-1])


def bench_large(measures: int) -> None:
    years = range(2015, 2020)
    with tempfile.TemporaryDirectory() as tmp:
        project = Project(Path(tmp) / "project")
        write_synthetic_master(project.master, measures=measures, departments=100, kpis=300)
        plan = load_plan(project.master)
        with timed(f"setup: {len(plan.departments)} departments × {len(years)} years of filled forms"):
            files = write_submissions(project, plan, years)
        print(f"  {files} workbooks, {len(plan.measures)} measures, {len(plan.kpis)} KPIs")
        with timed(
            f"build: {len(plan.measures)} measures, {len(years)} years (check + merge + render + write)"
        ):
            result = build(project, years[-1])
        sizes = ", ".join(
            f"{p.name} {p.stat().st_size / 1e6:.1f} MB"
            for p in result.files
            if p.parent == project.outputs(years[-1])
        )
        print(f"  {sizes}")
        with timed("  of which check, all years"):
            reports = {fy: check_year(project, plan, fy) for fy in years}
        with timed("  of which merge"):
            report = merge(plan, years[-1], reports).report
        with timed("  of which present"):
            view = present(report)
        with timed("  of which render progress-list.xlsx"):
            render_progress_xlsx(view)
        with timed("  of which render progress-list.html"):
            render_progress_html(view, project)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="200 measures instead of 1,000")
    args = parser.parse_args()
    bench_sample()
    bench_large(200 if args.quick else 1000)
    print(f"peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
