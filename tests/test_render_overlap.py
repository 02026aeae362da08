"""The outputs are made while the review's workers render: same bytes, same order, errors still reported;
compiled templates are kept between runs without ever serving an edited template's old text."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from test_incremental import REPO, _note

from kpi_report.core.project import Project
from kpi_report.publish import build as build_module
from kpi_report.render import templating

REVIEW = build_module.RUN_FIRST[0]


def _render_all(steps: dict[str, Any], chores: tuple[Any, ...] = ()) -> dict[str, Any]:
    nothing: Any = None  # the fake steps read neither the view nor the project
    made, results = build_module._render_all(steps, nothing, nothing, None, lambda _name, _done: None, chores)
    assert len(results) == len(chores)
    return made


def _steps(log: list[str], review_waits_for: threading.Event | None = None) -> dict[str, Any]:
    def review(_view: Any, _project: Any, _progress: Any, started: Any) -> bytes:
        log.append("review starts")
        started()
        if review_waits_for is not None:  # the other outputs must be made while the review is still going
            assert review_waits_for.wait(timeout=30), "the other outputs were not made meanwhile"
        log.append("review ends")
        return b"pdf"

    def other(name: str, done: threading.Event | None = None) -> Any:
        def make(_view: Any, _project: Any, _progress: Any, _started: Any) -> bytes:
            log.append(name)
            if done is not None:
                done.set()
            return name.encode()

        return make

    return {
        "progress-list.xlsx": other("xlsx"),
        "progress-list.html": other("html"),
        REVIEW: review,
        "opendata": other("opendata", review_waits_for),
    }


def test_the_other_outputs_are_made_while_the_review_renders() -> None:
    log: list[str] = []
    made = _render_all(_steps(log, threading.Event()))
    assert log[0] == "review starts" and log[-1] == "review ends"
    assert log[1:-1] == ["xlsx", "html", "opendata"]  # in their own order, in the second thread
    assert list(made) == [
        "progress-list.xlsx",
        "progress-list.html",
        REVIEW,
        "opendata",
    ]  # the outputs' order
    assert made[REVIEW] == b"pdf" and made["opendata"] == b"opendata"


def test_a_review_made_in_this_process_leaves_the_others_for_after_it() -> None:
    log: list[str] = []
    steps = _steps(log)

    def review(*_args: Any) -> bytes:  # never calls started
        log.append("review")
        return b"pdf"

    steps[REVIEW] = review
    made = _render_all(steps)
    assert log == ["review", "xlsx", "html", "opendata"]
    assert list(made) == ["progress-list.xlsx", "progress-list.html", REVIEW, "opendata"]


@pytest.mark.parametrize("review_starts_workers", [True, False])
def test_the_chores_are_done_after_the_outputs_in_the_thread_that_makes_them(
    review_starts_workers: bool,
) -> None:
    """The check's outputs and the font check: made while the review's workers render, in the second thread,
    after the other outputs; without workers, in this thread after every output. Their results in order."""
    log: list[str] = []
    chores_done = threading.Event()
    steps = _steps(log)

    def review(_view: Any, _project: Any, _progress: Any, started: Any) -> bytes:
        log.append("review starts")
        if review_starts_workers:
            started()
            assert chores_done.wait(timeout=30), "the chores were not done meanwhile"
        log.append("review ends")
        return b"pdf"

    steps[REVIEW] = review

    def chore(name: str) -> Any:
        def run() -> str:
            log.append(
                f"{name} in {'main' if threading.current_thread() is threading.main_thread() else 'side'}"
            )
            if name == "font":
                chores_done.set()
            return name

        return run

    nothing: Any = None
    made, results = build_module._render_all(
        steps, nothing, nothing, None, lambda _name, _done: None, (chore("check"), chore("font"))
    )
    assert results == ["check", "font"] and list(made)[2] == REVIEW
    if review_starts_workers:
        assert log == [
            "review starts",
            "xlsx",
            "html",
            "opendata",
            "check in side",
            "font in side",
            "review ends",
        ]
    else:
        assert log == [
            "review starts",
            "review ends",
            "xlsx",
            "html",
            "opendata",
            "check in main",
            "font in main",
        ]


def test_a_failing_chore_is_the_builds_failure() -> None:
    def broken() -> None:
        raise OSError("書き込めません")

    with pytest.raises(OSError, match="書き込めません"):
        _render_all(_steps([]), (broken,))


def test_a_failure_in_an_output_made_meanwhile_is_the_builds_failure() -> None:
    log: list[str] = []
    steps = _steps(log)

    def broken(*_args: Any) -> bytes:
        raise ValueError("テンプレートが壊れています")

    steps["progress-list.html"] = broken
    with pytest.raises(ValueError, match="テンプレート"):
        _render_all(steps)


@pytest.fixture
def compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Compiled templates kept in a folder of this test's own (not the user's real one)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(templating, "_COMPILED", {})
    if templating.compiled_templates() is None:
        pytest.skip("no per-user folder for compiled templates on this machine")
    return Path(templating.compiled_templates().directory)  # type: ignore[union-attr]


def _render(folder: Path, name: str, newline: bool = False) -> str:
    env = templating.template_environment([folder], keep_trailing_newline=newline)
    return env.get_template(name).render(name="小平市")


def test_a_compiled_template_is_kept_and_an_edited_one_compiled_again(tmp_path: Path, compiled: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    page = folder / "page.html.j2"
    page.write_text("<p>{{ name }} 第1版</p>", encoding="utf-8")
    when = page.stat().st_mtime
    first = _render(folder, "page.html.j2")
    kept = sorted(compiled.glob("__kpi_report_*.cache"))
    assert len(kept) == 1 and _render(folder, "page.html.j2") == first
    page.write_text("<p>{{ name }} 第2版</p>", encoding="utf-8")
    os.utime(page, (when, when))  # same size, same time: only the text tells the versions apart
    assert (first, _render(folder, "page.html.j2")) == ("<p>小平市 第1版</p>", "<p>小平市 第2版</p>")


def test_the_compiled_code_follows_the_environments_settings(tmp_path: Path, compiled: Path) -> None:
    """The page keeps a template's last line break, the review does not: one file serves both."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "common.j2").write_text("{{ name }}\n", encoding="utf-8")
    assert _render(folder, "common.j2") == "小平市"
    assert _render(folder, "common.j2", newline=True) == "小平市\n"
    assert _render(folder, "common.j2") == "小平市"
    assert len(list(compiled.glob("__kpi_report_*.cache"))) == 2


