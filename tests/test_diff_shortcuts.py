"""The diff's shortcuts of issue 15's seventh session give what the plain code gives, unusual inputs included."""

from __future__ import annotations

import datetime
import itertools
import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

from kpi_report.compare.diff import (
    Change,
    Span,
    _heading_renames,
    _new_year_change,
    _notes_changes,
    char_spans,
)
from kpi_report.compare.read import (
    HEADING_LINE,
    GroupRow,
    Item,
    ListSheet,
    _columns,
    _join,
    _lead,
    _progress_role,
    _read_progress_sheet,
    _rows,
    cell_str,
    split_year_blocks,
)
from kpi_report.core.values import cell_text


def _plain_notes_changes(
    old: str, new: str, threshold: int | None, header: str, col: int, base: dict[str, Any]
) -> list[Change]:
    """_notes_changes as it was: the appended part always split into its blocks."""
    if (
        old
        and len(new) > len(old)
        and new[len(old)] == "\n"
        and new.startswith(old)
        and HEADING_LINE.match(new, len(old) + 1)
    ):
        added = split_year_blocks(new[len(old) + 1 :])
        if all(
            b.fy is not None and (threshold is None or b.fy > threshold) and b.heading not in old
            for b in added
        ):
            return [_new_year_change(b, header, col, base) for b in added]
    old_blocks = {b.key: b for b in split_year_blocks(old)} if old else {}
    changes: list[Change] = []
    for block in split_year_blocks(new) if new else []:
        before = old_blocks.pop(block.key, None)
        if before is not None:
            if before.text.strip() != block.text.strip():
                changes.append(
                    Change(
                        "past-notes-edited",
                        column=header,
                        old=before.text,
                        new=block.text,
                        detail=f"{block.heading or '（年度見出しの前）'}の記載を修正",
                        spans=char_spans(before.text, block.text),
                        col=col,
                        **base,
                    )
                )
            continue
        if not block.text.strip():
            continue
        growth = block.fy is not None and (threshold is None or block.fy > threshold)
        changes.append(_new_year_change(block, header, col, base, growth))
    for block in old_blocks.values():
        if block.text.strip():
            changes.append(
                Change(
                    "past-notes-edited",
                    column=header,
                    old=block.text,
                    detail=f"{block.heading or '（年度見出しの前）'}を削除",
                    spans=(Span("delete", block.text),),
                    col=col,
                    **base,
                )
            )
    return changes


_HEADINGS = (
    "【令和2年度】",
    "【令和元年度】",
    "【平成30年度】",
    "  【令和2年度】\u3000",
    "【2020年度】",
    "【令和２年度】",
    "【その他】",
    "【】",
    "【令和2年度】x",
    "x【令和2年度】",
    "【令和2年度",
    "【令和3年度】",
)
_BODIES = ("", "・取組を実施しました。", "・a\n・b", "\n", "【令和2年度】の記載", "・a\n\n", " ")


def _notes(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randrange(0, 4)):
        lines.append(rng.choice(_HEADINGS))
        lines.append(rng.choice(_BODIES))
    return "\n".join(lines)


def test_an_appended_year_is_what_the_plain_split_gives() -> None:
    base = {"sheet": "s", "item_id": "1", "goal": "g", "area": "a", "name": "n", "department": "d", "row": 3}
    rng = random.Random(15)
    pairs = []
    for _ in range(3000):
        old = _notes(rng) or "・前書き"
        pairs.append((old, old + "\n" + _notes(rng)))
        pairs.append((old, old + "\n" + rng.choice(_HEADINGS) + "\n" + rng.choice(_BODIES)))
    pairs += [
        ("【平成30年度】\n・a", "【平成30年度】\n・a\n【令和元年度】\n・b\n【令和2年度】\n・c"),
        ("【令和2年度】\n・a", "【令和2年度】\n・a\n【令和2年度】\n・b"),  # its heading already there
        ("・a", "・a\n【令和元年度】"),
        ("・a", "・a\n【令和元年度】\n"),
        ("・a", "・a\n【令和元年度】\n【令和2年度】"),
        ("a", "a\n【令和2年度】\r\n・b"),
        ("a", "a\n【令和2年度】\n\u3000【令和3年度】\n・b"),
    ]
    for (old, new), threshold in itertools.product(pairs, (None, 2018, 2019, 2020)):
        assert _notes_changes(old, new, threshold, "実施状況", 5, base) == _plain_notes_changes(
            old, new, threshold, "実施状況", 5, base
        ), (old, new, threshold)


