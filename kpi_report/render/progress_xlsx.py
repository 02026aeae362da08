"""Render the 進捗状況一覧表 workbook (outputs/<FY>/progress-list.xlsx) from a finished ProgressReport.

Layout (fixed; kpi_report.compare.diff reads it back, finding header rows and columns by their text):

- sheet 進捗状況一覧表: title, report year, header in row 3 (施策番号 | 名称 | 内容 | 所管課 (関連課) | 進捗状況 |
  …までの実施等状況 | 取組ID hidden in G), then goal rows and area rows (merged A:F, shaded) and measure rows;
- sheet KPI: one row per KPI / 数値目標 with each year's actual, target, 達成率 and 評価, 備考 last;
- sheet 集計: statuses counted per goal, with a native chart.

A plan that uses 効果検証 (ReportView.evaluation) also gets 今後の方向性 (and 予算額・決算額 when 事業費 were
collected) right after 進捗状況, the KPI sheet's 評価不能の理由, the grade and direction tallies on 集計, and a sheet
施策評価 (one row per 施策). Without it the layout is exactly the Kodaira one above.

Row heights are set from the wrapped text (LibreOffice does not auto-fit rows on opening). Excel caps a row at
409 pt; a measure whose text needs more continues in the next row(s), which repeat its 取組ID in column G.
The list sheet's page breaks are set here from those heights (:func:`page_breaks`), so that a goal or area row
never ends a printed page with its measures on the next.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import CellNumberTuple, CellStringTuple, Worksheet

from kpi_report.core.cellmetrics import max_lines, row_height, wrap, wrapped_lines
from kpi_report.core.files import FIXED_CREATED, new_xlsx
from kpi_report.core.values import clean_text
from kpi_report.core.xlsxstrings import StringsPackager
from kpi_report.present.committee import CommitteeView, present_committee
from kpi_report.present.table import MAX_DECIMALS, MISSING, OWNERS_HEADER, CountRow, MeasureView, ReportView

LIST_SHEET, KPI_SHEET, SUMMARY_SHEET, EVALUATION_SHEET = "進捗状況一覧表", "KPI", "集計", "施策評価"
DIRECTION_HEADER, BUDGET_HEADER, SETTLEMENT_HEADER = "今後の方向性", "予算額（千円）", "決算額（千円）"
ID_HEADER = "取組ID"
COMMITTEE_SHEET = "外部評価"

FONT = "ＭＳ Ｐゴシック"
FONT_SIZE = 10
# column widths in Excel character units (a full-width character takes about 2 at this font size)
WIDTHS = (8.0, 20.0, 34.0, 16.0, 9.0, 66.0, 10.0)
MAX_LINES = max_lines()  # wrapped lines one row shows (the row heights assume FONT_SIZE: cellmetrics.LINE_PT)

GOAL_FILL, AREA_FILL, HEADER_FILL, FLAG_FILL = "#BDD7EE", "#DDEBF7", "#D9D9D9", "#F8CBAD"

# the printed page: A4 landscape, fit to one page wide (_page_setup)
PAGE_WIDTH_PT, PAGE_HEIGHT_PT = 841.89, 595.28
MARGIN_SIDE_IN, MARGIN_TOP_IN = 0.4, 0.6  # left/right, top/bottom (the header and footer sit in these)
SUBTITLE_PT = 18.0  # the report year line (11 pt)
PAGE_SLACK = 0.97  # rows are drawn in whole pixels (up to 0.75 pt more each): fill a page to 97 %


def column_pixels(width: float) -> int:
    """A column's width in pixels as Excel draws it (and xlsxwriter stores it): ``width * 7 + 5``."""
    return int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)


def print_scale(widths: Sequence[float]) -> float:
    """The scale fitting columns of ``widths`` to the page's width (at most 1), by Excel's pixel metrics.

    LibreOffice draws the columns a few percent wider (the default font's digit width), so it prints at a smaller
    scale and fits more on a page: breaks computed at this scale hold in both.
    """
    printable = PAGE_WIDTH_PT - 2 * 72 * MARGIN_SIDE_IN
    return min(1.0, printable / (sum(column_pixels(w) for w in widths) * 0.75))


def printable_height(scale: float) -> float:
    """The sheet's points one printed page holds at ``scale`` (between the top and bottom margins)."""
    return (PAGE_HEIGHT_PT - 2 * 72 * MARGIN_TOP_IN) / scale


