"""build pauses Python's cyclic collector while it makes the report (what it makes lives until the end of the
build), runs it again while rendering, and leaves it as the caller had it — after a failure too."""

from __future__ import annotations

import gc
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_incremental import FY, REPO

from kpi_report.core.errors import InputsHaveErrors
from kpi_report.core.project import Project
from kpi_report.publish import build as build_module


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "inputs", root / "inputs", ignore=shutil.ignore_patterns("2020", "2021"))
    return root


@pytest.fixture
def collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def _spy(monkeypatch: pytest.MonkeyPatch, name: str, seen: dict[str, bool]) -> None:
    real = getattr(build_module, name)

    def spied(*args: Any, **kwargs: Any) -> Any:
        seen[name] = gc.isenabled()
        return real(*args, **kwargs)

    monkeypatch.setattr(build_module, name, spied)


@pytest.mark.usefixtures("collector")
def test_the_collector_is_paused_while_the_report_is_made_and_resumed_after(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.enable()
    seen: dict[str, bool] = {}
    for name in ("check_year", "merge", "present", "render_progress_xlsx"):
        _spy(monkeypatch, name, seen)
    build_module.build(Project(project), FY)
    assert seen == {"check_year": False, "merge": False, "present": False, "render_progress_xlsx": True}
    assert gc.isenabled()
    gc.disable()  # a caller that runs without it (a benchmark) keeps it off
    build_module.build(Project(project), FY)
    assert not gc.isenabled()


@pytest.mark.usefixtures("collector")
def test_a_refused_build_gives_the_collector_back(project: Path) -> None:
    from test_incremental import _set_cell

    _set_cell(project / "inputs/2019/子育て支援課.xlsx", "進捗", "進捗状況", "1-2-01", "よくわからない")
    gc.enable()
    with pytest.raises(InputsHaveErrors):
        build_module.build(Project(project), FY)
    assert gc.isenabled()
