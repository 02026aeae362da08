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

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from kpi_report.core.errors import OutputError, UsageError
from kpi_report.core.fiscal import fy_label
from kpi_report.core.model import CheckReport, CommitteeCheck, Finding, Plan, Progress
from kpi_report.core.project import Project
from kpi_report.plan.master import load_plan as _load_master
from kpi_report.plan.master import load_plan_and_warnings, plan_cache

if TYPE_CHECKING:
    from kpi_report.compare.diff import DiffResult
    from kpi_report.publish.build import BuildResult
    from kpi_report.publish.watch import WatchedBuild
    from kpi_report.render.review.weasy import Workers

__all__ = [
    "CheckResult",
    "CommitteeResult",
    "DemoResult",
    "DemoStep",
    "FormsResult",
    "PlanCheck",
    "build",
    "check",
    "check_plan",
    "demo",
    "diff",
    "load_plan",
    "make_committee_forms",
    "make_forms",
    "watch",
]

SAMPLE = (
    Path(__file__).resolve().parent / "sample"
)  # the bundled sample's inputs/ (packaged with the library)
DEMO_MARKER = ".kpi-report-demo"  # in a folder the demo made: the demo may replace its inputs and outputs

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
class PlanCheck:
    """A usable plan and the master's warnings (problems that do not stop it being used)."""

    plan: Plan
    warnings: tuple[Finding, ...]


def check_plan(project_or_master: ProjectLike) -> PlanCheck:
    """Load and check the master, keeping its warnings (a budget code typed as a number …).

    Raises:
        MasterError: the master is missing, unreadable or has errors (every finding, warnings too, attached).
    """
    if isinstance(project_or_master, Project):
        path = project_or_master.master
    else:
        path = Path(project_or_master)
        path = path if path.suffix.lower() == ".xlsx" else Project(path).master
    return PlanCheck(*load_plan_and_warnings(path))


def check_period(plan: Plan, fy: int) -> None:
    """A fiscal year outside the plan's period (計画開始年度–計画終了年度, where set) is a usage error.

    Raises:
        UsageError: ``fy`` is before 計画開始年度 or after 計画終了年度.
    """
    s = plan.settings
    if (s.start_fy is None or fy >= s.start_fy) and (s.end_fy is None or fy <= s.end_fy):
        return
    start = f"{fy_label(s.start_fy, s.reiwa_for_2019)}（{s.start_fy}）" if s.start_fy else ""
    end = f"{fy_label(s.end_fy, s.reiwa_for_2019)}（{s.end_fy}）" if s.end_fy else ""
    raise UsageError(
        f"{fy_label(fy, s.reiwa_for_2019)}（{fy}）は計画の期間（{start}〜{end}）の外です。"
        "期間内の年度を --fy に指定するか、マスターのシート『設定』の計画開始年度・計画終了年度を直してください。"
    )


@dataclass(frozen=True)
class FormsResult:
    """What `forms` did: the plan, the workbooks written, and last year's entries shown in them."""

    plan: Plan
    fy: int
    folder: Path
    files: tuple[Path, ...]
    previous: CheckReport | None


def make_forms(
    project: ProjectLike, fy: int, progress: Progress | None = None, deadline: date | None = None
) -> FormsResult:
    """Write outputs/<FY>/forms/, showing each department's accepted entries of FY-1 when inputs/<FY-1>/ exists.

    ``deadline`` (提出期限 printed in every form) overrides the master's 設定 提出期限.

    Raises:
        MasterError: the master is missing or has problems.
        UsageError: ``fy`` is outside the plan's period.
    """
    from kpi_report.forms.writer import write_forms
    from kpi_report.validate.check import check_year

    proj = _project(project)
    plan = load_plan(proj)
    check_period(plan, fy)
    if deadline is not None:
        plan = replace(plan, settings=replace(plan.settings, deadline=deadline))
    previous = None
    if proj.inputs(fy - 1).is_dir():
        previous = check_year(proj, plan, fy - 1, progress=progress, past=True)
    files = write_forms(proj, plan, fy, previous=previous, progress=progress)
    return FormsResult(plan, fy, proj.outputs(fy) / "forms", tuple(files), previous)


@dataclass(frozen=True)
class CheckResult:
    """What `check` did: the plan it checked against, the report, the files written (findings, feedback)."""

    plan: Plan
    report: CheckReport  # the committee's findings included
    files: tuple[Path, ...]
    inputs_found: bool
    committee: CommitteeCheck | None = None  # inputs/<FY>/committee/, when the plan has members or the folder
    inputs_reused: int = 0  # submissions whose own check result came from the cache
    inputs_read: int = 0  # submissions read and checked again, with a cache


