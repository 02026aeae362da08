"""The library face: one function per thing a user does, each returning a plain result and printing nothing.

>>> from kpi_report import load_plan, make_forms, check, build, diff
>>> result = check("path/to/project", 2019)          # validate inputs/2019/ and write outputs/2019/check/
>>> result.report.errors                              # the findings that block publishing

Every function takes the project folder as a path (or a :class:`Project`), a fiscal year as an integer, and an
optional ``progress(label, done, total)`` callback. Problems a user can cause are raised as
:class:`~kpi_report.core.errors.KpiReportError` subclasses with a one-line Japanese message; the CLI turns them
into exit codes. WeasyPrint and pandas are imported only by :func:`build` and :func:`demo`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kpi_report.core.errors import UsageError
from kpi_report.core.model import CheckReport, Plan, Progress
from kpi_report.core.project import Project
from kpi_report.plan.master import load_plan as _load_master

if TYPE_CHECKING:
    from kpi_report.compare.diff import DiffResult
    from kpi_report.publish.build import BuildResult

__all__ = [
    "CheckResult",
    "DemoResult",
    "DemoStep",
    "FormsResult",
    "build",
    "check",
    "demo",
    "diff",
    "load_plan",
    "make_forms",
]

ProjectLike = Project | Path | str


def _project(project: ProjectLike) -> Project:
    return project if isinstance(project, Project) else Project(Path(project))


def load_plan(project_or_master: ProjectLike) -> Plan:
    """Load and check the master (a project folder, or the path of a master workbook).

    Raises:
        MasterError: the master is missing, unreadable or has problems (every one listed in ``findings``).
    """
    if isinstance(project_or_master, Project):
        return _load_master(project_or_master.master)
    path = Path(project_or_master)
    return _load_master(path if path.suffix.lower() == ".xlsx" else Project(path).master)


@dataclass(frozen=True)
class FormsResult:
    """What `forms` did: the plan, the workbooks written, and last year's entries shown in them."""

    plan: Plan
    fy: int
    folder: Path
    files: tuple[Path, ...]
    previous: CheckReport | None


def make_forms(project: ProjectLike, fy: int, progress: Progress | None = None) -> FormsResult:
    """Write outputs/<FY>/forms/, showing each department's accepted entries of FY-1 when inputs/<FY-1>/ exists."""
    from kpi_report.forms.writer import write_forms
    from kpi_report.validate.check import check_year

    proj = _project(project)
    plan = load_plan(proj)
    previous = None
    if proj.inputs(fy - 1).is_dir():
        previous = check_year(proj, plan, fy - 1, progress=progress, past=True)
    files = write_forms(proj, plan, fy, previous=previous, progress=progress)
    return FormsResult(plan, fy, proj.outputs(fy) / "forms", tuple(files), previous)


@dataclass(frozen=True)
class CheckResult:
    """What `check` did: the plan it checked against, the report, the files written (findings, feedback)."""

    plan: Plan
    report: CheckReport
    files: tuple[Path, ...]
    inputs_found: bool


def check(project: ProjectLike, fy: int, progress: Progress | None = None) -> CheckResult:
    """Validate inputs/<FY>/ against the master and write outputs/<FY>/check/ (inputs are only read).

    Raises:
        MasterError: the master is missing or has problems.
        OutputError: an output could not be written.
    """
    from kpi_report.validate.check import check_year
    from kpi_report.validate.outputs import write_check_outputs

    proj = _project(project)
    plan = load_plan(proj)
    report = check_year(proj, plan, fy, progress=progress)
    files = write_check_outputs(report, proj, plan)
    return CheckResult(plan, report, tuple(files), proj.inputs(fy).is_dir())


def build(
    project: ProjectLike, fy: int, allow_errors: bool = False, progress: Progress | None = None
) -> BuildResult:
    """Check every year, merge, and write the progress list, the web page, the annual review and the manifest.

    Raises:
        MasterError: the master is missing or has problems.
        InputsHaveErrors: the report year still has errors and ``allow_errors`` is False.
        OutputError: an output could not be written.
    """
    from kpi_report.publish.build import build as build_year

    return build_year(_project(project), fy, allow_errors=allow_errors, progress=progress)


def diff(
    old: Path | str,
    new: Path | str,
    out: Path | str,
    json_path: Path | str | None = None,
    progress: Progress | None = None,
) -> DiffResult:
    """Compare two progress lists; write DIFF.xlsx (and the JSON when ``json_path`` is given).

    Raises:
        DiffError: an input is unreadable, or an output would overwrite an input.
        OutputError: an output could not be written.
    """
    from kpi_report.compare.output import run_diff

    return run_diff(
        Path(old), Path(new), Path(out), Path(json_path) if json_path is not None else None, progress=progress
    )


@dataclass(frozen=True)
class DemoStep:
    """One step of the demo and its result (a Plan, FormsResult, BuildResult or DiffResult)."""

    title: str
    result: object
    files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class DemoResult:
    """The demo's steps, in order."""

    project: Project
    steps: tuple[DemoStep, ...]


def demo(project: ProjectLike, progress: Progress | None = None) -> DemoResult:
    """The whole pipeline on a project's inputs: plan, forms for the latest year, build every year, diff the last two.

    Raises:
        UsageError: the project has no inputs/<FY>/ folder to work on.
    """
    from kpi_report.publish.build import input_years

    proj = _project(project)
    plan = load_plan(proj)
    steps = [DemoStep("計画（inputs/master.xlsx）", plan)]
    years = input_years(proj)
    if not years:
        raise UsageError(f"{proj.root / 'inputs'} に年度フォルダー（例: 2019）がありません。")
    latest = years[-1]
    forms = make_forms(proj, latest, progress)
    steps.append(DemoStep(f"記入様式（forms --fy {latest}）", forms))
    for fy in years:
        steps.append(
            DemoStep(f"検証と一覧表・年次報告書（build --fy {fy}）", build(proj, fy, progress=progress))
        )
    if len(years) >= 2:
        old, new = years[-2], years[-1]
        out = proj.outputs(new) / f"diff-{old}-{new}.xlsx"
        json_path = out.with_suffix(".json")
        result = diff(
            proj.outputs(old) / "progress-list.xlsx",
            proj.outputs(new) / "progress-list.xlsx",
            out,
            json_path,
            progress=progress,
        )
        steps.append(DemoStep(f"監査用の比較（diff {old} → {new}）", result, (out, json_path)))
    return DemoResult(proj, tuple(steps))
