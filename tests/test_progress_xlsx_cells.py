"""progress-list.xlsx's faster paths (issue 15) give what the plain ones gave: the same bytes as xlsxwriter's
own cell writing, the same cuts of long texts with their line counts, the same cleaned text."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import kodaira
import pytest
from xlsxwriter.packager import Packager
from xlsxwriter.worksheet import Worksheet

from kpi_report.core.cellmetrics import wrap
from kpi_report.core.files import new_xlsx
from kpi_report.core.model import ProgressReport
from kpi_report.core.values import clean_text
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.present.table import present
from kpi_report.render import progress_xlsx
from kpi_report.render.progress_xlsx import MAX_LINES, _chunks, _clean, render_progress_xlsx


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ProgressReport:
    plan = load_plan(kodaira.write_master(tmp_path_factory.mktemp("kodaira") / "master.xlsx"))
    report = merge(plan, 2019, kodaira.check_reports()).report
    goal = report.goals[0]
    area = goal.areas[0]
    odd = replace(  # flagged, over-long text in several columns, numbers, an unclean character
        area.rows[0],
        flagged=True,
        measure=replace(area.rows[0].measure, content="内容\r\nの説明\u00a0" * 400, name="x" * 900),
    )
    # texts that shared strings escape, keep or mark: formula-like, _xHHHH_, leading space, astral
    hostile = replace(
        area.rows[1],
        measure=replace(
            area.rows[1].measure,
            number="=1+1",
            name=" 先頭に空白",
            content="_x0041_ & <r>rich</r> \ufffe 😀𠮷\n\n",
        ),
    )
    return replace(
        report,
        goals=(
            replace(goal, areas=(replace(area, rows=(odd, hostile, *area.rows[2:])), *goal.areas[1:])),
            *report.goals[1:],
        ),
    )


class _PlainSheet(Worksheet):  # type: ignore[misc]
    """xlsxwriter's worksheet with put() as write_string / write_number and put_row() as one of those or
    write_blank per cell: what the sheets were before."""

    def put(self, row: int, col: int, value: Any, fmt: Any) -> None:
        if isinstance(value, str):
            self.write_string(row, col, value, fmt)
        else:
            self.write_number(row, col, value, fmt)

    def put_row(self, row: int, values: Sequence[Any], formats: Sequence[Any]) -> None:
        for col, (value, fmt) in enumerate(zip(values, formats, strict=True)):
            if value is None:
                self.write_blank(row, col, None, fmt)
            else:
                self.put(row, col, value, fmt)


def test_the_fast_cells_give_xlsxwriters_bytes(
    report: ProgressReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = present(report)
    fast = render_progress_xlsx(view)
    monkeypatch.setattr(progress_xlsx, "_Sheet", _PlainSheet)
    monkeypatch.setattr(progress_xlsx, "StringsPackager", Packager)  # xlsxwriter's shared strings too
    assert render_progress_xlsx(view) == fast


def _chunks_reference(text: str, width: float) -> list[str]:
    """The cut before issue 15 (pieces only; each piece's line count was wrapped again)."""
    pieces: list[list[str]] = [[]]
    used = 0
    for line in text.split("\n"):
        wrapped = wrap(line, width)
        if used + len(wrapped) <= MAX_LINES:
            pieces[-1].append(line)
            used += len(wrapped)
            continue
        if len(wrapped) <= MAX_LINES:
            pieces.append([line])
            used = len(wrapped)
            continue
        for start in range(0, len(wrapped), MAX_LINES):
            part = wrapped[start : start + MAX_LINES]
            if pieces[-1]:
                pieces.append([])
            pieces[-1].append("".join(part))
            used = len(part)
    return ["\n".join(p) for p in pieces if p] or [""]


@pytest.mark.parametrize("seed", range(3))
def test_chunks_and_their_line_counts(seed: int) -> None:
    rnd = random.Random(seed)
    words = [
        "施策の推進",
        "、",
        "。",
        "（継続）",
        "abc ",
        "https://example.jp/long/path ",
        "1,234人",
        "\n",
        "\n\n",
        "・",
    ]
    for _ in range(300):
        text = "".join(rnd.choice(words) for _ in range(rnd.choice([0, 5, 60, 400, 1500])))
        if rnd.random() < 0.2:
            text += "長" * rnd.randint(100, 3000)  # one line longer than a row
        width = rnd.choice([8.0, 20.0, 34.0, 66.0])
        pieces = _chunks(text, width)
        assert [p for p, _ in pieces] == _chunks_reference(text, width)
        assert [n for _, n in pieces] == [len(wrap(p, width)) for p, _ in pieces]


def test_clean_returns_only_clean_text_unchanged() -> None:
    for code in range(0x10000):  # every character of the BMP (surrogates included)
        char = chr(code)
        assert _clean(f"a{char}b") == clean_text(f"a{char}b")[0], hex(code)
    pair = "\ud83d\ude00"
    assert _clean(pair) == clean_text(pair)[0] == "😀"
    assert _clean("一\r\n二\r三") == "一\n二\n三"


# put_row against the plain cell writers on hostile values: each is what write_string / write_number / write_blank
# store (or raise), whatever the row holds
_HOSTILE: list[Any] = [
    "",
    " ",
    " leading and trailing ",
    "=1+1",
    '=HYPERLINK("http://example.jp")',
    "+81-3",
    "@SUM(A1)",
    "012",
    "1e5",
    "http://example.jp/a?b=1&c=<2>",
    "_x0041_",
    "<r>rich?</r>",
    "tab\tand\x01\x02\x1fcontrol\x7f",
    "\ufffe\uffff",
    "改行\nあり\n",
    "😀𠮷🇯🇵 astral",
    "長" * 16_384,  # over half of Excel's limit: xlsxwriter's own check
    "あ" * 33_000,  # over the limit: truncated
    "x" * 16_383,
    0.0,
    -0.0,
    1.5,
    1e20,
    1e-300,
    123456789.123456789,
    float("nan"),
    float("-inf"),
    10**400,
    3,
    True,
    None,
    "－",
]


def _workbook(sheet_class: type, build: Callable[[Any, Any, list[Any]], None]) -> bytes:
    """A workbook with one sheet of ``sheet_class`` filled by ``build(wb, ws, formats)``."""
    import io

    buffer = io.BytesIO()
    wb = new_xlsx(buffer)
    formats = [
        wb.add_format({"text_wrap": True, "valign": "top", "border": 1}),
        wb.add_format({"bold": True, "bg_color": "#BDD7EE"}),
        wb.add_format({"num_format": "#,##0.00"}),
        wb.add_format({"text_wrap": True, "valign": "top", "border": 1}),  # the first one's twin
        wb.add_format({"italic": True}),
    ]
    ws = wb.add_worksheet("一覧", worksheet_class=sheet_class)
    build(wb, ws, formats)
    wb.close()
    return buffer.getvalue()


def _both(build: Callable[[Any, Any, list[Any]], None]) -> None:
    """The same workbook through put_row and through the plain writers: the same bytes, or the same error."""
    results: list[bytes | str] = []
    for sheet_class in (progress_xlsx._Sheet, _PlainSheet):
        try:
            results.append(_workbook(sheet_class, build))
        except Exception as exc:  # the plain writers' error is the expected outcome
            results.append(repr(exc))
    assert results[0] == results[1]


@pytest.mark.parametrize("seed", range(6))
def test_put_row_stores_what_the_plain_writers_store(seed: int) -> None:
    def build(wb: Any, ws: Any, formats: list[Any]) -> None:
        rnd = random.Random(seed)  # the same rows for both workbooks
        ws.set_column(2, 2, 20, formats[4] if seed % 2 else None)  # a column format for unformatted cells
        ws.write_string(0, 0, "題名", formats[1])
        for r in range(1, 90):
            kind = rnd.random()
            if kind < 0.1:  # a merged group row, held by xlsxwriter
                ws.merge_range(r, 0, r, 4, "", formats[1])
                ws.write_string(r, 0, rnd.choice(["基本目標1", "=1+1", ""]), formats[1])
            elif kind < 0.15:
                continue  # an empty row between
            else:
                width = rnd.randint(1, 9)
                values = [rnd.choice(_HOSTILE) for _ in range(width)]
                chosen = [rnd.choice([*formats, None]) for _ in range(width)]
                ws.put_row(r, values, chosen)
            if rnd.random() < 0.8:
                options = {"hidden": True} if rnd.random() < 0.05 else None
                ws.set_row(
                    r, rnd.choice([15, 15.5, 27.5, 409, 0.75]), rnd.choice([None, None, formats[4]]), options
                )
        if seed == 5:
            ws.write_comment(40, 12, "注釈")  # a comment widens its block's spans

    _both(build)


@pytest.mark.parametrize("value", _HOSTILE, ids=range(len(_HOSTILE)))
def test_put_row_takes_each_hostile_value_as_the_plain_writers(value: Any) -> None:
    def build(wb: Any, ws: Any, formats: list[Any]) -> None:
        ws.put_row(3, ["前", value, "後"], [formats[0], formats[0], None])
        ws.put_row(4, [value], [None])  # without a format
        ws.put_row(20, [value, 1.0], [formats[2], formats[1]])  # another block of 16 rows
        ws.set_row(3, 30)

    _both(build)


def test_put_row_numbers_formats_in_the_order_the_sheet_uses_them() -> None:
    """A format first used by a row of put_row after rows held by xlsxwriter gets the next index then."""

    def build(wb: Any, ws: Any, formats: list[Any]) -> None:
        ws.put_row(5, ["a", "b"], [formats[4], formats[0]])
        ws.write_string(2, 0, "x", formats[2])
        ws.put_row(3, ["c"], [formats[3]])
        ws.put_row(1_048_575, ["last"], [formats[1]])  # the sheet's last row

    _both(build)
