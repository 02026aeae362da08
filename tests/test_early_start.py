"""A build's first rendering process started before the build reads anything (publish.early): only when the
inputs or templates changed since the last build (or there is none, or without the cache); given the
configuration when the first part is sent; ended at once, unused, when the build renders nothing; the same
bytes either way."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from test_incremental import FY, REPO, _note, _outputs
from test_workers import _alive, _clean_build_of, _descendants

from kpi_report.api import build
from kpi_report.core.project import Project
from kpi_report.publish.early import likely_to_render, preloaded
from kpi_report.render.review import weasy
from kpi_report.render.review.weasy import Workers


def _sample(root: Path) -> Path:
    shutil.copytree(REPO / "inputs", root / "inputs", ignore=shutil.ignore_patterns("2020", "2021"))
    shutil.copytree(REPO / "templates", root / "templates")
    return root


def _later(path: Path) -> None:
    """``path`` saved again after the last build, with the same contents (its times now)."""
    time.sleep(0.01)
    os.utime(path)


def test_a_build_is_guessed_to_render_when_something_it_reads_changed_since_the_last(tmp_path: Path) -> None:
    root = _sample(tmp_path / "project")
    project = Project(root)
    assert likely_to_render(project, FY)  # no build yet
    build(root, FY)
    assert not likely_to_render(project, FY)
    assert likely_to_render(project, FY, use_cache=False)
    _later(root / "inputs/2019/子育て支援課.xlsx")
    assert likely_to_render(project, FY)
    build(root, FY)
    assert not likely_to_render(project, FY)
    _later(root / "templates/annual-review.css")
    assert likely_to_render(project, FY)
    build(root, FY)
    (root / "inputs/2019/新しい課.txt").write_text("x", encoding="utf-8")  # a new file: its times are new
    assert likely_to_render(project, FY)


@pytest.mark.skipif(weasy.worker_count() < 2, reason="one CPU: the parts are rendered in-process")
def test_a_preloaded_process_renders_a_correction_with_the_bytes_of_a_clean_build(tmp_path: Path) -> None:
    """The first process is started before the check; it is given the configuration when the parts are sent,
    forks the second, and both end with the build."""
    root = _sample(tmp_path / "project")
    build(root, FY)
    _note(root)
    seen: list[set[int]] = []
    real = Workers.usable

    def usable(self: Workers, *args: object, **kwargs: object) -> bool:
        waiting = self._waiting
        fit = real(self, *args, **kwargs)  # type: ignore[arg-type]
        if waiting:
            seen.append(_descendants(os.getpid()))  # the preloaded process, before it is configured
        return fit

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Workers, "usable", usable)
        result = build(root, FY)
    assert result.review_parts_rendered
    assert len(seen) == 1 and len(seen[0]) == 1  # started before; the second forked once configured
    assert _descendants(os.getpid()) == set()
    assert _outputs(root) == _clean_build_of(root, tmp_path / "clean")


@pytest.mark.skipif(weasy.worker_count() < 2, reason="one CPU: the parts are rendered in-process")
def test_a_preloaded_process_the_build_does_not_need_is_ended_at_once(tmp_path: Path) -> None:
    """Guessed wrong (a form saved again with the same contents): nothing is rendered, and the build does not
    wait for the process to finish loading WeasyPrint before it ends it."""
    root = _sample(tmp_path / "project")
    build(root, FY)
    _later(root / "inputs/2019/子育て支援課.xlsx")
    with preloaded(Project(root), FY) as workers:
        assert workers._waiting and len(workers.procs) == 1
        process = workers.procs[0]
        first = process.pid
        assert first is not None and _alive(first)
    # terminated (SIGTERM), not asked to stop and waited for: asked, it would end by itself with status 0
    assert process.exitcode == -signal.SIGTERM
    deadline = time.monotonic() + 5
    while _alive(first) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(first)
    again = build(root, FY)
    assert again.review_parts_rendered == ()


@pytest.mark.skipif(weasy.worker_count() < 2, reason="one CPU: the parts are rendered in-process")
def test_a_wrong_guess_is_never_configured_and_ended_at_once(tmp_path: Path) -> None:
    """A form saved again unchanged: the build starts the first process, finds every part in the cache, and ends
    the process without giving it a configuration (it would fork the second and set up for nothing) and without
    waiting for it to load WeasyPrint."""
    root = _sample(tmp_path / "project")
    build(root, FY)
    _later(root / "inputs/2019/子育て支援課.xlsx")
    events: list[str] = []
    real_usable, real_terminate, real_preload = Workers.usable, Workers.terminate, Workers.preload

    def preload(self: Workers) -> bool:
        events.append("preload")
        return real_preload(self)

    def usable(self: Workers, *args: object, **kwargs: object) -> bool:
        if self.waiting:
            events.append("configured")
        return real_usable(self, *args, **kwargs)  # type: ignore[arg-type]

    def terminate(self: Workers) -> None:
        events.append("terminated")
        real_terminate(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Workers, "preload", preload)
        patch.setattr(Workers, "usable", usable)
        patch.setattr(Workers, "terminate", terminate)
        again = build(root, FY)
    assert again.review_parts_rendered == ()
    assert events == ["preload", "terminated"]
    assert _descendants(os.getpid()) == set()
