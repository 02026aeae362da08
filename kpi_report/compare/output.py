"""Writing a progress-list comparison: the DIFF workbook, its JSON twin and the console summary.

The workbook has four sheets: 概要 (counts by kind, goal and department, a chart, the two files and how rows were
matched), 変更一覧 (every change, filterable, with the exact characters deleted in red strikethrough and inserted in
blue underline), 新一覧 and 新KPI (the NEW list re-written with each changed cell filled and commented with its old
value). Every string is written literally; the same two files give byte-identical outputs.
"""

from __future__ import annotations

import gc
import io
import json
import math
import multiprocessing
import re
import threading
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from xlsxwriter.url import Url
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import RowInfo, Worksheet
from xlsxwriter.xmlwriter import xml_escapes

from kpi_report.compare.diff import KINDS, MATCHING_LABELS, Change, DiffResult, collector_paused, compare
from kpi_report.compare.read import Later, ListSheet, ProgressList, read_progress_lists
from kpi_report.core.cellmetrics import char_width, line_capacity, row_height, text_width
from kpi_report.core.errors import DiffError, UsageError
from kpi_report.core.files import FIXED_CREATED, new_xlsx, write_atomic
from kpi_report.core.model import Progress
from kpi_report.core.xlsxstrings import StringsPackager

SUMMARY_SHEET, CHANGES_SHEET, NEW_LIST_SHEET, NEW_KPI_SHEET = "概要", "変更一覧", "新一覧", "新KPI"
JSON_FORMAT = "kpi-report-diff"
JSON_VERSION = 1

EXCEL_CELL_MAX = 32_767
COMMENT_MAX = 2_000  # a comment shows the old value; the full text is on 変更一覧
MAX_LINKS = 60_000  # Excel allows 65,530 hyperlinks per sheet
DELETE_COLOUR, INSERT_COLOUR = "#C00000", "#0033CC"

# fill of a changed cell on 新一覧 / 新KPI, strongest first: (key, colour, legend)
FILLS: tuple[tuple[str, str, str], ...] = (
    ("past-edit", "#F8CBAD", "過去年度の実施状況・実績値の修正（監査で確認すべき変更）"),
    ("changed", "#FFE699", "記載・進捗状況・目標値などの変更"),
    ("moved", "#D9D2E9", "取組・KPIの移動（コメントに移動前の位置）"),
    ("added", "#C6E0B4", "追加された取組・KPI・列"),
    ("new-year", "#DDEBF7", "新年度の実施状況・実績値の追加（通常の更新）"),
)
_RANK = {key: rank for rank, (key, _, _) in enumerate(FILLS)}
_FILL_OF_KIND = {
    "column-added": "added",
    "column-renamed": "changed",
    "heading-changed": "changed",
    "measure-added": "added",
    "kpi-added": "added",
    "measure-moved": "moved",
    "kpi-moved": "moved",
    "new-year-notes": "new-year",
    "kpi-new-actual": "new-year",
    "past-notes-edited": "past-edit",
    "kpi-actual-changed": "past-edit",
}
_WHOLE_VALUE_KINDS = {"kpi-actual-changed", "kpi-rate-changed", "kpi-new-actual"}
CHANGE_COLUMNS = (
    ("No.", 6),
    ("種類", 22),
    ("シート", 12),
    ("ID", 10),
    ("基本目標", 24),
    ("施策", 22),
    ("名称・指標名", 24),
    ("所管課", 14),
    ("項目", 16),
    ("変更前", 40),
    ("変更後", 40),
    ("差分（赤取消線＝削除、青下線＝追加）", 60),
    ("説明", 24),
    ("新一覧のセル", 10),
)
_PROGRESS_WIDTHS = {"number": 8, "name": 20, "content": 34, "owners": 16, "status": 9, "notes": 66, "id": 10}


# ---------------------------------------------------------------------------------------------------------------
# Console and JSON


def matching_text(result: DiffResult) -> str:
    """How the rows were matched, e.g. 取組＝取組ID、KPI＝KPI_ID."""
    text = f"取組＝{MATCHING_LABELS[result.measure_matching]}"
    if result.kpi_matching:
        text += f"、KPI＝{MATCHING_LABELS[result.kpi_matching]}"
    return text


def _doc_json(doc: ProgressList) -> dict[str, Any]:
    return {
        "file": doc.file,
        "sha256": doc.sha256,
        "title": doc.title,
        "year": doc.year_line,
        "report_fy": doc.report_fy,
        "measures": len(doc.measures.items),
        "kpis": len(doc.kpis.items) if doc.kpis is not None else None,
    }


def _spans(change: Change) -> list[tuple[str, str]]:
    """(op, text) runs shown for a change: a number's old and new value as whole runs."""
    if change.kind in _WHOLE_VALUE_KINDS:
        return [(op, text) for op, text in (("delete", change.old), ("insert", change.new)) if text]
    return [(s.op, s.text) for s in change.spans]


def diff_json(result: DiffResult) -> dict[str, Any]:
    """The comparison as JSON-ready data (the same content as the workbook)."""
    data = _json_head(result)
    data["changes"] = [_change_json(c) for c in result.changes]
    return data


def _change_json(c: Change) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "label": c.label,
        "sheet": c.sheet,
        "id": c.item_id,
        "goal": c.goal,
        "area": c.area,
        "name": c.name,
        "department": c.department,
        "column": c.column,
        "old": c.old,
        "new": c.new,
        "detail": c.detail,
        "cell": c.cell,
        "spans": [{"op": op, "text": text} for op, text in _spans(c)],
    }


def _json_head(result: DiffResult) -> dict[str, Any]:
    """:func:`diff_json` without its changes."""

    def counts(groups: Sequence[tuple[str, Counter[str]]], name: str) -> list[dict[str, Any]]:
        return [{name: key, "total": c.total(), "by_kind": dict(c)} for key, c in groups]

    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "old": _doc_json(result.old),
        "new": _doc_json(result.new),
        "matching": {
            "measures": {
                "method": result.measure_matching,
                "label": MATCHING_LABELS[result.measure_matching],
            },
            "kpis": (
                {"method": result.kpi_matching, "label": MATCHING_LABELS[result.kpi_matching]}
                if result.kpi_matching
                else None
            ),
        },
        "summary": {
            "total": len(result.changes),
            "by_kind": [
                {"kind": kind, "label": KINDS[kind], "count": count} for kind, count in result.count_by_kind()
            ],
            "by_goal": counts(result.count_by_goal(), "goal"),
            "by_department": counts(result.count_by_department(), "department"),
        },
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "file": f.file,
                "sheet": f.sheet,
                "cell": f.cell,
                "value": f.value,
            }
            for f in result.findings
        ],
    }


def diff_json_bytes(result: DiffResult) -> bytes:
    """The JSON file: sorted keys, UTF-8, one change per line (the C encoder keeps 20,000 changes fast)."""
    with _collector_frozen():
        return _diff_json_bytes(result)


def _diff_json_bytes(result: DiffResult) -> bytes:
    head = json.dumps(_json_head(result), ensure_ascii=False, indent=2, sort_keys=True)
    line = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode  # json.dumps(c, …), one encoder
    body = ",\n".join(["    " + _change_line(c, line) for c in result.changes])
    # "changes" sorts before every other top-level key, so it goes right after the opening brace
    text = head[:1] + '\n  "changes": [' + ("\n" + body + "\n  " if body else "") + "]," + head[1:]
    return (text + "\n").encode("utf-8")