def check(
    project: ProjectLike, fy: int, progress: Progress | None = None, use_cache: bool = True
) -> CheckResult:
    """Validate inputs/<FY>/ (and the committee's workbooks in inputs/<FY>/committee/) against the master and
    write outputs/<FY>/check/ (inputs are only read).

    As build does, it takes from outputs/.cache/ the master loaded before, each unchanged submission's own
    check result and the feedback copies made from the same findings (the checks across files are made
    again); the results and files are the same as without it. ``use_cache=False``: none is used or kept.

    Raises:
        MasterError: the master is missing or has problems.
        UsageError: ``fy`` is outside the plan's period.
        OutputError: an output could not be written.
    """
    from kpi_report.committee.check import check_committee, with_committee
    from kpi_report.validate.cache import check_cache
    from kpi_report.validate.check import check_year
    from kpi_report.validate.outputs import write_check_outputs

    proj = _project(project)
    plan = _cached_plan(proj, use_cache)
    check_period(plan, fy)
    cache = check_cache(proj.root) if use_cache else None
    report = check_year(proj, plan, fy, progress=progress, cache=cache)
    reused, read = (cache.hits, cache.misses) if cache is not None else (0, 0)
    committee = None
    if plan.members or proj.committee_inputs(fy).is_dir():
        committee = check_committee(proj, plan, fy)
        report = with_committee(report, committee)
    files = write_check_outputs(report, proj, plan, cache=cache)
    return CheckResult(plan, report, tuple(files), proj.inputs(fy).is_dir(), committee, reused, read)


@dataclass(frozen=True)
class CommitteeResult:
    """What `committee` did: the workbooks written (the members' workbooks, or 対応.xlsx) and, for the
    responses, the opinions they list."""

    plan: Plan
    fy: int
    folder: Path
    files: tuple[Path, ...]
    responses: bool
    check: CommitteeCheck | None = None


def make_committee_forms(
    project: ProjectLike,
    fy: int,
    allow_errors: bool = False,
    responses: bool = False,
    progress: Progress | None = None,
) -> CommitteeResult:
    """Write outputs/<FY>/committee/<氏名>.xlsx per member (``responses``: outputs/<FY>/committee/対応.xlsx).

    The members' workbooks show the report year's checked department submissions as context.

    Raises:
        MasterError: the master is missing or has problems.
        UsageError: ``fy`` is outside the plan's period, the plan has no sheet 委員, inputs/<FY>/ is missing, or
            (``responses``) no opinion has been received.
        InputsHaveErrors: the report year's submissions have errors and ``allow_errors`` is False.
        OutputError: a file could not be written.
    """
    from kpi_report.committee.run import write_committee_forms, write_responses

    proj = _project(project)
    plan = load_plan(proj)
    check_period(plan, fy)
    folder = proj.committee_outputs(fy)
    if responses:
        path, checked = write_responses(proj, plan, fy)
        return CommitteeResult(plan, fy, folder, (path,), True, checked)
    files = write_committee_forms(proj, plan, fy, allow_errors=allow_errors, progress=progress)
    return CommitteeResult(plan, fy, folder, tuple(files), False)


def _cached_plan(project: Project, use_cache: bool) -> Plan:
    """The master loaded as build loads it (from outputs/.cache/plan/ unless ``use_cache`` is False): reading
    the workbook again before a build took 0.25-0.5 s for 1,000 measures."""
    return _load_master(project.master, plan_cache(project.root) if use_cache else None)


def build(
    project: ProjectLike,
    fy: int,
    allow_errors: bool = False,
    progress: Progress | None = None,
    use_cache: bool = True,
) -> BuildResult:
    """Check every year, merge, and write the progress list, the web page, the annual review and the manifest.

    ``use_cache=False`` renders every part of the review again instead of reusing unchanged ones.

    Raises:
        MasterError: the master is missing or has problems.
        UsageError: ``fy`` is outside the plan's period, or inputs/<FY>/ does not exist.
        InputsHaveErrors: the report year still has errors and ``allow_errors`` is False.
        OutputError: an output could not be written.
    """
    return _build(_project(project), fy, allow_errors, progress, use_cache)


def _build(
    proj: Project,
    fy: int,
    allow_errors: bool,
    progress: Progress | None,
    use_cache: bool,
    keep: Workers | None = None,
) -> BuildResult:
    """:func:`build`; ``keep``: the review's rendering processes, kept running between builds (watch)."""
    if keep is None:
        from kpi_report.publish.early import preloaded

        with preloaded(proj, fy, use_cache) as started:  # before loading the build's own modules
            return _build_year(proj, fy, allow_errors, progress, use_cache, None, started)
    return _build_year(proj, fy, allow_errors, progress, use_cache, keep, None)


