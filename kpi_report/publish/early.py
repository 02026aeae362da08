"""A build's first rendering process, started before the build loads its own modules and reads anything.

Loading WeasyPrint takes about a second. A build that will render parts of the review starts its first
rendering process at once (:meth:`~kpi_report.render.review.weasy.Workers.preload`): it loads WeasyPrint on the
second CPU while this process loads the tool, reads the master and checks the submissions, and it is given the
configuration when the first part is sent. Whether the build will render is known only once the check is done,
so the start is a guess: when a file the build reads (the master, inputs/<FY>/, templates/: what `build --watch`
watches) changed since the last build of the year (by times of change: a file copied in keeps its contents' time
but gets a new status time), or there is no last build, or without the cache. A wrong guess costs the second CPU's time: the process is ended when the build
ends, unused; a missed one costs nothing more than today (the build starts its processes after the check).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kpi_report.core.project import MANIFEST, Project
from kpi_report.publish.watch import build_files
from kpi_report.render.review.weasy import Workers


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
    build of the year (its manifest), or when a file the build reads (:func:`~kpi_report.publish.watch.build_files`:
    the master, inputs/<FY>/, templates/) changed after the manifest was written."""
    if not use_cache:
        return True
    try:
        last = (project.outputs(fy) / MANIFEST).stat()
    except OSError:
        return True
    since = max(last.st_mtime_ns, last.st_ctime_ns)
    return any(max(stat.st_mtime_ns, stat.st_ctime_ns) > since for _, stat in build_files(project))
