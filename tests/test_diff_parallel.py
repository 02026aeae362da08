"""diff's two processes (issue 15): OLD read in a forked child beside NEW, the row heights and the JSON made beside
the workbook — the same lists, the same bytes and the same errors as one process."""

from __future__ import annotations

import dataclasses
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from test_diff import new_list, old_list, write

from kpi_report.compare import output, read
from kpi_report.compare.diff import diff_files
from kpi_report.compare.read import read_progress_list, read_progress_lists
from kpi_report.core.errors import DiffError


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every list and every result large enough for a second process."""
    monkeypatch.setattr(read, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(output, "PARALLEL_MIN_ROWS", 0)


def test_lists_read_in_two_processes_are_the_plain_reads(tmp_path: Path, forked: None) -> None:
    old, new = write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())
    assert read._parallel(old, new)
    assert read_progress_lists(old, new) == (read_progress_list(old), read_progress_list(new))


@pytest.mark.parametrize("child_fails", [False, True])
def test_errors_are_the_plain_reads_old_first(
    tmp_path: Path, forked: None, monkeypatch: pytest.MonkeyPatch, child_fails: bool
) -> None:
    good = write(tmp_path / "good.xlsx", old_list())
    broken, unreadable = tmp_path / "broken.xlsx", tmp_path / "unreadable.xlsx"  # two names, two messages
    broken.write_bytes(b"PK\x03\x04 not a zip")
    unreadable.write_bytes(b"")
    if child_fails:  # the child reading OLD sends nothing: OLD is read here
        monkeypatch.setattr(read, "_read_and_send", lambda path, sending: sending.close())
    for old, new in ((good, broken), (broken, good), (broken, unreadable), (unreadable, broken)):
        with pytest.raises(DiffError) as plain:
            read_progress_list(old) if old != good else read_progress_list(new)
        with pytest.raises(DiffError) as both:
            read_progress_lists(old, new)
        assert str(both.value) == str(plain.value)


def test_json_made_beside_the_workbook_is_the_same(
    tmp_path: Path, forked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())
    result = output.run_diff(old, new, tmp_path / "d.xlsx", tmp_path / "d.json")
    assert (tmp_path / "d.json").read_bytes() == output.diff_json_bytes(result)
    monkeypatch.setattr(output, "PARALLEL_MIN_ROWS", 10**9)
    output.run_diff(old, new, tmp_path / "e.xlsx", tmp_path / "e.json")
    assert (tmp_path / "e.json").read_bytes() == (tmp_path / "d.json").read_bytes()
    assert (tmp_path / "e.xlsx").read_bytes() == (tmp_path / "d.xlsx").read_bytes()
    monkeypatch.setattr(read, "PARALLEL_MIN_BYTES", 10**9)  # one process from start to end
    output.run_diff(old, new, tmp_path / "f.xlsx", tmp_path / "f.json")
    assert (tmp_path / "f.json").read_bytes() == (tmp_path / "d.json").read_bytes()
    assert (tmp_path / "f.xlsx").read_bytes() == (tmp_path / "d.xlsx").read_bytes()


def test_the_child_beside_the_workbook_measures_every_big_sheet(tmp_path: Path, forked: None) -> None:
    old, new = write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())
    result = diff_files(old, new)
    alongside = output._Alongside(result, False)
    try:
        assert alongside.own.pending and alongside.parts == (0, 1, 2)
        assert [alongside.heights(part) for part in (0, 1, 2)] == [
            output._heights(result, p) for p in (0, 1, 2)
        ]
    finally:
        alongside.close()


def test_what_the_child_does_not_send_is_made_here(
    tmp_path: Path, forked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())
    output.run_diff(old, new, tmp_path / "d.xlsx", tmp_path / "d.json")

    def first_part_only(
        result: object, json_wanted: bool, parts: tuple[int, ...], sending: Connection
    ) -> None:
        sending.send(output._heights(result, parts[0]))  # type: ignore[arg-type]
        sending.close()

    def sends_nothing(path: Path, sending: Connection) -> None:
        sending.close()  # the child reading OLD fails: OLD is read here

    monkeypatch.setattr(output, "_make_and_send", first_part_only)
    output.run_diff(old, new, tmp_path / "e.xlsx", tmp_path / "e.json")
    assert (tmp_path / "e.xlsx").read_bytes() == (tmp_path / "d.xlsx").read_bytes()
    assert (tmp_path / "e.json").read_bytes() == (tmp_path / "d.json").read_bytes()
    monkeypatch.setattr(read, "_read_and_send", sends_nothing)
    output.run_diff(old, new, tmp_path / "f.xlsx", tmp_path / "f.json")
    assert (tmp_path / "f.xlsx").read_bytes() == (tmp_path / "d.xlsx").read_bytes()
    assert (tmp_path / "f.json").read_bytes() == (tmp_path / "d.json").read_bytes()


def test_without_a_kpi_sheet_the_json_beside_the_workbook_is_the_json(
    tmp_path: Path, forked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A NEW list without a KPI sheet has no 新KPI: the child sends no heights for it, so the JSON that follows is
    the JSON (it was the pickled heights of the sheet never asked for)."""
    old, new = write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())
    result = diff_files(old, new)
    result = dataclasses.replace(result, new=dataclasses.replace(result.new, kpis=None))
    alongside = output._Alongside(result, True)
    try:
        assert alongside.own.pending
        workbook = output.render_diff_xlsx(result, alongside.heights)
        assert alongside.json() == output.diff_json_bytes(result)
    finally:
        alongside.close()
    assert workbook == output.render_diff_xlsx(result)