def _build_year(
    proj: Project,
    fy: int,
    allow_errors: bool,
    progress: Progress | None,
    use_cache: bool,
    keep: Workers | None,
    started: Workers | None,
) -> BuildResult:
    """:func:`_build` once its first rendering process may be running (``started``, publish.early)."""
    from kpi_report.publish.build import build as build_year

    plan = _cached_plan(proj, use_cache)
    check_period(plan, fy)
    if not proj.inputs(fy).is_dir():
        label = fy_label(fy, plan.settings.reiwa_for_2019)
        raise UsageError(
            f"{proj.inputs(fy)} がありません（{label}の提出がまだ1件もありません）。"
            f"記入様式（kpi-report forms --fy {fy}）を所管課に送り、返ってきたファイルをこのフォルダーに置いてから"
            " build してください。"
        )
    return build_year(
        proj,
        fy,
        allow_errors=allow_errors,
        progress=progress,
        use_cache=use_cache,
        keep=keep,
        started=started,
    )


def watch(
    project: ProjectLike,
    fy: int,
    on_build: Callable[[WatchedBuild], None],
    allow_errors: bool = False,
    progress: Progress | None = None,
    use_cache: bool = True,
    until: Callable[[], bool] = lambda: False,
    interval: float = 0.5,
) -> int:
    """:func:`build` now and again after every change to inputs/ or templates/, until ``until()`` is true.

    Each build's result, or the problem that stopped it (errors in a submission, a broken master …), goes to
    ``on_build`` and watching goes on; returns the number of builds. See kpi_report.publish.watch.

    Raises:
        MasterError: the master is missing or has problems when watching starts.
        UsageError: ``fy`` is outside the plan's period.
    """
    from kpi_report.publish.watch import watch as watch_project
    from kpi_report.render.review.weasy import Workers

    proj = _project(project)
    check_period(_cached_plan(proj, use_cache), fy)
    # the review's rendering processes stay up between builds, ready for the next correction (warmed while
    # nothing changes): a correction's parts are rendered without starting them again
    with Workers() as keep:
        return watch_project(
            proj,
            partial(_build, proj, fy, allow_errors, progress, use_cache, keep),
            on_build,
            until=until,
            interval=interval,
            idle=keep.prime,
        )


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
    """The demo's folder and its steps, in order."""

    project: Project
    steps: tuple[DemoStep, ...]


def demo(folder: Path | str, progress: Progress | None = None) -> DemoResult:
    """The whole pipeline on the bundled sample, in a folder of its own: copy the sample's inputs into
    ``folder``, then plan, forms for the latest year, build every year, diff the last two.

    ``folder`` must be new, empty, or a folder an earlier demo made (its inputs and outputs are replaced);
    the demo never writes anywhere else, so it cannot touch a user's project.

    Raises:
        UsageError: ``folder`` holds something else (a project, other files).
        OutputError: the folder could not be written.
    """
    from kpi_report.publish.build import input_years

    root = Path(folder)
    _prepare_demo_folder(root)
    proj = Project(root)
    plan = load_plan(proj)
    steps = [DemoStep("計画（inputs/master.xlsx）", plan)]
    years = input_years(proj)
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


def _prepare_demo_folder(root: Path) -> None:
    """Make ``root`` a fresh copy of the bundled sample project, refusing any folder the demo did not make."""
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} はファイルです。デモ用には新しいフォルダー名を --out に指定してください。")
    if root.is_dir() and any(root.iterdir()) and not (root / DEMO_MARKER).is_file():
        raise UsageError(
            f"フォルダー {root} は空ではなく、デモが作ったフォルダーでもありません。"
            "中身を上書きしないよう、デモは新しいフォルダーでだけ動きます。--out に新しいフォルダー名を指定してください。"
        )
    if not (SAMPLE / "master.xlsx").is_file():
        raise OutputError(f"同梱のサンプル（{SAMPLE}）が見つかりません。kpi-report を入れ直してください。")
    try:
        root.mkdir(parents=True, exist_ok=True)
        (root / DEMO_MARKER).write_text("kpi-report demo が作ったフォルダーです。\n", encoding="utf-8")
        for name in ("inputs", "outputs"):
            if (root / name).is_dir():
                shutil.rmtree(root / name)
        shutil.copytree(SAMPLE, root / "inputs", ignore=shutil.ignore_patterns("__pycache__"))
    except OSError as exc:
        raise OutputError(
            f"デモ用のフォルダー {root} を作れません（{exc.strerror or exc}）。書き込める場所を --out に指定してください。"
        ) from exc
