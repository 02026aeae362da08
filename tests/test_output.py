"""Atomic output writing: old file intact on failure, clear errors, ordinary permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kpi_report.core.errors import OutputError
from kpi_report.core.files import write_atomic


def test_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out" / "list.xlsx"
    write_atomic(target, b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["list.xlsx"]


def test_outputs_are_readable_by_others(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.pdf", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.pdf").stat().st_mode) & 0o044 == 0o044


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_unwritable_folder_is_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    write_atomic(folder / "a.txt", b"previous")
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="書き込めません"):
            write_atomic(folder / "a.txt", b"next")
    finally:
        folder.chmod(0o700)
    assert (folder / "a.txt").read_bytes() == b"previous"


def test_path_blocked_by_a_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "outputs").write_bytes(b"not a folder")
    with pytest.raises(OutputError, match=r"書き込めません.*同じ名前のファイル"):
        write_atomic(tmp_path / "outputs" / "2019" / "list.xlsx", b"x")


def test_the_error_says_what_to_do_about_its_cause(tmp_path: Path) -> None:
    (tmp_path / "list.xlsx").mkdir()
    with pytest.raises(OutputError, match=r"同じ名前のフォルダー list\.xlsx"):
        write_atomic(tmp_path / "list.xlsx", b"x")
    with pytest.raises(OutputError, match="長すぎます") as info:
        write_atomic(tmp_path / ("長" * 100 + ".xlsx"), b"x")
    assert "権限" not in str(info.value)


def test_a_name_at_the_file_system_limit_is_written(tmp_path: Path) -> None:
    name = "k" * 250 + ".xlsx"  # 255 bytes: the temporary file beside it must not be longer
    write_atomic(tmp_path / name, b"x")
    assert (tmp_path / name).read_bytes() == b"x" and [p.name for p in tmp_path.iterdir()] == [name]
