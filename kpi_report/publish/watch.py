"""`build --watch`: build once, then again each time the master, a submission or a template changes.

A correction round is many builds in a row: a department sends a corrected form, the planning section puts it
into inputs/<FY>/ and looks at the outputs, the next one comes. A watching process keeps the tool imported and
warmed up (WeasyPrint, the fonts, the compiled templates) from one build to the next, so each rebuild costs only
the build itself — about a second less than running the command again — and, like any build, takes from
outputs/.cache/ whatever did not change. The outputs are the same bytes as a separate `build` would write.

What is watched is what a build reads: the master, every file under each year's inputs/<FY>/ (the submissions,
the committee's workbooks) and under templates/, by size and modification time (at most MAX_WATCHED files);
outputs/ is not (a build writes there), nor anything else under inputs/ (an archive folder beside the years).
A file saved again with the same size within the file system's time step (two seconds on some shares) is not
seen until its next change. A change is built once
the folders have held still for one polling interval, so a file still being copied in is not read half-way.
Office's lock files (``~$…``, ``.~lock…#``) are not changes. The library never prints: each build's result, or
the problem that stopped it, goes to ``on_build``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from kpi_report.core.errors import KpiReportError
from kpi_report.core.project import Project

if TYPE_CHECKING:
    from kpi_report.publish.build import BuildResult

Snapshot = dict[str, tuple[int, int]]  # file path -> (size, modification time in ns)
MAX_WATCHED = 20_000  # files looked at per poll (a few hundred in a real project): the rest are not watched


@dataclass(frozen=True)
class WatchedBuild:
    """One build made while watching: its result, or the problem that stopped it; and how long it took."""

    number: int  # 1 for the first build
    seconds: float
    result: BuildResult | None = None
    problem: KpiReportError | None = None
    changed: tuple[str, ...] = ()  # project-relative paths that changed since the previous build


def _is_lock_file(name: str) -> bool:
    return name.startswith(("~$", ".~lock")) or name in (".DS_Store", "Thumbs.db")


def snapshot(project: Project) -> Snapshot:
    """Size and modification time of what a build reads (:func:`build_files`)."""
    return {path: (stat.st_size, stat.st_mtime_ns) for path, stat in build_files(project)}


def build_files(project: Project) -> Iterator[tuple[str, os.stat_result]]:
    """What a build reads, with each file's status: the master, every file under each year's folder
    inputs/<FY>/ (the committee's too) and under templates/; lock files left out, at most MAX_WATCHED files."""
    inputs = project.root / "inputs"
    folders = [project.root / "templates"]
    with suppress(OSError):  # no inputs/ (yet), or not readable: the build says what is wrong with it
        years = [p for p in islice(inputs.iterdir(), MAX_WATCHED) if _YEAR.fullmatch(p.name)]
        folders += sorted(years, reverse=True)
    seen = 0
    try:
        master = project.master.stat()
    except OSError:  # not there (yet)
        pass
    else:
        yield str(project.master), master
        seen += 1
    while folders and seen < MAX_WATCHED:
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                listed = sorted(islice(entries, MAX_WATCHED - seen + 1), key=lambda e: e.name)
        except OSError:  # gone, not a folder or not readable: the build says what is wrong with it
            continue
        for entry in listed:
            if seen >= MAX_WATCHED:
                return
            if _is_lock_file(entry.name):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(Path(entry.path))
                    continue
                if not entry.is_file():
                    continue
                stat = entry.stat()
            except OSError:  # removed while looked at: the next poll sees it gone
                continue
            yield entry.path, stat
            seen += 1


_YEAR = re.compile(r"\d{4}")  # inputs/<FY>/, as build reads them


def changes(before: Snapshot, after: Snapshot, root: Path) -> tuple[str, ...]:
    """The project-relative paths added, removed or changed between two snapshots, sorted."""
    paths = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    return tuple(sorted(Path(p).relative_to(root).as_posix() for p in paths))


def watch(
    project: Project,
    rebuild: Callable[[], BuildResult],
    on_build: Callable[[WatchedBuild], None],
    until: Callable[[], bool] = lambda: False,
    interval: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.perf_counter,
    idle: Callable[[], None] = lambda: None,
) -> int:
    """Build with ``rebuild`` now and after every change, until ``until()`` is true; the number of builds.

    ``idle`` is called after each build has been reported, before waiting for the next change.

    A problem the user can fix (:class:`KpiReportError`: errors in a submission, a broken master or template,
    an output that cannot be written) is passed to ``on_build`` and watching goes on; anything else is raised.
    """
    builds = 0
    built: Snapshot | None = None
    while not until():
        now = snapshot(project)
        if now == built:
            sleep(interval)
            continue
        if built is not None:  # a change: wait until the folders hold still (a copy may be under way)
            sleep(interval)
            if snapshot(project) != now:
                continue
        changed = changes(built, now, project.root) if built is not None else ()
        builds += 1
        start = clock()
        result, problem = None, None
        try:
            result = rebuild()
        except KpiReportError as exc:
            problem = exc
        on_build(WatchedBuild(builds, clock() - start, result, problem, changed))
        built = now
        idle()
    return builds