def _change_line(c: Change, line: Callable[[dict[str, Any]], str]) -> str:
    """``line(_change_json(c))``: a change's JSON line as the encoder writes it (keys sorted, ", " and ": "), put
    together from its strings each encoded as the encoder encodes a string, without a dict to make and sort;
    a field that is not a string (the encoder's TypeError) goes through ``line``."""
    e = _encode_string
    try:
        spans = ", ".join([f'{{"op": {e(op)}, "text": {e(text)}}}' for op, text in _spans(c)])
        return (
            f'{{"area": {e(c.area)}, "cell": {e(c.cell)}, "column": {e(c.column)}, '
            f'"department": {e(c.department)}, "detail": {e(c.detail)}, "goal": {e(c.goal)}, '
            f'"id": {e(c.item_id)}, "kind": {e(c.kind)}, "label": {e(c.label)}, "name": {e(c.name)}, '
            f'"new": {e(c.new)}, "old": {e(c.old)}, "sheet": {e(c.sheet)}, "spans": [{spans}]}}'
        )
    except TypeError:
        return line(_change_json(c))


_encode_string: Callable[[str], str] = json.encoder.encode_basestring


# ---------------------------------------------------------------------------------------------------------------
# Workbook


class _Formats:
    """Every format of the workbook, created once (xlsxwriter formats are costly per cell)."""

    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.bold = wb.add_format({"bold": True})
        self.header = wb.add_format(
            {"bold": True, "bg_color": "#D9D9D9", "border": 1, "text_wrap": True, "valign": "vcenter"}
        )
        self.text = wb.add_format({"text_wrap": True, "valign": "top"})
        self.cell = wb.add_format({"border": 1})
        self.cell_bold = wb.add_format({"border": 1, "bold": True})
        self.top = wb.add_format({"valign": "top"})
        self.delete = wb.add_format({"font_color": DELETE_COLOUR, "font_strikeout": True})
        self.insert = wb.add_format({"font_color": INSERT_COLOUR, "underline": 1})
        self.delete_cell = wb.add_format(
            {"font_color": DELETE_COLOUR, "font_strikeout": True, "text_wrap": True, "valign": "top"}
        )
        self.insert_cell = wb.add_format(
            {"font_color": INSERT_COLOUR, "underline": 1, "text_wrap": True, "valign": "top"}
        )
        self.link = wb.add_format({"font_color": INSERT_COLOUR, "underline": 1, "valign": "top"})
        self._list: dict[tuple[str, str], Any] = {}

    def list_cell(self, style: str, fill: str) -> Any:
        """A cell format of 新一覧: style header/goal/area/text/percent, with a change fill or none ("")."""
        key = (style, fill)
        if key not in self._list:
            props: dict[str, Any] = {"text_wrap": True, "valign": "top", "border": 1}
            if style == "header":
                props.update(bold=True, bg_color="#D9D9D9", valign="vcenter")
            elif style in ("goal", "area"):
                props.update(bold=True, bg_color="#BDD7EE" if style == "goal" else "#DDEBF7")
            elif style == "percent":
                props.update(num_format="0.0%")
            elif style == "title":
                props = {"bold": True, "font_size": 12}
            if fill:
                props.update(bg_color=dict((k, c) for k, c, _ in FILLS)[fill], pattern=1)
            self._list[key] = self.wb.add_format(props)
        return self._list[key]


_LateCell = tuple[
    int, int, Any
]  # (col, shared string index, format) of a string cell; see _FastSheet.whole_row
_WholeRow = tuple[int, int, str, _LateCell | None]  # (first col, last col, the <c> elements, late cell)


