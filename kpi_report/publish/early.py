"""A build's first rendering process, started before the build loads its own modules and reads anything.

Loading WeasyPrint takes about a second. A build that will render parts of the review starts its first
rendering process at once (:meth:`~kpi_report.render.review.weasy.Workers.preload`): it loads WeasyPrint on the
second CPU while this process loads the tool, reads the master and checks the submissions, and it is given the
configuration when the first part is sent. Whether the build will render is known only once the check is done,
so the start is a guess: when something under inputs/ or templates/ changed since the last build of the year
(by times of change: a file copied in keeps its contents' time but gets a new status time), or there is no last
build, or without the cache. A wrong guess costs the second CPU's time: the process is ended when the build
ends, unused; a missed one costs nothing more than today (the build starts its processes after the check).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kpi_report.core.project import Project
from kpi_report.render.review.weasy import Workers

MANIFEST = "manifest.json"
MAX_FILES = 20_000  # a folder this large is not walked: the build is assumed to change (a guess either way)


@contextmanager
def preloaded(project: Project, fy: int, use_cache: bool = True) -> Iterator[Workers]:
    """The build's own rendering processes, the first one started now if the build will likely render; ended
    on leaving (if the build did not end them)."""
    with Workers() as workers:
        if likely_to_render(project, fy, use_cache):
            workers.preload()
        yield workers


def likely_to_render(project: Project, fy: int, use_cache: bool = True) -> bool:
    """Whether a build of ``fy`` will likely render parts of the review: without the cache, without a last
    build of the year (its manifest), or when a file under inputs/ or templates/ (the master among them) changed
    after it was written."""
    if not use_cache:
        return True
    try:
        last = (project.outputs(fy) / MANIFEST).stat()
    except OSError:
        return True
    since = max(last.st_mtime_ns, last.st_ctime_ns)
    seen = 0
    for folder in (project.root / "inputs", project.templates):
        for path in _files(folder):
            seen += 1
            if seen > MAX_FILES:
                return True
            try:
                info = path.stat()
            except OSError:  # vanished meanwhile: a change
                return True
            if max(info.st_mtime_ns, info.st_ctime_ns) > since:
                return True
    return False


def _files(folder: Path) -> Iterator[Path]:
    """Every file under ``folder`` (links not followed), depth first; nothing when it is missing."""
    stack = [folder]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    else:
                        yield Path(entry.path)
        except OSError:
            continue