def test_a_compiled_template_folder_that_went_away_is_no_failure(tmp_path: Path, compiled: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "page.html.j2").write_text("<p>{{ name }}</p>", encoding="utf-8")
    shutil.rmtree(compiled)  # the temporary folder cleaned while `build --watch` runs
    assert _render(folder, "page.html.j2") == "<p>小平市</p>"
    compiled.write_text("not a folder", encoding="utf-8")
    assert _render(folder, "page.html.j2") == "<p>小平市</p>"


def test_compiled_templates_are_kept_outside_the_project(compiled: Path, tmp_path: Path) -> None:
    assert compiled.is_dir() and (compiled.stat().st_mode & 0o077) == 0  # the user's own, open to nobody else
    assert not compiled.is_relative_to(tmp_path / "project")
    assert compiled.name.startswith("_jinja2-cache-")


def test_a_failing_review_waits_for_the_output_under_way_not_for_those_not_begun() -> None:
    """No thread is left running when the build fails (build --watch's next build may fork its workers)."""
    log: list[str] = []
    release = threading.Event()
    steps = _steps(log)

    def slow(*_args: Any) -> bytes:
        log.append("xlsx starts")
        release.wait(timeout=30)
        log.append("xlsx ends")
        return b"xlsx"

    def failing(_view: Any, _project: Any, _progress: Any, started: Any) -> bytes:
        started()
        while "xlsx starts" not in log:  # the first of the others is under way
            threading.Event().wait(0.01)
        raise RuntimeError("描画プロセスが異常終了しました")

    steps["progress-list.xlsx"], steps[REVIEW] = slow, failing
    timer = threading.Timer(0.3, release.set)
    timer.start()
    with pytest.raises(RuntimeError, match="異常終了"):
        _render_all(steps)
    timer.join()
    assert not [t for t in threading.enumerate() if t.name.startswith("kpi-report-render")]
    assert log == ["xlsx starts", "xlsx ends"]  # the page and open data were never begun


def test_a_real_correction_makes_the_others_meanwhile_and_never_forks_beside_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the real review: the workbook is made in the second thread (render_parts called ``started``),
    and every render worker was started while this process had one thread."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "inputs", root / "inputs", ignore=shutil.ignore_patterns("2020", "2021"))
    threads_at_start: list[int] = []
    made_in: list[str] = []
    start = multiprocessing.process.BaseProcess.start

    def counted(self: Any) -> None:
        threads_at_start.append(threading.active_count())
        start(self)

    from kpi_report.render.progress_xlsx import render_progress_xlsx as xlsx

    def recorded(view: Any) -> bytes:
        made_in.append(threading.current_thread().name)
        return xlsx(view)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", counted)
    monkeypatch.setattr(build_module, "render_progress_xlsx", recorded)
    build_module.build(Project(root), 2019)  # clean: every part rendered
    _note(root)
    result = build_module.build(Project(root), 2019)  # one correction: a few parts rendered
    assert result.review_parts_rendered and result.review_parts_reused
    assert len(made_in) == 2 and all(name.startswith("kpi-report-render") for name in made_in)
    assert threads_at_start and set(threads_at_start) == {1}
