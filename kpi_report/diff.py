"""The auditors' comparison of two progress lists (進捗状況一覧表): read, match by ID, diff by character.

Rows are matched by 取組ID (the hidden column of the progress sheet) and KPI_ID, never by position; without the ID
column (a list edited by hand) by 基本目標 + 施策 + 名称. Text is compared character by character (Japanese has no
spaces), numbers by value (`73.2` = `73.20`, `1,234` = `1234`). The notes cell is split into its 【年度】 blocks so a
new year's block (normal growth) is told apart from an edit of a year already published.
:mod:`kpi_report.diff_xlsx` writes the result.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import unicodedata
import zipfile
import zlib
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Literal

from python_calamine import CalamineError, CalamineWorkbook
from xlsxwriter.utility import xl_cell_to_rowcol, xl_rowcol_to_cell

from kpi_report.errors import DiffError, KpiReportError
from kpi_report.findings import make_finding
from kpi_report.fiscal import parse_fy
from kpi_report.model import Finding, Progress
from kpi_report.values import is_missing_mark, normalize_choice, parse_number

PROGRESS_SHEET = "進捗状況一覧表"
KPI_SHEET = "KPI"

# kind slug -> Japanese label, in the order the summary lists them
KINDS: dict[str, str] = {
    "column-added": "列の追加",
    "column-removed": "列の削除",
    "column-renamed": "列名の変更",
    "heading-changed": "基本目標・施策名の変更",
    "measure-added": "取組の追加",
    "measure-removed": "取組の削除",
    "measure-moved": "取組の移動",
    "name-changed": "名称の変更",
    "content-changed": "内容の変更",
    "owners-changed": "所管課の変更",
    "other-changed": "その他の列の変更",
    "status-changed": "進捗状況の変化",
    "new-year-notes": "新年度の実施状況の追加",
    "past-notes-edited": "過去年度の実施状況の修正",
    "kpi-added": "KPIの追加",
    "kpi-removed": "KPIの削除",
    "kpi-moved": "KPIの移動",
    "kpi-definition-changed": "KPIの定義の変更",
    "kpi-target-changed": "目標値の変更",
    "kpi-new-actual": "新年度の実績値",
    "kpi-actual-changed": "実績値の修正",
    "kpi-rate-changed": "達成率の変化",
    "kpi-grade-changed": "評価の変化",
}

MATCHING_LABELS = {
    "id": "取組ID",
    "name": "基本目標＋施策＋名称",
    "kpi-id": "KPI_ID",
    "kpi-name": "基本目標＋施策＋指標名",
}

MIN_EQUAL_RUN = 3  # equal runs shorter than this between two changes are folded into the change
MAX_HEADER_SCAN = 10  # the header row is looked for in the first rows only
MAX_CELLS = 10_000_000  # A1 to the last used cell; a sheet claiming more is refused before it is read
MAX_PARTS, MAX_UNZIPPED = 10_000, 512 << 20  # a progress list never comes near these; a zip bomb does

_DIGITS = frozenset("0123456789０１２３４５６７８９")
_NUMBER_CHARS = "0123456789０１２３４５６７８９,.，．"
_ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=\"(\d{1,9})\"")
_CELL_COLUMN = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=\"([A-Za-z]{1,3})\d")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADING_LINE = re.compile(r"^[ \t\u3000]*【[^】\n]*】[ \t\u3000]*$", re.MULTILINE)
_ERA_YEAR = re.compile(r"(昭和|平成|令和)(元|\d{1,2})年度")


# ---------------------------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Span:
    """A run of a character diff: ``equal`` text kept, ``delete`` text only in OLD, ``insert`` only in NEW."""

    op: Literal["equal", "insert", "delete"]
    text: str


@dataclass(frozen=True)
class Change:
    """One reported difference. ``row``/``col`` locate it on NEW's sheet (0-based; -1 = not there / whole row)."""

    kind: str  # a key of KINDS
    sheet: str  # the sheet of the list it concerns
    item_id: str = ""  # 取組ID or KPI_ID
    goal: str = ""
    area: str = ""
    name: str = ""  # 名称 or 指標名
    department: str = ""  # lead owner: first line of 所管課
    column: str = ""  # header of the changed column
    old: str = ""
    new: str = ""
    detail: str = ""  # short Japanese description, e.g. 「実施中 → 完了」
    spans: tuple[Span, ...] = ()  # character diff of old → new (text changes only)
    row: int = -1
    col: int = -1

    @property
    def label(self) -> str:
        """The kind in Japanese."""
        return KINDS[self.kind]

    @property
    def cell(self) -> str:
        """A1 reference of the changed cell on NEW's sheet ("" when it is not there)."""
        if self.row < 0:
            return ""
        return str(xl_rowcol_to_cell(self.row, max(self.col, 0)))


@dataclass(frozen=True)
class Column:
    """A column of a list sheet: position, header as written, and what it holds."""

    index: int
    header: str
    role: str  # id, number, name, content, owners, status, notes / goal, area, unit, … ; other:<header>


@dataclass(frozen=True)
class Item:
    """A measure row (progress sheet) or KPI row (KPI sheet)."""

    item_id: str
    goal: str
    area: str
    name: str
    department: str
    row: int  # 0-based row on its sheet
    position: int  # order among the sheet's items
    values: tuple[object, ...]