class _FastSheet(Worksheet):  # type: ignore[misc]
    """A worksheet taking most of its cells as finished ``<c>`` elements: the diff's big sheets hold ~470,000
    cells, and xlsxwriter spends ~9 µs on each (argument conversion, checks, a stored tuple, then escaping every
    attribute when the sheet is written); :meth:`put` costs about a sixth of that.

    A put cell is what ``write_string``/``write_number``/``write_blank`` would have written — a shared string, a
    number, a blank with its format. Anything else (rich text, links, booleans, very long texts) goes through
    xlsxwriter as before, and the sheet's rows interleave both by column when it is written. Everything outside
    ``<sheetData>`` (columns, row heights, comments, merges, filters, panes, print setup) stays xlsxwriter's.
    The row elements carry no optional ``spans`` attribute.
    """

    def __init__(self) -> None:
        super().__init__()
        self._put: dict[int, dict[int, str]] = {}
        self._letters: dict[int, str] = {}
        self._rows: dict[int, _WholeRow] = {}
        self._links: dict[tuple[int, int], tuple[str, str]] = {}  # (row, col) -> internal link's (url, text)
        self._row_attributes: dict[int, str | None] = {}  # id of a RowInfo -> see _row_tag (when written)

    def release(self) -> None:
        """Its rows let go of once the workbook is made: the workbook holds cycles, so they would otherwise wait
        for the collector (~100,000 objects in the yearly audit's workbook, each walked by its pass)."""
        for rows in (self._put, self._rows, self._links, self.row_info, self.row_sizes, self.table):
            rows.clear()

    def column(self, col: int) -> str:
        """The letters of column ``col`` (remembered)."""
        letters = self._letters.get(col)
        if letters is None:
            letters = self._letters[col] = xl_col_to_name(col)
        return letters

    def whole_row(self, row: int, first: int, last: int, cells: str, late: _LateCell | None = None) -> None:
        """A row's finished ``<c>`` elements from column ``first`` to ``last``, and ``late``: a string cell
        whose format's index is taken when the sheet is written, as xlsxwriter takes a cell's it holds. Nothing
        else may be written in that row (put, write_…, merge_range)."""
        self._rows[row] = (first, last, cells, late)

    def linkable(self, row: int, col: int, url: str, fmt: Any, text: str) -> bool:
        """True when :meth:`internal_link` can make this link (else it needs write_url)."""
        return (
            url.startswith("internal:")
            and self.hlink_count < 65_530
            and "#" not in url
            and 2 * len(url) <= self.max_url_length
            and not self.ignore_write_string
            and not self.constant_memory
            and fmt is not None
            and len(text) <= self.xls_strmax // 2
            and 0 <= row < self.xls_rowmax
            and 0 <= col < self.xls_colmax
        )

    def internal_link(self, row: int, col: int, url: str, fmt: Any, text: str) -> _LateCell:
        """``link(row, col, url, fmt, text)`` of a :meth:`linkable` link in a row written whole: the text
        stored as write_url stores it, the ``<hyperlink>`` made when the sheet is written; returns the late
        cell to give :meth:`whole_row`."""
        self.hlink_count += 1
        self._links[row, col] = (url, text)
        return col, self.str_table._get_shared_string_index(text), fmt

    def put(self, row: int, col: int, value: str | float | None, fmt: Any) -> None:
        """Write a text, a number, or (None) a blank with its format, as write_string/number/blank would."""
        if (
            type(value) is str  # the common case first: a text with a format, inside the sheet
            and fmt is not None
            and len(value) <= self.xls_strmax // 2
            and 0 <= row < self.xls_rowmax
            and 0 <= col < self.xls_colmax
        ):
            strings = self.str_table
            index = strings.string_table.get(value)
            if index is None:
                index = strings._get_shared_string_index(value)
            else:
                strings.count += 1
            xf = fmt.xf_index
            if xf is None:
                xf = fmt._get_xf_index()
            letters = self._letters.get(col)
            if letters is None:
                letters = self._letters[col] = xl_col_to_name(col)
            cells = self._put.get(row)
            if cells is None:
                cells = self._put[row] = {}
            cells[col] = f'<c r="{letters}{row + 1}" s="{xf}" t="s"><v>{index}</v></c>'
            return
        if isinstance(value, str) and len(value) <= self.xls_strmax // 2:  # longer ones may need truncating
            kind, text = ' t="s"', str(self.str_table._get_shared_string_index(value))
        elif value is None:
            kind, text = "", ""
        elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            kind, text = "", f"{value:.16G}"
        else:
            self.write(row, col, value, fmt)
            return
        if fmt is None or row >= self.xls_rowmax or col >= self.xls_colmax or row < 0 or col < 0:
            if value is None:
                self.write_blank(row, col, None, fmt)
            elif isinstance(value, str):
                self.write_string(row, col, value, fmt)
            else:
                self.write_number(row, col, value, fmt)
            return
        letters = self._letters.get(col)
        if letters is None:
            letters = self._letters[col] = xl_col_to_name(col)
        ref = f"{letters}{row + 1}"
        xf = fmt._get_xf_index()
        cells = self._put.get(row)
        if cells is None:
            cells = self._put[row] = {}
        cells[col] = (
            f'<c r="{ref}" s="{xf}"/>' if value is None else f'<c r="{ref}" s="{xf}"{kind}><v>{text}</v></c>'
        )

    def put_texts(self, row: int, col: int, texts: Sequence[str], fmt: Any) -> None:
        """``put(row, col + k, text, fmt)`` for each non-empty text of ``texts``, in order."""
        if fmt is None or not (
            0 <= row < self.xls_rowmax and col >= 0 and col + len(texts) <= self.xls_colmax
        ):
            for k, text in enumerate(texts):
                if text:
                    self.put(row, col + k, text, fmt)
            return
        strings = self.str_table
        table = strings.string_table
        xf = fmt.xf_index
        if xf is None:
            xf = fmt._get_xf_index()
        longest = self.xls_strmax // 2
        letters_of = self._letters
        cells = self._put.get(row)
        if cells is None:
            cells = self._put[row] = {}
        number = row + 1
        for k, text in enumerate(texts, start=col):
            if not text:
                continue
            if type(text) is not str or len(text) > longest:
                self.put(row, k, text, fmt)
                continue
            index = table.get(text)
            if index is None:
                index = strings._get_shared_string_index(text)
            else:
                strings.count += 1
            letters = letters_of.get(k)
            if letters is None:
                letters = letters_of[k] = xl_col_to_name(k)
            cells[k] = f'<c r="{letters}{number}" s="{xf}" t="s"><v>{index}</v></c>'

    def link(self, row: int, col: int, url: str, fmt: Any, text: str) -> None:
        """``write_url(row, col, url, fmt, text)`` of an internal link without its argument conversion and
        checks; its ``<hyperlink>`` made when the sheet is written."""
        if not self.linkable(row, col, url, fmt, text):
            self.write_url(row, col, url, fmt, text)
            return
        self.hlink_count += 1
        self._write_string(row, col, text, fmt)  # held by xlsxwriter, as write_url holds it
        self._links[row, col] = (url, text)

    def heights(self, heights: Sequence[tuple[int, float]]) -> None:
        """``set_row(row, height)`` for each (row, height): the same row information, without set_row's
        options."""
        if not heights:
            return
        rows = [row for row, _ in heights]
        col = self.dim_colmin if self.dim_colmin is not None else 0
        lowest = min(height for _, height in heights)
        if min(rows) < 0 or max(rows) >= self.xls_rowmax or int(lowest * 4.0 / 3.0 + 0.5) <= 0:
            for row, height in heights:
                self.set_row(row, height)
            return
        self._check_dimensions(min(rows), col)  # what set_row would check and record for each row
        self._check_dimensions(max(rows), col)
        infos: dict[int, RowInfo] = {}
        row_info, row_sizes = self.row_info, self.row_sizes
        for row, height in heights:
            pixels = int(height * 4.0 / 3.0 + 0.5)
            info = infos.get(pixels)
            if info is None:
                info = infos[pixels] = RowInfo(
                    height=pixels, row_format=None, hidden=False, level=0, collapsed=False
                )
            row_info[row] = info
            row_sizes[row] = [pixels, False]

    def _assemble_xml_file(self) -> None:
        if self._put:
            rows = self._put.keys()
            cols = [col for cells in self._put.values() for col in (min(cells), max(cells))]
            self._check_dimensions(min(rows), min(cols))
            self._check_dimensions(max(rows), max(cols))
        if self._rows:
            self._check_dimensions(min(self._rows), min(first for first, _, _, _ in self._rows.values()))
            self._check_dimensions(max(self._rows), max(last for _, last, _, _ in self._rows.values()))
        super()._assemble_xml_file()

    def _write_sheet_data(self) -> None:
        if not self._put and not self._rows:
            super()._write_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self._row_attributes.clear()
        held = {row for row, cells in self.table.items() if cells}
        whole = self._rows
        written = held | self._put.keys() | whole.keys() | self.row_info.keys() | self.comments.keys()
        pending: list[str] = []  # rows written whole, written out together
        lowest, highest = self.dim_rowmin, self.dim_rowmax
        row_info, known = self.row_info, self._row_attributes
        for row in sorted(written):
            if row < lowest or row > highest:
                continue
            cells = whole.get(row)
            if cells is not None:  # a row written whole (most rows of the big sheets)
                info = row_info.get(row)  # _row_tag(row), without the call
                attributes = known.get(id(info), _UNSEEN)
                if attributes is _UNSEEN:
                    attributes = known[id(info)] = self._attributes_of(info)
                if attributes is None:
                    self.fh.write("".join(pending))
                    pending.clear()
                    self._write_row(row, None, info)
                    tag = ""
                else:
                    tag = f'<row r="{row + 1}"{attributes}>'
                _, _, xml, late = cells
                if late is None:
                    pending.append(f"{tag}{xml}</row>")
                else:
                    col, index, fmt = late
                    xf = fmt.xf_index
                    if xf is None:
                        xf = fmt._get_xf_index()
                    pending.append(
                        f'{tag}{xml}<c r="{self.column(col)}{row + 1}" s="{xf}" t="s"><v>{index}</v></c></row>'
                    )
                continue
            self.fh.write("".join(pending))
            pending.clear()
            put, table = self._put.get(row, {}), self.table.get(row, {})
            if not put and not table:
                self._write_empty_row(row, None, self.row_info.get(row))
                continue
            start_tag = self._row_tag(row)
            if start_tag is None:
                self._write_row(row, None, self.row_info.get(row))
            else:
                self.fh.write(start_tag)
            if not table:  # put cells only: written at once
                self.fh.write("".join([put[col] for col in sorted(put)]))
                self.fh.write("</row>")
                continue
            for col in sorted(put.keys() | table.keys()):
                if col in put:  # a put cell replaces what merge_range left there
                    self.fh.write(put[col])
                else:
                    self._write_cell(row, col, table[col])
            self._xml_end_tag("row")
        self.fh.write("".join(pending))
        self._xml_end_tag("sheetData")

    def _row_tag(self, row: int) -> str | None:
        """The <row> start tag ``_write_row(row, None, row_info)`` writes, for a row with a height at most;
        None for any other (with a format, hidden, outlined, Excel 2010 attributes)."""
        info = self.row_info.get(row)
        # most rows share one of a few RowInfo (see heights), alive in row_info while the sheet is written
        attributes = self._row_attributes.get(id(info), _UNSEEN)
        if attributes is _UNSEEN:
            attributes = self._row_attributes[id(info)] = self._attributes_of(info)
        return None if attributes is None else f'<row r="{row + 1}"{attributes}>'

    def _attributes_of(self, info: RowInfo | None) -> str | None:
        """What a <row> start tag holds after its r attribute, for ``info``; None: see :meth:`_row_tag`."""
        if self.excel_version == 2010 or (
            info is not None and (info.row_format or info.hidden or info.level or info.collapsed)
        ):
            return None
        height = info.height if info is not None and info.height is not None else self.default_row_height
        if height != self.original_row_height or height != self.default_row_height:
            return f' ht="{height * 0.75:.16g}" customHeight="1"'
        return ""

    def _write_hyperlinks(self) -> None:
        if not self._links:
            super()._write_hyperlinks()
            return
        if any(self.hyperlinks.values()):  # links of both kinds: all of them through xlsxwriter, in order
            for (row, col), (url, text) in self._links.items():
                target = Url(url)
                target.text = text
                self.hyperlinks[row][col] = target
            super()._write_hyperlinks()
            return
        links = sorted(self._links.items())
        start = len("internal:")
        if _XML_ESCAPES.search("".join([url[start:] + text for _, (url, text) in links])) is None:
            escape: Callable[[str], str] = str  # nothing for _escape_attributes to escape in any of them
        else:
            escape = self._escape_attributes
        column = self.column
        elements = [
            f'<hyperlink ref="{column(col)}{row + 1}" location="{escape(url[start:])}" display="{escape(text)}"/>'
            for (row, col), (url, text) in links
        ]
        self.fh.write("<hyperlinks>" + "".join(elements) + "</hyperlinks>")


