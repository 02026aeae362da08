"""The diff's shortcuts of issue 15's sixth session give what the plain code gives, unusual inputs included."""

from __future__ import annotations

import random

from kpi_report.compare.diff import Change
from kpi_report.compare.output import _change_heights, _sheet_heights
from kpi_report.compare.read import Column, GroupRow, ListSheet
from kpi_report.core.cellmetrics import line_capacity, line_count, row_height

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
