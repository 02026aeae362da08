"""Defective department workbooks for the check tests, built by code (docs/security.md #1-#21).

Each defect is one small function that takes a clean filled form (``src``) and writes the defective copy
``dst``, so a reader sees exactly what is wrong. Cell edits go through openpyxl, the way a clerk's Excel would
save them; what Excel or openpyxl cannot produce (control characters, a DTD, a zip bomb, an encrypted OLE file)
is written into the zip parts directly.

The target department is 産業振興課 of the bundled sample master: 8 measures (進捗 rows 4-11) and 4 KPIs
(KPI rows 4-7; K2-2-01 in row 6 is counted in 人).
"""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string

from kpi_report.core.columns import FORM_KPIS, FORM_PROGRESS, letter
from kpi_report.core.model import Plan
from kpi_report.forms.layout import ACTUAL_COLUMN, NOTES_COLUMN, STATUS_COLUMN
from kpi_report.forms.writer import build_form
from tools.fill_forms import fill_form, save_deterministic

DEPARTMENT = "産業振興課"
NOTES = "・認定農業者の更新を呼びかけ、25経営体が認定を受けました。\n・地産地消フェアを2回開催しました。"
ACTUALS: dict[str, object] = {"G2-01": 1200, "K2-1-01": 3, "K2-2-01": 45, "K2-2-02": 12.5}
PLACEHOLDER = "@@PLACEHOLDER@@"

# the form's column letters, from the form's column spec
NAME_COL = letter(FORM_PROGRESS, "名称")  # E
STATUS_COL = letter(FORM_PROGRESS, STATUS_COLUMN)  # L
NOTES_COL = letter(FORM_PROGRESS, NOTES_COLUMN)  # M
ACTUAL_COL = letter(FORM_KPIS, ACTUAL_COLUMN)  # K


def clean_filled_form(plan: Plan, fy: int, folder: Path, name: str = f"{DEPARTMENT}.xlsx") -> Path:
    """The department's form for ``fy``, filled with valid statuses, notes and actuals."""
    form = folder / f"form-{name}"
    form.write_bytes(build_form(plan, fy, DEPARTMENT))
    measures = {m.id: ("実施中", NOTES) for m in plan.measures_of(DEPARTMENT)}
    out = folder / name
    fill_form(form, out, measures, ACTUALS, kpi_remarks={"K2-2-02": "速報値"})
    form.unlink()
    return out


# -- helpers -------------------------------------------------------------------------------------------


def edit(src: Path, dst: Path, change: Callable[[Any], None]) -> Path:
    """Open with openpyxl, apply ``change(workbook)``, save (as Excel would after a clerk's edit)."""
    wb = load_workbook(src)
    change(wb)
    save_deterministic(wb, dst)
    return dst


def rewrite(
    src: Path,
    dst: Path,
    parts: dict[str, bytes | None],
    transform: Callable[[str, bytes], bytes] | None = None,
) -> Path:
    """Copy the zip, replacing (bytes), removing (None) or adding parts, and transforming the others."""
    with zipfile.ZipFile(src) as zin:
        names = zin.namelist()
        contents = {n: zin.read(n) for n in names}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in names + [n for n in parts if n not in contents]:
            data = parts.get(name, contents.get(name))
            if data is None:
                continue
            if transform is not None:
                data = transform(name, data)
            zout.writestr(name, data)
    dst.write_bytes(out.getvalue())
    return dst


