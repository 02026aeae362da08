"""The diff's shortcuts of issue 15's sixth session give what the plain code gives, unusual inputs included."""

from __future__ import annotations

import datetime
import io
import json
import random
from collections import Counter
from operator import attrgetter

from xlsxwriter.utility import xl_rowcol_to_cell

from kpi_report.compare.diff import Change, Span, _grouped
from kpi_report.compare.output import (
    _change_heights,
    _change_json,
    _change_line,
    _FastSheet,
    _sheet_heights,
    _wide_runs,
)
from kpi_report.compare.read import Column, GroupRow, ListSheet, cell_str
from kpi_report.core.cellmetrics import char_width, line_capacity, line_count, row_height
from kpi_report.core.files import new_xlsx
from kpi_report.core.values import cell_text
from kpi_report.core.xlsxstrings import special, special_strings

_TEXTS = (
    "",
    " ",
    "短い",
    "\n\n",
    "a" * 90,
    "全" * 60,
    "【令和2年度】\n・" + "取組を実施しました。" * 9,
    "絵文字😀と𠮷野家" * 12,  # astral characters, one of them wide
    "x\n" + "長" * 50 + "\n\n" + "ｱｲｳ" * 40,
    "\u3000" * 40 + "\ufeff\u200b" * 10,
)


def _plain_sheet_heights(sheet: ListSheet, widths: dict[int, int]) -> list[tuple[int, float]]:
    """_sheet_heights as it was written before: every cell of every row through cellmetrics.line_count."""
    capacities = {c: line_capacity(w) for c, w in widths.items()}
    group = line_capacity(sum(w for i, w in widths.items() if i != 6))  # column 6 is the ID
    groups = {g.row for g in sheet.groups}
    heights: list[tuple[int, float]] = []
    for r, row in enumerate(sheet.grid):
        if r == sheet.header_row:
            heights.append((r, row_height(2)))
        elif r > sheet.header_row:
            lines = 1
            for c, value in enumerate(row):
                if isinstance(value, str) and value and c in capacities:
                    cap = group if r in groups else capacities[c]
                    lines = max(lines, line_count(value, 0, capacity=cap))
            if lines > 1:
                heights.append((r, row_height(lines)))
    return heights


def test_list_heights_are_line_counts_of_every_cell() -> None:
    rng = random.Random(6)
    roles = ("number", "name", "content", "owners", "status", "notes", "id")
    columns = tuple(Column(k, role, role) for k, role in enumerate(roles))
    values: list[object] = [*_TEXTS, None, 3, 2.5, True, float("nan")]
    grid: list[tuple[object, ...]] = [("表題",), ("年度",), roles]
    for _ in range(400):  # rows shorter or longer than the columns, any value anywhere
        grid.append(tuple(rng.choice(values) for _ in range(rng.randrange(0, 10))))
    groups = tuple(GroupRow(r, "goal", "基本目標", "基本目標") for r in range(3, 403, 7))
    sheet = ListSheet("進捗状況一覧表", tuple(grid), 2, columns, (), groups)
    widths = {0: 8, 1: 20, 2: 34, 3: 16, 4: 9, 5: 66, 6: 10}
    expected = _plain_sheet_heights(sheet, widths)
    assert len(expected) > 100 and any(h > row_height(2) for _, h in expected)
    assert _sheet_heights(sheet, kpi=False) == expected


def test_change_heights_measure_titles_once_with_the_same_count() -> None:
    rng = random.Random(15)
    changes = [
        Change(
            "content-changed",
            "進捗状況一覧表",
            goal=rng.choice(_TEXTS),
            area=rng.choice(_TEXTS),
            name=rng.choice(_TEXTS),
            old=rng.choice(_TEXTS),
            new=rng.choice(_TEXTS),
        )
        for _ in range(300)
    ]
    c40, c24, c22 = line_capacity(40), line_capacity(24), line_capacity(22)
    expected = []
    for r, c in enumerate(changes, start=1):
        a, b = line_count(c.old, 0, capacity=c40), line_count(c.new, 0, capacity=c40)
        lines = max(
            a,
            b,
            (a + b + 1) * 2 // 3,
            line_count(c.goal, 0, capacity=c24),
            line_count(c.area, 0, capacity=c22),
            line_count(c.name, 0, capacity=c24),
        )
        if lines > 1:
            expected.append((r, row_height(lines)))
    assert len(expected) > 100
    assert _change_heights(changes) == expected


def test_wide_runs_are_the_characters_char_width_counts_two() -> None:
    pattern = _wide_runs()
    wide = [
        chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF and char_width(chr(code)) == 2
    ]
    narrow = [
        chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF and char_width(chr(code)) == 1
    ]
    assert pattern.fullmatch("".join(wide))
    assert not any(pattern.search(c) for c in narrow)


_HOSTILE = (
    "",
    '"引用"と\\バックスラッシュ',
    "制御\x00\x01\x1f\x7f文字\t\n\r",
    "\u2028\u2029行区切り",
    "😀𠮷",
    "</script>&<>",
    "\ufeff\ufffe\uffff",
)


class _Text(str):
    """A str subclass: encoded as a string by both routes."""


