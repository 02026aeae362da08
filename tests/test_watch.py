"""`build --watch`: a build now and one after each change to inputs/ or templates/, the same bytes as a separate
build, lock files and half-copied files not built, a problem reported and watching going on."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from test_incremental import COMPARED, FY, REPO, _note, _outputs

from kpi_report.api import build
from kpi_report.cli import main
from kpi_report.core.errors import InputsHaveErrors
from kpi_report.core.project import Project
from kpi_report.publish import watch as watching
from kpi_report.publish.watch import WatchedBuild, changes, snapshot, watch


def _project(root: Path) -> Project:
    (root / "inputs" / "2019").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "inputs" / "master.xlsx").write_bytes(b"master")
    (root / "inputs" / "2019" / "企画課.xlsx").write_bytes(b"form")
    return Project(root)


def _touch(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    later = (
        path.stat().st_mtime_ns + 1_000_000_000
    )  # a time of its own, whatever the file system's resolution
    os.utime(path, ns=(later, later))


class Script:
    """A fake clock's sleep that makes the next scripted change to the project at each call."""

    def __init__(self, steps: list[Callable[[], None]]) -> None:
        self.steps = steps
        self.sleeps = 0

    def __call__(self, _seconds: float) -> None:
        self.sleeps += 1
        if self.steps:
            self.steps.pop(0)()


def _run(project: Project, script: Script, builds: int, rebuild: Callable[[], object]) -> list[WatchedBuild]:
    seen: list[WatchedBuild] = []
    watch(
        project,
        rebuild,  # type: ignore[arg-type]
        seen.append,
        until=lambda: len(seen) >= builds or script.sleeps > 50,
        sleep=script,
    )
    return seen


def test_only_a_change_builds_again_and_says_what_changed(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    form = project.root / "inputs" / "2019" / "企画課.xlsx"
    nothing: Callable[[], None] = lambda: None  # noqa: E731
    script = Script([nothing, nothing, lambda: _touch(form, b"corrected"), nothing, nothing])
    made = _run(project, script, 2, lambda: "built")
    assert [e.number for e in made] == [1, 2]
    assert made[0].changed == () and made[1].changed == ("inputs/2019/企画課.xlsx",)
    assert script.sleeps >= 3  # two quiet polls went by without a build


def test_lock_files_and_outputs_are_not_changes(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    before = snapshot(project)
    (project.root / "inputs" / "2019" / "~$企画課.xlsx").write_bytes(b"excel lock")
    (project.root / "inputs" / ".~lock.master.xlsx#").write_bytes(b"libreoffice lock")
    (project.root / "outputs" / "2019").mkdir(parents=True)
    (project.root / "outputs" / "2019" / "progress-list.xlsx").write_bytes(b"written by build")
    assert snapshot(project) == before
    (project.root / "templates" / "annual-review.css").write_text("h1 {}", encoding="utf-8")
    (project.root / "inputs" / "2019" / "企画課.xlsx").unlink()
    assert changes(before, snapshot(project), project.root) == (
        "inputs/2019/企画課.xlsx",
        "templates/annual-review.css",
    )


def test_only_what_a_build_reads_is_watched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path / "p")
    archive = project.root / "inputs" / "過去分"  # an archive folder beside the years: never read by build
    archive.mkdir()
    for k in range(30):
        (archive / f"{k}.xlsx").write_bytes(b"old")
    committee = project.root / "inputs" / "2019" / "committee"
    committee.mkdir()
    (committee / "委員A.xlsx").write_bytes(b"opinions")
    seen = snapshot(project)
    assert not any("過去分" in path for path in seen)
    assert str(committee / "委員A.xlsx") in seen and str(project.master) in seen
    monkeypatch.setattr(watching, "MAX_WATCHED", 2)  # a bounded walk, even inside one folder
    assert len(snapshot(project)) == 2


def test_a_file_still_being_copied_is_built_once_it_holds_still(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    form = project.root / "inputs" / "2019" / "健康推進課.xlsx"
    contents: list[bytes] = []
    script = Script(
        [
            lambda: _touch(form, b"PK part"),  # the copy starts between two polls
            lambda: _touch(form, b"PK part two"),  # still growing when the change is looked at again
            lambda: _touch(form, b"PK part two three"),
            lambda: None,
        ]
    )
    _run(project, script, 2, lambda: contents.append(form.read_bytes() if form.exists() else b""))
    assert contents == [b"", b"PK part two three"]  # never built from a half-copied file


def test_a_problem_is_reported_and_watching_goes_on(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    form = project.root / "inputs" / "2019" / "企画課.xlsx"
    results: list[object] = [InputsHaveErrors("企画課.xlsx にエラーが 1 件あります。"), "built"]

    def rebuild() -> object:
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    script = Script([lambda: _touch(form, b"fixed"), lambda: None])
    made = _run(project, script, 2, rebuild)
    assert isinstance(made[0].problem, InputsHaveErrors) and made[0].result is None
    assert made[1].problem is None and str(made[1].result) == "built"


def test_a_correction_while_watching_gives_the_bytes_of_a_separate_build(tmp_path: Path) -> None:
    root = tmp_path / "watched"
    shutil.copytree(REPO / "inputs", root / "inputs", ignore=shutil.ignore_patterns("2020", "2021"))
    shutil.copytree(REPO / "templates", root / "templates")
    script = Script([lambda: _note(root), lambda: None])
    made = _run(Project(root), script, 2, lambda: build(root, FY))
    assert [e.problem for e in made] == [None, None]
    second = made[1].result
    assert second is not None and second.review_parts_reused  # the warm process still uses the cache
    assert made[1].changed == ("inputs/2019/子育て支援課.xlsx",)
    clean = tmp_path / "clean"
    shutil.copytree(root, clean, ignore=shutil.ignore_patterns("outputs"))
    build(clean, FY, use_cache=False)
    assert _outputs(root) == _outputs(clean)
    assert set(COMPARED) <= {p.name for p in Project(root).outputs(FY).iterdir()}


def test_the_command_watches_until_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO / "inputs", root / "inputs", ignore=shutil.ignore_patterns("2020", "2021"))
    polls: list[int] = []

    def looked(project: Project) -> dict[str, tuple[int, int]]:
        polls.append(1)
        if len(polls) > 2:
            raise KeyboardInterrupt  # Ctrl+C while waiting for a change
        return {}

    monkeypatch.setattr(watching, "snapshot", looked)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["build", "--fy", "2019", "--project", str(root), "--watch"])
    assert code == 0
    text = out.getvalue()
    assert "1 回目の作成" in text and "outputs/2019/annual-review.pdf" in text
    assert "変更を待っています" in text and "監視を終了しました" in err.getvalue()


def test_a_broken_master_while_watching_is_shown_with_its_findings() -> None:
    from kpi_report.console import watch_text
    from kpi_report.core.errors import MasterError
    from kpi_report.core.findings import make_finding

    finding = make_finding("unreadable-file", file="master.xlsx", reason="壊れています")
    problem = MasterError("マスターを読めません。", (finding,))
    text = watch_text(WatchedBuild(3, 0.4, problem=problem, changed=("inputs/master.xlsx",)), at="10:00:00")
    lines = text.splitlines()
    assert lines[0] == "── 10:00:00 変更: inputs/master.xlsx → 3 回目の作成（0.4 秒）"
    assert lines[1] == "作成できませんでした: マスターを読めません。"
    assert "壊れています" in lines[2] and lines[-1].startswith("変更を待っています")
