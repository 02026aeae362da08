"""A build refused for the submissions' errors, or one that takes every part of the review from the cache, answers
without loading WeasyPrint (about a second) or starting a rendering process: the planning section runs build
again and again while departments still fix their forms. A build that renders has its rendering processes load
WeasyPrint (the first one, which forks the second), never its own process: it merges and presents meanwhile."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from test_incremental import REPO, _set_cell

from kpi_report.render.review.weasy import worker_count

SCRIPT = """
import sys
from kpi_report.cli import main
from kpi_report.render.review import weasy
started, given = [], []
real, real_usable = weasy.Workers.start, weasy.Workers.usable
weasy.Workers.start = lambda self, *args, **kw: started.append(1) or real(self, *args, **kw)
def usable(self, *args, **kw):  # a preloaded process is given its configuration here
    waiting = self._waiting
    fit = real_usable(self, *args, **kw)
    if waiting and fit:
        given.append(1)
    return fit
weasy.Workers.usable = usable
code = main(["build", "--fy", "2019", "--project", sys.argv[1]])
print("exit", code, "weasyprint" in sys.modules, bool(started or given))
"""


# a build that renders: with two CPUs its processes load WeasyPrint, not the build; with one the build renders
# in its own process
RENDERED = "exit 0 False True" if worker_count() >= 2 else "exit 0 True False"


def _build_in_new_process(root: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(root)], capture_output=True, text=True, cwd=REPO, check=False
    )
    return done.stdout.strip().splitlines()[-1]


def test_a_refused_build_does_not_load_weasyprint_and_a_published_one_does(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO / "inputs", root / "inputs", ignore=shutil.ignore_patterns("2020", "2021"))
    form = root / "inputs/2019/子育て支援課.xlsx"
    kept = form.read_bytes()
    _set_cell(form, "進捗", "進捗状況", "1-2-01", "よくわからない")  # not a status of the scale: an error
    assert _build_in_new_process(root) == "exit 1 False False"
    assert (root / "outputs/2019/check/findings.xlsx").is_file()  # the departments' feedback is written
    form.write_bytes(kept)
    assert _build_in_new_process(root) == RENDERED


def test_a_build_with_every_part_in_the_cache_does_not_load_weasyprint(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO / "inputs", root / "inputs", ignore=shutil.ignore_patterns("2020", "2021"))
    assert _build_in_new_process(root) == RENDERED  # the first build renders the review
    review = (root / "outputs/2019/annual-review.pdf").read_bytes()
    assert _build_in_new_process(root) == "exit 0 False False"  # nothing changed: every part from the cache
    assert (root / "outputs/2019/annual-review.pdf").read_bytes() == review
    from test_incremental import _note

    _note(root)
    assert _build_in_new_process(root) == RENDERED  # a correction: its part is rendered
