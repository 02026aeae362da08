"""Hostile and careless workbooks of issue 16, built by code (docs/security.md #26-#33).

Each builder takes a clean filled form (``src``, from :func:`defects.clean_filled_form`) and writes the hostile
copy ``dst``; sizes are parameters so the tests use the recipe (or a smaller one where the recipe is slow only
before the fix) and ``benchmarks/bench_hostile.py`` the full recipe. Everything is written into the zip parts
directly: openpyxl itself would expand most of these structures.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from defects import rewrite, sheet_part

_TAIL_NAMES = "phoneticPr conditionalFormatting dataValidations hyperlinks printOptions pageMargins pageSetup"
# what follows mergeCells in a worksheet, in schema order
_TAIL_TAGS = tuple(f"<{tag}".encode() for tag in (*_TAIL_NAMES.split(), "headerFooter", "/worksheet"))


def _insert_after_sheet_data(xml: bytes, block: bytes) -> bytes:
    """``block`` placed where mergeCells belongs: after sheetData (and protection), before the first later part."""
    start = xml.index(b"</sheetData>")
    positions = [p for tag in _TAIL_TAGS if (p := xml.find(tag, start)) != -1]
    at = min(positions)
    return xml[:at] + block + xml[at:]


def _with_sheet(src: Path, dst: Path, sheet: str, change: Callable[[bytes], bytes]) -> Path:
    part = sheet_part(src, sheet)
    return rewrite(src, dst, {}, lambda name, data: change(data) if name == part else data)


def merged(sheet: str, ref: str) -> Callable[[Path, Path], Path]:
    """#1: a merged range such as A20:XFD1048576 (what merging whole rows writes) in ``sheet``."""

    def build(src: Path, dst: Path) -> Path:
        block = f'<mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>'.encode()
        return _with_sheet(src, dst, sheet, lambda xml: _insert_after_sheet_data(xml, block))

    return build


def col_ranges(count: int, low: str = "1", high: str = "16384") -> Callable[[Path, Path], Path]:
    """#2: ``count`` hidden column ranges <col min=low max=high> in 進捗 (150,000 of A:XFD is a 1.85 MB file)."""

    def build(src: Path, dst: Path) -> Path:
        cols = "".join(  # widths vary as in a file Excel wrote, so the part is not refused as a zip bomb
            f'<col min="{low}" max="{high}" width="{n % 97}.{n * 7919 % 1000}" hidden="1"/>'
            for n in range(count)
        ).encode()

        def change(xml: bytes) -> bytes:
            xml = re.sub(rb"<cols>.*?</cols>", b"", xml, flags=re.S)
            return xml.replace(b"<sheetData", b"<cols>" + cols + b"</cols><sheetData", 1)

        return _with_sheet(src, dst, "進捗", change)

    return build


def far_cell_single_quoted(src: Path, dst: Path) -> Path:
    """#4: one cell at XFD1048576, its attributes in single quotes (the regex guard only knew double quotes)."""
    row = b"<row r='1048576'><c r='XFD1048576' t='inlineStr'><is><t>x</t></is></c></row>"
    return rewrite(
        src,
        dst,
        {},
        lambda name, data: (
            data.replace(b"</sheetData>", row + b"</sheetData>", 1)
            if name.startswith("xl/worksheets/sheet")
            else data
        ),
    )


def values_outside(count: int) -> Callable[[Path, Path], Path]:
    """#10: ``count`` numbers in columns of 進捗 without a header (under the 200,000-cell limit)."""

    def build(src: Path, dst: Path) -> Path:
        rows = b"".join(
            f'<row r="{r}"><c r="Z{r}"><v>{r}</v></c><c r="AA{r}"><v>{r}</v></c></row>'.encode()
            for r in range(20, 20 + count // 2)
        )

        def change(xml: bytes) -> bytes:
            return xml.replace(b"</sheetData>", rows + b"</sheetData>", 1)

        return _with_sheet(src, dst, "進捗", change)

    return build


def row_heights(count: int, sheet: str = "進捗") -> Callable[[Path, Path], Path]:
    """#10: ``count`` empty rows with a custom height (<row ht>) after the table of ``sheet``."""

    def build(src: Path, dst: Path) -> Path:
        rows = b"".join(
            f'<row r="{r}" ht="20" customHeight="1"/>'.encode() for r in range(1000, 1000 + count)
        )
        return _with_sheet(
            src, dst, sheet, lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>", 1)
        )

    return build


def big_unread_sheet(cells: int) -> Callable[[Path, Path], Path]:
    """#10: the unread sheet 記入方法 filled with ``cells`` numbers (1.2 M in the recipe)."""

    def build(src: Path, dst: Path) -> Path:
        rows = b"".join(
            f'<row r="{r}">{"".join(f"<c><v>{c}</v></c>" for c in range(10))}</row>'.encode()
            for r in range(100, 100 + cells // 10)
        )
        return _with_sheet(
            src, dst, "記入方法", lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>", 1)
        )

    return build


_STRICT = (  # transitional → Strict namespaces (ISO/IEC 29500-1 Strict), longest first
    (
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties",
    ),
    (
        b"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
        b"http://purl.oclc.org/ooxml/officeDocument/extendedProperties",
    ),
    (
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships",
    ),
    (
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    ),
    (b"http://schemas.openxmlformats.org/drawingml/2006/main", b"http://purl.oclc.org/ooxml/drawingml/main"),
)


def strict(src: Path, dst: Path) -> Path:
    """#11: the workbook saved as Strict Open XML (Excel: 保存 → Strict Open XML スプレッドシート)."""

    def change(name: str, data: bytes) -> bytes:
        if not (name.endswith(".xml") or name.endswith(".rels")):
            return data
        for old, new in _STRICT:
            data = data.replace(old, new)
        if name == "xl/workbook.xml":
            data = data.replace(b"<workbookPr", b'<workbookPr conformance="strict"', 1)
        return data

    return rewrite(src, dst, {}, change)


def shared_string_index(index: str, ref: str = "L4") -> Callable[[Path, Path], Path]:
    """#12: 進捗状況 of the first measure stored as the shared string number ``index`` (-3, or past the end)."""

    def build(src: Path, dst: Path) -> Path:
        sst = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">'
            + "<si><t>実施中</t></si><si><t>完了</t></si>".encode()
            + b"</sst>"
        )
        part = sheet_part(src, "進捗")

        def change(name: str, data: bytes) -> bytes:
            if name == part:
                return re.sub(
                    rf'<c r="{ref}"[^>]*>.*?</c>'.encode(),
                    f'<c r="{ref}" t="s"><v>{index}</v></c>'.encode(),
                    data,
                    count=1,
                    flags=re.S,
                )
            if name == "xl/_rels/workbook.xml.rels":
                rel = (
                    b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/sharedStrings" Target="sharedStrings.xml"/>'
                )
                return data.replace(b"</Relationships>", rel + b"</Relationships>")
            if name == "[Content_Types].xml":
                override = (
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                )
                return data.replace(b"</Types>", override + b"</Types>")
            return data

        return rewrite(src, dst, {"xl/sharedStrings.xml": sst}, change)

    return build