def _links_sheet_xml(fast: bool, texts: list[str]) -> str:
    """The <hyperlinks> element of a sheet with internal links to ``texts`` (as cell text and target)."""
    import io
    import re

    from kpi_report.compare.output import _FastSheet
    from kpi_report.core.files import new_xlsx

    buffer = io.BytesIO()
    wb = new_xlsx(buffer)
    wb.add_worksheet("新一覧")
    ws = wb.add_worksheet("変更一覧", worksheet_class=_FastSheet)
    fmt = wb.add_format({"underline": 1})
    for r, text in enumerate(texts, start=1):
        url = f"internal:'新一覧'!{text}"
        if fast:
            ws.whole_row(r, 0, 13, "", ws.internal_link(r, 13, url, fmt, text))
        else:
            ws.write_url(r, 13, url, fmt, text)
    ws.put(0, 0, "x", fmt)
    sheet = io.StringIO()
    ws._set_xml_writer(sheet)
    wb._prepare_format_properties()
    ws._assemble_xml_file()
    found = re.search("<hyperlinks>.*</hyperlinks>", sheet.getvalue())
    assert found is not None
    return found.group()


def test_hyperlinks_are_xlsxwriters_escaped_or_not() -> None:
    plain = [f"E{k}" for k in range(1, 40)]
    for texts in (plain, [*plain, 'A1&"<>\n'], ["A&B", "C1"], ['"', "<", ">", "\n", "&amp;"]):
        assert _links_sheet_xml(True, texts) == _links_sheet_xml(False, texts)


# _read_progress_sheet as it was: each ID read twice, every owners cell through _lead
def _plain_read_progress_sheet(name: str, cells: Sequence[Sequence[object]], header_row: int) -> ListSheet:
    grid = _rows(cells)
    columns = _columns(grid[header_row], _progress_role)
    table = [c.index for c in columns if c.role != "id"]
    first = min(table) if table else 0
    role_index = {c.role: c.index for c in columns}
    id_col, name_col, owners_col = role_index.get("id"), role_index.get("name"), role_index.get("owners")
    # first pass: which rows are group rows (text in the first column only) and which are items
    kinds: list[tuple[int, str]] = []
    for r in range(header_row + 1, len(grid)):
        row = grid[r]
        if cell_str(row, id_col):
            kinds.append((r, "item"))
            continue
        filled = [c for c in table if cell_str(row, c)]
        if filled == [first]:
            kinds.append((r, "group"))
        elif filled:
            kinds.append((r, "item"))
    number_col = role_index.get("number")
    items: list[Item] = []
    groups: list[GroupRow] = []
    goal = area = ""
    previous = (-2, "")  # (row, id) of the last item row: the renderer continues a very long measure below it
    for k, (r, kind) in enumerate(kinds):
        row = grid[r]
        if kind == "group":
            title = cell_str(row, first)
            next_is_group = k + 1 < len(kinds) and kinds[k + 1][1] == "group"
            prev_is_group = k > 0 and kinds[k - 1][1] == "group"
            if title.startswith("基本目標") or (next_is_group and not prev_is_group):
                goal, area = title, ""
                groups.append(GroupRow(r, "goal", title, title))
            else:
                area = title
                groups.append(GroupRow(r, "area", title, goal))
            continue
        item_id = cell_str(row, id_col)
        continues = previous[0] == r - 1 and (
            (item_id and item_id == previous[1])
            or (
                not item_id
                and not previous[1]
                and not cell_str(row, name_col)
                and not cell_str(row, number_col)
            )
        )
        previous = (r, item_id)
        if continues and items:
            last = items[-1]
            width = max(len(last.values), len(row))
            merged = [
                _join(
                    last.values[c] if c < len(last.values) else "",
                    row[c] if c < len(row) else "",
                    c == id_col,
                )
                for c in range(width)
            ]
            items[-1] = Item(
                last.item_id,
                last.goal,
                last.area,
                last.name,
                _lead(cell_text(merged[owners_col]).strip() if owners_col is not None else ""),
                last.row,
                last.position,
                tuple(merged),
            )
            continue
        owners = cell_str(row, owners_col)
        items.append(Item(item_id, goal, area, cell_str(row, name_col), _lead(owners), r, len(items), row))
    return ListSheet(name, grid, header_row, columns, tuple(items), tuple(groups))