@dataclass(frozen=True)
class GroupRow:
    """A 基本目標 or 施策 row of the progress sheet."""

    row: int
    level: Literal["goal", "area"]
    title: str
    goal: str  # the goal it belongs to (itself for a goal row)


@dataclass(frozen=True)
class ListSheet:
    """One sheet of a progress list as read: the raw grid, its columns, items and group rows."""

    name: str
    grid: tuple[tuple[object, ...], ...]
    header_row: int
    columns: tuple[Column, ...]
    items: tuple[Item, ...]
    groups: tuple[GroupRow, ...] = ()

    def col(self, role: str) -> int | None:
        """Index of the column with ``role``, or None."""
        for c in self.columns:
            if c.role == role:
                return c.index
        return None

    @property
    def has_ids(self) -> bool:
        """True when the sheet has an ID column with at least one ID in it."""
        return self.col("id") is not None and any(i.item_id for i in self.items)


@dataclass(frozen=True)
class ProgressList:
    """A progress-list workbook as read."""

    file: str  # file name as given
    sha256: str
    title: str  # row 1
    year_line: str  # row 2, e.g. 令和元年度（2019年度）
    report_fy: int | None
    measures: ListSheet
    kpis: ListSheet | None


@dataclass(frozen=True)
class DiffResult:
    """Everything the comparison found, in report order."""

    old: ProgressList
    new: ProgressList
    measure_matching: str  # "id" or "name"
    kpi_matching: str  # "kpi-id", "kpi-name", or "" when KPIs were not compared
    changes: tuple[Change, ...]
    findings: tuple[Finding, ...] = ()

    def count_by_kind(self) -> list[tuple[str, int]]:
        """(kind, count) for every kind, in KINDS order (zeros included)."""
        counts = Counter(c.kind for c in self.changes)
        return [(kind, counts.get(kind, 0)) for kind in KINDS]

    def count_by_goal(self) -> list[tuple[str, Counter[str]]]:
        """(goal, counts by kind) in NEW's goal order, then goals only OLD had; "" = list-wide changes."""
        return _grouped(self.changes, lambda c: c.goal, self._goal_order())

    def count_by_department(self) -> list[tuple[str, Counter[str]]]:
        """(lead department, counts by kind), most changes first."""
        groups = _grouped(self.changes, lambda c: c.department, [])
        return sorted(groups, key=lambda g: (-g[1].total(), g[0]))

    def _goal_order(self) -> list[str]:
        order: dict[str, None] = {}
        for doc in (self.new, self.old):
            for g in doc.measures.groups:
                if g.level == "goal":
                    order.setdefault(g.title, None)
            for i in doc.measures.items:
                order.setdefault(i.goal, None)
        return list(order)


def _grouped(
    changes: Iterable[Change], key: Callable[[Change], str], order: Sequence[str]
) -> list[tuple[str, Counter[str]]]:
    groups: dict[str, Counter[str]] = {name: Counter() for name in order}
    for c in changes:
        groups.setdefault(key(c), Counter())[c.kind] += 1
    return [(name, counts) for name, counts in groups.items() if counts]


# ---------------------------------------------------------------------------------------------------------------
# Text and numbers


