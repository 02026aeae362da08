"""The diff workbook's big sheets written a row at a time (issue 15): 変更一覧, 新一覧 and 新KPI give the same bytes
as cell by cell (put), rows that need xlsxwriter (rich text, long texts, booleans, links through write_url, merged
group rows) included, and the workbook stays valid."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

import openxml
import pytest
from test_diff import new_list, old_list, write

from kpi_report.compare import output
from kpi_report.compare.diff import Change, DiffResult, Span, diff_files
from kpi_report.compare.output import render_diff_xlsx


def _both(result: DiffResult, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes, int]:
    """(rows written whole, cell by cell, how many rows were written whole)."""
    rows = 0
    whole_row = output._FastSheet.whole_row

    def counted(self: output._FastSheet, *args: Any) -> None:
        nonlocal rows
        rows += 1
        whole_row(self, *args)

    monkeypatch.setattr(output._FastSheet, "whole_row", counted)
    whole = render_diff_xlsx(result)
    monkeypatch.setattr(output, "WHOLE_ROWS", False)
    cells = render_diff_xlsx(result)
    monkeypatch.setattr(output, "WHOLE_ROWS", True)
    return whole, cells, rows


@pytest.fixture
def result(tmp_path: Path) -> DiffResult:
    return diff_files(write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list()))


def test_whole_rows_are_the_cells_put_one_by_one(result: DiffResult, monkeypatch: pytest.MonkeyPatch) -> None:
    whole, cells, rows = _both(result, monkeypatch)
    assert rows > len(result.changes)  # 変更一覧's rows and most of 新一覧's
    assert whole == cells
    # every row whole from the first: the formats take their indices in the order put gives them
    plain = dataclasses.replace(result, changes=tuple(c for c in result.changes if len(output._spans(c)) < 2))
    whole, cells, rows = _both(plain, monkeypatch)
    assert whole == cells


def _edge_cases(result: DiffResult) -> DiffResult:
    """The result with the rows whole-row writing leaves to xlsxwriter, and odd values in NEW's sheets."""
    long = "長" * 20_000
    first = result.changes[-1]
    extra = [
        dataclasses.replace(first, old=long, new=long + "x"),  # texts over half Excel's limit
        dataclasses.replace(first, detail=long),
        dataclasses.replace(
            first, spans=(Span("equal", "a"), Span("delete", "b"), Span("insert", "c"))
        ),  # rich text
        dataclasses.replace(first, kind="content-changed", spans=(Span("insert", long),)),
        dataclasses.replace(first, kind="content-changed", spans=(Span("insert", ""),)),
        Change("column-added", "進捗状況一覧表"),  # nothing but its kind and sheet
        dataclasses.replace(first, item_id="", goal="", area="", name="", department="", column=""),
        dataclasses.replace(first, sheet="外部評価"),  # no sheet to link to
    ]
    measures = result.new.measures
    grid = [list(row) for row in measures.grid]
    item = measures.items[-1].row
    odd: list[object] = [True, long, datetime(2019, 4, 1), None, 12, 0.1 + 0.2, ""]
    grid[item][: len(odd)] = odd[: len(grid[item])]
    last: list[object] = [None] * len(grid[item])
    last[0] = 1e300
    grid.append(last)
    new = dataclasses.replace(
        result.new, measures=dataclasses.replace(measures, grid=tuple(tuple(row) for row in grid))
    )
    changes = (*result.changes, *extra)
    marked = [
        Change("content-changed", measures.name, old="x", new="y", row=item, col=c) for c in range(len(odd))
    ]
    return dataclasses.replace(result, new=new, changes=changes + tuple(marked))


def test_rows_left_to_xlsxwriter_give_the_same_bytes(
    result: DiffResult, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    edge = _edge_cases(result)
    whole, cells, _ = _both(edge, monkeypatch)
    assert whole == cells
    monkeypatch.setattr(output, "MAX_LINKS", 3)  # the links beyond: their cell as plain text
    whole, cells, _ = _both(edge, monkeypatch)
    assert whole == cells
    path = tmp_path / "edge.xlsx"
    path.write_bytes(whole)
    try:
        assert openxml.validate_xlsx(path) == []
    except openxml.ValidatorUnavailable as exc:
        pytest.skip(str(exc))


def test_parts_compressed_in_threads_give_xlsxwriters_zip(
    result: DiffResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The big parts deflated in threads while the package is written, then zipped here: xlsxwriter's bytes."""
    deflated: list[str] = []
    zip_package = output._FastPackager.zip

    def recorded(self: output._FastPackager, allow_zip64: bool) -> bytes:
        deflated.extend(self.deflated)
        return zip_package(self, allow_zip64)

    monkeypatch.setattr(output._FastPackager, "zip", recorded)
    monkeypatch.setattr(output, "DEFLATE_MIN_CHARS", 0)  # every text part, the small ones too
    threaded = render_diff_xlsx(result)
    assert "xl/worksheets/sheet2.xml" in deflated and "xl/sharedStrings.xml" in deflated
    monkeypatch.setattr(output, "DEFLATE_THREADS", 0)
    assert render_diff_xlsx(result) == threaded