@cache
def _wide_runs() -> re.Pattern[str]:
    """Runs of the characters below U+10000 that :func:`cellmetrics.char_width` counts 2 wide (made once, ~20 ms)."""
    widths = bytearray(map(char_width, map(chr, range(0x10000))))
    widths[0xD800:0xE000] = bytes(0x800)  # no surrogate in the class
    members = "".join(
        f"{re.escape(chr(run.start()))}-{re.escape(chr(run.end() - 1))}"
        if run.end() - run.start() > 1
        else re.escape(chr(run.start()))
        for run in re.finditer(rb"\x02+", widths)
    )
    return re.compile(f"[{members}]+")


def _line_count(text: str, capacity: float) -> int:
    """:func:`cellmetrics.line_count` of ``text`` in lines of ``capacity`` half-width characters, the same count:
    a paragraph that may not fit is measured with one regular expression (its wide characters taken out, the
    rest counted) instead of a look-up per character — the diff measures ~10 million characters; one that
    fits for certain (two columns a character) is one line, unmeasured."""
    if 2 * len(text) <= capacity:
        return text.count("\n") + 1  # every line fits
    if _ASTRAL.search(text) is not None:  # the expression knows only U+0000 to U+FFFF
        return sum(max(1, math.ceil(text_width(p) / capacity)) for p in text.split("\n"))
    wide = _wide_runs()
    if "\n" not in text:
        return max(1, math.ceil((2 * len(text) - len(wide.sub("", text))) / capacity))
    lines = 0
    for paragraph in text.split("\n"):
        n = 2 * len(paragraph)
        lines += 1 if n <= capacity else max(1, math.ceil((n - len(wide.sub("", paragraph))) / capacity))
    return lines


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class _FastPackager(StringsPackager):
    """xlsxwriter's packager (Workbook._get_packager is its hook) with core.xlsxstrings' shared strings, and, with
    ``deflate`` threads, the big parts compressed in them as soon as they are written (zlib lets other threads
    run meanwhile): the package is then left out of xlsxwriter's zip (which stays empty) and made by
    :meth:`zip`, the same bytes."""

    def __init__(self, deflate: ThreadPoolExecutor | None = None) -> None:
        super().__init__()
        self.deflate = deflate
        self.files: list[tuple[Any, str, bool]] = []
        self.deflated: dict[str, Future[tuple[bytes, bytes]]] = {}
        self.handed = 0  # the parts before this one are written, and the big ones handed to the threads

    def _create_package(self) -> list[tuple[Any, str, bool]]:
        files: list[tuple[Any, str, bool]] = super()._create_package()
        if self.deflate is None or not self.in_memory:
            return files
        self._hand_written()  # the last parts
        self.files = files
        return []

    def _filename(self, xml_filename: str) -> Any:
        """xlsxwriter's next part: the parts before it are written (one at a time, each whole), so the big ones
        go to the threads now — 変更一覧 is compressed while the other sheets are written."""
        self._hand_written()
        return super()._filename(xml_filename)

    def _hand_written(self) -> None:
        """The big parts written since the last call handed to the threads."""
        if self.deflate is None or not self.in_memory:
            return
        for os_filename, xml_filename, is_binary in self.filenames[self.handed :]:
            if not is_binary and os_filename.tell() >= DEFLATE_MIN_CHARS:
                self.deflated[xml_filename] = self.deflate.submit(_deflate, os_filename.getvalue())
        self.handed = len(self.filenames)

    def zip(self, allow_zip64: bool) -> bytes:
        """The package as xlsxwriter's _store_workbook zips it, the parts compressed in the threads taken from
        them."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(
            buffer, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=allow_zip64
        ) as archive:
            for os_filename, xml_filename, is_binary in self.files:
                info = zipfile.ZipInfo(xml_filename, (1980, 1, 1, 0, 0, 0))
                info.compress_type = archive.compression
                job = self.deflated.get(xml_filename)
                if job is None:
                    value = os_filename.getvalue()
                    archive.writestr(info, value if is_binary else value.encode("utf-8"))
                    continue
                data, deflated = job.result()
                info.file_size = len(data)  # what writestr sets before it opens the entry
                with archive.open(info, mode="w") as entry:
                    entry._compressor = _Deflated(deflated)  # type: ignore[attr-defined]  # zipfile's _ZipWriteFile
                    entry.write(data)
        return buffer.getvalue()


DEFLATE_THREADS = 2  # 0: xlsxwriter zips the package itself (the tests compare both)
DEFLATE_MIN_CHARS = 256 << 10


def _deflate(text: str) -> tuple[bytes, bytes]:
    """A part's bytes and their deflate stream, as zipfile compresses an entry (default level, raw)."""
    data = text.encode("utf-8")
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return data, compressor.compress(data) + compressor.flush()


class _Deflated:
    """Stands in for a zip entry's compressor: the stream compressed beforehand, given at the end."""

    def __init__(self, deflated: bytes) -> None:
        self.deflated = deflated

    def compress(self, data: bytes) -> bytes:
        return b""

    def flush(self) -> bytes:
        return self.deflated


def _fit(text: str) -> str:
    if len(text) <= EXCEL_CELL_MAX:
        return text
    marker = "…（Excelのセルの上限を超えるため省略。JSONに全文があります）"
    return text[: EXCEL_CELL_MAX - len(marker)] + marker


def _write_spans(ws: _FastSheet, r: int, c: int, spans: Sequence[tuple[str, str]], f: _Formats) -> None:
    """The character diff as rich text: deletions red strikethrough, insertions blue underline."""
    if not spans:
        return
    if sum(len(text) for _, text in spans) > EXCEL_CELL_MAX:
        ws.put(r, c, "（差分が長すぎるため省略。変更前・変更後の列とJSONを参照してください）", f.text)
        return
    if len(spans) == 1:
        op, text = spans[0]
        ws.put(r, c, text, {"delete": f.delete_cell, "insert": f.insert_cell}.get(op, f.text))
        return
    fragments: list[Any] = []
    for op, text in spans:
        if op == "delete":
            fragments.append(f.delete)
        elif op == "insert":
            fragments.append(f.insert)
        fragments.append(text)
    ws.write_rich_string(r, c, *fragments, f.text)