def cell_text(value: object) -> str:
    """A cell value as text: numbers without a trailing .0, line breaks as \\n, blank as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value if "\r" not in value else value.replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.12g}"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def char_spans(old: str, new: str) -> tuple[Span, ...]:
    """Character diff of ``old`` → ``new`` grouped into readable runs.

    difflib on characters (no junk heuristic); a change touching a number takes the whole number (10 → 12, not
    1 kept and 0 → 2); equal runs shorter than MIN_EQUAL_RUN, or shorter than both neighbouring changes, are folded
    into the changes, so a re-worded phrase reads as one deletion and one insertion.
    """
    if old == new:
        return (Span("equal", old),) if old else ()
    # a segment is ["=", text, ""] (kept) or ["~", deleted, inserted] (changed)
    segments: list[list[str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(["=", old[i1:i2], ""])
        elif segments and segments[-1][0] == "~":
            segments[-1][1] += old[i1:i2]
            segments[-1][2] += new[j1:j2]
        else:
            segments.append(["~", old[i1:i2], new[j1:j2]])
    _widen_numbers(segments)
    spans: list[Span] = []
    for kind, a, b in _fold(segments):
        if kind == "=":
            if a:
                spans.append(Span("equal", a))
            continue
        if a:
            spans.append(Span("delete", a))
        if b:
            spans.append(Span("insert", b))
    return tuple(spans)


def _widen_numbers(segments: list[list[str]]) -> None:
    """Move the digits of a number cut by a change from the neighbouring equal runs into the change."""
    for k, (kind, a, b) in enumerate(segments):
        if kind != "~":
            continue
        if k > 0 and segments[k - 1][0] == "=":
            left = segments[k - 1][1]
            if left[-1:] in _DIGITS and (a[:1] in _DIGITS or b[:1] in _DIGITS):
                kept = left.rstrip(_NUMBER_CHARS)
                moved = left[len(kept) :]
                segments[k - 1][1] = kept
                a, b = moved + a, moved + b
        if k + 1 < len(segments) and segments[k + 1][0] == "=":
            right = segments[k + 1][1]
            if right[:1] in _DIGITS and (a[-1:] in _DIGITS or b[-1:] in _DIGITS):
                kept = right.lstrip(_NUMBER_CHARS)
                moved = right[: len(right) - len(kept)]
                segments[k + 1][1] = kept
                a, b = a + moved, b + moved
        segments[k] = ["~", a, b]


def _fold(segments: list[list[str]]) -> list[list[str]]:
    """Fold short equal runs between two changes into one change, until nothing more folds."""
    folded = True
    while folded:
        folded = False
        out: list[list[str]] = []
        for segment in segments:
            if out and segment[0] == "~" and out[-1][0] == "~":
                out[-1][1] += segment[1]
                out[-1][2] += segment[2]
                continue
            if len(out) >= 2 and segment[0] == "~" and out[-1][0] == "=" and out[-2][0] == "~":
                equal, before = out[-1][1], out[-2]
                size = min(max(len(before[1]), len(before[2])), max(len(segment[1]), len(segment[2])))
                if len(equal) < MIN_EQUAL_RUN or len(equal) < size:
                    out.pop()
                    before[1] += equal + segment[1]
                    before[2] += equal + segment[2]
                    folded = True
                    continue
            out.append(segment)
        segments = out
    return segments


def _number(value: object, unit: str, percent: bool) -> tuple[bool, float | None]:
    """(parsed ok, value); a percentage written as text (`73.2%`) is scaled like the stored 0.732."""
    parsed = parse_number(value, unit)
    if not parsed.ok:
        return False, None
    text_percent = isinstance(value, str) and unicodedata.normalize("NFKC", value).strip().endswith("%")
    if percent and parsed.value is not None and text_percent:
        return True, parsed.value / 100
    return True, parsed.value


def same_value(
    old: object, new: object, unit: str = "", percent: bool = False, old_unit: str | None = None
) -> bool:
    """True when two cells hold the same value, tolerant of representation (73.2 = 73.20, 1,234 = 1234, 45人 = 45).

    ``unit`` is the KPI's 単位 (``old_unit`` OLD's, when it differs); ``percent`` for 達成率 (0.732 = `73.2%`).
    """
    ok_a, a = _number(old, unit if old_unit is None else old_unit, percent)
    ok_b, b = _number(new, unit, percent)
    if ok_a and ok_b:
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return cell_text(old).strip() == cell_text(new).strip()


def _value_text(value: object, percent: bool, digits: int = 1) -> str:
    if percent and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value * 100:.{digits}f}%"
    return cell_text(value)


# ---------------------------------------------------------------------------------------------------------------
# Notes


@dataclass(frozen=True)
class YearBlock:
    """A block of the notes cell: its 【年度】 heading line (or "" before the first heading) and its text."""

    key: str  # "2018" for a parsed year, the heading otherwise
    fy: int | None
    heading: str
    text: str


def split_year_blocks(notes: str) -> list[YearBlock]:
    """Split a notes cell into blocks at each line that is a 【…年度】 heading."""
    starts = [m.start() for m in _HEADING_LINE.finditer(notes)]
    pieces: list[str] = []
    if not starts or starts[0] > 0:
        pieces.append(notes[: starts[0] - 1] if starts else notes)
    for k, start in enumerate(starts):
        pieces.append(notes[start : starts[k + 1] - 1] if k + 1 < len(starts) else notes[start:])
    result: list[YearBlock] = []
    seen: dict[str, int] = {}
    for k, text in enumerate(pieces):
        heading = "" if k == 0 and (not starts or starts[0] > 0) else text.split("\n", 1)[0].strip()
        fy = _heading_fy(heading)
        key = str(fy) if fy is not None else heading
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key}#{seen[key]}"
        result.append(YearBlock(key, fy, heading, text))
    return result


@lru_cache(maxsize=1024)
def _heading_fy(heading: str) -> int | None:
    inner = heading.strip("【】 ")
    if not inner:
        return None
    try:
        return parse_fy(inner)
    except KpiReportError:
        return None


# ---------------------------------------------------------------------------------------------------------------
# Reading


def _norm(text: str) -> str:
    return normalize_choice(text)


def _progress_role(header: str) -> str:
    h = _norm(header)
    if h in ("取組ID", "ID"):
        return "id"
    if h in ("施策番号", "番号", "No", "No."):
        return "number"
    if h in ("名称", "取組名", "事業名"):
        return "name"
    if h == "内容":
        return "content"
    if h.startswith("所管課"):
        return "owners"
    if h == "進捗状況":
        return "status"
    if re.search(r"実施(等)?状況", h):
        return "notes"
    return f"other:{header}"


def _kpi_role(header: str) -> str:
    h = _norm(header)
    fixed = {
        "KPI_ID": "id",
        "KPIID": "id",
        "基本目標": "goal",
        "施策": "area",
        "指標名": "name",
        "単位": "unit",
        "基準値": "baseline",
        "基準年度": "baseline_fy",
        "目標値": "target",
        "目標年度": "target_fy",
        "達成率": "rate",
        "評価": "grade",
        "所管課": "owners",
    }
    if h in fixed:
        return fixed[h]
    if h.endswith("実績"):
        fy = _heading_fy(h[: -len("実績")])
        if fy is not None:
            return f"actual:{fy}"
    return f"other:{header}"


def _open(path: Path) -> tuple[CalamineWorkbook, str]:
    """Open ``path`` as an .xlsx (content checked, not the name) and return it with its sha256."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DiffError(f"{path} がありません。ファイル名を確認してください。") from exc
    except OSError as exc:
        raise DiffError(f"{path} を読めません（{exc.strerror or exc}）。") from exc
    if data.startswith(_OLE_MAGIC):
        raise DiffError(
            f"{path.name} は Excel 97 形式（.xls）かパスワード付きのファイルです。"
            "パスワードを外し、.xlsx 形式で保存し直してください。"
        )
    if not data.startswith(b"PK\x03\x04"):
        raise DiffError(
            f"{path.name} は .xlsx ファイルではありません（空・破損・別の形式）。進捗状況一覧表の .xlsx を指定してください。"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > MAX_UNZIPPED:
                raise DiffError(
                    f"{path.name} は展開後の大きさが異常なため読みません。進捗状況一覧表の .xlsx を指定してください。"
                )
            for part in parts:
                if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                    _check_extent(path.name, archive.read(part))
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise DiffError(
            f"{path.name} は壊れています（.xlsx として開けません）。保存し直してください。"
        ) from exc
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except CalamineError as exc:
        raise DiffError(
            f"{path.name} を .xlsx として読めません（{exc}）。Excel で保存し直してください。"
        ) from exc
    return workbook, hashlib.sha256(data).hexdigest()


def _check_extent(file: str, sheet_xml: bytes) -> None:
    """Refuse a sheet whose cells span more than MAX_CELLS from A1.

    The reader allocates the whole rectangle up to the last cell, so one cell at XFD1048576 would take hundreds
    of gigabytes; the cell references are checked in the XML first.
    """
    rows = [int(r) for r in _ROW_REF.findall(sheet_xml)]
    columns = set(_CELL_COLUMN.findall(sheet_xml))
    last_row = max(rows, default=0)
    last_col = max((xl_cell_to_rowcol(c.decode("ascii").upper() + "1")[1] + 1 for c in columns), default=0)
    if last_row * last_col > MAX_CELLS:
        raise DiffError(
            f"{file} のシートの範囲が大きすぎます（A1:{xl_rowcol_to_cell(last_row - 1, last_col - 1)}）。"
            "一覧の範囲外に入力された値を削除して保存し直してください。"
        )


def _find_sheet(
    workbook: CalamineWorkbook, preferred: str, required: tuple[str, ...]
) -> tuple[str, Sequence[Sequence[object]], int] | None:
    """The sheet (preferred name first) whose first rows contain a header row with all ``required`` texts."""
    names = list(workbook.sheet_names)
    order = ([preferred] if preferred in names else []) + [n for n in names if n != preferred]
    for name in order:
        try:
            sheet = workbook.get_sheet_by_name(name)
            head = sheet.to_python(skip_empty_area=False, nrows=MAX_HEADER_SCAN)
            header_row = next(
                (
                    r
                    for r, row in enumerate(head)
                    if all(t in {_norm(cell_text(v)) for v in row} for t in required)
                ),
                None,
            )
            if header_row is not None:
                grid: Sequence[Sequence[object]] = sheet.to_python(skip_empty_area=False)
                return name, grid, header_row
        except CalamineError as exc:
            raise DiffError(f"シート『{name}』を読めません（{exc}）。Excel で保存し直してください。") from exc
    return None


def _columns(header: Sequence[object], role_of: Callable[[str], str]) -> tuple[Column, ...]:
    columns: list[Column] = []
    taken: set[str] = set()
    for index, value in enumerate(header):
        text = cell_text(value).strip()
        if not text:
            continue
        role = role_of(text)
        if role in taken:  # a second column with the same meaning is compared as an extra column
            role = f"other:{text}#{index}"
        taken.add(role)
        columns.append(Column(index, text, role))
    return tuple(columns)


def _cell(row: Sequence[object], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    value = row[index]
    if value == "":
        return ""
    return cell_text(value).strip()


def _join(first: object, more: object, is_id: bool) -> object:
    """A cell of a measure continued on the next row: the pieces joined by a line break (the ID kept once)."""
    a, b = cell_text(first), cell_text(more)
    if is_id or not b:
        return first
    return f"{a}\n{b}" if a else more


def _lead(owners: str) -> str:
    for line in owners.split("\n"):
        line = line.strip()
        if line and not line.startswith(("(", "（")):
            return line
    return ""


def _read_progress_sheet(name: str, grid: Sequence[Sequence[object]], header_row: int) -> ListSheet:
    columns = _columns(grid[header_row], _progress_role)
    table = [c.index for c in columns if c.role != "id"]
    first = min(table) if table else 0
    role_index = {c.role: c.index for c in columns}
    id_col, name_col, owners_col = role_index.get("id"), role_index.get("name"), role_index.get("owners")
    # first pass: which rows are group rows (text in the first column only) and which are items
    kinds: list[tuple[int, str]] = []
    for r in range(header_row + 1, len(grid)):
        row = grid[r]
        if _cell(row, id_col):
            kinds.append((r, "item"))
            continue
        filled = [c for c in table if _cell(row, c)]
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
            title = _cell(row, first)
            next_is_group = k + 1 < len(kinds) and kinds[k + 1][1] == "group"
            prev_is_group = k > 0 and kinds[k - 1][1] == "group"
            if title.startswith("基本目標") or (next_is_group and not prev_is_group):
                goal, area = title, ""
                groups.append(GroupRow(r, "goal", title, title))
            else:
                area = title
                groups.append(GroupRow(r, "area", title, goal))
            continue
        item_id = _cell(row, id_col)
        continues = previous[0] == r - 1 and (
            (item_id and item_id == previous[1])
            or (not item_id and not previous[1] and not _cell(row, name_col) and not _cell(row, number_col))
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
        owners = _cell(row, owners_col)
        items.append(
            Item(item_id, goal, area, _cell(row, name_col), _lead(owners), r, len(items), tuple(row))
        )
    return ListSheet(name, tuple(tuple(r) for r in grid), header_row, columns, tuple(items), tuple(groups))


def _read_kpi_sheet(name: str, grid: Sequence[Sequence[object]], header_row: int) -> ListSheet:
    columns = _columns(grid[header_row], _kpi_role)
    role_index = {c.role: c.index for c in columns}
    items: list[Item] = []
    for r in range(header_row + 1, len(grid)):
        row = grid[r]
        if not any(_cell(row, c.index) for c in columns):
            continue
        items.append(
            Item(
                _cell(row, role_index.get("id")),
                _cell(row, role_index.get("goal")),
                _cell(row, role_index.get("area")),
                _cell(row, role_index.get("name")),
                _lead(_cell(row, role_index.get("owners"))),
                r,
                len(items),
                tuple(row),
            )
        )
    return ListSheet(name, tuple(tuple(r) for r in grid), header_row, columns, tuple(items))


def _report_fy(measures: ListSheet, year_line: str) -> int | None:
    notes = measures.col("notes")
    header = next((c.header for c in measures.columns if c.index == notes), "")
    for text in (header.split("まで")[0] if "まで" in header else "", year_line):
        m = _ERA_YEAR.search(unicodedata.normalize("NFKC", text))
        if m:
            return parse_fy(m.group(0))
    years = [
        b.fy
        for i in measures.items
        if notes is not None and notes < len(i.values)
        for b in split_year_blocks(cell_text(i.values[notes]))
        if b.fy is not None
    ]
    return max(years) if years else None


def read_progress_list(path: Path) -> ProgressList:
    """Read a progress-list workbook (the 進捗状況一覧表 sheet and, when present, the KPI sheet).

    Raises:
        DiffError: the file is not a readable .xlsx or has no progress sheet.
    """
    workbook, sha256 = _open(path)
    found = _find_sheet(workbook, PROGRESS_SHEET, ("名称", "進捗状況"))
    if found is None:
        raise DiffError(
            f"{path.name} に進捗状況一覧表のシートがありません（「名称」「進捗状況」の見出し行が見つかりません）。"
            "kpi-report build で作った progress-list.xlsx を指定してください。"
        )
    name, grid, header_row = found
    measures = _read_progress_sheet(name, grid, header_row)
    kpi_found = _find_sheet(workbook, KPI_SHEET, ("KPI_ID", "指標名"))
    kpis = _read_kpi_sheet(*kpi_found) if kpi_found else None
    title = next((cell_text(v).strip() for v in (grid[0] if grid else []) if cell_text(v).strip()), "")
    year_line = ""
    if header_row >= 2:
        year_line = next((cell_text(v).strip() for v in grid[1] if cell_text(v).strip()), "")
    return ProgressList(path.name, sha256, title, year_line, _report_fy(measures, year_line), measures, kpis)


# ---------------------------------------------------------------------------------------------------------------
# Matching


@dataclass
class _Pairing:
    pairs: list[tuple[Item, Item]] = field(default_factory=list)  # in NEW order
    removed: list[Item] = field(default_factory=list)
    added: list[Item] = field(default_factory=list)


def _keys(items: Sequence[Item], by_id: bool) -> tuple[dict[str, Item], list[Item]]:
    """Items by matching key; the second list holds items whose key was already taken (duplicates)."""
    keyed: dict[str, Item] = {}
    duplicates: list[Item] = []
    for item in items:
        if by_id and item.item_id:
            key = item.item_id
        else:
            key = "\x1f".join(_norm(t) for t in (item.goal, item.area, item.name))
        if key in keyed:
            duplicates.append(item)
            key = f"{key}\x1e{item.position}"
        keyed[key] = item
    return keyed, duplicates


def _pair(old: Sequence[Item], new: Sequence[Item], by_id: bool) -> tuple[_Pairing, list[Item], list[Item]]:
    old_keyed, old_dups = _keys(old, by_id)
    new_keyed, new_dups = _keys(new, by_id)
    result = _Pairing()
    for key, item in new_keyed.items():
        other = old_keyed.get(key)
        if other is None:
            result.added.append(item)
        else:
            result.pairs.append((other, item))
    matched = {id(o) for o, _ in result.pairs}
    result.removed = [o for o in old if id(o) not in matched]
    if not by_id:
        # a measure moved to another goal or area keeps its name: pair names unique among the unmatched
        old_names = Counter(_norm(o.name) for o in result.removed)
        new_names = Counter(_norm(n.name) for n in result.added)
        by_name = {_norm(o.name): o for o in result.removed if old_names[_norm(o.name)] == 1}
        still_added: list[Item] = []
        for item in result.added:
            other = by_name.get(_norm(item.name))
            if other is not None and new_names[_norm(item.name)] == 1 and item.name:
                result.pairs.append((other, item))
                result.removed.remove(other)
            else:
                still_added.append(item)
        result.added = still_added
        result.pairs.sort(key=lambda p: p[1].position)
    return result, old_dups, new_dups


def _heading_renames(
    pairs: Sequence[tuple[Item, Item]], level: Literal["goal", "area"], goal_map: dict[str, str]
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


def _moved_by_order(pairs: Sequence[tuple[Item, Item]]) -> set[int]:
    """Indexes (into pairs, NEW order) of items outside the longest run kept in OLD order."""
    positions = [o.position for o, _ in pairs]
    tails: list[int] = []  # positions value of the smallest tail of each length
    tail_index: list[int] = []
    parent = [-1] * len(positions)
    for k, p in enumerate(positions):
        j = bisect_left(tails, p)
        if j == len(tails):
            tails.append(p)
            tail_index.append(k)
        else:
            tails[j] = p
            tail_index[j] = k
        parent[k] = tail_index[j - 1] if j > 0 else -1
    keep: set[int] = set()
    k = tail_index[-1] if tail_index else -1
    while k >= 0:
        keep.add(k)
        k = parent[k]
    return set(range(len(positions))) - keep


# ---------------------------------------------------------------------------------------------------------------
# Comparing


@dataclass(frozen=True)
class _Cols:
    """Columns paired between OLD and NEW: role -> (old index, new index, NEW header)."""

    pairs: dict[str, tuple[int, int, str]]
    changes: tuple[Change, ...]


def _pair_columns(old: ListSheet, new: ListSheet, kpi: bool) -> _Cols:
    old_by_role = {c.role: c for c in old.columns}
    new_by_role = {c.role: c for c in new.columns}
    pairs = {
        role: (c.index, new_by_role[role].index, new_by_role[role].header)
        for role, c in old_by_role.items()
        if role in new_by_role
    }
    old_rest = {c.index: c for c in old.columns if c.role not in new_by_role}
    new_rest = {c.index: c for c in new.columns if c.role not in old_by_role}
    changes: list[Change] = []
    sheet = new.name
    for index in sorted(set(old_rest) & set(new_rest)):
        o, n = old_rest.pop(index), new_rest.pop(index)
        if "id" in (o.role, n.role):
            old_rest[index], new_rest[index] = o, n
            continue
        role = o.role if not o.role.startswith("other:") else n.role
        pairs[role] = (o.index, n.index, n.header)
        changes.append(
            Change(
                "column-renamed",
                sheet,
                column=n.header,
                old=o.header,
                new=n.header,
                detail=f"「{o.header}」→「{n.header}」",
                spans=char_spans(o.header, n.header),
                row=new.header_row,
                col=n.index,
            )
        )
    for o in sorted(old_rest.values(), key=lambda c: c.index):
        if o.role != "id":
            changes.append(
                Change("column-removed", sheet, column=o.header, old=o.header, detail="列がなくなりました")
            )
    for n in sorted(new_rest.values(), key=lambda c: c.index):
        if n.role == "id" or (kpi and n.role.startswith("actual:")):
            continue  # the ID column only decides the matching; a new year's actuals are kpi-new-actual
        changes.append(
            Change(
                "column-added",
                sheet,
                column=n.header,
                new=n.header,
                detail="列が加わりました",
                row=new.header_row,
                col=n.index,
            )
        )
    return _Cols(pairs, tuple(changes))


def _where(item: Item, number: str = "") -> str:
    parts = [p for p in (item.goal, item.area, number) if p]
    return " ／ ".join(parts)


def _measure_changes(
    old: Item,
    new: Item,
    cols: _Cols,
    sheet: ListSheet,
    notes_threshold: int | None,
) -> list[Change]:
    changes: list[Change] = []
    base = {
        "sheet": sheet.name,
        "item_id": new.item_id or old.item_id,
        "goal": new.goal,
        "area": new.area,
        "name": new.name,
        "department": new.department,
        "row": new.row,
    }
    kinds = {"name": "name-changed", "content": "content-changed", "owners": "owners-changed"}
    for role, (oi, ni, header) in cols.pairs.items():
        if role in ("id", "number"):
            continue  # the number is the display position: a move or an insertion above changes it
        raw_a = old.values[oi] if oi < len(old.values) else ""
        raw_b = new.values[ni] if ni < len(new.values) else ""
        if raw_a == raw_b:
            continue
        a, b = cell_text(raw_a), cell_text(raw_b)
        if a == b:
            continue
        if role == "notes":
            changes.extend(_notes_changes(a, b, notes_threshold, header, ni, base))
            continue
        if a.strip() == b.strip():
            continue
        kind = "status-changed" if role == "status" else kinds.get(role, "other-changed")
        detail = f"{a or '（空欄）'} → {b or '（空欄）'}" if role == "status" else ""
        changes.append(
            Change(kind, column=header, old=a, new=b, detail=detail, spans=char_spans(a, b), col=ni, **base)  # type: ignore[arg-type]
        )
    return changes


def _notes_changes(
    old: str, new: str, threshold: int | None, header: str, col: int, base: dict[str, object]
) -> list[Change]:
    if old and new.startswith(old + "\n") and _HEADING_LINE.match(new, len(old) + 1):
        # the usual yearly growth: blocks appended after an unchanged text; only the new part needs splitting
        added = split_year_blocks(new[len(old) + 1 :])
        if all(
            b.fy is not None and (threshold is None or b.fy > threshold) and b.heading not in old
            for b in added
        ):
            return [_new_year_change(b, header, col, base) for b in added]
    old_blocks = {b.key: b for b in split_year_blocks(old)} if old else {}
    new_blocks = split_year_blocks(new) if new else []
    changes: list[Change] = []
    for block in new_blocks:
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
                        **base,  # type: ignore[arg-type]
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
                    **base,  # type: ignore[arg-type]
                )
            )
    return changes


def _new_year_change(
    block: YearBlock, header: str, col: int, base: dict[str, object], growth: bool = True
) -> Change:
    """A block added to the notes: a new year's (growth) or one for a year already published (an edit)."""
    return Change(
        "new-year-notes" if growth else "past-notes-edited",
        column=header,
        new=block.text,
        detail=f"{block.heading or '（年度見出しの前）'}を追加",
        spans=(Span("insert", block.text),),
        col=col,
        **base,  # type: ignore[arg-type]
    )


def _kpi_changes(old: Item, new: Item, cols: _Cols, sheet: ListSheet, old_years: set[str]) -> list[Change]:
    changes: list[Change] = []
    base = {
        "sheet": sheet.name,
        "item_id": new.item_id or old.item_id,
        "goal": new.goal,
        "area": new.area,
        "name": new.name,
        "department": new.department,
        "row": new.row,
    }
    unit_pair = cols.pairs.get("unit")
    unit = _cell(new.values, unit_pair[1]) if unit_pair else ""
    old_unit = _cell(old.values, unit_pair[0]) if unit_pair else ""
    numeric = {"baseline", "target", "rate"}
    for role, (oi, ni, header) in cols.pairs.items():
        if role in ("id", "goal", "area"):
            continue  # goal and area changes are reported as a move
        a = old.values[oi] if oi < len(old.values) else ""
        b = new.values[ni] if ni < len(new.values) else ""
        if a == b:
            continue
        percent = role == "rate"
        if role in numeric or role.startswith("actual:"):
            if same_value(a, b, unit, percent, old_unit):
                continue
        elif cell_text(a).strip() == cell_text(b).strip():
            continue
        if role.startswith("actual:"):
            kind = "kpi-actual-changed"
        elif role == "rate":
            kind = "kpi-rate-changed"
        elif role == "grade":
            kind = "kpi-grade-changed"
        elif role in ("target", "target_fy"):
            kind = "kpi-target-changed"
        else:
            kind = "kpi-definition-changed"
        ta, tb = _value_text(a, percent), _value_text(b, percent)
        if ta == tb:  # a rate that differs beyond the shown decimal
            ta, tb = _value_text(a, percent, 6), _value_text(b, percent, 6)
        changes.append(
            Change(
                kind,
                column=header,
                old=ta,
                new=tb,
                detail=f"{ta or '（空欄）'} → {tb or '（空欄）'}",
                spans=() if kind in ("kpi-actual-changed", "kpi-rate-changed") else char_spans(ta, tb),
                col=ni,
                **base,  # type: ignore[arg-type]
            )
        )
    for column in sheet.columns:
        if (
            column.role.startswith("actual:")
            and column.role not in old_years
            and column.role not in cols.pairs
        ):
            value = new.values[column.index] if column.index < len(new.values) else ""
            text = cell_text(value).strip()
            if text and not is_missing_mark(text):
                changes.append(
                    Change(
                        "kpi-new-actual",
                        column=column.header,
                        new=cell_text(value),
                        detail=f"{column.header}: {cell_text(value)}",
                        col=column.index,
                        **base,  # type: ignore[arg-type]
                    )
                )
    return changes


def _item_base(item: Item, sheet: ListSheet) -> dict[str, object]:
    return {
        "sheet": sheet.name,
        "item_id": item.item_id,
        "goal": item.goal,
        "area": item.area,
        "name": item.name,
        "department": item.department,
    }


def _compare_sheet(
    old: ListSheet,
    new: ListSheet,
    pairing: _Pairing,
    kpi: bool,
    goal_map: dict[str, str],
    area_map: dict[str, str],
    notes_threshold: int | None,
    progress: Progress | None,
) -> tuple[list[Change], list[Change]]:
    """Changes of one sheet: (column and heading changes, item changes in NEW order then removed items)."""
    cols = _pair_columns(old, new, kpi)
    head_changes = list(cols.changes)
    if not kpi:
        head_changes += _heading_changes(goal_map, area_map, new)

    def location(item: Item, mapped: bool) -> tuple[str, str]:
        if not mapped:
            return item.goal, item.area
        goal = goal_map.get(item.goal, item.goal)
        if not area_map:
            return goal, item.area
        key = f"{goal}\x1f{item.area}"
        return goal, area_map.get(key, key).split("\x1f", 1)[1]

    moved_place = [
        k
        for k, (o, n) in enumerate(pairing.pairs)
        if location(n, False) not in (location(o, False), location(o, True))
    ]
    in_place = [k for k in range(len(pairing.pairs)) if k not in set(moved_place)]
    reordered = {in_place[k] for k in _moved_by_order([pairing.pairs[k] for k in in_place])}
    moved = set(moved_place) | reordered
    number_old, number_new = old.col("number"), new.col("number")
    old_years = {r for r in cols.pairs if r.startswith("actual:")}
    by_row: dict[int, list[Change]] = {}
    for n in pairing.added:
        kind = "kpi-added" if kpi else "measure-added"
        by_row.setdefault(n.row, []).append(
            Change(kind, new=n.name, detail=f"追加: {_where(n)}", row=n.row, **_item_base(n, new))  # type: ignore[arg-type]
        )
    total = len(pairing.pairs)
    for k, (o, n) in enumerate(pairing.pairs):
        row_changes: list[Change] = []
        if k in moved:
            before = _where(o, _cell(o.values, number_old))
            after = _where(n, _cell(n.values, number_new))
            row_changes.append(
                Change(
                    "kpi-moved" if kpi else "measure-moved",
                    column="位置",
                    old=before,
                    new=after,
                    detail="基本目標・施策が変わりました"
                    if k in set(moved_place)
                    else "並び順が変わりました",
                    row=n.row,
                    col=number_new if number_new is not None else 0,
                    **_item_base(n, new),  # type: ignore[arg-type]
                )
            )
        if kpi:
            row_changes += _kpi_changes(o, n, cols, new, old_years)
        else:
            row_changes += _measure_changes(o, n, cols, new, notes_threshold)
        if row_changes:
            by_row.setdefault(n.row, []).extend(row_changes)
        if progress is not None and (k % 2000 == 0 or k == total - 1):
            progress(f"比較（{new.name}）", k + 1, total)
    item_changes = [c for r in sorted(by_row) for c in by_row[r]]
    for o in pairing.removed:
        item_changes.append(
            Change(
                "kpi-removed" if kpi else "measure-removed",
                old=o.name,
                detail=f"削除: {_where(o)}",
                **_item_base(o, old),  # type: ignore[arg-type]
            )
        )
    return head_changes, item_changes


def _heading_changes(goal_map: dict[str, str], area_map: dict[str, str], new: ListSheet) -> list[Change]:
    changes: list[Change] = []
    group_rows = {(g.level, g.goal if g.level == "area" else "", g.title): g.row for g in new.groups}
    for a, b in goal_map.items():
        row = group_rows.get(("goal", "", b), -1)
        changes.append(
            Change(
                "heading-changed",
                new.name,
                goal=b,
                column="基本目標",
                old=a,
                new=b,
                spans=char_spans(a, b),
                row=row,
                col=0,
            )
        )
    for a, b in area_map.items():
        old_area = a.split("\x1f", 1)[1]
        new_goal, new_area = b.split("\x1f", 1)
        if old_area == new_area:
            continue
        row = group_rows.get(("area", new_goal, new_area), -1)
        changes.append(
            Change(
                "heading-changed",
                new.name,
                goal=new_goal,
                area=new_area,
                column="施策",
                old=old_area,
                new=new_area,
                spans=char_spans(old_area, new_area),
                row=row,
                col=0,
            )
        )
    return changes


def _duplicate_findings(
    doc: ProgressList, sheet: ListSheet, items: Sequence[Item], by_id: bool
) -> list[Finding]:
    findings = []
    for item in items:
        column = sheet.col("id") if by_id and item.item_id else sheet.col("name")
        cell = xl_rowcol_to_cell(item.row, column or 0)
        findings.append(
            make_finding(
                "diff-duplicate-key",
                file=doc.file,
                sheet=sheet.name,
                cell=cell,
                item_id=item.item_id,
                value=item.item_id if by_id and item.item_id else item.name,
            )
        )
    return findings


def compare(old: ProgressList, new: ProgressList, progress: Progress | None = None) -> DiffResult:
    """Compare two progress lists already read; changes in report order (columns, headings, rows in NEW order)."""
    findings: list[Finding] = []
    by_id = old.measures.has_ids and new.measures.has_ids
    if not by_id:
        for doc in (old, new):
            if not doc.measures.has_ids:
                findings.append(make_finding("diff-matched-by-name", file=doc.file, sheet=doc.measures.name))
    pairing, old_dups, new_dups = _pair(old.measures.items, new.measures.items, by_id)
    goal_map = _heading_renames(pairing.pairs, "goal", {})
    area_map = _heading_renames(pairing.pairs, "area", goal_map)
    head, items = _compare_sheet(
        old.measures, new.measures, pairing, False, goal_map, area_map, old.report_fy, progress
    )
    findings += _duplicate_findings(old, old.measures, old_dups, by_id)
    findings += _duplicate_findings(new, new.measures, new_dups, by_id)
    changes = head + items
    kpi_matching = ""
    if old.kpis is not None and new.kpis is not None:
        kpi_by_id = old.kpis.has_ids and new.kpis.has_ids
        kpi_matching = "kpi-id" if kpi_by_id else "kpi-name"
        kpi_pairing, kpi_old_dups, kpi_new_dups = _pair(old.kpis.items, new.kpis.items, kpi_by_id)
        kpi_head, kpi_items = _compare_sheet(
            old.kpis, new.kpis, kpi_pairing, True, goal_map, area_map, None, progress
        )
        changes += kpi_head + kpi_items
        findings += _duplicate_findings(old, old.kpis, kpi_old_dups, kpi_by_id)
        findings += _duplicate_findings(new, new.kpis, kpi_new_dups, kpi_by_id)
    else:
        for doc in (old, new):
            if doc.kpis is None:
                findings.append(make_finding("diff-no-kpi-sheet", file=doc.file))
    return DiffResult(old, new, "id" if by_id else "name", kpi_matching, tuple(changes), tuple(findings))


def diff_files(old: Path, new: Path, progress: Progress | None = None) -> DiffResult:
    """Read two progress-list workbooks and compare them.

    Raises:
        DiffError: a file is not a readable .xlsx or has no progress sheet.
    """
    docs = [read_progress_list(path) for path in (old, new)]
    if progress is not None:  # reported once both are read, so an unreadable file leaves no half-drawn bar
        progress("読み込み", 2, 2)
    return compare(docs[0], docs[1], progress)