def sheet_part(src: Path, sheet: str) -> str:
    """The zip part name of a sheet, found through xl/workbook.xml and its relationships."""
    with zipfile.ZipFile(src) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(sheet)}"[^>]*r:id="([^"]+)"', workbook)
    assert rid, sheet
    target = re.search(rf'<Relationship [^>]*Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels) or re.search(
        rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels
    )
    assert target, rid.group(1)
    path = target.group(1)
    return path.lstrip("/") if path.startswith("/") else f"xl/{path}"


def set_cells(src: Path, dst: Path, sheet: str, values: dict[str, object], literal: bool = False) -> Path:
    """Set cells of one sheet; ``literal`` keeps text starting with '=' as text, not a formula."""

    def change(wb: Any) -> None:
        ws = wb[sheet]
        for ref, value in values.items():
            ws[ref].value = value
            if literal and isinstance(value, str):
                ws[ref].data_type = "s"

    return edit(src, dst, change)


def with_raw_text(src: Path, dst: Path, sheet: str, ref: str, xml_text: str) -> Path:
    """Put text into a cell as raw XML (escapes such as _x0001_ included), beyond what openpyxl accepts."""
    tmp = dst.with_suffix(".tmp.xlsx")
    set_cells(src, tmp, sheet, {ref: PLACEHOLDER})
    rewrite(tmp, dst, {}, lambda _, data: data.replace(PLACEHOLDER.encode(), xml_text.encode()))
    tmp.unlink()
    return dst


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (v3, 512-byte sectors) holding up to three streams of at most ~56 KB."""
    sector, end, free, fat_sector, nostream = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    assert len(streams) <= 3
    fat = [fat_sector, end]  # sector 0 holds the FAT, sector 1 the directory
    body = b""
    entries: list[bytes] = []

    def entry(
        name: str, kind: int, start: int, size: int, child: int = nostream, right: int = nostream
    ) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return struct.pack(
            "<64sHBBIII16sIQQIQ", raw, len(raw), kind, 1, nostream, right, child, b"", 0, 0, 0, start, size
        )

    entries.append(entry("Root Entry", 5, end, 0, child=1))
    for index, (name, data) in enumerate(streams.items(), start=1):
        data = data.ljust(4096, b"\0")  # at the mini-stream cutoff, so it lives in regular sectors
        count = -(-len(data) // sector)
        start = len(fat)
        fat += [start + i + 1 for i in range(count - 1)] + [end]
        body += data.ljust(count * sector, b"\0")
        entries.append(
            entry(name, 2, start, len(data), right=index + 1 if index < len(streams) else nostream)
        )
    while len(entries) < 4:
        entries.append(entry("", 0, 0, 0))
    assert len(fat) <= 128
    fat_bytes = struct.pack("<128I", *(fat + [free] * (128 - len(fat))))
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"",
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"",
        0,
        1,
        1,
        0,
        4096,
        end,
        0,
        end,
        0,
    )
    header += struct.pack("<109I", 0, *([free] * 108))
    return header + fat_bytes + b"".join(entries) + body


# -- #1 status typed by hand ---------------------------------------------------------------------------


def status_variants(src: Path, dst: Path) -> Path:
    """#1: 実施中 with a trailing space, with a full-width space inside, 実施 (not in the scale), blank."""
    return set_cells(
        src,
        dst,
        "進捗",
        {
            f"{STATUS_COL}4": "実施中 ",
            f"{STATUS_COL}5": "実施　中",
            f"{STATUS_COL}6": "実施",
            f"{STATUS_COL}7": None,
        },
    )


def status_not_in_scale(src: Path, dst: Path) -> Path:
    """#1: a status outside the master's scale."""
    return set_cells(src, dst, "進捗", {f"{STATUS_COL}4": "実施"})


# -- #2 actual values ------------------------------------------------------------------------------------


def actual_typed(value: object) -> Callable[[Path, Path], Path]:
    """#2: K2-2-01 (counted in 人, KPI row 6) typed as ``value``."""

    def defect(src: Path, dst: Path) -> Path:
        return set_cells(src, dst, "KPI", {f"{ACTUAL_COL}6": value})

    return defect


def actual_as_percent(src: Path, dst: Path) -> Path:
    """#2: 45% typed in Excel: stored as the number 0.45 in a percent format."""

    def change(wb: Any) -> None:
        cell = wb["KPI"][f"{ACTUAL_COL}6"]
        cell.value = 0.45
        cell.number_format = "0%"

    return edit(src, dst, change)


# -- #3 formulas and error values -----------------------------------------------------------------------


def formula_without_value(src: Path, dst: Path) -> Path:
    """#3: a formula saved by a program, so no value is cached (openpyxl writes <f> with an empty <v/>)."""
    return set_cells(src, dst, "進捗", {f"{STATUS_COL}4": '=IF(A4="","","実施中")'})


def excel_error_value(src: Path, dst: Path) -> Path:
    """#3: #DIV/0! and #REF! in 実績値 cells."""
    return set_cells(src, dst, "KPI", {f"{ACTUAL_COL}4": "#DIV/0!", f"{ACTUAL_COL}5": "#REF!"})


def formula_with_cached_value(src: Path, dst: Path) -> Path:
    """A formula with its value saved, as Excel does: the value is read, nothing to report."""
    tmp = dst.with_suffix(".tmp.xlsx")
    set_cells(src, tmp, "KPI", {f"{ACTUAL_COL}6": "=40+5"})
    part = sheet_part(tmp, "KPI")
    rewrite(
        tmp,
        dst,
        {},
        lambda name, data: (  # openpyxl writes the empty value as <v /> or <v></v>, by version
            re.sub(rb"<f>40\+5</f><v ?/>|<f>40\+5</f><v></v>", b"<f>40+5</f><v>45</v>", data)
            if name == part
            else data
        ),
    )
    tmp.unlink()
    return dst


# -- #4 locked master columns edited ---------------------------------------------------------------------


def master_name_edited(src: Path, dst: Path) -> Path:
    """#4: 名称 of the first measure changed after unprotecting the sheet."""
    return set_cells(src, dst, "進捗", {f"{NAME_COL}4": "市内農家の支援（課で書き換え）"})


# -- #5 rows deleted, inserted, re-ordered, added --------------------------------------------------------


def row_deleted(src: Path, dst: Path) -> Path:
    """#5: the second measure's row deleted."""
    return edit(src, dst, lambda wb: wb["進捗"].delete_rows(5))


def row_inserted(src: Path, dst: Path) -> Path:
    """#5: an empty row inserted between two measures."""
    return edit(src, dst, lambda wb: wb["進捗"].insert_rows(5))


def rows_reordered(src: Path, dst: Path) -> Path:
    """#5: the first two measure rows swapped (every column)."""

    def change(wb: Any) -> None:
        ws = wb["進捗"]
        for col in range(1, len(FORM_PROGRESS) + 1):
            a, b = ws.cell(4, col), ws.cell(5, col)
            a.value, b.value = b.value, a.value

    return edit(src, dst, change)


def unknown_id_added(src: Path, dst: Path) -> Path:
    """#5: a row added for a measure that is not in the master."""
    return set_cells(
        src,
        dst,
        "進捗",
        {"A12": "9-9-99", f"{STATUS_COL}12": "実施中", f"{NOTES_COL}12": "新しい取組を始めました。"},
    )


def other_department_row(src: Path, dst: Path) -> Path:
    """#5: a row added for a measure another department owns (男女共同参画センター's 2-1-04)."""
    return set_cells(
        src, dst, "進捗", {"A12": "2-1-04", f"{STATUS_COL}12": "実施中", f"{NOTES_COL}12": "協力しました。"}
    )


def id_cleared(src: Path, dst: Path) -> Path:
    """#5: the 取組ID of a filled row deleted."""
    return set_cells(src, dst, "進捗", {"A4": None})


# -- #6 duplicates ---------------------------------------------------------------------------------------


def duplicate_id(src: Path, dst: Path) -> Path:
    """#6: the first measure's ID typed over the second's."""

    def change(wb: Any) -> None:
        ws = wb["進捗"]
        ws["A5"].value = ws["A4"].value

    return edit(src, dst, change)


# -- #7 made for something else --------------------------------------------------------------------------


def meta_value(key: str, value: object) -> Callable[[Path, Path], Path]:
    """#7: the form record (_meta) says another fiscal year, department or master."""

    def defect(src: Path, dst: Path) -> Path:
        def change(wb: Any) -> None:
            ws = wb["_meta"]
            for row in ws.iter_rows(min_col=1, max_col=2):
                if row[0].value == key:
                    row[1].value = value

        return edit(src, dst, change)

    return defect


def without_form_record(src: Path, dst: Path) -> Path:
    """A workbook made by another program: no _meta sheet."""
    return edit(src, dst, lambda wb: wb.remove(wb["_meta"]))


# -- #8 headers, columns, sheets -------------------------------------------------------------------------


def header_renamed(src: Path, dst: Path) -> Path:
    """#8: the header 進捗状況 renamed 状況."""
    return set_cells(src, dst, "進捗", {f"{STATUS_COL}3": "状況"})


def column_deleted(src: Path, dst: Path) -> Path:
    """#8: the column 実施状況 (M) deleted."""
    return edit(src, dst, lambda wb: wb["進捗"].delete_cols(column_index_from_string(NOTES_COL)))


def sheet_renamed(src: Path, dst: Path) -> Path:
    """#8: the sheet 進捗 renamed 進捗 (2)."""

    def change(wb: Any) -> None:
        wb["進捗"].title = "進捗 (2)"

    return edit(src, dst, change)


def sheet_deleted(src: Path, dst: Path) -> Path:
    """#8: the sheet KPI deleted."""
    return edit(src, dst, lambda wb: wb.remove(wb["KPI"]))


# -- #9 merged, hidden -----------------------------------------------------------------------------------


def merged_input_cells(src: Path, dst: Path) -> Path:
    """#9: 進捗状況 and 実施状況 of the first measure merged into one cell."""
    return edit(src, dst, lambda wb: wb["進捗"].merge_cells(f"{STATUS_COL}4:{NOTES_COL}4"))


def hidden_row(src: Path, dst: Path) -> Path:
    """#9: a filled measure row hidden."""

    def change(wb: Any) -> None:
        wb["進捗"].row_dimensions[5].hidden = True

    return edit(src, dst, change)


def hidden_column(src: Path, dst: Path) -> Path:
    """#9: the input column 実施状況 hidden."""

    def change(wb: Any) -> None:
        wb["進捗"].column_dimensions[NOTES_COL].hidden = True

    return edit(src, dst, change)


def extra_hidden_sheet(src: Path, dst: Path) -> Path:
    """#9: an extra hidden sheet with data."""

    def change(wb: Any) -> None:
        ws = wb.create_sheet("作業用")
        ws["A1"] = "下書き"
        ws.sheet_state = "hidden"

    return edit(src, dst, change)


# -- #10, #11 long and dirty text ------------------------------------------------------------------------


def notes_too_long(length: int) -> Callable[[Path, Path], Path]:
    """#10: 実施状況 of the first measure ``length`` characters long."""

    def defect(src: Path, dst: Path) -> Path:
        text = "".join("\n" if i % 100 == 50 else "あ" for i in range(length))  # 100 characters a line
        if length <= 32_767:
            return set_cells(src, dst, "進捗", {f"{NOTES_COL}4": text})
        return with_raw_text(
            src, dst, "進捗", f"{NOTES_COL}4", text
        )  # openpyxl would cut it at Excel's limit

    return defect


def control_characters(src: Path, dst: Path) -> Path:
    """#11: a control character (stored as Excel's _x0001_ escape), a zero-width space and an nbsp."""
    return with_raw_text(
        src, dst, "進捗", f"{NOTES_COL}4", "説明会を_x0001_開催\u200bしました。\u00a0参加者45人"
    )


# -- #12-#15 files that are not workbooks, or not readable ------------------------------------------------


def lock_file(src: Path, dst: Path) -> Path:
    """#12: the lock file Excel leaves while a workbook is open (name starts with ~$)."""
    dst.write_bytes(b"\x08tanaka  " + b"\x00" * 150)
    return dst


def pdf_file(src: Path, dst: Path) -> Path:
    """#12: a PDF in the inputs folder."""
    dst.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    return dst


def legacy_xls(src: Path, dst: Path) -> Path:
    """#13: an Excel 97-2003 workbook (an OLE file with a Workbook stream); any name."""
    dst.write_bytes(ole_file({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + b"\x00" * 200}))
    return dst


def macro_workbook(src: Path, dst: Path) -> Path:
    """#13: the filled form saved as .xlsm with a VBA project."""
    return rewrite(
        src, dst, {"xl/vbaProject.bin": ole_file({"VBA": b'Attribute VB_Name = "Module1"\nShell "calc"'})}
    )


def ods_file(src: Path, dst: Path) -> Path:
    """#13: an OpenDocument spreadsheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr(
            "content.xml",
            '<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
        )
    dst.write_bytes(out.getvalue())
    return dst


def encrypted(src: Path, dst: Path) -> Path:
    """#14: a password-protected workbook: an OLE file with EncryptionInfo and EncryptedPackage streams."""
    dst.write_bytes(
        ole_file({"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00", "EncryptedPackage": b"\x01" * 5000})
    )
    return dst


def empty_file(src: Path, dst: Path) -> Path:
    """#15: zero bytes."""
    dst.write_bytes(b"")
    return dst


def truncated_download(src: Path, dst: Path) -> Path:
    """#15: the first half of a workbook."""
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def random_bytes(src: Path, dst: Path) -> Path:
    """#15: random bytes (a fixed seed's)."""
    dst.write_bytes(random.Random(15).randbytes(20_000))
    return dst


# -- #16-#19 hostile workbooks ---------------------------------------------------------------------------


def _after_declaration(part: bytes, insert: bytes) -> bytes:
    end = part.index(b"?>") + 2 if part.startswith(b"<?xml") else 0
    return part[:end] + insert + part[end:]


def billion_laughs(src: Path, dst: Path) -> Path:
    """#16: nested entity expansion in the sheet 進捗 (a few bytes that expand to gigabytes)."""
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    dtd = f"<!DOCTYPE worksheet [{''.join(levels)}]>".encode()
    part = sheet_part(src, "進捗")
    return rewrite(
        src,
        dst,
        {},
        lambda name, data: (
            _after_declaration(data, dtd).replace(b"<sheetData>", b"<sheetData><!-- &lol9; -->")
            if name == part
            else data
        ),
    )


def external_entity(src: Path, dst: Path) -> Path:
    """#16: an external entity pointing at a local file, used in a shared cell text."""
    tmp = dst.with_suffix(".tmp.xlsx")
    set_cells(src, tmp, "進捗", {f"{NOTES_COL}4": PLACEHOLDER})
    dtd = b'<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'

    def transform(name: str, data: bytes) -> bytes:
        if PLACEHOLDER.encode() in data:
            return _after_declaration(data, dtd).replace(PLACEHOLDER.encode(), b"&secret;")
        return data

    rewrite(tmp, dst, {}, transform)
    tmp.unlink()
    return dst


def zip_bomb(src: Path, dst: Path) -> Path:
    """#17: a part that expands far beyond its compressed size (8 MB of zeros, about 8 KB compressed)."""
    return rewrite(src, dst, {"xl/media/image1.png": b"\0" * (8 * 2**20)})


def many_parts(src: Path, dst: Path) -> Path:
    """#17: thousands of parts."""
    return rewrite(src, dst, {f"customXml/item{i}.xml": b"<a/>" for i in range(3000)})


def dimension_claim(src: Path, dst: Path) -> Path:
    """#18: the sheet's dimension claims A1:XFD1048576 (real cells unchanged)."""
    part = sheet_part(src, "進捗")
    return rewrite(
        src,
        dst,
        {},
        lambda name, data: (
            re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD1048576"', data)
            if name == part
            else data
        ),
    )


def far_cell(src: Path, dst: Path) -> Path:
    """#18: a single cell at XFD1048576."""
    part = sheet_part(src, "進捗")
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far away</t></is></c></row></sheetData>'
    return rewrite(
        src, dst, {}, lambda name, data: data.replace(b"</sheetData>", far) if name == part else data
    )


_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _add_workbook_rel(data: bytes, rel_type: str, target: str) -> bytes:
    rel = f'<Relationship Id="rIdHostile" Type="{_REL}/{rel_type}" Target="{target}"/></Relationships>'
    return data.replace(b"</Relationships>", rel.encode())


def _link(src: Path, dst: Path, body: str) -> Path:
    link = f'<?xml version="1.0"?><externalLink xmlns="{_MAIN}" xmlns:r="{_REL}">{body}</externalLink>'
    rels = (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/externalLinkPath" Target="file:///C:/secret/budget.xlsx" '
        'TargetMode="External"/></Relationships>'
    )
    return rewrite(
        src,
        dst,
        {
            "xl/externalLinks/externalLink1.xml": link.encode(),
            "xl/externalLinks/_rels/externalLink1.xml.rels": rels.encode(),
        },
        lambda name, data: (
            _add_workbook_rel(data, "externalLink", "externalLinks/externalLink1.xml")
            if name == "xl/_rels/workbook.xml.rels"
            else data
        ),
    )


def external_link(src: Path, dst: Path) -> Path:
    """#19: a link to another workbook on the sender's disk."""
    return _link(
        src, dst, '<externalBook r:id="rId1"><sheetNames><sheetName val="予算"/></sheetNames></externalBook>'
    )


def dde_link(src: Path, dst: Path) -> Path:
    """#19: a DDE link (asks Excel to start another program)."""
    return _link(src, dst, '<ddeLink ddeService="cmd" ddeTopic="/c calc"/>')


def data_connection(src: Path, dst: Path) -> Path:
    """#19: a data connection to an outside database."""
    connections = (
        f'<?xml version="1.0"?><connections xmlns="{_MAIN}"><connection id="1" name="db" type="1" refreshedVersion="6">'
        '<dbPr connection="DSN=secret;" command="SELECT 1"/></connection></connections>'
    )
    return rewrite(
        src,
        dst,
        {"xl/connections.xml": connections.encode()},
        lambda name, data: (
            _add_workbook_rel(data, "connections", "connections.xml")
            if name == "xl/_rels/workbook.xml.rels"
            else data
        ),
    )


# -- #20, #21 hostile text -------------------------------------------------------------------------------

FORMULA_TEXTS = ('=HYPERLINK("http://example.com/x","押して")', "+1", "@SUM(A1)", "{=1+1}", "external:c:\\x")
HTML_TEXTS = (
    "<script>alert(1)</script>",
    '<img src="file:///etc/passwd">',
    '<link rel=attachment href="file:///etc/passwd">',
    "http://169.254.169.254/",
)


def formula_like_text(src: Path, dst: Path) -> Path:
    """#20: text that spreadsheet programs would take for formulas or links, typed as text."""
    return set_cells(
        src,
        dst,
        "進捗",
        {f"{STATUS_COL}4": "-2", f"{NOTES_COL}4": "\n".join(FORMULA_TEXTS), f"{NOTES_COL}5": "=1+1"},
        literal=True,
    )


def html_text(src: Path, dst: Path) -> Path:
    """#21: markup and addresses in the notes."""
    return set_cells(src, dst, "進捗", {f"{NOTES_COL}4": "\n".join(HTML_TEXTS)})
