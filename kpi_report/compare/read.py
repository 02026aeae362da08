"""Reading a progress list (進捗状況一覧表) back from its workbook, for diff.

The header rows and columns are found by their text, so small layout changes and lists edited by hand still read:
the progress sheet is the one (進捗状況一覧表 first) whose first rows hold 名称 and 進捗状況, the KPI sheet the one
with KPI_ID and 指標名. Group rows give each measure its 基本目標 and 施策; a measure the renderer continued on the next
row (same 取組ID) is joined back. The file is checked before the fast reader (python-calamine) sees it: content,
zip sizes, and the span of the cells (the reader allocates the whole rectangle from A1).
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from itertools import starmap
from multiprocessing.connection import Connection
from operator import attrgetter
from pathlib import Path
from typing import Any, Literal

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook
from xlsxwriter.utility import xl_rowcol_to_cell

from kpi_report.core.errors import DiffError, KpiReportError
from kpi_report.core.fiscal import parse_fy
from kpi_report.core.model import Finding
from kpi_report.core.values import cell_text, normalize_choice
from kpi_report.intake.workbook import Limits, read_at_most, screen, sheet_extent

PROGRESS_SHEET = "進捗状況一覧表"
KPI_SHEET = "KPI"
EVALUATION_SHEET = "施策評価"  # 効果検証 plans only; a list without it compares as before
COMMITTEE_SHEET = "外部評価"  # plans with a committee only; a list without it compares as before
MAX_HEADER_SCAN = 10  # the header row is looked for in the first rows only
# A1 to the last used cell, and rows: a sheet over either is refused before it is read (the reader makes one
# Python object per cell of the rectangle, about 100 bytes each; 1,000,000 cells are about 0.3 GB in all)
MAX_CELLS = 1_000_000
MAX_ROWS = 50_000  # a progress list of a plan with 20,000 measures (3 rows each at most) still fits
# the intake's checks (docs/security.md#2) with a progress list's sizes: a list never comes near these
LIMITS = Limits(max_file_bytes=64 << 20, max_parts=10_000, max_total_bytes=256 << 20, max_ratio=500.0)
HEADING_LINE = re.compile(r"^[ \t\u3000]*【[^】\n]*】[ \t\u3000]*$", re.MULTILINE)
_ERA_YEAR = re.compile(r"(昭和|平成|令和)(元|\d{1,2})年度")


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

    def __reduce__(self) -> tuple[Callable[..., ListSheet], tuple[object, ...]]:
        """Pickled with its items as tuples of their fields (a list read in another process comes back through
        a pipe): the same sheet, made in a third of the time; pickle's own way for each of 20,000 items took
        longer than the rest of the list."""
        return _list_sheet, (
            self.name,
            self.grid,
            self.header_row,
            self.columns,
            tuple(map(_ITEM_FIELDS, self.items)),
            self.groups,
        )


_ITEM_FIELDS = attrgetter(*(f.name for f in fields(Item)))


def _list_sheet(
    name: str,
    grid: tuple[tuple[object, ...], ...],
    header_row: int,
    columns: tuple[Column, ...],
    items: Iterable[tuple[Any, ...]],
    groups: tuple[GroupRow, ...],
) -> ListSheet:
    """The sheet :meth:`ListSheet.__reduce__` pickled."""
    return ListSheet(name, grid, header_row, columns, tuple(starmap(Item, items)), groups)


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
    areas: ListSheet | None = None  # sheet 施策評価 (効果検証), one item per 施策
    committee: ListSheet | None = None  # sheet 外部評価, one item per opinion (or 施策 without one)


@dataclass(frozen=True)
class YearBlock:
    """A block of the notes cell: its 【年度】 heading line (or "" before the first heading) and its text."""

    key: str  # "2018" for a parsed year, the heading otherwise
    fy: int | None
    heading: str
    text: str


def split_year_blocks(notes: str) -> list[YearBlock]:
    """Split a notes cell into blocks at each line that is a 【…年度】 heading."""
    starts = [m.start() for m in HEADING_LINE.finditer(notes)]
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


def _progress_role(header: str) -> str:
    h = normalize_choice(header)
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
    if h == "今後の方向性":
        return "direction"
    if h.startswith("予算額"):
        return "budget"
    if h.startswith("決算額"):
        return "settlement"
    if re.search(r"実施(等)?状況", h):
        return "notes"
    return f"other:{header}"


def _kpi_role(header: str) -> str:
    h = normalize_choice(header)
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
        "評価不能の理由": "not_evaluable",
        "所管課": "owners",
        "備考": "remarks",  # lists made before 備考 was published have none
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
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a folder, or a pipe or device that would block or never end
            raise DiffError(
                f"{path} は通常のファイルではありません。進捗状況一覧表の .xlsx を指定してください。"
            )
        data = read_at_most(path, info.st_size, LIMITS.max_file_bytes)
    except FileNotFoundError as exc:
        raise DiffError(f"{path} がありません。ファイル名を確認してください。") from exc
    except OSError as exc:
        raise DiffError(f"{path} を読めません（{exc.strerror or exc}）。") from exc
    if len(data) > LIMITS.max_file_bytes:
        raise DiffError(
            f"{path.name} は大きすぎるため読みません。進捗状況一覧表の .xlsx を指定してください。"
        )
    refused = screen(path.name, data, LIMITS)  # the intake's checks, with a progress list's limits
    if refused is not None:
        raise DiffError(_refusal(path.name, refused))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for part in archive.namelist():  # every XML part: a sheet may be stored under any name
            if part.endswith(".xml"):
                _check_extent(path.name, archive, part)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except CalamineError as exc:
        raise DiffError(
            f"{path.name} を .xlsx として読めません（{exc}）。Excel で保存し直してください。"
        ) from exc
    return workbook, hashlib.sha256(data).hexdigest()


def _refusal(file: str, finding: Finding) -> str:
    """What diff says about a file the intake's checks refused."""
    if finding.code in ("legacy-format", "encrypted-workbook") or "OLE" in finding.message:
        return (
            f"{file} は Excel 97 形式（.xls）かパスワード付き、または .xlsx 以外の形式のファイルです。"
            "パスワードを外し、.xlsx 形式で保存し直してください。"
        )
    if finding.code in ("archive-too-many-parts", "archive-too-large", "archive-ratio", "file-too-large"):
        return f"{file} は展開後の大きさが異常なため読みません。進捗状況一覧表の .xlsx を指定してください。"
    if finding.code == "xml-doctype":
        return f"{file} は XML に DTD・実体宣言を含むため読みません。Excel で保存し直してください。"
    if finding.code == "unreadable-file" and "zip" in finding.message:
        return f"{file} は壊れています（.xlsx として開けません）。保存し直してください。"
    return f"{file} は .xlsx ファイルではありません（空・破損・別の形式）。進捗状況一覧表の .xlsx を指定してください。"


