"""The sample's outputs, part by part, against the committed golden files (tools/golden.py).

A difference here is a changed output: if it is meant, run ``python -m tools.golden --update`` and say in the
commit message which output changed and why.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tools.golden import expected, produce


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return produce(tmp_path_factory.mktemp("golden"))


def test_the_same_parts_are_produced(produced: dict[str, str]) -> None:
    assert sorted(produced) == sorted(expected())


@pytest.mark.parametrize("name", sorted(expected()))
def test_golden_part_is_unchanged(produced: dict[str, str], name: str) -> None:
    want = expected()[name]
    got = produced.get(name)
    assert got is not None, f"{name} is no longer produced"
    if got != want:
        diff = "\n".join(
            list(difflib.unified_diff(want.splitlines(), got.splitlines(), "golden", "now", lineterm=""))[:60]
        )
        pytest.fail(f"{name} changed (python -m tools.golden --update if meant):\n{diff}")


def test_golden_files_are_where_the_tool_writes_them() -> None:
    assert (Path(__file__).parent / "golden" / "progress-list.html").is_file()
