"""The demo runs the whole pipeline on the bundled sample and says where every output is."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_report.cli import main


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_demo_on_the_sample(sample_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs_before = _digests(sample_project / "inputs")
    assert main(["demo", "--project", str(sample_project)]) == 0
    out = capsys.readouterr().out
    assert "基本目標 4 / 施策 10 / 取組 60" in out
    assert "記入様式（forms --fy 2019）" in out and "18 課分" in out
    assert "build --fy 2018" in out and "build --fy 2019" in out
    assert "監査用の比較（diff 2018 → 2019）" in out
    for name in ("progress-list.xlsx", "progress-list.html", "manifest.json", "diff-2018-2019.xlsx"):
        assert (sample_project / "outputs" / "2019" / name).is_file()
        assert f"{name}" in out
    assert len(list((sample_project / "outputs" / "2019" / "forms").glob("*.xlsx"))) == 18
    assert _digests(sample_project / "inputs") == inputs_before  # inputs never modified


def test_demo_without_year_folders_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "p")]) == 0
    assert main(["demo", "--project", str(tmp_path / "p")]) == 2
    assert "年度フォルダー" in capsys.readouterr().err


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