def page_breaks(
    heights: Sequence[float], groups: set[int], first: int, repeated: float, page: float
) -> list[int]:
    """The rows (0-based) that begin a printed page, for rows of ``heights`` (points, from row 0).

    Rows before ``first`` (title and header) open the first page; ``repeated`` points (the header row, printed on
    every page) open the others. A page takes rows while they fit in ``page`` points (:data:`PAGE_SLACK`
    kept free); the rows of ``groups`` (goal and area rows) never end a page: the break moves up before them.
    """
    room = page * PAGE_SLACK
    breaks: list[int] = []
    start = first  # the first body row of the current page
    used = sum(heights[:first])
    for r in range(first, len(heights)):
        if used + heights[r] > room and r > start:
            b = r
            while b - 1 in groups and b - 1 >= start:
                b -= 1
            if b == start:  # nothing but goal and area rows before r: moving up would leave the page empty
                b = r
            breaks.append(b)
            start = b
            used = repeated + sum(heights[b:r])
        used += heights[r]
    return breaks


def flagged_legend(departments: Sequence[str], limit: int = 5) -> str:
    """The printed legend of rows rendered despite errors (short: Excel headers hold 255 characters)."""
    shown = "・".join(_clean(d) for d in departments[:limit])
    if len(departments) > limit:
        shown += f" ほか{len(departments) - limit}課"
    return f"※色付きの行は、エラーが残ったまま作成した所管課（{shown}）の取組です。"


# what clean_text removes or replaces (carriage returns, control and zero-width characters, the BOM,
# non-breaking spaces, surrogates): text without any of them is returned as it is (tests/test_cellmetrics.py)
_UNCLEAN = re.compile("[\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff\u00a0\u202f\ud800-\udfff]")


def _clean(text: str) -> str:
    return clean_text(text)[0] if _UNCLEAN.search(text) else text


def _chunks(text: str, width: float) -> list[tuple[str, int]]:
    """``text`` cut into pieces that each fit one row of at most MAX_LINES wrapped lines, each with the number
    of lines it wraps to (``len(wrap(piece, width))``).

    Cuts fall between lines of the text where possible; a single line longer than a row is cut between
    wrapped lines.
    """
    total = wrapped_lines(text, width)
    if total <= MAX_LINES:  # one row holds it all: the common case
        return [(text, total)]
    pieces: list[list[str]] = [[]]
    counts = [0]  # each piece's wrapped lines: its lines are wrapped one by one, so the sum of theirs
    used = 0
    for line in text.split("\n"):
        wrapped = wrap(line, width)
        if used + len(wrapped) <= MAX_LINES:
            pieces[-1].append(line)
            counts[-1] += len(wrapped)
            used += len(wrapped)
            continue
        if len(wrapped) <= MAX_LINES:
            pieces.append([line])
            counts.append(len(wrapped))
            used = len(wrapped)
            continue
        for start in range(0, len(wrapped), MAX_LINES):
            part = wrapped[start : start + MAX_LINES]
            if pieces[-1]:
                pieces.append([])
                counts.append(0)
            joined = "".join(part)
            pieces[-1].append(joined)
            counts[-1] += wrapped_lines(joined, width)  # wrapped again, it may not break where it did
            used = len(part)
    return [("\n".join(p), n) for p, n in zip(pieces, counts, strict=True) if p] or [("", 1)]


