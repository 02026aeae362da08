"""The outputs are made while the review's workers render: same bytes, same order, errors still reported;
compiled templates are kept between runs without ever serving an edited template's old text."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from kpi_report.core.project import Project
from kpi_report.publish import build as build_module
from kpi_report.render import templating

REVIEW = build_module.RUN_FIRST[0]


def _render_all(steps: dict[str, Any]) -> dict[str, Any]:
    nothing: Any = None  # the fake steps read neither the view nor the project
    return build_module._render_all(steps, nothing, nothing, None, lambda _name, _done: None)


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


def test_a_failure_in_an_output_made_meanwhile_is_the_builds_failure() -> None:
    log: list[str] = []
    steps = _steps(log)

    def broken(*_args: Any) -> bytes:
        raise ValueError("テンプレートが壊れています")

    steps["progress-list.html"] = broken
    with pytest.raises(ValueError, match="テンプレート"):
        _render_all(steps)


def test_an_edited_template_is_used_even_with_its_old_compiled_form_kept(tmp_path: Path) -> None:
    if templating.compiled_templates() is None:
        pytest.skip("no per-user folder for compiled templates on this machine")
    folder = tmp_path / "templates"
    folder.mkdir()
    page = folder / "page.html.j2"
    page.write_text("<p>{{ name }} 第1版</p>", encoding="utf-8")
    when = page.stat().st_mtime
    first = templating.template_environment([folder]).get_template("page.html.j2").render(name="小平市")
    page.write_text("<p>{{ name }} 第2版</p>", encoding="utf-8")
    os.utime(page, (when, when))  # same size, same time: only the text tells the versions apart
    second = templating.template_environment([folder]).get_template("page.html.j2").render(name="小平市")
    assert (first, second) == ("<p>小平市 第1版</p>", "<p>小平市 第2版</p>")


def test_compiled_templates_are_kept_outside_the_project(tmp_path: Path) -> None:
    kept = templating.compiled_templates()
    if kept is None:
        pytest.skip("no per-user folder for compiled templates on this machine")
    folder = Path(kept.directory)  # type: ignore[attr-defined]
    assert folder.is_dir() and (folder.stat().st_mode & 0o077) == 0  # the user's own, open to nobody else
    assert not folder.is_relative_to(Path.cwd()) and not folder.is_relative_to(Project(tmp_path).root)