def _check_extent(file: str, archive: zipfile.ZipFile, part: str) -> None:
    """Refuse a sheet whose cells span more than MAX_CELLS from A1, or more than MAX_ROWS rows.

    The reader allocates the whole rectangle up to the last cell, so one cell at XFD1048576 would take hundreds
    of gigabytes; the cell references are read first with the intake's hardened parser (any quoting).
    """
    try:
        last_row, last_col = sheet_extent(archive, part)
    except ValueError as exc:
        raise DiffError(f"{file} は壊れています（{exc}）。Excel で保存し直してください。") from exc
    if last_row * last_col > MAX_CELLS or last_row > MAX_ROWS:
        raise DiffError(
            f"{file} のシートの範囲が大きすぎます（A1:{xl_rowcol_to_cell(last_row - 1, last_col - 1)}）。"
            "一覧の範囲外に入力された値を削除して保存し直してください。"
        )


def _find_sheet(
    workbook: CalamineWorkbook,
    preferred: str,
    required: tuple[str, ...],
    opened: dict[str, CalamineSheet] | None = None,
) -> tuple[str, Sequence[Sequence[object]], int] | None:
    """The sheet (preferred name first) whose first rows contain a header row with all ``required`` texts.

    ``opened`` keeps the sheets already parsed (the reader parses a whole sheet to open it): looking for an
    absent sheet goes through every other one, the 20,000-row progress sheet included.
    """
    names = list(workbook.sheet_names)
    order = ([preferred] if preferred in names else []) + [n for n in names if n != preferred]
    for name in order:
        try:
            sheet = opened.get(name) if opened is not None else None
            if sheet is None:
                sheet = workbook.get_sheet_by_name(name)
                if opened is not None:
                    opened[name] = sheet
            head = sheet.to_python(skip_empty_area=False, nrows=MAX_HEADER_SCAN)
            header_row = next(
                (
                    r
                    for r, row in enumerate(head)
                    if all(t in {normalize_choice(cell_text(v)) for v in row} for t in required)
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


def cell_str(row: Sequence[object], index: int | None) -> str:
    """The text of ``row[index]``, stripped ("" when the column is absent)."""
    if index is None or index >= len(row):
        return ""
    value = row[index]
    if type(value) is str:  # most cells: cell_text's own case, without the call
        return (value if "\r" not in value else cell_text(value)).strip()
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


def _read_progress_sheet(name: str, cells: Sequence[Sequence[object]], header_row: int) -> ListSheet:
    grid = _rows(cells)
    columns = _columns(grid[header_row], _progress_role)
    table = [c.index for c in columns if c.role != "id"]
    first = min(table) if table else 0
    role_index = {c.role: c.index for c in columns}
    id_col, name_col, owners_col = role_index.get("id"), role_index.get("name"), role_index.get("owners")
    # first pass: which rows are group rows (text in the first column only) and which are items
    kinds: list[tuple[int, str]] = []
    ids: dict[int, str] = {}  # row -> its ID's text (cell_str), when it has one
    for r in range(header_row + 1, len(grid)):
        row = grid[r]
        value = row[id_col] if id_col is not None and id_col < len(row) else ""
        # cell_str(row, id_col), without the call for a text without a carriage return (most IDs)
        item_id = value.strip() if type(value) is str and "\r" not in value else cell_str(row, id_col)
        if item_id:
            ids[r] = item_id
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
        item_id = ids.get(r, "")
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
        # _lead(owners) of a one-line owners cell (stripped already): itself
        lead = owners if "\n" not in owners and not owners.startswith(("(", "（")) else _lead(owners)
        items.append(Item(item_id, goal, area, cell_str(row, name_col), lead, r, len(items), row))
    return ListSheet(name, grid, header_row, columns, tuple(items), tuple(groups))


def _evaluation_role(header: str) -> str:
    fixed = {
        "施策ID": "id",
        "基本目標": "goal",
        "施策": "name",
        "主管課": "owners",
        "KPIの評価": "kpi_results",
        "要因分析": "factors",
        "課題": "issues",
        "今後の方向性": "direction",
        "前年度の方針への対応": "response",
        "前年度の今後の方向性": "previous_direction",
    }
    return fixed.get(normalize_choice(header), f"other:{header}")


def _committee_role(header: str) -> str:
    fixed = {
        "施策ID": "id",
        "基本目標": "goal",
        "施策": "name",
        "委員": "member",
        "評価": "rating",
        "意見": "opinion",
        "市の対応": "response",
    }
    return fixed.get(normalize_choice(header), f"other:{header}")


def _read_kpi_sheet(
    name: str,
    cells: Sequence[Sequence[object]],
    header_row: int,
    role_of: Callable[[str], str] = _kpi_role,
) -> ListSheet:
    grid = _rows(cells)
    columns = _columns(grid[header_row], role_of)
    role_index = {c.role: c.index for c in columns}
    items: list[Item] = []
    for r in range(header_row + 1, len(grid)):
        row = grid[r]
        if not any(cell_str(row, c.index) for c in columns):
            continue
        items.append(
            Item(
                cell_str(row, role_index.get("id")),
                cell_str(row, role_index.get("goal")),
                cell_str(row, role_index.get("area")),
                cell_str(row, role_index.get("name")),
                _lead(cell_str(row, role_index.get("owners"))),
                r,
                len(items),
                row,
            )
        )
    return ListSheet(name, grid, header_row, columns, tuple(items))


def _rows(cells: Sequence[Sequence[object]]) -> tuple[tuple[object, ...], ...]:
    """The sheet's rows as tuples: an item's values are its row of the grid (one object, sent once when a list
    read in another process is sent back)."""
    return tuple(map(tuple, cells))


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
    """Read a progress-list workbook (the 進捗状況一覧表 sheet and, when present, the sheets KPI, 施策評価, 外部評価).

    Raises:
        DiffError: the file is not a readable .xlsx or has no progress sheet.
    """
    workbook, sha256 = _open(path)
    opened: dict[str, CalamineSheet] = {}
    found = _find_sheet(workbook, PROGRESS_SHEET, ("名称", "進捗状況"), opened)
    if found is None:
        raise DiffError(
            f"{path.name} に進捗状況一覧表のシートがありません（「名称」「進捗状況」の見出し行が見つかりません）。"
            "kpi-report build で作った progress-list.xlsx を指定してください。"
        )
    name, grid, header_row = found
    measures = _read_progress_sheet(name, grid, header_row)
    kpi_found = _find_sheet(workbook, KPI_SHEET, ("KPI_ID", "指標名"), opened)
    kpis = _read_kpi_sheet(*kpi_found) if kpi_found else None
    area_found = _find_sheet(workbook, EVALUATION_SHEET, ("施策ID", "要因分析"), opened)
    areas = _read_kpi_sheet(*area_found, role_of=_evaluation_role) if area_found else None
    committee_found = _find_sheet(workbook, COMMITTEE_SHEET, ("施策ID", "委員", "意見", "市の対応"), opened)
    committee = _read_kpi_sheet(*committee_found, role_of=_committee_role) if committee_found else None
    title = next((cell_text(v).strip() for v in (grid[0] if grid else []) if cell_text(v).strip()), "")
    year_line = ""
    if header_row >= 2:
        year_line = next((cell_text(v).strip() for v in grid[1] if cell_text(v).strip()), "")
    return ProgressList(
        path.name, sha256, title, year_line, _report_fy(measures, year_line), measures, kpis, areas, committee
    )


# Both lists at least this large: OLD is read in a forked process while this one reads NEW (a 20,000-measure list
# is ~0.9 MB and takes ~0.65 s to check and read; a fork and the list's way back through a pipe ~0.3 s)
PARALLEL_MIN_BYTES = 256 << 10


def read_progress_lists(
    old: Path, new: Path, read_new: Callable[[ProgressList], None] | None = None
) -> tuple[ProgressList, ProgressList]:
    """:func:`read_progress_list` of both files, the same lists and the same errors (OLD's first).

    With two large lists and ``fork`` available, OLD is read in a child process at the same time as NEW here —
    NEW, the longer list in a yearly audit, then need not come back through the pipe, and this process waits
    less. The child sends OLD back, or nothing when it fails, and OLD is then read here as well; NEW's error is
    raised once OLD has been read, so every error is raised here exactly as a plain read raises it.

    ``read_new`` is given NEW as soon as it is read here (before OLD comes back), or once both are read.
    """
    if not _parallel(old, new):
        first, second = read_progress_list(old), read_progress_list(new)
        if read_new is not None:
            read_new(second)
        return first, second
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_read_and_send, args=(old, sending), daemon=True)
    child.start()
    sending.close()
    later = Later(receiving, child)
    try:
        try:
            second = read_progress_list(new)
        except Exception:
            _received_or_read(later, old)  # a plain read raises OLD's error first
            raise
        if read_new is not None:
            read_new(second)
        return _received_or_read(later, old), second
    finally:
        later.close()


def _received_or_read(later: Later, path: Path) -> ProgressList:
    """The list the child sends, or (the child failed) ``path`` read here."""
    received = later.get()
    return received if isinstance(received, ProgressList) else read_progress_list(path)


class Later:
    """A forked child's messages, received one at a time, and the child ended when they are over."""

    def __init__(self, receiving: Connection | None = None, child: Any = None) -> None:
        self.receiving = receiving
        self.child = child

    @property
    def pending(self) -> bool:
        """True while something may still come."""
        return self.receiving is not None

    def receive(self, raw: bool = False) -> Any:
        """The child's next message (``raw``: bytes sent with send_bytes), or None when nothing is pending or
        the child failed (it is then ended)."""
        if self.receiving is None:
            return None
        try:
            return self.receiving.recv_bytes() if raw else self.receiving.recv()
        except (EOFError, OSError):
            self.close()
            return None

    def get(self) -> Any:
        """What the child made, or None (nothing pending, or the child failed); the child then ends."""
        try:
            return self.receive()
        finally:
            self.close()

    def close(self) -> None:
        """The pipe closed and the child ended (when still running)."""
        if self.receiving is not None:
            self.receiving.close()
            self.receiving = None
        if self.child is not None:
            if self.child.is_alive():
                self.child.terminate()
            self.child.join()
            self.child = None


def _parallel(old: Path, new: Path) -> bool:
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    try:
        return min(old.stat().st_size, new.stat().st_size) >= PARALLEL_MIN_BYTES
    except (OSError, ValueError):  # the plain read reports it
        return False


def _read_and_send(path: Path, sending: Connection) -> None:
    """In the forked child: the list read and sent; nothing sent when it cannot be read."""
    try:
        sending.send(read_progress_list(path))
    except BaseException:  # the parent reads the file itself and raises what a plain read raises
        pass
    finally:
        sending.close()