def _print_setup(ws: Any, header_row: int) -> None:
    """A4 landscape, one page wide, the header row repeated on every page."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    ws.set_footer("&C&P / &N")


def _merged_text(ws: Any, r: int, first: int, last: int, text: str, fmt: Any) -> None:
    """Text across merged cells, written literally (merge_range would pass it through write())."""
    ws.merge_range(r, first, r, last, "", fmt)
    ws.write_string(r, first, text, fmt)


def _summary_sheet(wb: Any, f: _Formats, result: DiffResult) -> None:
    ws = wb.add_worksheet(SUMMARY_SHEET)
    ws.set_column(0, 0, 46)
    ws.set_column(1, 30, 12)
    _print_setup(ws, 0)
    ws.write_string(0, 0, "進捗状況一覧表の比較（監査用）", f.title)
    old_cols, new_cols = (1, 6), (7, 12)
    ws.write_string(2, 0, "", f.header)
    _merged_text(ws, 2, *old_cols, "比較元（旧）", f.header)
    _merged_text(ws, 2, *new_cols, "比較先（新）", f.header)
    rows: list[tuple[str, str, str]] = [
        ("ファイル", result.old.file, result.new.file),
        ("SHA-256", result.old.sha256, result.new.sha256),
        ("表題", result.old.title, result.new.title),
        ("年度", result.old.year_line, result.new.year_line),
        ("取組数", str(len(result.old.measures.items)), str(len(result.new.measures.items))),
        (
            "KPI数",
            str(len(result.old.kpis.items)) if result.old.kpis else "（KPIシートなし）",
            str(len(result.new.kpis.items)) if result.new.kpis else "（KPIシートなし）",
        ),
    ]
    r = 3
    for label, a, b in rows:
        ws.write_string(r, 0, label, f.cell_bold)
        _merged_text(ws, r, *old_cols, a, f.cell)
        _merged_text(ws, r, *new_cols, b, f.cell)
        r += 1
    ws.write_string(r, 0, "照合方法", f.cell_bold)
    _merged_text(ws, r, old_cols[0], new_cols[1], matching_text(result), f.cell)
    ws.write_string(r + 1, 0, "変更の合計", f.cell_bold)
    ws.write_number(r + 1, 1, len(result.changes), f.cell)
    r += 3

    ws.write_string(r, 0, "種類", f.header)
    ws.write_string(r, 1, "件数", f.header)
    kinds = result.count_by_kind()
    first = r + 1
    for k, (kind, count) in enumerate(kinds, start=first):
        ws.write_string(k, 0, KINDS[kind], f.cell)
        ws.write_number(k, 1, count, f.cell)
    chart = wb.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": "件数",
            "categories": [SUMMARY_SHEET, first, 0, first + len(kinds) - 1, 0],
            "values": [SUMMARY_SHEET, first, 1, first + len(kinds) - 1, 1],
            "data_labels": {"value": True},
        }
    )
    chart.set_title({"name": "種類別の変更件数"})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    height = 60 + 20 * len(kinds)
    chart.set_size({"width": 720, "height": height})
    ws.insert_chart(r, 3, chart)
    r = max(first + len(kinds), r + height // 20 + 1) + 1

    present = [kind for kind, count in kinds if count]
    for title, groups, blank in (
        ("基本目標別", result.count_by_goal(), "（一覧全体）"),
        ("所管課別（筆頭所管課）", result.count_by_department(), "（所管課の記載なし）"),
    ):
        ws.set_row(r, 48)
        ws.write_string(r, 0, title, f.header)
        ws.write_string(r, 1, "合計", f.header)
        for c, kind in enumerate(present, start=2):
            ws.write_string(r, c, KINDS[kind], f.header)
        for key, counts in groups:
            r += 1
            ws.write_string(r, 0, key or blank, f.cell)
            ws.write_number(r, 1, counts.total(), f.cell)
            for c, kind in enumerate(present, start=2):
                ws.write_number(r, c, counts.get(kind, 0), f.cell)
        r += 2

    if result.findings:
        ws.write_string(r, 0, "注意", f.header)
        for finding in result.findings:
            r += 1
            ws.write_string(r, 0, finding.file, f.cell)
            _merged_text(ws, r, old_cols[0], new_cols[1], finding.message, f.cell)
            ws.set_row(r, 15 * (1 + len(finding.message) // 75))
        r += 2
    ws.write_string(r, 0, "凡例", f.header)
    ws.write_rich_string(r + 1, 0, f.delete, "削除された文字", "・", f.insert, "追加された文字")
    ws.write_string(r + 1, 1, "変更一覧の「差分」列")
    for k, (key, _, legend) in enumerate(FILLS, start=r + 2):
        ws.write_string(k, 0, "", f.list_cell("text", key))
        ws.write_string(k, 1, f"新一覧・新KPIのセルの色: {legend}")


def _change_heights(changes: Sequence[Change]) -> list[tuple[int, float]]:
    """(row, height) of 変更一覧's rows taller than one line."""
    c40, c24, c22 = line_capacity(40), line_capacity(24), line_capacity(22)
    # a goal's, an area's and a name's count measured once: most changes share them with others
    goals: dict[str, int] = {}
    areas: dict[str, int] = {}
    names: dict[str, int] = {}
    tall: dict[int, float] = {}  # lines -> row_height(lines)
    heights: list[tuple[int, float]] = []
    for r, change in enumerate(changes, start=1):
        old_lines, new_lines = _line_count(change.old, c40), _line_count(change.new, c40)
        lines = max(old_lines, new_lines, (old_lines + new_lines + 1) * 2 // 3)  # 差分 is 1.5 times as wide
        goal = goals.get(change.goal)
        if goal is None:
            goal = goals[change.goal] = _line_count(change.goal, c24)
        area = areas.get(change.area)
        if area is None:
            area = areas[change.area] = _line_count(change.area, c22)
        name = names.get(change.name)
        if name is None:
            name = names[change.name] = _line_count(change.name, c24)
        lines = max(lines, goal, area, name)
        if lines > 1:
            height = tall.get(lines)
            if height is None:
                height = tall[lines] = row_height(lines)
            heights.append((r, height))
    return heights


def _changes_sheet(wb: Any, f: _Formats, result: DiffResult) -> _FastSheet:
    ws: _FastSheet = wb.add_worksheet(CHANGES_SHEET, worksheet_class=_FastSheet)
    for c, (header, width) in enumerate(CHANGE_COLUMNS):
        ws.set_column(c, c, width)
        ws.write_string(0, c, header, f.header)
    ws.freeze_panes(1, 2)
    _print_setup(ws, 0)
    ws.autofilter(0, 0, max(len(result.changes), 1), len(CHANGE_COLUMNS) - 1)
    target = {result.new.measures.name: NEW_LIST_SHEET}
    if result.new.kpis is not None:
        target[result.new.kpis.name] = NEW_KPI_SHEET
    links = 0
    whole = WHOLE_ROWS and len(result.changes) < ws.xls_rowmax
    longest = ws.xls_strmax // 2  # put writes longer texts through write_string (which may truncate them)
    strings = ws.str_table
    table = strings.string_table
    single = {"delete": f.delete_cell, "insert": f.insert_cell}
    letters = [ws.column(c) for c in range(len(CHANGE_COLUMNS))]
    hits = 0  # texts found in the string table: each counts once more (added to its count at the end)
    top_xf = text_xf = ""
    if result.changes:  # the first row's formats, in its order (either way below): No.'s, then the texts'
        top_xf, text_xf = str(_xf(f.top)), str(_xf(f.text))
    column = ws.column
    for r, change in enumerate(result.changes, start=1):
        texts: tuple[str, ...] = (
            change.label,
            change.sheet,
            change.item_id,
            change.goal,
            change.area,
            change.name,
            change.department,
            change.column,
            change.old,
            change.new,
        )
        spans = _spans(change)
        cell = f"{column(max(change.col, 0))}{change.row + 1}" if change.row >= 0 else ""  # change.cell
        url = f"internal:'{target[change.sheet]}'!{cell}" if cell and change.sheet in target else ""
        if (
            not whole
            or len(spans) > 1
            or max(map(len, texts)) > longest
            or (spans and len(spans[0][1]) > longest)
            or len(change.detail) > longest
            or (url and (links >= MAX_LINKS or not ws.linkable(r, 13, url, f.link, cell)))
        ):  # rich text, long texts, links through write_url: cell by cell
            strings.count += hits
            hits = 0
            links = _change_cells(ws, f, r, change, texts, spans, url, links)
            continue
        # the same cells, strings and format indices, in the same order, as _change_cells
        n = str(r + 1)  # made once for the row's cells
        parts = [f'<c r="A{n}" s="{top_xf}"><v>{r}</v></c>']
        last = 0
        for k, text in enumerate(texts, start=1):
            if text:
                index = table.get(text)
                if index is None:
                    index = strings._get_shared_string_index(text)
                else:
                    hits += 1
                parts.append(f'<c r="{letters[k]}{n}" s="{text_xf}" t="s"><v>{index}</v></c>')
                last = k
        if spans:
            op, text = spans[0]
            index = strings._get_shared_string_index(text)
            parts.append(
                f'<c r="{letters[11]}{n}" s="{_xf(single.get(op, f.text))}" t="s"><v>{index}</v></c>'
            )
            last = 11
        if change.detail:
            index = strings._get_shared_string_index(change.detail)
            parts.append(f'<c r="{letters[12]}{n}" s="{text_xf}" t="s"><v>{index}</v></c>')
            last = 12
        late = None
        if url:
            late = ws.internal_link(r, 13, url, f.link, cell)
            links += 1
            last = 13
        ws.whole_row(r, 0, last, "".join(parts), late)
    strings.count += hits
    return ws


# False: every row of the big sheets cell by cell (put), as before whole rows; the tests compare both
WHOLE_ROWS = True


def _xf(fmt: Any) -> int:
    """The format's index, given on first use as xlsxwriter gives it."""
    xf = fmt.xf_index
    return xf if xf is not None else int(fmt._get_xf_index())


def _change_cells(
    ws: _FastSheet,
    f: _Formats,
    r: int,
    change: Change,
    texts: tuple[str, ...],
    spans: list[tuple[str, str]],
    url: str,
    links: int,
) -> int:
    """Row ``r`` of 変更一覧 cell by cell; returns the links made so far."""
    ws.put(r, 0, r, f.top)
    if max(map(len, texts)) > EXCEL_CELL_MAX:
        texts = tuple(_fit(text) for text in texts)
    ws.put_texts(r, 1, texts, f.text)
    _write_spans(ws, r, 11, spans, f)
    if change.detail:
        ws.put(r, 12, _fit(change.detail), f.text)
    if url:
        if links < MAX_LINKS:
            ws.link(r, 13, url, f.link, change.cell)
            return links + 1
        ws.write_string(r, 13, change.cell)
    return links


def _marks(changes: Sequence[Change], sheet: ListSheet) -> dict[tuple[int, int], tuple[str, list[str]]]:
    """(row, col) on NEW's sheet -> (fill, comment lines), the strongest fill winning."""
    table = [c.index for c in sheet.columns]
    marks: dict[tuple[int, int], tuple[str, list[str]]] = {}
    for change in changes:
        if change.sheet != sheet.name or change.row < 0:
            continue
        fill = _FILL_OF_KIND.get(change.kind, "changed")
        cells = [(change.row, c) for c in table] if change.col < 0 else [(change.row, change.col)]
        note = ""
        if change.kind == "measure-moved" or change.kind == "kpi-moved":
            note = f"移動前: {change.old}"
        elif change.kind == "column-renamed":
            note = f"変更前の列名: {change.old}"
        elif fill in ("changed", "past-edit"):
            note = (
                f"{change.label}（{change.detail}）\n変更前: {change.old}"
                if change.detail
                else f"変更前: {change.old}"
            )
        for cell in cells:
            old_fill, notes = marks.get(cell, (fill, []))
            if _RANK[fill] < _RANK[old_fill]:
                old_fill = fill
            if note:
                notes.append(note)
            marks[cell] = (old_fill, notes)
    return marks


def _rewrite_sheet(
    wb: Any,
    f: _Formats,
    name: str,
    sheet: ListSheet,
    changes: Sequence[Change],
    kpi: bool,
) -> _FastSheet:
    """NEW's sheet as read, with changed cells filled and commented with their old values (row heights: the
    caller's, :func:`_sheet_heights`)."""
    ws: _FastSheet = wb.add_worksheet(name, worksheet_class=_FastSheet)
    roles = {c.index: c.role for c in sheet.columns}
    widths = _list_widths(sheet, kpi)
    for index, width in widths.items():
        ws.set_column(index, index, width)
    table = [i for i in widths if roles[i] != "id"]
    marks: dict[int, dict[int, tuple[str, list[str]]]] = {}
    for (r, c), marked in _marks(changes, sheet).items():
        marks.setdefault(r, {})[c] = marked
    groups = {g.row: g.level for g in sheet.groups}
    ws.freeze_panes(sheet.header_row + 1, 0)
    _print_setup(ws, sheet.header_row)
    header_row = sheet.header_row
    rate_col = next((c for c, role in roles.items() if role == "rate"), -1) if kpi else -1
    whole = WHOLE_ROWS and len(sheet.grid) <= ws.xls_rowmax
    width = max(map(len, sheet.grid), default=0)
    letters = [ws.column(c) for c in range(min(width, ws.xls_colmax))]
    longest = ws.xls_strmax // 2  # put writes longer texts through write() (which may truncate them)
    strings = ws.str_table
    string_table = strings.string_table
    no_marks: dict[int, tuple[str, list[str]]] = {}
    xfs: dict[tuple[str, str], str] = {}  # (style, fill) -> the format's index as written
    for r, row in enumerate(sheet.grid):
        if r < header_row:
            style = "title"
        elif r == header_row:
            style = "header"
        else:
            style = groups.get(r, "text")
        row_marks = marks.get(r, no_marks)
        measured = r > header_row
        rate = rate_col if measured else -1
        if not whole or len(row) > len(letters) or (style in ("goal", "area") and len(table) > 1):
            _list_cells(ws, f, r, row, style, table, row_marks, rate)
            continue
        # the same cells, strings and format indices, in the same order, as _list_cells
        n = str(r + 1)  # made once for the row's cells (as are the format indices' texts, in xfs)
        parts: list[str] = []
        cols: list[int] = []
        for c, value in enumerate(row):
            mark = row_marks.get(c) if row_marks else None
            fill = mark[0] if mark is not None else ""
            if (value is None or value == "") and not fill:
                continue
            kind = type(value)
            if kind is str:
                text: Any = value
            elif kind is int or value is None:
                text = None
            elif kind is float:
                text = None if math.isfinite(value) else _HELD  # type: ignore[arg-type]
            elif kind is bool:
                text = _HELD
            else:
                text = str(value)
            if text is _HELD or (
                text is not None and len(text) > longest
            ):  # xlsxwriter holds it: cell by cell
                if parts:
                    ws._put[r] = dict(zip(cols, parts, strict=True))
                _list_cells(ws, f, r, row, style, table, row_marks, rate, start=c)
                break
            key = ("percent" if c == rate else style, fill)
            xf = xfs.get(key)
            if text is not None:
                index = string_table.get(text)
                if index is None:
                    index = strings._get_shared_string_index(text)
                else:
                    strings.count += 1
                if xf is None:
                    xf = xfs[key] = str(_xf(f.list_cell(*key)))
                parts.append(f'<c r="{letters[c]}{n}" s="{xf}" t="s"><v>{index}</v></c>')
            else:
                if xf is None:
                    xf = xfs[key] = str(_xf(f.list_cell(*key)))
                if value is None:
                    parts.append(f'<c r="{letters[c]}{n}" s="{xf}"/>')
                else:
                    parts.append(f'<c r="{letters[c]}{n}" s="{xf}"><v>{value:.16G}</v></c>')
            cols.append(c)
            if mark is not None and mark[1]:
                ws.write_comment(r, c, _comment(mark[1]), {"x_scale": 3, "y_scale": 3})
        else:
            if parts:
                ws.whole_row(r, cols[0], cols[-1], "".join(parts))
    return ws


# what xlsxwriter's _escape_attributes looks for before it escapes an attribute
_XML_ESCAPES: re.Pattern[str] = xml_escapes
_HELD = object()  # a value put leaves to xlsxwriter
_UNSEEN = object()  # a RowInfo _row_tag has not met yet


def _comment(notes: list[str]) -> str:
    text = "\n\n".join(notes)
    if len(text) > COMMENT_MAX:
        text = text[:COMMENT_MAX] + "…（全文は変更一覧）"
    return text


def _list_cells(
    ws: _FastSheet,
    f: _Formats,
    r: int,
    row: Sequence[object],
    style: str,
    table: list[int],
    marks: dict[int, tuple[str, list[str]]],
    rate_col: int,
    start: int = 0,
) -> None:
    """Row ``r`` of a re-written list sheet cell by cell from column ``start`` (a group row's merged cells,
    values xlsxwriter holds)."""
    no_mark: tuple[str, list[str]] = ("", [])
    if style in ("goal", "area") and len(table) > 1 and start == 0:
        fill = marks.get(min(table), no_mark)[0]
        ws.merge_range(r, min(table), r, max(table), "", f.list_cell(style, fill))
    for c in range(start, len(row)):
        value = row[c]
        fill, notes = marks.get(c, no_mark)
        if (value is None or value == "") and not fill:
            continue
        fmt = f.list_cell("percent" if c == rate_col else style, fill)
        if isinstance(value, bool):
            ws.write_boolean(r, c, value, fmt)
        elif isinstance(value, int | float | str):
            ws.put(r, c, value, fmt)
        elif value is None:
            ws.put(r, c, None, fmt)
        else:
            ws.put(r, c, str(value), fmt)
        if notes:
            ws.write_comment(r, c, _comment(notes), {"x_scale": 3, "y_scale": 3})


def _list_widths(sheet: ListSheet, kpi: bool) -> dict[int, float]:
    """Column index -> width of a list sheet re-written (新一覧, 新KPI)."""
    widths: dict[int, float] = {}
    for c in sheet.columns:
        widths[c.index] = (
            10 if c.role.startswith("actual:") else (12 if kpi else _PROGRESS_WIDTHS.get(c.role, 14))
        )
    return widths


def _sheet_heights(sheet: ListSheet, kpi: bool) -> list[tuple[int, float]]:
    """(row, height) of a re-written list sheet: its header row, and the rows whose texts take several lines."""
    widths = _list_widths(sheet, kpi)
    roles = {c.index: c.role for c in sheet.columns}
    capacities = {c: line_capacity(w) for c, w in widths.items()}
    group_capacity = line_capacity(sum(widths[i] for i in widths if roles[i] != "id"))
    groups = {g.row for g in sheet.groups}
    header_row = sheet.header_row
    measured = sorted(capacities.items())  # the columns in order, as the cells were measured
    tall: dict[int, float] = {}  # lines -> row_height(lines)
    heights: list[tuple[int, float]] = []
    for r, row in enumerate(sheet.grid):
        if r == header_row:
            heights.append((r, row_height(2)))
            continue
        if r < header_row:
            continue
        lines = 1
        grouped = r in groups
        width = len(row)
        for c, capacity in measured:
            if c >= width:
                continue
            value = row[c]
            if isinstance(value, str) and value:
                if grouped:
                    capacity = group_capacity
                # _line_count's first case here, without the call (most cells)
                count = value.count("\n") + 1 if 2 * len(value) <= capacity else _line_count(value, capacity)
                if count > lines:
                    lines = count
        if lines > 1:
            height = tall.get(lines)
            if height is None:
                height = tall[lines] = row_height(lines)
            heights.append((r, height))
    return heights


@contextmanager
def _collector_frozen() -> Iterator[None]:
    """The objects alive now (the two lists read, the changes) left out of the cyclic collector's passes while
    the outputs are made: each full pass would walk them again (~0.5 s in the yearly audit's workbook). Nothing
    is done when a caller froze them already; the collector sees them again afterwards.

    No pass runs meanwhile either (~450 in the yearly audit's workbook, ~0.25 s): what was made is looked at
    once at the end, in one pass over the youngest generation, which holds all of it — the workbook's cycles,
    unreachable by then, are freed there, as the passes freed them before."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect(0)
        gc.unfreeze()
        if enabled:
            gc.enable()


Heights = Callable[[int], list[tuple[int, float]]]  # part -> (row, height) of one sheet; see _heights


def _heights(result: DiffResult, part: int) -> list[tuple[int, float]]:
    """The row heights of one of the workbook's big sheets: 0 変更一覧, 1 新一覧, 2 新KPI."""
    if part == 0:
        return _change_heights(result.changes)
    return _new_heights(result.new, part)


def _new_heights(new: ProgressList, part: int) -> list[tuple[int, float]]:
    """:func:`_heights` of 新一覧 (1) or 新KPI (2): NEW's sheets as read, the changes not needed."""
    if part == 1:
        return _sheet_heights(new.measures, kpi=False)
    return _sheet_heights(new.kpis, kpi=True) if new.kpis is not None else []


def render_diff_xlsx(result: DiffResult, heights: Heights | None = None) -> bytes:
    """The DIFF workbook as bytes (deterministic). ``heights`` gives each big sheet's row heights when they were
    measured elsewhere (:func:`_heights`; a child process of :func:`run_diff`)."""
    with _collector_frozen():
        return _render_diff_xlsx(result, heights or (lambda part: _heights(result, part)))


def _render_diff_xlsx(result: DiffResult, heights: Heights) -> bytes:
    threads = ThreadPoolExecutor(DEFLATE_THREADS) if DEFLATE_THREADS else None
    try:
        return _workbook_bytes(result, heights, threads)
    finally:
        if threads is not None:
            threads.shutdown(cancel_futures=True)


def _workbook_bytes(result: DiffResult, heights: Heights, threads: ThreadPoolExecutor | None) -> bytes:
    buffer = io.BytesIO()
    wb = new_xlsx(buffer)
    packagers: list[_FastPackager] = []

    def packager() -> _FastPackager:
        packagers.append(_FastPackager(threads))
        return packagers[-1]

    wb._get_packager = packager
    wb.set_properties({"title": "進捗状況一覧表の比較", "created": FIXED_CREATED})
    f = _Formats(wb)
    _summary_sheet(wb, f, result)
    sheets = [_changes_sheet(wb, f, result)]
    sheets.append(_rewrite_sheet(wb, f, NEW_LIST_SHEET, result.new.measures, result.changes, False))
    if result.new.kpis is not None:
        sheets.append(_rewrite_sheet(wb, f, NEW_KPI_SHEET, result.new.kpis, result.changes, True))
    for part, ws in enumerate(sheets):  # asked for last: measured meanwhile by run_diff's second process
        ws.heights(heights(part))
    wb.close()
    try:
        if packagers and packagers[-1].files:  # the package left out of xlsxwriter's (empty) zip
            return packagers[-1].zip(wb.allow_zip64)
        return buffer.getvalue()
    finally:
        for ws in sheets:
            ws.release()


def run_diff(
    old: Path, new: Path, out: Path, json_path: Path | None = None, progress: Progress | None = None
) -> DiffResult:
    """Compare two progress lists and write the DIFF workbook (and JSON when ``json_path`` is given).

    Raises:
        UsageError: DIFF does not end in .xlsx, or the JSON's name does.
        DiffError: an input is unreadable, or an output would overwrite an input.
        OutputError: an output cannot be written.
    """
    if json_path is not None and json_path.resolve() == out.resolve():
        raise DiffError(f"--out と --json が同じファイル {out} です。別のファイル名を指定してください。")
    if out.suffix.casefold() != ".xlsx":
        raise UsageError(
            f"--out {out}: 比較結果は Excel ブックなので、名前は .xlsx で終えてください（例: --out diff.xlsx）。"
        )
    if json_path is not None and json_path.suffix.casefold() == ".xlsx":
        raise UsageError(
            f"--json {json_path}: JSON の名前が .xlsx で終わっています。.json で終えてください（例: --json diff.json）。"
        )
    inputs = {p.resolve() for p in (old, new)}
    for target in (out, json_path):
        if target is not None and target.resolve() in inputs:
            raise DiffError(f"出力先 {target} が比較する一覧と同じです。別のファイル名を指定してください。")
    with collector_paused(), _NewHeights() as measuring:
        # diff_files, reading and comparing reported alike; NEW's sheets measured from when NEW is read
        first, second = read_progress_lists(old, new, measuring.start)
        if progress is not None:
            progress("読み込み", 2, 2)
        result = compare(first, second, progress)
        if progress is not None:
            progress("書き出し", 0, 2 if json_path else 1)
        alongside = _Alongside(result, json_path is not None, measuring)
        try:
            write_atomic(out, render_diff_xlsx(result, alongside.heights))
            if json_path is not None:
                if progress is not None:
                    progress("書き出し", 1, 2)
                write_atomic(json_path, alongside.json())
        finally:
            alongside.close()
    if progress is not None:
        progress("書き出し", 2 if json_path else 1, 2 if json_path else 1)
    return result


# from this many rows (changes, and rows of the new list) the big sheets' row heights and the JSON are made in a
# forked process beside the workbook (the yearly audit's: ~0.45 s and ~0.3 s)
PARALLEL_MIN_ROWS = 5_000


class _NewHeights:
    """新一覧's and 新KPI's row heights, measured in a child forked as soon as NEW is read (they need nothing
    else): the second core is free while OLD comes back and the lists are compared, and busy beside the
    workbook. Used as a context: the child is ended at the end (when still running)."""

    def __init__(self) -> None:
        self.parts: tuple[int, ...] = ()  # the parts the child measures (see _heights)
        self.own = Later()

    def start(self, new: ProgressList) -> None:
        """The child forked, for a NEW list large enough (a second call does nothing)."""
        if (
            self.parts
            or len(new.measures.grid) < PARALLEL_MIN_ROWS
            or "fork" not in multiprocessing.get_all_start_methods()
        ):
            return
        parts = (1, 2) if new.kpis is not None else (1,)
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe(duplex=False)
        child = context.Process(target=_measure_and_send, args=(new, parts, sending), daemon=True)
        try:
            child.start()
        except OSError:  # no process to spare: the heights are measured here, as with a failing child
            receiving.close()
            return
        finally:
            sending.close()
        self.parts, self.own = parts, Later(receiving, child)

    def __enter__(self) -> _NewHeights:
        return self

    def __exit__(self, *exc: object) -> None:
        self.own.close()


def _measure_and_send(new: ProgressList, parts: Sequence[int], sending: Connection) -> None:
    """In the child forked when NEW is read: the row heights of ``parts`` (1, 2) of NEW, in order."""
    try:
        measured = [_new_heights(new, part) for part in parts]
        for heights in measured:
            sending.send(heights)
    except BaseException:  # the parent measures what it did not receive
        pass
    finally:
        sending.close()


class _Alongside:
    """The big sheets' row heights and the JSON's bytes, from child processes or made here.

    A child forked here (it holds ``result`` as it is here) sends the heights of each big sheet the workbook
    has that ``measuring``'s child does not measure, then the JSON, in the order the workbook and run_diff ask
    for them; from the first thing not received from a child (it failed, or was ended) the rest it was to send
    is made here instead. The same values either way."""

    def __init__(self, result: DiffResult, json_wanted: bool, measuring: _NewHeights | None = None) -> None:
        self.result = result
        # exactly the heights the workbook asks for (no 新KPI without a KPI sheet; else the JSON asked for next
        # would be taken from the message of a part never asked for)
        self.parts = (0, 1, 2) if result.new.kpis is not None else (0, 1)
        self.measuring = measuring if measuring is not None else _NewHeights()
        self.own = Later()  # the child forked here
        rows = len(result.changes) + len(result.new.measures.grid)
        if rows < PARALLEL_MIN_ROWS or "fork" not in multiprocessing.get_all_start_methods():
            return
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe(duplex=False)
        parts = tuple(part for part in self.parts if part not in self.measuring.parts)
        child = context.Process(
            target=_make_and_send, args=(result, json_wanted, parts, sending), daemon=True
        )
        child.start()
        sending.close()
        self.own = Later(receiving, child)

    def heights(self, part: int) -> list[tuple[int, float]]:
        """:func:`_heights` of ``part``."""
        child = self.measuring.own if part in self.measuring.parts else self.own
        received: list[tuple[int, float]] | None = child.receive()
        return received if received is not None else _heights(self.result, part)

    def json(self) -> bytes:
        """:func:`diff_json_bytes` of the result."""
        received: bytes | None = self.own.receive(raw=True)
        return received if received is not None else diff_json_bytes(self.result)

    def close(self) -> None:
        """The child forked here ended (when still running) and its pipe closed."""
        self.own.close()


def _make_and_send(result: DiffResult, json_wanted: bool, parts: Sequence[int], sending: Connection) -> None:
    """In the forked child: the row heights of ``parts``, then (when wanted) the JSON's bytes, in order.

    Every sheet is measured before anything is sent, and the heights are sent from a thread while the JSON is
    made: they fill the pipe, and the workbook takes them only once its sheets are made (sent one sheet at a
    time, the child waited there with the other sheets still to measure; sent before the JSON was made, it
    waited there with the JSON still to make)."""
    try:
        with _collector_frozen():
            measured = [_heights(result, part) for part in parts]
            sender = threading.Thread(target=_send_each, args=(sending, measured))
            sender.start()
            json_bytes = diff_json_bytes(result) if json_wanted else None
            sender.join()
            if json_bytes is not None and not measured:  # every part sent (none left on a failure)
                sending.send_bytes(json_bytes)
    except BaseException:  # the parent makes what it did not receive
        pass
    finally:
        sending.close()


def _send_each(sending: Connection, messages: list[Any]) -> None:
    """Each message sent in order, taken off ``messages`` once sent (they stay there from the first failure)."""
    try:
        while messages:
            sending.send(messages[0])
            del messages[0]
    except BaseException:  # the child sends nothing more; the parent makes the rest
        pass