_ODD = (
    "",
    " ",
    "1-1-01",
    " 1-1-02 ",
    "A\r\nB",
    "\r",
    "x\ny",
    "(兼)総務課",
    "（兼）総務課",
    "総務課\n（兼）企画課",
    "\n総務課",
    "総務課\n",
    " 総務課 ",
    "\u3000総務課",
    3,
    2.5,
    0.0,
    None,
    True,
    False,
    datetime.datetime(2020, 1, 1),
)


def test_read_progress_sheet_is_the_plain_read() -> None:
    """IDs and owners of every odd kind (numbers, booleans, dates, carriage returns, parentheses, blank lines):
    the same items, groups and values as the plain code."""
    rng = random.Random(15)
    header = ("基本目標・施策", "名称", "内容", "所管課", "進捗状況", "実施状況", "取組ID")
    for _ in range(300):
        grid: list[tuple[object, ...]] = [("表題", *[""] * 6), ("",) * 7, header]
        for _ in range(rng.randrange(1, 30)):
            if rng.random() < 0.2:  # a group row (rows are as wide as the sheet, as the reader gives them)
                grid.append((rng.choice(("基本目標1", "施策A", "")), *[""] * 6))
                continue
            grid.append(tuple(rng.choice(_ODD) for _ in header))
        assert _read_progress_sheet("一覧", grid, 2) == _plain_read_progress_sheet("一覧", grid, 2)


# _heading_renames as it was: a title made by a function, four times a pair
def _plain_heading_renames(
    pairs: Sequence[tuple[Item, Item]], level: str, goal_map: dict[str, str]
) -> dict[str, str]:
    """Goal titles (or goal+area keys, old goals mapped by ``goal_map``) that were re-worded.

    A title is taken as re-worded when it is gone from NEW, the new one was not in OLD, and most measures under
    each are the same measures.
    """

    def title(item: Item, goal_map: dict[str, str]) -> str:
        if level == "goal":
            return item.goal
        return f"{goal_map.get(item.goal, item.goal)}\x1f{item.area}"

    old_titles = {title(o, goal_map) for o, _ in pairs}
    new_titles = {title(n, {}) for _, n in pairs}
    links = Counter((title(o, goal_map), title(n, {})) for o, n in pairs)
    best_new: dict[str, tuple[int, str]] = {}
    best_old: dict[str, tuple[int, str]] = {}
    for (a, b), count in sorted(links.items()):
        if count > best_new.get(a, (0, ""))[0]:
            best_new[a] = (count, b)
        if count > best_old.get(b, (0, ""))[0]:
            best_old[b] = (count, a)
    renames: dict[str, str] = {}
    for a, (_, b) in best_new.items():
        if a != b and a not in new_titles and b not in old_titles and best_old[b][1] == a:
            renames[a] = b
    return renames


def test_heading_renames_are_the_plain_ones() -> None:
    rng = random.Random(15)
    goals, areas = ("目標1", "目標2", "目標A", ""), ("施策1", "施策2", "施策B", "")
    for _ in range(400):
        pairs = []
        for k in range(rng.randrange(0, 25)):
            old = Item(str(k), rng.choice(goals), rng.choice(areas), "名", "", k, k, ())
            new = Item(str(k), rng.choice(goals), rng.choice(areas), "名", "", k, k, ())
            pairs.append((old, new))
        goal_map = _heading_renames(pairs, "goal", {})
        assert goal_map == _plain_heading_renames(pairs, "goal", {})
        for mapping in (goal_map, {"目標1": "目標A"}, {}):
            assert _heading_renames(pairs, "area", mapping) == _plain_heading_renames(pairs, "area", mapping)
