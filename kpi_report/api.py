"""Library entry points that chain stages: forms with last year's entries, and the demo."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kpi_report.console import plan_summary
from kpi_report.core.errors import UsageError
from kpi_report.core.model import CheckReport, Plan, Progress
from kpi_report.core.project import Project
from kpi_report.forms.writer import write_forms
from kpi_report.plan.master import load_plan
from kpi_report.validate.check import check_year


@dataclass(frozen=True)
class FormsRun:
    """What `forms` did: the plan, the workbooks written, and last year's entries shown in them."""

    plan: Plan
    files: tuple[Path, ...]
    previous: CheckReport | None


def generate_forms(project: Project, fy: int, progress: Progress | None = None) -> FormsRun:
    """Write outputs/<FY>/forms/, showing each department's accepted entries of FY-1 when inputs/<FY-1>/ exists."""
    plan = load_plan(project.master)
    previous = None
    if project.inputs(fy - 1).is_dir():
        previous = check_year(project, plan, fy - 1, progress=progress, past=True)
    files = write_forms(project, plan, fy, previous=previous, progress=progress)
    return FormsRun(plan, tuple(files), previous)


@dataclass(frozen=True)
class DemoStep:
    """One step of the demo: a heading and the console text it produced."""

    title: str
    text: str


def run_demo(project: Project, progress: Progress | None = None) -> tuple[DemoStep, ...]:
    """The whole pipeline on a project's inputs: plan, forms for the latest year, build every year, diff the last two.

    Raises:
        UsageError: the project has no inputs/<FY>/ folder to work on.
    """
    from kpi_report.compare.output import diff_summary_text, run_diff
    from kpi_report.publish.build import build, build_summary, input_years  # WeasyPrint and pandas: only here

    plan = load_plan(project.master)
    steps = [DemoStep("計画（inputs/master.xlsx）", plan_summary(plan))]
    years = input_years(project)
    if not years:
        raise UsageError(f"{project.root / 'inputs'} に年度フォルダー（例: 2019）がありません。")
    latest = years[-1]
    forms = generate_forms(project, latest, progress)
    steps.append(
        DemoStep(
            f"記入様式（forms --fy {latest}）",
            f"{len(forms.files)} 課分: {project.outputs(latest) / 'forms'}",
        )
    )
    for fy in years:
        result = build(project, fy, progress=progress)
        steps.append(
            DemoStep(f"検証と一覧表・年次報告書（build --fy {fy}）", build_summary(result, project.root))
        )
    if len(years) >= 2:
        old, new = years[-2], years[-1]
        out = project.outputs(new) / f"diff-{old}-{new}.xlsx"
        json_path = out.with_suffix(".json")
        diff = run_diff(
            project.outputs(old) / "progress-list.xlsx",
            project.outputs(new) / "progress-list.xlsx",
            out,
            json_path,
            progress=progress,
        )
        steps.append(
            DemoStep(
                f"監査用の比較（diff {old} → {new}）",
                diff_summary_text(diff) + f"\n作成したファイル:\n  {out}\n  {json_path}",
            )
        )
    return tuple(steps)
