"""The review's rendering processes kept between builds (`build --watch`): a correction goes to the processes
that rendered before, with the bytes of a clean build; a changed stylesheet or font, or a dead process, gets
new ones; a failed build and the end of watching end them; warming up never forks beside a thread."""

from __future__ import annotations

import errno
import gc
import multiprocessing
import os
import shutil
import signal
import threading
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from test_incremental import FY, REPO, _note, _outputs, _template

from kpi_report import api
from kpi_report.api import build
from kpi_report.core.project import Project
from kpi_report.publish import build as build_module
from kpi_report.publish.watch import WatchedBuild
from kpi_report.render.review import review as review_module
from kpi_report.render.review import weasy
from kpi_report.render.review.partspec import RenderConfig
from kpi_report.render.review.weasy import ReviewRenderError, Workers

pytestmark = pytest.mark.skipif(weasy.worker_count() < 2, reason="one CPU: the parts are rendered in-process")


def _sample(root: Path) -> Path:
    shutil.copytree(REPO / "inputs", root / "inputs", ignore=shutil.ignore_patterns("2020", "2021"))
    shutil.copytree(REPO / "templates", root / "templates")
    return root


def _clean_build_of(root: Path, target: Path) -> dict[str, bytes]:
    shutil.copytree(root, target, ignore=shutil.ignore_patterns("outputs"))
    build(target, FY, use_cache=False)
    return _outputs(target)


def _pids(keep: Workers) -> list[int | None]:
    return [proc.pid for proc in keep.procs]


def test_a_correction_goes_to_the_kept_processes_with_the_bytes_of_a_clean_build(tmp_path: Path) -> None:
    root = _sample(tmp_path / "project")
    with Workers() as keep:
        build_module.build(Project(root), FY, keep=keep)  # everything rendered: the processes are started
        first = _pids(keep)
        assert len(first) == 2 and all(p.is_alive() for p in keep.procs)
        _note(root)
        again = build_module.build(Project(root), FY, keep=keep)
        assert again.review_parts_rendered and again.review_parts_reused
        assert _pids(keep) == first  # the same processes rendered the correction
        procs = list(keep.procs)
    assert not any(p.is_alive() for p in procs)  # ended with the block
    assert _outputs(root) == _clean_build_of(root, tmp_path / "clean")


def test_a_changed_stylesheet_gets_new_processes(tmp_path: Path) -> None:
    root = _sample(tmp_path / "project")
    with Workers() as keep:
        build_module.build(Project(root), FY, keep=keep)
        first = _pids(keep)
        _template(root)  # the stylesheet is parsed once per process: old processes would use the old one
        build_module.build(Project(root), FY, keep=keep)
        assert _pids(keep) and not set(_pids(keep)) & set(first)
    assert _outputs(root) == _clean_build_of(root, tmp_path / "clean")


def test_a_changed_font_file_gets_new_processes(tmp_path: Path) -> None:
    """A process loads the font files once, when it starts: another font at the same path needs new ones."""
    font = tmp_path / "font.ttf"
    font.write_bytes(b"one")
    config = RenderConfig(
        stylesheets=("",), base_url="file:///nonexistent/", allowed_roots=(), allowed_files=(font,)
    )
    with Workers() as keep:
        keep.start(config, 1)
        first = keep.procs[0]
        assert keep.usable(config, 1) and keep.procs == [first]
        font.write_bytes(b"three")
        assert not keep.usable(config, 1)
        assert keep.procs == [] and not first.is_alive()


def test_a_dead_process_is_replaced(tmp_path: Path) -> None:
    root = _sample(tmp_path / "project")
    with Workers() as keep:
        build_module.build(Project(root), FY, keep=keep)
        first = _pids(keep)
        victim = keep.procs[0]
        os.kill(victim.pid, signal.SIGKILL)
        victim.join(timeout=10)
        _note(root)
        result = build_module.build(Project(root), FY, keep=keep)
        assert result.review_parts_rendered
        assert _pids(keep) and not set(_pids(keep)) & set(first)
    assert _outputs(root) == _clean_build_of(root, tmp_path / "clean")


