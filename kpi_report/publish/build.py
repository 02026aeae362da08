"""`build`: check every fiscal year's submissions, merge them with the master and render all reports.

Order of work: load the master; check each year from the plan's first year to the report year; write the
report year's check outputs; refuse when the report year still has errors (unless allowed); merge; render
every output in memory; only then write each file atomically, and the manifest last. A crash or kill leaves
the previous outputs intact and never a half-written file under a final name.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields, is_dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpi_report.committee.check import check_committee, with_committee
from kpi_report.committee.report import committee_report
from kpi_report.core import diskcache
from kpi_report.core.diskcache import DiskCache
from kpi_report.core.errors import InputsHaveErrors
from kpi_report.core.files import Generation, file_record, sha256_file, write_atomic, write_json_atomic
from kpi_report.core.findings import make_finding
from kpi_report.core.fiscal import fy_label
from kpi_report.core.model import CheckReport, Finding, Plan, Progress, ProgressReport
from kpi_report.core.project import MANIFEST, Project, template_dirs
from kpi_report.core.version import __version__
from kpi_report.merge.merge import error_departments, first_year, merge, refuse_unless_publishable
from kpi_report.plan.master import load_plan, plan_cache
from kpi_report.present.table import ReportView, present
from kpi_report.render.opendata import render_opendata
from kpi_report.render.progress_html import render_progress_html
from kpi_report.render.progress_xlsx import render_progress_xlsx
from kpi_report.render.review.cache import PartCache
from kpi_report.validate.cache import check_cache
from kpi_report.validate.check import check_year
from kpi_report.validate.outputs import write_check_outputs

if TYPE_CHECKING:
    from kpi_report.render.review.weasy import Workers

_YEAR_FOLDER = re.compile(r"\d{4}")

Rendered = bytes | Mapping[str, bytes]  # one file, or a folder's files (name -> bytes)
Started = Callable[[], None]
Renderer = Callable[[ReportView, Project, Progress | None, Started], Rendered]


def renderers(cache: PartCache | None = None, keep: Workers | None = None) -> dict[str, Renderer]:
    """Every report `build` writes: output name -> renderer. The one place to add a new output.

    ``cache``: the review's part cache (parts unchanged since an earlier build are not rendered again).
    ``keep``: the review's rendering processes, kept from one build to the next (``build --watch``).

    A renderer returns a file's bytes, or a folder's files by name (opendata/): each is written atomically
    like any other output, and files the folder held from an earlier build and no longer made are removed.
    A renderer whose work runs in other processes calls its ``started`` argument once that work is under
    way: the renderers after it are then run in a thread meanwhile (:func:`_render_all`); such renderers
    are named in RUN_FIRST.
    """
    # WeasyPrint (about a second to import) is loaded only once a build gets this far: a build refused for
    # the submissions' errors never loads it
    from kpi_report.render.review.review import render_review

    return {
        "progress-list.xlsx": lambda view, _project, _progress, _started: render_progress_xlsx(view),
        "progress-list.html": lambda view, project, _progress, _started: render_progress_html(view, project),
        "annual-review.pdf": lambda view, project, progress, started: render_review(
            view, template_dirs(project), progress=progress, cache=cache, started=started, keep=keep
        ),
        "opendata": lambda view, _project, _progress, _started: render_opendata(view),
    }


RUN_FIRST = ("annual-review.pdf",)  # renderers that work in other processes: the others are made meanwhile


def _render_all(
    steps: Mapping[str, Renderer],
    view: ReportView,
    project: Project,
    progress: Progress | None,
    report: Callable[[str, int], None],
    chores: Sequence[Callable[[], Any]] = (),
    chores_first: bool = False,
) -> tuple[dict[str, Rendered], list[Any]]:
    """Every step's output by name, in the steps' order, and the results of ``chores`` in their order.

    The steps named in RUN_FIRST run first, then the others in order, then the chores (work that makes no
    output of its own here and that nothing rendered depends on), in this thread; except that once a step
    calls its ``started`` (its work now runs in worker processes and this thread mostly waits for them), the
    steps after it and the chores run one after the other in a second thread, without progress reports,
    while it goes on. Each step makes its own bytes from the same finished view, so the outputs do not depend
    on how the two threads interleave. ``report(name, done)``: the progress line of step ``name``.
    ``chores_first``: the chores start in the second thread at once (no process is started from here any more,
    and the review's processes are still loading WeasyPrint: the parts wait for them anyway).
    """
    names = [n for n in steps if n in RUN_FIRST] + [n for n in steps if n not in RUN_FIRST]
    made: dict[str, Rendered] = {}
    later: dict[str, Future[Rendered]] = {}
    done_chores: list[Future[Any]] = []
    side = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kpi-report-render")

    def start(after: Sequence[str]) -> None:
        for other in after:
            if other not in later:
                later[other] = side.submit(steps[other], view, project, None, _nothing)
        if not done_chores:
            done_chores.extend(side.submit(chore) for chore in chores)

    try:
        if chores_first:
            done_chores.extend(side.submit(chore) for chore in chores)
        for done, name in enumerate(names):
            if name in later:
                break
            report(name, done)
            made[name] = steps[name](view, project, progress, partial(start, names[done + 1 :]))
        for name, future in later.items():
            report(name, names.index(name))  # reported once its output is there
            made[name] = future.result()
        results = (
            [future.result() for future in done_chores] if done_chores else [chore() for chore in chores]
        )
    except BaseException as exc:  # a failure or Ctrl+C: the outputs not begun are not made
        # the one under way is waited for after a failure (build --watch's next build may fork its workers, never
        # beside a running thread), not after Ctrl+C
        side.shutdown(wait=not isinstance(exc, KeyboardInterrupt), cancel_futures=True)
        raise
    side.shutdown()
    return {name: made[name] for name in steps}, results


def _workers() -> Workers:
    from kpi_report.render.review.weasy import Workers  # (no WeasyPrint: the processes load it)

    return Workers()


def _start_early(workers: Workers, plan: Plan, project: Project, own: bool) -> None:
    """Start the review's rendering processes for the plan's configuration, without warming them up. The
    build's ``own`` processes load WeasyPrint themselves (the first, then it forks the second), while this
    process merges and presents: it never renders; kept ones (build --watch) have it loaded here, once."""
    from kpi_report.render.review.review import render_config

    config = render_config(plan.settings.plan_name, template_dirs(project))
    workers.prime(config, warm=False, load_here=not own)


def _nothing() -> None:
    """The ``started`` of a step run in the second thread: what comes after it is already under way."""


@dataclass(frozen=True)
class YearSummary:
    """What the check of one fiscal year found."""

    fy: int
    submissions: int
    errors: int
    warnings: int
    missing_departments: tuple[str, ...]
    error_departments: tuple[str, ...]


@dataclass(frozen=True)
class BuildResult:
    """What a build did: files written (project-relative order: check outputs, reports, manifest) and a summary."""

    fy: int
    files: tuple[Path, ...]
    years: tuple[YearSummary, ...]
    findings: tuple[Finding, ...]  # the merge's own findings (status conflicts between owners)
    orphan_ids: tuple[str, ...]
    missing_submissions: tuple[str, ...]
    flagged_departments: tuple[str, ...]
    report: ProgressReport
    review_parts_reused: tuple[str, ...] = ()  # the review's parts taken from the cache
    review_parts_rendered: tuple[str, ...] = ()  # the review's parts rendered in this build
    inputs_reused: int = 0  # submissions whose own check result came from the cache (any year)
    inputs_read: int = 0  # submissions read and checked again, with a cache (any year)


def _strings(value: object) -> list[str]:
    """Every text inside a model object (dataclasses, tuples), depth first."""
    found: list[str] = []
    stack = [value]
    pop, push, append = stack.pop, stack.extend, found.append
    while stack:
        item = pop()
        kind = type(item)
        if kind is str:
            append(item)  # type: ignore[arg-type]
            continue
        if kind in _SCALARS:
            continue
        names = _FIELDS.get(kind)
        if names is None:
            names = _FIELDS[kind] = _field_names(item)
        if isinstance(item, str):
            append(item)
        elif names:
            push([getattr(item, name) for name in names[::-1]])
        elif isinstance(item, tuple | list):
            push(item[::-1])
    return found


_SCALARS = frozenset({int, float, bool, type(None)})  # hold no text: most of what the walk meets besides str


def _field_names(item: object) -> tuple[str, ...]:
    """A dataclass instance's field names; () for anything else."""
    if is_dataclass(item) and not isinstance(item, type):
        return tuple(f.name for f in fields(item))
    return ()


_FIELDS: dict[type, tuple[str, ...]] = {}  # the model's classes are few: their field names, read once


def font_findings(report: ProgressReport, cache: DiskCache | None = None) -> tuple[Finding, ...]:
    """A warning when the report holds characters the review's embedded font cannot draw (𠮷, emoji …)."""
    from kpi_report.render.review.weasy import find_japanese_font, uncovered_characters

    font = find_japanese_font()
    if not uncovered_characters("".join(_strings(report)), font, cache):  # the usual case: nothing to locate
        return ()
    where: dict[str, list[str]] = {}
    items = [(row.measure.id, row) for goal in report.goals for area in goal.areas for row in area.rows] + [
        (kpi.kpi.id, kpi) for goal in report.goals for area in goal.areas for kpi in area.kpis
    ]
    for item_id, item in items:
        for ch in uncovered_characters("".join(_strings(item)), font):
            where.setdefault(ch, []).append(item_id)
    for ch in uncovered_characters("".join(_strings(report)), font):
        where.setdefault(ch, [])
    if not where:
        return ()
    ids = list(dict.fromkeys(i for found in where.values() for i in found))
    shown = "、".join(ids[:5]) + (f" ほか {len(ids) - 5} 件" if len(ids) > 5 else "") if ids else "本文"
    return (
        make_finding(
            "font-missing-glyph",
            value="".join(where),
            font=font.family,
            chars=" ".join(where),
            where=shown,
        ),
    )


def cache_folder(project: Project) -> Path:
    """Where build keeps the review's rendered parts between builds (outputs/.cache/review/)."""
    return diskcache.cache_folder(project.root, "review")


def input_years(project: Project) -> tuple[int, ...]:
    """The fiscal years with a folder inputs/<FY>/ (four digits), ascending."""
    inputs = project.root / "inputs"
    if not inputs.is_dir():
        return ()
    return tuple(
        sorted(int(p.name) for p in inputs.iterdir() if p.is_dir() and _YEAR_FOLDER.fullmatch(p.name))
    )


def years_to_check(project: Project, plan: Plan, fy: int) -> tuple[int, ...]:
    """The plan's first year (計画開始年度, else the earliest inputs/<year>/) to ``fy``: years with a folder, and fy."""
    present = input_years(project)
    start = first_year(plan, [y for y in present if y <= fy]) or fy
    return tuple(sorted({y for y in present if start <= y <= fy} | {fy}))


def build(
    project: Project,
    fy: int,
    allow_errors: bool = False,
    progress: Progress | None = None,
    use_cache: bool = True,
    keep: Workers | None = None,
    started: Workers | None = None,
) -> BuildResult:
    """Check, merge and render the reports of fiscal year ``fy``; write them under outputs/<FY>/.

    With ``use_cache`` (the default) work unchanged since an earlier build is taken from outputs/.cache/:
    the loaded master (plan/), each input's own check result and the check's output files (check/), the
    review's parts (review/) — the same bytes as doing it again; ``False`` does everything (``--no-cache``).
    ``keep``: the review's rendering processes, kept running for the next build (``build --watch``).
    ``started``: this build's own rendering processes, started already (publish.early): ended with it.

    Raises:
        MasterError: the master is missing or has problems.
        InputsHaveErrors: the report year's submissions have errors and ``allow_errors`` is False
            (the check outputs are written first, so the departments can be told what to fix).
        OutputError: an output could not be written.
    """
    # the master, every year's check, the merge and the presented report live until the end of the build, and
    # they hold next to no cycles (a build without the cache: ~4,000 objects of garbage): the cyclic collector
    # is paused until they are made and frozen, instead of walking them again and again (~0.1-0.2 s a build)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build(project, fy, allow_errors, progress, use_cache, keep, started, collecting)
    finally:
        if collecting:
            gc.enable()


def _build(
    project: Project,
    fy: int,
    allow_errors: bool,
    progress: Progress | None,
    use_cache: bool,
    keep: Workers | None,
    started: Workers | None,
    collecting: bool,
) -> BuildResult:
    """:func:`build`, the collector paused; ``collecting``: whether to resume it once the report is made."""
    plan = load_plan(project.master, plan_cache(project.root) if use_cache else None)
    label = fy_label(fy, plan.settings.reiwa_for_2019)
    checked = check_cache(project.root) if use_cache else None
    reports: dict[int, CheckReport] = {}
    for year in years_to_check(project, plan, fy):
        reports[year] = check_year(project, plan, year, progress=progress, past=year < fy, cache=checked)
    inputs_reused = checked.hits if checked is not None else 0  # submissions whose check result was kept
    inputs_read = checked.misses if checked is not None else 0
    committee = None  # 外部評価: its findings are the report year's, its opinions go into the model
    if plan.members or project.committee_inputs(fy).is_dir():
        committee = check_committee(project, plan, fy)
        reports[fy] = with_committee(reports[fy], committee)
    # one generation: everything is written into a stage beside outputs/<FY>/ and published by one swap
    public = project
    generation = Generation(public.outputs(fy))
    project = _Staged(public.root, fy, generation.path)
    own = keep is None  # the review's rendering processes: this build's own, or kept between builds (watch)
    workers = keep if keep is not None else started if started is not None else _workers()
    try:
        check_outputs = partial(write_check_outputs, reports[fy], project, plan, cache=checked)
        check_dir = (public.outputs(fy) / "check").relative_to(public.root).as_posix()
        try:
            refuse_unless_publishable(plan, reports[fy], allow_errors, check_dir)
        except InputsHaveErrors:
            check_outputs()
            generation.publish()  # the departments' feedback is published; the reports stay as they were
            raise
        if checked is None or checked.misses:  # a submission changed (or no cache): parts will be rendered
            # start the review's processes now: they load WeasyPrint and set up on the CPU this process
            # leaves idle while it merges and presents, instead of when the first part waits for them
            _start_early(workers, plan, public, own)
        merged = merge(plan, fy, reports, allow_errors=allow_errors)
        if committee is not None:
            merged = replace(
                merged, report=replace(merged.report, committee=committee_report(plan, committee))
            )
        view = present(merged.report)  # the published text, decided once for every output
        # what is made so far lives until the end of the build: the collector need not walk it again and
        # again while the outputs are rendered (a full collection cost ~0.1 s each time); it runs again
        # from here, over what rendering makes
        gc.freeze()
        if collecting:
            gc.enable()
        font_cache = DiskCache(diskcache.cache_folder(public.root, "font")) if use_cache else None
        cache = PartCache(cache_folder(public)) if use_cache else None
        steps = renderers(cache, workers)
        total = len(steps) * 2 + 1
        rendered: dict[Path, bytes] = {}
        folders: list[Path] = []
        # the check's outputs and the font check change nothing rendered: made while the review's workers
        # render (in the second thread), not before the first part can go to them
        outputs, (check_files, glyphs) = _render_all(
            steps,
            view,
            project,
            progress,
            lambda name, done: _report(progress, f"{label}の報告書を作成（{name}）", done, total),
            (check_outputs, partial(font_findings, merged.report, font_cache)),
            # the processes were started before merging and load WeasyPrint themselves (so no process is
            # forked from here any more): the check's outputs are made meanwhile
            chores_first=workers.loading and bool(workers.conns) and not workers.waiting,
        )
        written: list[Path] = list(check_files)
        if glyphs:
            merged = replace(merged, findings=(*merged.findings, *glyphs))
        for name, output in outputs.items():
            if isinstance(output, bytes):
                rendered[project.outputs(fy) / name] = output
            else:
                folders.append(project.outputs(fy) / name)
                rendered.update(
                    (project.outputs(fy) / name / file, data) for file, data in sorted(output.items())
                )
        for index, (path, data) in enumerate(rendered.items()):  # opendata/ is several files: one step
            _report(
                progress, f"{label}の報告書を保存", len(steps) + index * len(steps) // len(rendered), total
            )
            write_atomic(path, data)
            written.append(path)
        _remove_stale(folders, rendered)
        manifest = project.outputs(fy) / MANIFEST
        content = manifest_data(project, plan, fy, reports, written)
        if committee is not None and committee.files:  # the committee's workbooks read, as check read them
            folder = project.inputs(fy)
            records = [
                {**file_record(folder / name, project.root), "path": f"inputs/{fy}/{name}", "sha256": digest}
                for name, digest in committee.files
                if (folder / name).is_file()
            ]
            content["inputs"] = sorted(content["inputs"] + records, key=lambda r: r["path"])
        for record in content["outputs"]:  # the names the files have once published
            record["path"] = _public_path(public, fy, generation.path, record["path"])
        write_json_atomic(manifest, content)
        written.append(manifest)
        generation.publish()
    finally:
        gc.unfreeze()
        generation.discard()
        if own:
            workers.close()
    written = [public.outputs(fy) / p.relative_to(generation.path) for p in written]
    _report(progress, f"{label}の報告書を保存", total, total)
    return BuildResult(
        fy=fy,
        files=tuple(written),
        years=tuple(_year_summary(r) for _, r in sorted(reports.items())),
        findings=merged.findings,
        orphan_ids=merged.report.orphan_ids,
        missing_submissions=merged.report.missing_submissions,
        flagged_departments=merged.report.flagged_departments,
        report=merged.report,
        review_parts_reused=tuple(cache.hits) if cache is not None else (),
        review_parts_rendered=tuple(cache.misses) if cache is not None else (),
        inputs_reused=inputs_reused,
        inputs_read=inputs_read,
    )


@dataclass(frozen=True)
class _Staged(Project):
    """The project with outputs/<FY>/ of the year being built redirected to its generation's stage."""

    fy: int = 0
    stage: Path = Path()

    def outputs(self, fy: int) -> Path:
        return self.stage if fy == self.fy else super().outputs(fy)


def _public_path(project: Project, fy: int, stage: Path, relative: str) -> str:
    """A project-relative path in the stage as the path it has once published."""
    inside = (project.root / relative).relative_to(stage)
    return (project.outputs(fy) / inside).relative_to(project.root).as_posix()


def _report(progress: Progress | None, label: str, done: int, total: int) -> None:
    if progress is not None:
        progress(label, done, total)


def _remove_stale(folders: list[Path], rendered: Mapping[Path, bytes]) -> None:
    """Remove files an earlier build wrote into an output folder and this one no longer makes.

    A table the plan stopped using must not linger beside a datapackage.json that no longer names it.
    """
    for folder in folders:
        for path in sorted(folder.glob("*")):
            if path.is_file() and path.suffix in (".csv", ".json") and path not in rendered:
                path.unlink()


def _year_summary(report: CheckReport) -> YearSummary:
    return YearSummary(
        fy=report.fy,
        submissions=len(report.submissions),
        errors=len(report.errors),
        warnings=sum(1 for f in report.findings if f.severity == "warning"),
        missing_departments=tuple(report.missing_departments),
        error_departments=error_departments(report),
    )


def _input_record(path: Path, read_sha256: str) -> dict[str, Any]:
    """An input's manifest record: the sha256 check computed from the bytes it read (the file is not read again),
    else the file's own; a file that cannot be read (no permission) is recorded as such, never a crash."""
    try:
        size = path.stat().st_size
        digest = read_sha256 or sha256_file(path)
    except OSError:
        return {"sha256": read_sha256, "size": None, "unreadable": True}
    return {"sha256": digest, "size": size}


def manifest_data(
    project: Project, plan: Plan, fy: int, reports: dict[int, CheckReport], outputs: list[Path]
) -> dict[str, Any]:
    """The manifest: sha256 and size of every input read and output written, tool version, report year.

    Deterministic: paths are project-relative and sorted; no timestamps.
    """
    root = project.root
    inputs = [file_record(project.master, root)]
    for year, report in sorted(reports.items()):
        files = project.input_files(year)
        for submission in report.submissions:
            path = files.get(submission.file)
            if path is not None and path.is_file():
                record = _input_record(path, submission.sha256)
                record["path"] = f"inputs/{year}/{submission.file}"  # the name as read: printable
                inputs.append(record)
    return {
        "tool": "kpi-report",
        "version": __version__,
        "fy": fy,
        "fy_label": fy_label(fy, plan.settings.reiwa_for_2019),
        "fiscal_years_checked": sorted(reports),
        "master_sha256": plan.sha256,
        "inputs": sorted(inputs, key=lambda r: r["path"]),
        "outputs": sorted((file_record(p, root) for p in outputs if p.is_file()), key=lambda r: r["path"]),
    }
