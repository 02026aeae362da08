"""The auditor's diff on real progress-list workbooks: swapped files are said, statuses are values, one arrow,
and the output names are checked before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_diff import new_list, old_list, write

from kpi_report import cli
from kpi_report.compare.diff import DiffResult, Span, diff_files, whole_spans


@pytest.fixture
def lists(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())


def test_swapped_files_are_a_warning_naming_both_years(lists: tuple[Path, Path]) -> None:
    old, new = lists
    assert [f.code for f in diff_files(old, new).findings] == []
    swapped = diff_files(new, old)
    assert [(f.code, f.severity) for f in swapped.findings] == [("diff-years-reversed", "warning")]
    message = swapped.findings[0].message
    assert "new.xlsx" in message and "old.xlsx" in message and "逆" in message


def test_a_status_change_is_shown_whole_not_as_a_character_diff(lists: tuple[Path, Path]) -> None:
    status = next(c for c in diff_files(*lists).changes if c.kind == "status-changed")
    assert status.spans == (Span("delete", status.old), Span("insert", status.new))
    assert whole_spans("検討中", "実施中") == (Span("delete", "検討中"), Span("insert", "実施中"))
    assert whole_spans("", "実施中") == (Span("insert", "実施中"),)


def test_every_change_uses_one_arrow_style(lists: tuple[Path, Path]) -> None:
    result: DiffResult = diff_files(*lists)
    details = [c.detail for c in result.changes if "→" in c.detail]
    assert details and all(d.count(" → ") == d.count("→") for d in details)


@pytest.mark.parametrize(
    ("out", "json_name"), [("diff.csv", None), ("diff", None), ("diff.xlsx", "diff.xlsx.json.xlsx")]
)
def test_output_names_with_the_wrong_ending_are_a_usage_error(
    lists: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    out: str,
    json_name: str | None,
) -> None:
    args = ["diff", str(lists[0]), str(lists[1]), "--out", str(tmp_path / out)]
    if json_name:
        args += ["--json", str(tmp_path / json_name)]
    assert cli.main(args) == 2
    assert ".xlsx" in capsys.readouterr().err
    assert not (tmp_path / out).exists() and not (json_name and (tmp_path / json_name).exists())