def test_a_failed_build_ends_the_kept_processes(tmp_path: Path) -> None:
    root = _sample(tmp_path / "project")
    with Workers() as keep:
        build_module.build(Project(root), FY, keep=keep)
        procs = list(keep.procs)
        template = root / "templates" / "annual-review.html.j2"
        # the same stylesheets (the kept processes are used), but parts WeasyPrint fails on (font-size: 1e30px
        # made it divide by zero): the processes may hold half a build, so they are ended
        text = template.read_text(encoding="utf-8")
        assert "<body" in text
        template.write_text(text.replace("<body", '<body style="font-size: 1e30px"', 1), encoding="utf-8")
        with pytest.raises(ReviewRenderError, match="ZeroDivisionError"):
            build_module.build(Project(root), FY, keep=keep)
        assert keep.procs == [] and not any(p.is_alive() for p in procs)


def test_warming_up_starts_the_processes_only_in_a_single_threaded_process(tmp_path: Path) -> None:
    root = _sample(tmp_path / "project")
    build(root, FY)  # the cache holds every part: the next build starts no process
    with Workers() as keep:
        result = build_module.build(Project(root), FY, keep=keep)
        assert result.review_parts_rendered == () and keep.procs == []
        stop = threading.Event()
        other = threading.Thread(target=stop.wait)
        other.start()
        try:
            keep.prime()  # another thread runs: forking now could copy a lock it holds
            assert keep.procs == []
        finally:
            stop.set()
            other.join()
        keep.prime()
        warm = _pids(keep)
        assert len(warm) == 2
        _note(root)
        corrected = build_module.build(Project(root), FY, keep=keep)
        assert corrected.review_parts_rendered and _pids(keep) == warm  # rendered by the warmed processes
    assert _outputs(root) == _clean_build_of(root, tmp_path / "clean")


def test_watching_keeps_the_processes_and_ends_them_when_it_ends(tmp_path: Path) -> None:
    root = _sample(tmp_path / "project")
    seen: list[WatchedBuild] = []
    children: list[set[int]] = []

    def on_build(event: WatchedBuild) -> None:
        seen.append(event)
        children.append({p.pid for p in multiprocessing.active_children() if p.pid is not None})
        if len(seen) == 1:
            _note(root)

    builds = api.watch(root, FY, on_build, until=lambda: len(seen) >= 2, interval=0.05)
    assert builds == 2 and [e.problem for e in seen] == [None, None]
    second = seen[1].result
    assert second is not None and second.review_parts_rendered and second.review_parts_reused
    assert children[0] and children[0] == children[1]  # the first build's processes rendered the correction
    assert multiprocessing.active_children() == []  # ended when watching ended
    assert _outputs(root) == _clean_build_of(root, tmp_path / "clean")


def test_a_changed_file_of_the_template_folders_gets_new_processes(tmp_path: Path) -> None:
    """A stylesheet's @import (or @font-face) file is read once, when a process starts: another one at the same
    path, the stylesheet's text unchanged, needs new processes, or the parts keep the old style."""
    folder = tmp_path / "templates"
    folder.mkdir()
    imported = folder / "city.css"
    imported.write_text("p { font-size: 10pt }", encoding="utf-8")
    config = RenderConfig(
        stylesheets=('@import url("city.css");',), base_url=folder.as_uri() + "/", allowed_roots=(folder,)
    )
    parts = [(f"p{i}", partial(str, f"<html><body><p>part {i}</p></body></html>")) for i in range(3)]

    def front(_layouts: object, _first: object) -> str:
        return "<html><body><p>front</p></body></html>"

    def joined(keep: Workers | None) -> bytes:
        return weasy.finish_pdf(weasy.render_parts(parts, front, config, workers=2, keep=keep), [], {})

    with Workers() as keep:
        before = joined(keep)
        first = _pids(keep)
        imported.write_text("p { font-size: 30pt; color: red }", encoding="utf-8")
        after = joined(keep)
        assert _pids(keep) and not set(_pids(keep)) & set(first)
    assert after != before and after == joined(None)  # the bytes of processes started for it