def test_change_lines_are_the_encoders() -> None:
    rng = random.Random(3)
    line = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    kinds = ["content-changed", "new-year-notes", "kpi-actual-changed", "kpi-new-actual", "measure-removed"]
    changes = [
        Change(
            rng.choice(kinds),
            rng.choice(_HOSTILE),
            item_id=rng.choice(_HOSTILE),
            goal=rng.choice(_HOSTILE),
            area=_Text(rng.choice(_HOSTILE)),
            name=rng.choice(_HOSTILE),
            department=rng.choice(_HOSTILE),
            column=rng.choice(_HOSTILE),
            old=rng.choice(_HOSTILE),
            new=rng.choice(_HOSTILE),
            detail=rng.choice(_HOSTILE),
            spans=tuple(
                Span(rng.choice(["equal", "insert", "delete"]), rng.choice(_HOSTILE)) for _ in range(3)
            ),
            row=rng.choice([-1, 0, 5, 1_048_575]),
            col=rng.choice([-1, 0, 27, 16_383]),
        )
        for _ in range(300)
    ]
    # fields that are not strings: the encoder's own route
    changes.append(Change("content-changed", "進捗状況一覧表", old=12.5, new=None))  # type: ignore[arg-type]
    changes.append(Change("content-changed", "進捗状況一覧表", spans=(Span("insert", 7),)))  # type: ignore[arg-type]
    for change in changes:
        assert _change_line(change, line) == line(_change_json(change))


def test_cell_is_xlsxwriters_reference() -> None:
    for row, col in [(0, 0), (0, -1), (9, 25), (99, 26), (1_048_575, 16_383), (5, 701), (5, 702)]:
        expected = xl_rowcol_to_cell(row, max(col, 0))
        assert Change("content-changed", "s", row=row, col=col).cell == expected
    assert Change("content-changed", "s", row=-1, col=3).cell == ""


def test_counts_by_group_keep_the_order_changes_bring_them() -> None:
    rng = random.Random(8)
    changes = [
        Change(
            rng.choice(["content-changed", "status-changed", "measure-added"]), "s", goal=rng.choice("CABD")
        )
        for _ in range(200)
    ]
    order = ["B", "Z"]
    expected: dict[str, Counter[str]] = {name: Counter() for name in order}
    for c in changes:  # one change at a time, as counted before
        expected.setdefault(c.goal, Counter())[c.kind] += 1
    got = _grouped(changes, attrgetter("goal"), order)
    assert [(name, list(counts.items())) for name, counts in got] == [
        (name, list(counts.items())) for name, counts in expected.items() if counts
    ]


def test_cell_str_is_the_stripped_cell_text() -> None:
    values: list[object] = [
        "",
        " 取組 ",
        "a\r\nb\rc ",
        "\r",
        _Text(" x\r "),
        None,
        0,
        2.0,
        2.5,
        float("nan"),
        True,
        datetime.date(2019, 4, 1),
        datetime.datetime(2019, 4, 1, 9, 30),
    ]
    row = tuple(values)
    for index in range(len(row)):
        expected = "" if row[index] == "" else cell_text(row[index]).strip()
        assert cell_str(row, index) == expected, row[index]
    assert cell_str(row, None) == cell_str(row, len(row)) == ""


def test_special_strings_are_those_special_one_at_a_time() -> None:
    rng = random.Random(4)
    pieces = ["a", "あ", " ", "\u3000", "\n", "\t", "\x0b", "\x1c", "\x85", "\xa0", "&", "<r>", "<r", "r>"]
    pieces += ["_x0041_", "_x00", "41_", "_X0041_", "\x01", "\x1f", "\x7f", "\ufffe", "\uffff", "😀", "\x00"]
    cases: list[list[str]] = [[], [""], ["", ""], [" "], [" ", " "], ["<r>"], ["a ", " b"], ["\x00"]]
    for _ in range(2000):
        cases.append(
            [
                "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 5)))
                for _ in range(rng.randrange(1, 9))
            ]
        )
    for strings in cases:
        assert special_strings(strings) == [k for k, s in enumerate(strings) if special(s)], strings


def test_row_tags_are_xlsxwriters_start_tags() -> None:
    wb = new_xlsx(io.BytesIO())
    ws = wb.add_worksheet("s", worksheet_class=_FastSheet)
    bold = wb.add_format({"bold": True})
    ws.heights([(1, 27.75), (2, 27.75), (3, 15.5), (9, 409.0)])  # shared RowInfo per height
    ws.set_row(4, 30)
    ws.set_row(5, 15)  # xlsxwriter's default height, set
    ws.set_row(6, 20, None, {"hidden": True})
    ws.set_row(7, None, bold)
    ws.set_row(8, None, None, {"level": 1})
    for row in range(12):
        ws.put(row, 0, f"r{row}", bold)
    tags = []
    for _ in range(2):  # the second time from what the first remembered
        ws._row_attributes.clear()
        tags.append([ws._row_tag(row) for row in range(12)])
        tags.append([ws._row_tag(row) for row in range(12)])
    for row in range(12):
        out = io.StringIO()
        ws.fh = out
        ws._write_row(row, None, ws.row_info.get(row))
        expected = out.getvalue() if row not in (6, 7, 8) else None
        assert all(t[row] == expected for t in tags), (row, expected, [t[row] for t in tags])
    assert tags[0][4] == '<row r="5" ht="30" customHeight="1">' and tags[0][10] == '<row r="11">'
