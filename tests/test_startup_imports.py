"""Every command starts without loading openpyxl (and the numpy it pulls in, about 0.35 s together) or
xlsxwriter: they are loaded where a workbook is opened or written with them, so a build that takes the master and
the check's outputs from the cache, `diff` and `--help` never pay for openpyxl. The cache keys still name
openpyxl's version, read from its metadata."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_report.core.version import library_version
from kpi_report.plan.master import _plan_key

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("openpyxl", "numpy", "xlsxwriter")

SCRIPT = """
import sys
from kpi_report.cli import main
loaded = lambda: " ".join(name for name in {heavy!r} if name in sys.modules) or "-"
print("imported", loaded())
code = main(sys.argv[1:]) if sys.argv[1:] else 0
print("exit", code, loaded())
"""


def _in_new_process(*args: str) -> list[str]:
    """The heavy libraries loaded after importing the CLI, and the exit code and those loaded after running
    ``args`` (each line ``imported …`` / ``exit <code> …``, ``-`` for none), in a new interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    return [line for line in done.stdout.splitlines() if line.startswith(("imported ", "exit "))]


def test_importing_the_cli_loads_neither_openpyxl_nor_numpy_nor_xlsxwriter() -> None:
    assert _in_new_process() == ["imported -", "exit 0 -"]


def test_a_build_from_the_cache_and_diff_do_not_load_openpyxl(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO / "inputs", root / "inputs", ignore=shutil.ignore_patterns("2020", "2021"))
    build = ("build", "--fy", "2019", "--project", str(root))
    first = _in_new_process(*build)
    assert first[0] == "imported -"
    assert first[1].startswith("exit 0 ") and "openpyxl" in first[1].split()  # the master is parsed
    assert "numpy" not in first[1].split()  # openpyxl loaded without it (core.files.load_openpyxl)
    # nothing changed: the master, each submission's check and the feedback copies come from the cache
    assert _in_new_process(*build)[1] == "exit 0 xlsxwriter"  # progress-list.xlsx is written again
    listed = str(root / "outputs/2019/progress-list.xlsx")
    diffed = _in_new_process("diff", "--out", str(tmp_path / "diff.xlsx"), listed, listed)
    assert diffed == ["imported -", "exit 0 xlsxwriter"]  # read with python-calamine, written with xlsxwriter
    assert (tmp_path / "diff.xlsx").is_file()


@pytest.mark.parametrize("name", ["openpyxl", "xlsxwriter", "defusedxml", "olefile"])
def test_a_library_version_in_a_cache_key_is_the_one_the_module_reports(name: str) -> None:
    # the keys named `<module>.__version__` before: the same string keeps existing caches valid
    assert library_version(name) == importlib.import_module(name).__version__


def test_the_plan_key_names_openpyxl_version_as_before(tmp_path: Path) -> None:
    import unicodedata

    import openpyxl

    from kpi_report.core.diskcache import cache_key

    master = tmp_path / "master.xlsx"
    expected = cache_key("plan", master.name, openpyxl.__version__, unicodedata.unidata_version, b"PK")
    assert _plan_key(master, b"PK") == expected


NUMPY_SCRIPT = """
import sys
{before}
from kpi_report.core.files import load_openpyxl
load_openpyxl()
from openpyxl.compat.numbers import NUMERIC_TYPES
print(" ".join(name for name in ("openpyxl", "numpy") if sys.modules.get(name)), len(NUMERIC_TYPES) > 6)
import numpy  # noqa: F401  (loads afterwards as usual)
print("numpy" in sys.modules)
"""


@pytest.mark.parametrize(
    ("before", "expected"),
    [("", ["openpyxl False", "True"]), ("import numpy", ["openpyxl numpy True", "True"])],
    ids=["numpy not loaded: left out", "numpy already loaded: openpyxl takes its types"],
)
def test_openpyxl_is_loaded_without_numpy_unless_the_caller_has_it(before: str, expected: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", NUMPY_SCRIPT.format(before=before)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert done.stdout.splitlines() == expected
