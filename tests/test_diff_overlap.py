"""diff's second processes (issue 15): what each does before it sends, so that neither waits for the other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_diff import new_list, old_list, write

from kpi_report.compare import output
from kpi_report.compare.diff import DiffResult, diff_files


class _Recorder:
    """Stands in for a pipe's sending end: what was sent, in order, among the other events."""

    def __init__(self, events: list[tuple[str, Any]]) -> None:
        self.events = events

    def send(self, value: object) -> None:
        self.events.append(("send", value))

    def send_bytes(self, value: bytes) -> None:
        self.events.append(("send_bytes", value))

    def close(self) -> None:
        self.events.append(("close", None))


def test_the_child_measures_every_sheet_before_it_sends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet's heights fill the pipe until the workbook takes them, once its sheets are made: the child measures
    every sheet first, and sends the same heights in the same order, then the JSON."""
    old, new = write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())
    result = diff_files(old, new)
    events: list[tuple[str, Any]] = []
    measure = output._heights

    def heights(result: DiffResult, part: int) -> list[tuple[int, float]]:
        events.append(("measure", part))
        return measure(result, part)

    monkeypatch.setattr(output, "_heights", heights)
    output._make_and_send(result, True, (0, 1, 2), _Recorder(events))  # type: ignore[arg-type]
    assert [kind for kind, _ in events] == ["measure"] * 3 + ["send"] * 3 + ["send_bytes", "close"]
    assert [value for kind, value in events if kind == "send"] == [measure(result, p) for p in (0, 1, 2)]
    assert events[-2][1] == output.diff_json_bytes(result)