class _Sheet(Worksheet):  # type: ignore[misc]
    """xlsxwriter's worksheet, with a faster way in and out for the list's and the KPI sheet's cells.

    :meth:`put_row` takes a row's cells at once and makes their ``<c>`` elements then, each as xlsxwriter's
    ``_write_cell`` writes it, only the style attribute left open: a format's index is taken when the sheet is
    written, in the order xlsxwriter takes it, so styles.xml numbers the formats as before. The sheet writer
    (:meth:`_write_rows`) writes those rows with the ``<row>`` start tag and ``spans`` xlsxwriter gives them and
    every other row through xlsxwriter. :meth:`put` stores what ``write_string``/``write_number`` store without
    their A1-notation and bounds checks, and such a cell with a format is written as ``_write_cell`` writes it.
    The same bytes (tests/test_progress_xlsx_cells.py); everything else is xlsxwriter's.
    """

    def __init__(self) -> None:
        super().__init__()
        self._letters: dict[int, str] = {}
        self._columns: list[str] = []  # the letters of columns 0, 1, … (as many as put_row has needed)
        # row -> its <c> elements (a %s for each cell's style attribute), their formats, first and last column
        self._made: dict[int, tuple[str, tuple[Any, ...], int, int]] = {}

    def _column(self, col: int) -> str:
        letters = self._letters.get(col)
        if letters is None:
            letters = self._letters[col] = xl_col_to_name(col)
        return letters

    def put(self, row: int, col: int, value: str | float, fmt: Any) -> None:
        """``write_string`` (a str) or ``write_number`` (a number), storing the same cell."""
        if isinstance(value, str):
            if len(value) > self.xls_strmax // 2:  # may need truncating: xlsxwriter's own way
                self.write_string(row, col, value, fmt)
                return
            if self._check_dimensions(row, col):
                return  # outside the sheet: nothing written, as write_string
            self.table[row][col] = CellStringTuple(self.str_table._get_shared_string_index(value), fmt)
        elif value.__class__ is float and math.isfinite(value):
            if self._check_dimensions(row, col):
                return
            self.table[row][col] = CellNumberTuple(value, fmt)
        else:  # ints, NaN, infinities, other kinds of numbers: xlsxwriter's own way
            self.write_number(row, col, value, fmt)

    def put_row(self, row: int, values: Sequence[str | float | None], formats: Sequence[Any]) -> None:
        """Column k from 0 gets ``values[k]`` with ``formats[k]``: a str as ``write_string``, a number as
        ``write_number``, None as ``write_blank``. Nothing else may be written in the row (its height may)."""
        if row in self._made or not self._plain_row(row, values, formats):
            for col, (value, fmt) in enumerate(zip(values, formats, strict=True)):
                if value is None:
                    self.write_blank(row, col, None, fmt)
                elif isinstance(value, str):
                    self.put(row, col, value, fmt)
                else:
                    self.write_number(row, col, value, fmt)
            return
        strings = self.str_table
        indexes = strings.string_table
        number = row + 1
        cells = []
        columns = self._columns
        if len(columns) < len(values):
            columns += [xl_col_to_name(col) for col in range(len(columns), len(values))]
        for letters, value in zip(columns, values, strict=False):  # columns may be more
            if value.__class__ is str:
                index = indexes.get(value)
                if index is None:
                    index = strings._get_shared_string_index(value)
                else:
                    strings.count += 1
                cells.append(f'<c r="{letters}{number}"%s t="s"><v>{index}</v></c>')
            elif value is None:
                cells.append(f'<c r="{letters}{number}"%s/>')
            else:
                cells.append(f'<c r="{letters}{number}"%s><v>{value:.16G}</v></c>')
        self._check_dimensions(row, 0)
        self._check_dimensions(row, len(values) - 1)
        self._made[row] = ("".join(cells), tuple(formats), 0, len(values) - 1)

    def _plain_row(self, row: int, values: Sequence[str | float | None], formats: Sequence[Any]) -> bool:
        """Whether :meth:`put_row` can make the row's elements: inside the sheet, nothing held in it yet, texts
        that need no truncating, finite floats, blanks with a format."""
        if not (0 <= row < self.xls_rowmax and 0 < len(values) == len(formats) <= self.xls_colmax):
            return False
        if self.table.get(row) or self.constant_memory:
            return False
        longest = self.xls_strmax // 2
        for value, fmt in zip(values, formats, strict=True):
            kind = value.__class__
            if kind is str:
                if len(value) > longest:  # type: ignore[arg-type]
                    return False
            elif value is None:
                if fmt is None:
                    return False
            elif kind is not float or not math.isfinite(value):  # type: ignore[arg-type]
                return False
        return True

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        fmt = cell.format
        kind = cell.__class__
        if fmt is None or (kind is not CellStringTuple and kind is not CellNumberTuple):
            super()._write_cell(row, col, cell)
            return
        letters = self._letters.get(col) or self._column(col)
        if kind is CellStringTuple:
            self.fh.write(
                f'<c r="{letters}{row + 1}" s="{fmt._get_xf_index()}" t="s"><v>{cell.string}</v></c>'
            )
        else:
            self.fh.write(
                f'<c r="{letters}{row + 1}" s="{fmt._get_xf_index()}"><v>{cell.number:.16G}</v></c>'
            )

    def _write_rows(self) -> None:
        """xlsxwriter's ``_write_rows``, the rows of :meth:`put_row` written from their elements."""
        made = self._made
        if not made:
            super()._write_rows()
            return
        self._calculate_spans()
        spans = self.row_spans
        table, row_info, comments = self.table, self.row_info, self.comments
        rows = {r for r, cells in table.items() if cells} | row_info.keys() | comments.keys() | made.keys()
        lowest, highest = self.dim_rowmin, self.dim_rowmax
        write = self.fh.write
        # a row's style attributes by its formats (most rows share a few): taken in the first row that has
        # them, so each format's index still is taken where xlsxwriter would first take it
        styles_of: dict[tuple[tuple[Any, ...], int, Any], tuple[str, ...]] = {}
        for row in sorted(rows):
            if row < lowest or row > highest:
                continue
            span = spans.get(row // 16)
            info = row_info.get(row)
            cells = made.get(row)
            if cells is not None:
                xml, formats, first, _ = cells
                if (
                    info is None
                    or info.row_format
                    or info.hidden
                    or info.level
                    or info.collapsed
                    or self.excel_version == 2010
                ):
                    self._write_row(row, span, info)
                    row_format = info.row_format if info is not None else None
                else:
                    write(self._row_tag(row, span, info.height))
                    row_format = None
                key = (formats, first, row_format)
                styles = styles_of.get(key)
                if styles is None:
                    styles = styles_of[key] = self._styles(formats, first, row_format)
                write(xml % styles + "</row>")
            elif table.get(row):
                self._write_row(row, span, info)
                cells_of = table[row]
                for col in sorted(cells_of):
                    self._write_cell(row, col, cells_of[col])
                self._xml_end_tag("row")
            else:
                self._write_empty_row(row, span, info)

    def _calculate_spans(self) -> None:
        """xlsxwriter's ``spans`` of each block of 16 rows, the rows of :meth:`put_row` included."""
        super()._calculate_spans()
        if not self._made:
            return
        held: dict[int, str] = self.row_spans  # type: ignore[has-type]  # xlsxwriter's: the cells it holds
        extent = {block: tuple(int(end) - 1 for end in span.split(":")) for block, span in held.items()}
        for row, (_, _, first, last) in self._made.items():
            if row < self.dim_rowmin or row > self.dim_rowmax:
                continue
            low, high = extent.get(row // 16, (first, last))
            extent[row // 16] = (min(low, first), max(high, last))
        self.row_spans = {block: f"{low + 1}:{high + 1}" for block, (low, high) in extent.items()}

    def _row_tag(self, row: int, span: str | None, height: float | None) -> str:
        """The ``<row>`` start tag ``_write_row`` writes for a row of only a height (no format, not hidden,
        not outlined, not Excel 2010's extra attribute)."""
        tag = f'<row r="{row + 1}"' + (f' spans="{span}"' if span else "")
        if height is None:
            height = self.default_row_height
        if height != self.original_row_height or height != self.default_row_height:
            tag += f' ht="{height * 0.75:.16g}" customHeight="1"'
        return tag + ">"

    def _styles(self, formats: tuple[Any, ...], first: int, row_format: Any) -> tuple[str, ...]:
        """Each cell's style attribute, the formats' indexes taken in column order as ``_write_cell`` takes
        them: the cell's format, else the row's, else the column's."""
        styles = []
        for col, fmt in enumerate(formats, start=first):
            if fmt is None:
                fmt = row_format
                if fmt is None and col in self.col_info:
                    fmt = self.col_info[col].column_format
                if fmt is None:
                    styles.append("")
                    continue
            xf = fmt.xf_index
            styles.append(f' s="{xf if xf is not None else fmt._get_xf_index()}"')
        return tuple(styles)


class _Formats:
    """The cell formats of the workbook."""

    def __init__(self, wb: Any) -> None:
        base = {"font_name": FONT, "font_size": FONT_SIZE, "text_wrap": True, "valign": "top", "border": 1}
        self.title = wb.add_format({"font_name": FONT, "font_size": 14, "bold": True})
        self.subtitle = wb.add_format({"font_name": FONT, "font_size": 11})
        self.header = wb.add_format(
            {**base, "bold": True, "bg_color": HEADER_FILL, "align": "center", "valign": "vcenter"}
        )
        self.goal = wb.add_format({**base, "bold": True, "font_size": 11, "bg_color": GOAL_FILL})
        self.area = wb.add_format({**base, "bold": True, "bg_color": AREA_FILL})
        self.text = wb.add_format(base)
        self.center = wb.add_format({**base, "align": "center"})
        self.flag_text = wb.add_format({**base, "bg_color": FLAG_FILL, "pattern": 1})
        self.flag_center = wb.add_format({**base, "align": "center", "bg_color": FLAG_FILL})
        self.number = wb.add_format({**base, "valign": "top"})
        # a KPI's values in its precision (KpiView.decimals): 1.30 next to 1.32, 74.0 next to 72.5
        self.numbers = [
            wb.add_format({**base, "num_format": "#,##0" + ("." + "0" * d if d else "")})
            for d in range(MAX_DECIMALS + 1)
        ]
        self.percent = wb.add_format({**base, "num_format": "0.0%"})
        self.thousands = wb.add_format({**base, "num_format": "#,##0"})
        self.plain = wb.add_format({"font_name": FONT, "font_size": FONT_SIZE})
        self.plain_bold = wb.add_format(
            {"font_name": FONT, "font_size": FONT_SIZE, "bold": True, "border": 1}
        )
        self.plain_bold_plain = wb.add_format({"font_name": FONT, "font_size": 11, "bold": True})
        self.count = wb.add_format({"font_name": FONT, "font_size": FONT_SIZE, "border": 1})


def render_progress_xlsx(view: ReportView) -> bytes:
    """The progress-list workbook as bytes (deterministic: the same report gives the same bytes)."""
    report = view.report
    buffer = io.BytesIO()
    wb = new_xlsx(buffer)
    wb._get_packager = StringsPackager  # sharedStrings.xml written a run of strings at a time
    wb.set_properties({"title": _clean(f"{report.plan_name} 進捗状況一覧表"), "created": FIXED_CREATED})
    formats = _Formats(wb)
    _list_sheet(wb, formats, view)
    _kpi_sheet(wb, formats, view)
    _summary_sheet(wb, formats, view)
    if view.evaluation and view.areas:
        _evaluation_sheet(wb, formats, view)
    committee = present_committee(report.committee)
    if committee is not None:
        _committee_sheet(wb, formats, view, committee)
    wb.close()
    return buffer.getvalue()


def _page_setup(ws: Any, last_col: int, last_row: int, header_row: int | None = 2) -> None:
    """A4 landscape, one page wide; the header row (``header_row``, none: no row) repeated and frozen."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=MARGIN_SIDE_IN, right=MARGIN_SIDE_IN, top=MARGIN_TOP_IN, bottom=MARGIN_TOP_IN)
    if header_row is not None:
        ws.repeat_rows(header_row)
        ws.freeze_panes(header_row + 1, 0)
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.print_area(0, 0, max(last_row, header_row or 0), last_col)
    ws.set_footer("&C&P / &N")


@dataclass(frozen=True)
class _ListColumn:
    """A visible column of the list sheet: header, width, centred, and its text for a measure."""

    header: str
    width: float
    centered: bool
    text: Callable[[MeasureView], str]
    number: Callable[[MeasureView], float | None] | None = None  # a figure written as a number


def _list_columns(view: ReportView) -> tuple[_ListColumn, ...]:
    """The Kodaira columns; with 効果検証, 今後の方向性 (and the budgets) right after 進捗状況."""
    columns = [
        _ListColumn("施策番号", WIDTHS[0], True, lambda r: r.measure.number),
        _ListColumn("名称", WIDTHS[1], False, lambda r: r.measure.name),
        _ListColumn("内容", WIDTHS[2], False, lambda r: r.measure.content),
        _ListColumn("\n".join(OWNERS_HEADER), WIDTHS[3], False, lambda r: r.departments_text),
        _ListColumn("進捗状況", WIDTHS[4], True, lambda r: r.status),
    ]
    if view.evaluation:
        columns.append(_ListColumn(DIRECTION_HEADER, 9.0, True, lambda r: r.direction_text))
        if view.budgets:
            columns.append(_ListColumn(BUDGET_HEADER, 11.0, False, lambda r: "", lambda r: r.row.budget))
            columns.append(
                _ListColumn(SETTLEMENT_HEADER, 11.0, False, lambda r: "", lambda r: r.row.settlement)
            )
    columns.append(_ListColumn(view.report.notes_header, WIDTHS[5], False, lambda r: r.notes_text))
    return tuple(columns)


def _list_sheet(wb: Any, f: _Formats, view: ReportView) -> None:
    report = view.report
    ws = wb.add_worksheet(LIST_SHEET, worksheet_class=_Sheet)
    columns = _list_columns(view)
    last = len(columns) - 1  # the last visible column; the hidden 取組ID follows it
    for col, column in enumerate(columns):
        ws.set_column(col, col, column.width)
    ws.set_column(last + 1, last + 1, WIDTHS[6], None, {"hidden": True})
    ws.merge_range(0, 0, 0, last, "", f.title)
    ws.write_string(0, 0, _clean(f"{report.plan_name} 進捗状況一覧表"), f.title)
    ws.set_row(0, 24)
    ws.merge_range(1, 0, 1, last, "", f.subtitle)
    ws.write_string(1, 0, view.year_line, f.subtitle)
    ws.set_row(1, SUBTITLE_PT)
    headers = (*(c.header for c in columns), ID_HEADER)
    for col, header in enumerate(headers):
        ws.write_string(2, col, header, f.header)
    ws.set_row(2, row_height(2))
    if report.flagged_departments:
        ws.set_header("&L&9" + flagged_legend(report.flagged_departments).replace("&", "&&"))
    full_width = sum(c.width for c in columns)
    heights = [24.0, SUBTITLE_PT, row_height(2)]  # every row's height, to set the page breaks
    groups: set[int] = set()
    r = 3
    for goal in view.goals:
        groups.add(r)
        r = _group_row(ws, r, goal.title, f.goal, full_width, last, heights)
        for area in goal.areas:
            groups.add(r)
            r = _group_row(ws, r, area.title, f.area, full_width, last, heights)
            for row in area.rows:
                r = _measure_rows(ws, r, row, f, columns, heights)
    _page_setup(ws, last, r - 1)
    page = printable_height(print_scale([c.width for c in columns]))
    ws.set_h_pagebreaks(page_breaks(heights, groups, 3, heights[2], page))


def _group_row(
    ws: Any, r: int, title: str, fmt: Any, width: float, last: int = 5, heights: list[float] | None = None
) -> int:
    text = _clean(title)
    ws.merge_range(r, 0, r, last, "", fmt)
    ws.write_string(r, 0, text, fmt)
    # the merged cell spans the visible columns: its capacity is theirs together, at the goal row's 11 pt
    height = row_height(wrapped_lines(text, width, 11))
    ws.set_row(r, height)
    if heights is not None:
        heights.append(height)
    return r + 1


def _measure_rows(
    ws: Any,
    r: int,
    row: MeasureView,
    f: _Formats,
    columns: Sequence[_ListColumn],
    heights: list[float] | None = None,
) -> int:
    """Write one measure; more than one sheet row only when its text exceeds Excel's row height limit."""
    measure_id = _clean(row.measure.id)
    pieces = [_chunks(_clean(c.text(row)), c.width) for c in columns]
    text_fmt, center_fmt = (f.flag_text, f.flag_center) if row.flagged else (f.text, f.center)
    for part in range(max(len(p) for p in pieces)):
        lines = 1
        values: list[str | float | None] = []
        formats: list[Any] = []
        for col, column_pieces in enumerate(pieces):
            column = columns[col]
            if column.number is not None and part == 0:
                figure = column.number(row)
                if figure is not None:
                    values.append(figure)
                    formats.append(f.thousands)
                    continue
                text, count = MISSING, wrapped_lines(MISSING, column.width)
            elif part < len(column_pieces):
                text, count = column_pieces[part]
            else:
                text, count = "", 1
            values.append(text)
            formats.append(center_fmt if column.centered or text == MISSING else text_fmt)
            if count > lines:
                lines = count
        values.append(measure_id)  # the hidden 取組ID, without a format
        formats.append(None)
        ws.put_row(r, values, formats)
        height = row_height(lines)
        ws.set_row(r, height)
        if heights is not None:
            heights.append(height)
        r += 1
    return r


def _kpi_headers(view: ReportView) -> list[str]:
    years = [f"{label}実績" for label in view.year_labels]
    return [
        "KPI_ID",
        "基本目標",
        "施策",
        "指標名",
        "単位",
        "基準値",
        "基準年度",
        *years,
        "目標値",
        "目標年度",
        "達成率",
        "評価",
        *(("評価不能の理由",) if view.evaluation else ()),
        "方向",
        "所管課",
        REMARKS_HEADER,
    ]


REMARKS_HEADER = "備考"  # the report year's 備考 of each KPI, last (compare/read.py reads it when present)
_KPI_CENTERED = frozenset({"単位", "基準年度", "目標年度", "評価", "方向"})


def _kpi_sheet(wb: Any, f: _Formats, view: ReportView) -> None:
    report = view.report
    ws = wb.add_worksheet(KPI_SHEET, worksheet_class=_Sheet)
    headers = _kpi_headers(view)
    widths = [
        9,
        24,
        24,
        28,
        7,
        9,
        11,
        *[11] * len(report.years),
        9,
        11,
        8,
        6,
        *([14] if view.evaluation else []),
        6,
        14,
        30,
    ]
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    last = len(headers) - 1
    ws.merge_range(0, 0, 0, last, "", f.title)
    ws.write_string(0, 0, _clean(f"{report.plan_name} KPI・数値目標"), f.title)
    ws.set_row(0, 24)
    ws.merge_range(1, 0, 1, last, "", f.subtitle)
    ws.write_string(1, 0, view.year_line, f.subtitle)
    for col, header in enumerate(headers):
        ws.write_string(2, col, header, f.header)
    ws.set_row(2, row_height(max(wrapped_lines(h, widths[i]) for i, h in enumerate(headers))))
    rate_col = headers.index("達成率")
    centered = {col for col, header in enumerate(headers) if header in _KPI_CENTERED}
    for r, k in enumerate(view.kpis, start=3):
        kpi = k.kpi
        cells: list[object] = [
            kpi.id,
            kpi.goal,
            kpi.area,
            kpi.name,
            kpi.unit,
            kpi.baseline,
            k.baseline_fy or MISSING,
            *(value for _, value in k.actuals),
            kpi.target,
            k.target_fy or MISSING,
            k.rate,
            k.grade_text,
            *((k.not_evaluable or MISSING,) if view.evaluation else ()),
            kpi.direction,
            kpi.owner,
            k.remarks_text,  # blank when none
        ]
        lines = 1
        values: list[Any] = []
        formats: list[Any] = []
        for col, value in enumerate(cells):
            if col == rate_col and value is not None:
                values.append(value)
                formats.append(f.percent)
            elif isinstance(value, float):
                values.append(value)
                formats.append(f.numbers[k.decimals])
            elif value is None:
                values.append(MISSING)
                formats.append(f.center)
            elif value == "":
                values.append(None)  # a blank with the text's format
                formats.append(f.text)
            else:
                text = _clean(str(value))
                values.append(text)
                formats.append(f.center if col in centered or text == MISSING else f.text)
                lines = max(lines, wrapped_lines(text, widths[col]))
        ws.put_row(r, values, formats)
        ws.set_row(r, row_height(lines))
    _page_setup(ws, last, 2 + len(view.kpis))


def _summary_sheet(wb: Any, f: _Formats, view: ReportView) -> None:
    report = view.report
    ws = wb.add_worksheet(SUMMARY_SHEET)
    columns = list(view.status_columns)
    # the widest table's columns: the statuses, or the grades and directions (効果検証), then 計
    tables = (columns, *((view.grade_columns, view.direction_columns) if view.evaluation else ()))
    last_col = max(len(t) for t in tables) + 1
    widths = [44.0, *[10.0] * last_col]
    ws.set_column(0, 0, widths[0])
    ws.set_column(1, last_col, widths[1])
    ws.write_string(0, 0, _clean(f"{report.plan_name} 進捗状況の集計"), f.title)
    ws.write_string(1, 0, view.year_line, f.subtitle)
    header = ["基本目標", *columns, "計"]
    for col, text in enumerate(header):
        ws.write_string(2, col, text, f.header)
    ws.set_row(2, row_height(1))
    totals = [0] * len(columns)
    r = 3
    for count in view.status_rows:
        ws.write_string(r, 0, _clean(count.label), f.text)
        ws.set_row(r, row_height(wrapped_lines(_clean(count.label), 44)))
        for col, n in enumerate(count.counts, start=1):
            ws.write_number(r, col, n, f.count)
            totals[col - 1] += n
        ws.write_number(r, len(columns) + 1, sum(count.counts), f.count)
        r += 1
    ws.write_string(r, 0, "合計", f.plain_bold)
    for col, n in enumerate(totals, start=1):
        ws.write_number(r, col, n, f.plain_bold)
    ws.write_number(r, len(columns) + 1, sum(totals), f.plain_bold)
    if view.status_rows and columns:
        # as wide as the printed columns (less a margin), so that it is not cut at the page's right edge
        width = sum(column_pixels(w) for w in widths) - 2 * CHART_MARGIN_PX
        _status_chart(wb, ws, columns, len(view.status_rows), r + 2, width)
    last_row = r + 24
    if view.evaluation:
        r += 4 + (120 + 60 * len(view.status_rows)) // 20
        ws.set_h_pagebreaks([r])  # the tallies on a page of their own, after the chart
        r = _tally_table(ws, f, r, "KPI・数値目標の評価（基本目標別）", view.grade_columns, view.grade_rows)
        r = _tally_table(
            ws, f, r + 1, "取組の今後の方向性（基本目標別）", view.direction_columns, view.direction_rows
        )
        last_row = r
    _page_setup(ws, last_col, last_row, None)  # tables of different columns: no header is repeated


def _tally_table(
    ws: Any, f: _Formats, r: int, title: str, columns: Sequence[str], rows: Sequence[CountRow]
) -> int:
    """A count table (goals x grades or directions) with its title at row ``r``; returns the row after it."""
    ws.write_string(r, 0, title, f.plain_bold_plain)
    r += 1
    for col, text in enumerate(["基本目標", *columns, "計"]):
        ws.write_string(r, col, text, f.header)
    r += 1
    totals = [0] * len(columns)
    for count in rows:
        ws.write_string(r, 0, _clean(count.label), f.text)
        ws.set_row(r, row_height(wrapped_lines(_clean(count.label), 44)))
        for col, n in enumerate(count.counts, start=1):
            ws.write_number(r, col, n, f.count)
            totals[col - 1] += n
        ws.write_number(r, len(columns) + 1, count.total, f.count)
        r += 1
    ws.write_string(r, 0, "合計", f.plain_bold)
    for col, n in enumerate(totals, start=1):
        ws.write_number(r, col, n, f.plain_bold)
    ws.write_number(r, len(columns) + 1, sum(totals), f.plain_bold)
    return r + 2


EVALUATION_HEADERS = (
    ("施策ID", 8),
    ("基本目標", 18),
    ("施策", 22),
    ("主管課", 12),
    ("KPIの評価", 34),
    ("要因分析", 40),
    ("課題", 34),
    ("今後の方向性", 10),
    ("前年度の方針への対応", 34),
    ("前年度の今後の方向性", 10),
)


def _evaluation_sheet(wb: Any, f: _Formats, view: ReportView) -> None:
    """施策評価: one row per 施策 of the sheet 施策 with its KPI results and the 主管課's evaluation."""
    report = view.report
    ws = wb.add_worksheet(EVALUATION_SHEET)
    for col, (_, width) in enumerate(EVALUATION_HEADERS):
        ws.set_column(col, col, width)
    last = len(EVALUATION_HEADERS) - 1
    ws.merge_range(0, 0, 0, last, "", f.title)
    ws.write_string(0, 0, _clean(f"{report.plan_name} 施策評価"), f.title)
    ws.set_row(0, 24)
    ws.merge_range(1, 0, 1, last, "", f.subtitle)
    ws.write_string(1, 0, view.year_line, f.subtitle)
    for col, (header, _) in enumerate(EVALUATION_HEADERS):
        ws.write_string(2, col, header, f.header)
    ws.set_row(2, row_height(2))
    r = 3
    for goal in view.goals:
        for area in goal.areas:
            e = area.evaluation
            if e is None:
                continue
            unsent = "（未提出）" if not e.submitted else ""
            cells = (
                e.id,
                goal.title,
                area.title,
                e.lead + unsent,
                "\n".join(e.kpi_results) or MISSING,
                e.factors,
                e.issues,
                e.direction,
                e.response,
                e.previous_direction,
            )
            lines = 1
            for col, value in enumerate(cells):
                text = _clean(value)[:32_767]
                centered = col in (0, 7, 9) or text == MISSING
                ws.write_string(r, col, text, f.center if centered else f.text)
                lines = max(lines, wrapped_lines(text, EVALUATION_HEADERS[col][1]))
            ws.set_row(r, row_height(min(lines, MAX_LINES)))
            r += 1
    _page_setup(ws, last, r - 1)


def _committee_sheet(wb: Any, f: _Formats, view: ReportView, committee: CommitteeView) -> None:
    """外部評価: one row per opinion (a 施策 without opinions once) with the 施策's tally of ratings, each
    opinion's member, rating and the city's response; then the overall opinions (施策ID 全体)."""
    ws = wb.add_worksheet(COMMITTEE_SHEET)
    headers = committee.sheet_headers
    counts = range(3, 3 + len(committee.scale))
    widths = [8.0, 20.0, 26.0, *(8.0 for _ in counts), 10.0, 9.0, 50.0, 50.0]
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    last = len(headers) - 1
    ws.merge_range(0, 0, 0, last, "", f.title)
    ws.write_string(0, 0, _clean(f"{view.report.plan_name} 外部評価"), f.title)
    ws.set_row(0, 24)
    ws.merge_range(1, 0, 1, last, "", f.subtitle)
    ws.write_string(1, 0, view.year_line, f.subtitle)
    for col, header in enumerate(headers):
        ws.write_string(2, col, _clean(header), f.header)
    ws.set_row(2, row_height(2))
    r = 3
    for row in committee.sheet_rows:
        lines = 1
        for col, value in enumerate(row):
            if isinstance(value, int):
                ws.write_number(r, col, value, f.count)
                continue
            text = _clean(value)[:32_767]
            ws.write_string(r, col, text, f.center if col in (0, *counts) else f.text)
            lines = max(lines, wrapped_lines(text, widths[col]))
        ws.set_row(r, row_height(min(lines, MAX_LINES)))
        r += 1
    _page_setup(ws, last, max(r - 1, 2))


CHART_MARGIN_PX = 4  # between the chart and the print area's edges


def _status_chart(
    wb: Any, ws: Any, columns: Sequence[str], goals: int, at_row: int, width: int = 900
) -> None:
    """A stacked bar chart: one bar per goal, one series per status."""
    chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
    first, last = 3, 3 + goals - 1
    for col in range(1, len(columns) + 1):
        chart.add_series(
            {
                "name": [SUMMARY_SHEET, 2, col],
                "categories": [SUMMARY_SHEET, first, 0, last, 0],
                "values": [SUMMARY_SHEET, first, col, last, col],
                "name_font": {"name": FONT},
            }
        )
    chart.set_title({"name": "基本目標別の進捗状況（取組数）", "name_font": {"name": FONT, "size": 12}})
    chart.set_x_axis({"name": "取組数", "num_font": {"name": FONT}})
    chart.set_y_axis({"reverse": True, "num_font": {"name": FONT}})
    chart.set_legend({"position": "bottom", "font": {"name": FONT}})
    chart.set_size({"width": width, "height": 120 + 60 * goals})
    ws.insert_chart(at_row, 0, chart, {"x_offset": CHART_MARGIN_PX})
