"""The demo runs the whole pipeline on the bundled sample and says where every output is."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kpi_report.cli import main

REPO = Path(__file__).resolve().parents[1]


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_demo_runs_the_sample_in_a_folder_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "demo"
    assert main(["demo", "--out", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert f"デモ用のフォルダー: {out_dir}" in out and f"出力はすべて {out_dir} の中にあります" in out
    assert "基本目標 4 / 施策 10 / 取組 60" in out
    assert "記入様式（forms --fy 2019）" in out and "18 課分" in out
    assert "build --fy 2018" in out and "build --fy 2019" in out
    assert "監査用の比較（diff 2018 → 2019）" in out
    for name in ("progress-list.xlsx", "progress-list.html", "manifest.json", "diff-2018-2019.xlsx"):
        assert (out_dir / "outputs" / "2019" / name).is_file()
        assert f"{name}" in out
    assert len(list((out_dir / "outputs" / "2019" / "forms").glob("*.xlsx"))) == 18
    assert _digests(out_dir / "inputs") == _digests(REPO / "inputs")  # the bundled sample, untouched
    assert main(["demo", "--out", str(out_dir)]) == 0  # again: it replaces what it made itself


def test_demo_never_writes_into_a_users_project(
    sample_project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kpi-report demo` run inside a project (the old default --project .) leaves it as it was."""
    before = _digests(sample_project)
    monkeypatch.chdir(sample_project.parent)
    assert main(["demo", "--out", str(sample_project)]) == 2
    assert "デモは新しいフォルダーでだけ動きます" in capsys.readouterr().err
    assert main(["demo", "--project", str(sample_project)]) == 2  # no such option: nothing to overwrite
    assert _digests(sample_project) == before


def test_demo_works_outside_the_repository(tmp_path: Path) -> None:
    """From any folder, with the sample shipped inside the package; the default folder is ./kpi-report-demo."""
    done = subprocess.run(
        [sys.executable, "-m", "kpi_report", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "kpi-report-demo" / "outputs" / "2019" / "progress-list.xlsx").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["kpi-report-demo"]


def test_the_sample_ships_with_the_package() -> None:
    from kpi_report.api import SAMPLE

    assert (SAMPLE / "master.xlsx").is_file() and sorted(p.name for p in SAMPLE.iterdir() if p.is_dir()) == [
        "2018",
        "2019",
    ]
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "kpi_report.sample" in config["packages"]
    assert set(config["package-data"]["kpi_report.sample"]) >= {"master.xlsx", "*/*.xlsx"}


@pytest.mark.parametrize(
    "command",
    [
        ["plan"],
        ["check", "--fy", "2019"],
        ["forms", "--fy", "2019"],
        ["diff", "inputs/master.xlsx", "inputs/master.xlsx", "--out", "d.xlsx"],  # refused: not a list
    ],
)
def test_everyday_commands_start_without_the_pdf_and_merge_libraries(
    sample_project: Path, command: list[str]
) -> None:
    """A clerk's check or the planning section's plan should not wait a second for WeasyPrint and pandas,
    which only build and demo use."""
    code = (
        "import sys\n"
        "from kpi_report.cli import main\n"
        f"status = main({command!r} + (['--project', '.'] if {command[0]!r} != 'diff' else []))\n"
        "loaded = [m for m in ('weasyprint', 'pandas') if m in sys.modules]\n"
        "print(status, loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=sample_project,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    status, loaded = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert loaded == "[]", f"{command[0]} loaded {loaded}"
    assert status in ("0", "1", "2")