def test_a_failed_warm_up_is_no_failed_part(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody waits for the warm-up: a stylesheet WeasyPrint fails on for the tiny document (not on the parts)
    must not answer the next part with the warm-up's failure, nor end the process the part was sent to."""
    config = RenderConfig(
        stylesheets=("h1 { font-size: 1e30px }",), base_url="file:///nonexistent/", allowed_roots=()
    )
    ours, theirs = multiprocessing.Pipe()
    monkeypatch.setattr(signal, "signal", lambda *_args: None)  # run here: Ctrl+C stays this process's
    ours.send(("warm", "", None))
    ours.send(("layout", "part", "<html><body><p>part</p></body></html>"))
    ours.send(("finish", "part", 1))  # (nothing left held: this process gets its garbage collector back)
    ours.send(("stop", "", None))
    weasy._worker(theirs, config)  # the worker's loop, in this process
    kind, key, _ = ours.recv()
    assert (kind, key) == ("laid", "part")
    assert ours.recv()[:2] == ("pdf", "part")
    assert gc.isenabled()


def test_warming_up_a_process_that_ended_at_once_does_not_end_watching(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A process that ended before it was asked to warm up (killed, or its set-up failed) is replaced at the
    next build; the watch's idle step must not raise (it would end watching)."""
    config = RenderConfig(stylesheets=("",), base_url="file:///nonexistent/", allowed_roots=())
    start = Workers.start

    def start_and_end(self: Workers, config: RenderConfig, count: int, load_here: bool = True) -> None:
        start(self, config, count, load_here)
        for proc in self.procs:
            os.kill(proc.pid, signal.SIGKILL)
            proc.join(timeout=10)

    monkeypatch.setattr(Workers, "start", start_and_end)
    with Workers() as keep:
        keep.config = config
        keep.prime()
        assert not any(p.is_alive() for p in keep.procs)
        assert not keep.usable(config, 2) and keep.procs == []


def test_warming_up_when_no_process_can_be_started_does_not_end_watching(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Starting processes while idle is an optimisation: a fork refused (a limit on processes, memory) must not
    raise out of the watch's idle step, and the one already started is ended."""
    config = RenderConfig(stylesheets=("",), base_url="file:///nonexistent/", allowed_roots=())
    real = multiprocessing.get_context
    started: list[Any] = []

    def refusing(method: str) -> Any:
        context = real(method)

        class Second(context.Process):  # type: ignore[name-defined,misc]
            def start(self) -> None:
                if started:
                    raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
                super().start()
                started.append(self)

        return SimpleNamespace(Pipe=context.Pipe, Process=Second)

    monkeypatch.setattr(multiprocessing, "get_context", refusing)
    with Workers() as keep:
        keep.config = config
        keep.prime()
        assert keep.procs == [] and keep.conns == []
    assert started and not started[0].is_alive()


def test_a_build_after_a_correction_starts_its_processes_before_the_report_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They load WeasyPrint and set up on the CPU the build leaves idle while it merges and presents (the first
    is started before the build even checks, as a form changed since the last build); the parts are then rendered
    by them (started once); a build with nothing changed starts none; same bytes."""
    root = _sample(tmp_path / "project")
    build(root, FY)
    events: list[str] = []
    real_start, real_preload, real_render = Workers.start, Workers.preload, weasy.render_parts

    def start(self: Workers, config: RenderConfig, count: int, load_here: bool = True) -> None:
        events.append("start")
        real_start(self, config, count, load_here)

    def preload(self: Workers) -> bool:
        events.append("start")
        return real_preload(self)

    def render_parts(*args: object, **kwargs: object) -> object:
        events.append("render")
        return real_render(*args, **kwargs)  # type: ignore[arg-type]

    def merge(*args: Any, **kwargs: Any) -> Any:
        events.append("merge")
        return real_merge(*args, **kwargs)

    real_merge: Any = getattr(build_module, "merge")  # noqa: B009 (publish.build's own name for it)
    monkeypatch.setattr(Workers, "start", start)
    monkeypatch.setattr(Workers, "preload", preload)
    monkeypatch.setattr(review_module, "render_parts", render_parts)
    monkeypatch.setattr(build_module, "merge", merge)
    unchanged = build(root, FY)
    assert unchanged.review_parts_rendered == () and events == ["merge", "render"]
    events.clear()
    _note(root)
    corrected = build(root, FY)
    assert corrected.review_parts_rendered and events == ["start", "merge", "render"]
    assert multiprocessing.active_children() == []  # ended with the build
    assert _outputs(root) == _clean_build_of(root, tmp_path / "clean")


def _descendants(pid: int) -> set[int]:
    """The processes below ``pid`` (children, their children …), from /proc (zombies left out)."""
    below: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, parent = (entry / "stat").read_text().rpartition(")")[2].split()[:2]
        except (OSError, ValueError):
            continue
        if state != "Z":
            below.setdefault(int(parent), []).append(int(entry.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in below.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_builds_own_processes_load_weasyprint_themselves_and_end_with_it(tmp_path: Path) -> None:
    """A build that renders starts its two processes before it merges: the first loads WeasyPrint and forks the
    second from itself (this process never loads it); both render, and neither outlives the build."""
    import sys

    root = _sample(tmp_path / "project")
    seen: list[set[int]] = []
    real = review_module.finish_pdf  # type: ignore[attr-defined]

    def finish_pdf(*args: Any, **kwargs: Any) -> Any:
        seen.append(_descendants(os.getpid()))  # every part rendered: the processes, before they end
        return real(*args, **kwargs)

    loaded = "weasyprint" in sys.modules
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(review_module, "finish_pdf", finish_pdf)
        result = build_module.build(Project(root), FY)
    assert result.review_parts_rendered
    assert len(seen[0]) == 2  # the first process and the one it forked
    assert ("weasyprint" in sys.modules) == loaded  # not loaded by this process
    assert not any(_alive(pid) for pid in seen[0])
    assert _outputs(root) == _clean_build_of(root, tmp_path / "clean")


KILLED_WHILE_RENDERING = """
import os, signal, sys, time
from pathlib import Path
from kpi_report.core.project import Project
from kpi_report.publish.build import build
from kpi_report.render.review import weasy

real = weasy.Workers.start
def start(self, *args, **kwargs):
    real(self, *args, **kwargs)
    time.sleep(3)  # the first process has loaded WeasyPrint and forked the second
    print("started", flush=True)
    sys.stdin.readline()  # the test has seen the processes
    os.kill(os.getpid(), signal.SIGKILL)
weasy.Workers.start = start
build(Project(Path(sys.argv[1])), 2019)
"""


def test_no_rendering_process_outlives_a_build_that_is_killed(tmp_path: Path) -> None:
    """Killed (SIGKILL: no clean-up runs), the build's processes end too — the second, a child of the first,
    with it."""
    import subprocess
    import sys
    import time

    root = _sample(tmp_path / "project")
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WHILE_RENDERING, str(root)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline() == "started\n"
    found = _descendants(child.pid)  # the build's processes
    child.stdin.write("\n")
    child.stdin.flush()
    assert child.wait(timeout=60) == -signal.SIGKILL
    assert len(found) == 2
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in found) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in found)


def test_a_set_up_that_fails_before_the_first_part_is_sent_is_the_builds_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build's processes start before it merges: one whose set-up fails (a project's stylesheet WeasyPrint
    refuses, WeasyPrint itself not loadable) tells its pipes why and ends, often before the first part is sent.
    The build fails with that reason — not with the pipe found closed when the part is sent (BrokenPipeError)."""
    import sys
    import time

    root = _sample(tmp_path / "project")
    real_worker = weasy._worker

    def failing_worker(*args: Any, **kwargs: Any) -> None:  # in the first process, before it sets up
        import importlib

        partrender = importlib.import_module("kpi_report.render.review.partrender")  # the one _worker uses

        def refuse(self: Any, config: RenderConfig) -> None:
            raise ValueError("a stylesheet the renderer refuses")

        partrender.PartRenderer.__init__ = refuse
        real_worker(*args, **kwargs)

    real_merge: Any = getattr(build_module, "merge")  # noqa: B009 (publish.build's own name for it)

    def slow_merge(*args: Any, **kwargs: Any) -> Any:  # a large plan: the processes are done setting up first
        time.sleep(3)
        return real_merge(*args, **kwargs)

    # as a new `kpi-report build`: WeasyPrint not loaded here, the first process loads it and forks the second
    monkeypatch.delitem(sys.modules, "kpi_report.render.review.partrender", raising=False)
    monkeypatch.setattr(weasy, "_worker", failing_worker)
    monkeypatch.setattr(build_module, "merge", slow_merge)
    with pytest.raises(ReviewRenderError, match="a stylesheet the renderer refuses"):
        build_module.build(Project(root), FY, use_cache=False)
    assert multiprocessing.active_children() == []
