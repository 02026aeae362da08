"""Taking a returned file in safely, before any parser sees it (docs/security.md #12-#19).

Every file in ``inputs/<FY>/`` goes through :func:`take_in`, which

1. skips what is not a submission (Excel lock files, Thumbs.db, a PDF) with an info note;
2. tells what the file is by its content, not its name: empty, zip (xlsx, xlsm, ods, other), OLE compound file
   (legacy .xls, or a password-encrypted workbook), anything else;
3. checks a zip's part count, total uncompressed size and per-part compression ratio from its central directory,
   before one byte is decompressed;
4. rejects any part whose XML prolog declares a DTD or entities (billion laughs, external entities), with
   defusedxml, before openpyxl (which does not guard against entity expansion) ever opens the file;
5. reports external links, data connections and DDE links; nothing in a workbook is executed or followed;
6. reads the requested sheets' cells with a streaming expat parser, bounded by a cell count limit: cached values,
   formulas (with or without a cached value), Excel error values, hidden rows and columns, merged ranges.

What leaves this module is plain data (:class:`Intake`) and findings; nothing here judges the content.
"""

from __future__ import annotations

import hashlib
import io
import re
import stat
import zipfile
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from xml.parsers import expat

import olefile
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from kpi_report.core.findings import Code, make_finding
from kpi_report.core.model import Finding
from kpi_report.core.values import cell_ref, column_letters, parse_ref, unescape

Kind = Literal["xlsx", "xlsm", "skipped", "rejected"]


@dataclass(frozen=True)
class Limits:
    """Bounds applied to every file before and while reading it."""

    max_file_bytes: int = 64 * 2**20  # the file as sent
    max_parts: int = 1000  # zip entries; a filled form has about 15
    max_total_bytes: int = 64 * 2**20  # sum of the parts' uncompressed sizes
    max_ratio: float = 200.0  # uncompressed / compressed, per part …
    ratio_min_bytes: int = 2**20  # … for parts larger than this (small XML parts compress very well)
    max_cells: int = (
        200_000  # <c> elements in one sheet (a sheet claiming A1:XFD1048576 is fine, filling it not)
    )
    max_strings: int = 500_000  # shared strings
    # what openpyxl would build for the feedback copy, over every sheet (read or not): cells, rows with
    # properties, column ranges and every cell a merged range covers; above it no copy is written
    max_copy_load: int = 100_000


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell as saved: its cached value, whether it holds a formula, whether the value is an Excel error."""

    value: str | float | bool | None  # None only for a formula saved without its value
    formula: str = ""  # the formula as written ('=A1*2'), "" for a plain value
    error: bool = False  # value is an error text such as '#DIV/0!'
    percent: bool = False  # a number shown in a percent format: Excel stores 73.2% as 0.732
    date: bool = False  # a number shown in a date or time format: Excel stores 2020/3/2 as 43892


@dataclass(frozen=True)
class Sheet:
    """The cells of one worksheet (1-based (row, column) keys) and what hides or merges them."""

    name: str
    state: str  # visible / hidden / veryHidden
    cells: dict[tuple[int, int], Cell]
    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: frozenset[int] = frozenset()
    merged: tuple[tuple[int, int, int, int], ...] = ()  # (min_row, min_col, max_row, max_col)

    def rows(self) -> list[int]:
        """Row numbers that hold at least one cell, ascending."""
        return sorted({r for r, _ in self.cells})


@dataclass(frozen=True)
class Intake:
    """What :func:`take_in` found out about one file."""

    file: str  # the file name inside inputs/<FY>/
    kind: Kind
    sha256: str  # of the bytes read ("" when the file was skipped unread)
    findings: tuple[Finding, ...]
    sheet_states: tuple[tuple[str, str], ...] = ()  # every sheet (name, state), workbook order
    sheets: dict[str, Sheet] = field(default_factory=dict)  # the requested sheets that exist
    data: bytes = b""  # the file's bytes, for the feedback copy (empty unless kind is xlsx/xlsm)
    # what loading every sheet with openpyxl would build (see Limits.max_copy_load); counting stops past it
    copy_load: int = 0
    strict: bool = False  # a Strict Open XML workbook (ISO/IEC 29500 Strict namespaces)

    @property
    def readable(self) -> bool:
        """The workbook passed every safety check and its sheets were read."""
        return self.kind in ("xlsx", "xlsm")


# Names that are never submissions: Excel/LibreOffice lock files, OS files.
_SYSTEM_FILES = {"thumbs.db", "ehthumbs.db", ".ds_store", "desktop.ini", "icon\r"}
_LOCK_PREFIXES = ("~$", ".~lock.", "._")
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods", ".csv", ""}

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_MAGIC = {
    b"%PDF": "PDF",
    b"\x89PNG": "PNG 画像",
    b"\xff\xd8\xff": "JPEG 画像",
    b"GIF8": "GIF 画像",
    b"{\\rtf": "RTF 文書",
}
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_PROLOG_CHUNK = 16 * 1024


def take_in(
    path: Path, wanted: Collection[str] = (), limits: Limits = DEFAULT_LIMITS, within: Path | None = None
) -> Intake:
    """Classify one file by its content, run the safety checks, and read the ``wanted`` sheets.

    Never raises for a bad file: every problem is a finding and ``kind`` says whether the workbook is usable.

    Args:
        path: a file in inputs/<FY>/.
        wanted: names of the sheets whose cells to read (the others are only listed).
        limits: the size, count and ratio bounds.
        within: the folder the file must resolve into (inputs/): a symbolic link out of it is refused.
    """
    name = path.name
    read = _read_input(path, limits, within)
    if isinstance(read, Intake):
        return read
    data = read
    digest = hashlib.sha256(data).hexdigest()
    meant = _meant_as_workbook(name)
    if not data:
        if not meant:
            return _skipped(name, digest, "表計算ファイルではない空のファイル")
        return _rejected(name, digest, make_finding("empty-file", file=name))
    if data.startswith(_ZIP_MAGIC):
        return _take_zip(name, digest, data, wanted, limits)
    if data.startswith(_OLE_MAGIC):
        return _rejected(name, digest, _ole_finding(name, data))
    for magic, label in _OTHER_MAGIC.items():
        if data.startswith(magic):
            if not meant:
                return _skipped(name, digest, f"表計算ファイルではない {label}")
            return _rejected(
                name, digest, make_finding("unreadable-file", file=name, reason=f"中身は {label} です")
            )
    if not meant:
        return _skipped(name, digest, "表計算ファイルではないファイル")
    if _looks_like_text(data):
        return _rejected(name, digest, make_finding("legacy-format", file=name, value="テキスト（CSV など）"))
    return _rejected(
        name, digest, make_finding("unreadable-file", file=name, reason="Excel のブックではありません")
    )


class InputReader:
    """Reads input files as :func:`take_in` reads them (same checks and bounds), without parsing them.

    :meth:`read` gives the bytes take_in would read from a file, or None when it would not read them: a system
    file, a symbolic link out of ``within``, not a regular file, too large, unreadable. What take_in makes of
    the bytes it reads depends only on them, the file's name and its ``wanted`` and ``limits`` arguments, so
    the rebuild caches key their entries by these bytes. One reader serves one listing of a folder: it resolves
    each folder once (take_in resolves every file's path).
    """

    def __init__(self, limits: Limits = DEFAULT_LIMITS, within: Path | None = None) -> None:
        self.limits, self.within = limits, within
        self._inside: dict[Path, bool] = {}  # folder -> whether it lies in within, symbolic links followed

    def read(self, path: Path) -> bytes | None:
        inside: bool | None = None  # None: decided by take_in's own check
        if self.within is not None and path.name not in ("", ".", ".."):
            try:
                if not path.is_symlink():  # then it lies in within if its folder does
                    inside = self._inside.get(path.parent)
                    if inside is None:
                        inside = self._inside[path.parent] = _inside(path.parent, self.within)
                    inside = inside or None  # the folder is not in within: take_in's check decides
            except OSError:
                inside = None
        read = _read_input(path, self.limits, self.within, inside)
        return read if isinstance(read, bytes) else None


def _read_input(
    path: Path, limits: Limits, within: Path | None, inside: bool | None = None
) -> bytes | Intake:
    """The file's bytes once it passed the checks made before reading; else what take_in returns for it.

    ``inside``: whether the file lies in ``within``, when the caller knows (None: resolved here)."""
    name = path.name
    skip_reason = _system_file_reason(name)
    if skip_reason:
        return _skipped(name, "", skip_reason)
    try:
        if within is not None and not (_inside(path, within) if inside is None else inside):
            return _rejected(name, "", make_finding("outside-inputs", file=name, reason=str(path.resolve())))
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a pipe blocks the read forever, /dev/zero never ends
            return _skipped(name, "", "通常のファイルではないもの（名前付きパイプ、デバイスなど）")
        if info.st_size > limits.max_file_bytes:
            return _rejected(
                name,
                "",
                make_finding(
                    "file-too-large", file=name, size=_mb(info.st_size), limit=_mb(limits.max_file_bytes)
                ),
            )
        data = read_at_most(path, info.st_size, limits.max_file_bytes)
        if len(data) > limits.max_file_bytes:
            return _rejected(
                name,
                "",
                make_finding(
                    "file-too-large", file=name, size=_mb(len(data)), limit=_mb(limits.max_file_bytes)
                ),
            )
    except OSError as exc:
        return _rejected(
            name, "", make_finding("unreadable-file", file=name, reason=exc.strerror or type(exc).__name__)
        )
    return data


# ISO/IEC 29500 Strict namespaces and relationship types, and their transitional forms (longest first)
_STRICT_TO_TRANSITIONAL = (
    (
        b"purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties",
        b"schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties",
    ),
    (
        b"purl.oclc.org/ooxml/officeDocument/relationships/customProperties",
        b"schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties",
    ),
    (
        b"purl.oclc.org/ooxml/officeDocument/extendedProperties",
        b"schemas.openxmlformats.org/officeDocument/2006/extended-properties",
    ),
    (
        b"purl.oclc.org/ooxml/officeDocument/customProperties",
        b"schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    ),
    (
        b"purl.oclc.org/ooxml/officeDocument/docPropsVTypes",
        b"schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
    ),
    (
        b"purl.oclc.org/ooxml/officeDocument/sharedTypes",
        b"schemas.openxmlformats.org/officeDocument/2006/sharedTypes",
    ),
    (
        b"purl.oclc.org/ooxml/officeDocument/relationships",
        b"schemas.openxmlformats.org/officeDocument/2006/relationships",
    ),
    (b"purl.oclc.org/ooxml/spreadsheetml/main", b"schemas.openxmlformats.org/spreadsheetml/2006/main"),
    (b"purl.oclc.org/ooxml/drawingml/main", b"schemas.openxmlformats.org/drawingml/2006/main"),
    (b"purl.oclc.org/ooxml/drawingml/chart", b"schemas.openxmlformats.org/drawingml/2006/chart"),
    (
        b"purl.oclc.org/ooxml/drawingml/spreadsheetDrawing",
        b"schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
    ),
)
_CONFORMANCE = re.compile(rb'\sconformance\s*=\s*["\']strict["\']')


def transitional(data: bytes) -> bytes:
    """A Strict Open XML workbook (already checked by :func:`take_in`) with the transitional namespaces that
    openpyxl knows: without them it finds no worksheet, and a copy would lose every sheet (docs/security.md#31).
    The cells, styles and sheets are the same; only the namespace names change."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as archive,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for info in archive.infolist():
            part = archive.read(info)
            if info.filename.endswith((".xml", ".rels", ".vml")):
                for strict, transitional_name in _STRICT_TO_TRANSITIONAL:
                    part = part.replace(strict, transitional_name)
                part = _CONFORMANCE.sub(b"", part)
            copy.writestr(info.filename, part)
    return out.getvalue()


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, symbolic links followed, lies in ``folder`` (a link loop raises OSError)."""
    try:
        return path.resolve(strict=True).is_relative_to(folder.resolve())
    except RuntimeError as exc:  # Python before 3.13 reports a symbolic link loop so
        raise OSError(str(exc)) from exc


def read_at_most(path: Path, size: int, limit: int) -> bytes:
    """The file's bytes, but never more than ``limit`` + 1 of them, even from a file that grew since its stat."""
    with path.open("rb") as stream:
        data = stream.read(min(size, limit) + 1)
        while len(data) <= limit:
            more = stream.read(min(2**20, limit + 1 - len(data)))
            if not more:
                break
            data += more
    return data


def _system_file_reason(name: str) -> str:
    lowered = name.casefold()
    if name.startswith(_LOCK_PREFIXES):
        return "Excel などが作業中に作るロックファイル"
    if lowered in _SYSTEM_FILES:
        return "OS が作る管理用ファイル"
    if name.startswith("."):
        return "隠しファイル"
    return ""


def _meant_as_workbook(name: str) -> bool:
    """Whether the name says the sender meant a spreadsheet (content still decides what it is)."""
    return PurePosixPath(name).suffix.casefold() in SPREADSHEET_SUFFIXES


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            head.decode("cp932")
        except UnicodeDecodeError:
            return False
    return b"\x00" not in head


def _skipped(name: str, digest: str, reason: str) -> Intake:
    return Intake(name, "skipped", digest, (make_finding("skipped-file", file=name, reason=reason),))


def _rejected(name: str, digest: str, *findings: Finding) -> Intake:
    return Intake(name, "rejected", digest, findings)


def _mb(size: float) -> str:
    return f"{size / 2**20:,.1f} MB"


def _ole_finding(name: str, data: bytes) -> Finding:
    """An OLE compound file: an encrypted OOXML workbook, a legacy .xls, or something else."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # olefile raises OSError and others on damaged headers
        return make_finding(
            "unreadable-file", file=name, reason=f"壊れた OLE ファイル（{type(exc).__name__}）"
        )
    try:
        streams = {"/".join(entry).casefold() for entry in ole.listdir(streams=True, storages=False)}
    except Exception as exc:
        return make_finding(
            "unreadable-file", file=name, reason=f"壊れた OLE ファイル（{type(exc).__name__}）"
        )
    finally:
        ole.close()
    if {"encryptioninfo", "encryptedpackage"} & streams:
        return make_finding("encrypted-workbook", file=name)
    if {"workbook", "book"} & streams:
        return make_finding("legacy-format", file=name, value="Excel 97-2003 ブック（.xls）")
    return make_finding("unreadable-file", file=name, reason="Excel のブックではない OLE ファイル")


def _open_zip(name: str, data: bytes) -> tuple[zipfile.ZipFile, Finding | None]:
    try:
        return zipfile.ZipFile(io.BytesIO(data)), None
    except (zipfile.BadZipFile, ValueError, NotImplementedError, EOFError) as exc:
        reason = f"zip として壊れています（{type(exc).__name__}）"
        return zipfile.ZipFile(io.BytesIO(), "w"), make_finding("unreadable-file", file=name, reason=reason)


def _screen_zip(name: str, archive: zipfile.ZipFile, limits: Limits) -> Finding | None:
    """Steps 2 and 3 of the intake: the zip directory against the limits (nothing decompressed), what kind of
    zip it is (ods, xlsb), then every part's XML prolog (no DTD, no entity)."""
    infos = archive.infolist()
    archive_finding = _archive_finding(name, infos, limits)
    if archive_finding is not None:
        return archive_finding
    names = {info.filename for info in infos}
    if "mimetype" in names and archive.read("mimetype").startswith(_ODS_MIME):
        return make_finding("legacy-format", file=name, value="OpenDocument スプレッドシート（.ods）")
    if "xl/workbook.bin" in names:
        return make_finding("legacy-format", file=name, value="Excel バイナリブック（.xlsb）")
    for info in infos:
        doctype = _doctype_finding(name, archive, info)
        if doctype is not None:
            return doctype
    return None


def screen(name: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> Finding | None:
    """The checks every workbook passes before any spreadsheet parser sees it, for a reader other than
    :func:`take_in` (diff): what the bytes are (a zip, not OLE, empty or other), the zip directory against
    ``limits``, and every XML part's prolog. None when the file may be opened."""
    if not data:
        return make_finding("empty-file", file=name)
    if data.startswith(_OLE_MAGIC):
        return _ole_finding(name, data)
    if not data.startswith(_ZIP_MAGIC):
        return make_finding("unreadable-file", file=name, reason="Excel のブックではありません")
    archive, broken = _open_zip(name, data)
    with archive:
        return broken or _screen_zip(name, archive, limits)


def _take_zip(name: str, digest: str, data: bytes, wanted: Collection[str], limits: Limits) -> Intake:
    archive, broken = _open_zip(name, data)
    if broken is not None:
        return _rejected(name, digest, broken)
    with archive:
        screened = _screen_zip(name, archive, limits)
        if screened is not None:
            return _rejected(name, digest, screened)
        names = {info.filename for info in archive.infolist()}
        try:
            reader = _WorkbookReader(archive, names, limits)
        except _Unreadable as exc:
            return _rejected(name, digest, make_finding("unreadable-file", file=name, reason=str(exc)))
        findings: list[Finding] = []
        kind: Kind = "xlsx"
        if any(n.casefold().endswith("vbaproject.bin") for n in names):
            kind = "xlsm"
            findings.append(make_finding("macro-workbook", file=name))
        suffix = PurePosixPath(name).suffix.casefold()
        if suffix not in (".xlsx", ".xlsm") and kind == "xlsx":
            findings.append(make_finding("wrong-extension", file=name, value=suffix or "（なし）"))
        findings.extend(reader.link_findings(name))
        sheets: dict[str, Sheet] = {}
        try:
            for sheet_name, _state, _part in reader.sheets:
                if sheet_name in wanted:
                    sheets[sheet_name] = reader.read_sheet(sheet_name)
        except _TooManyCells as exc:
            return _rejected(
                name,
                digest,
                make_finding("sheet-too-large", file=name, sheet=exc.sheet, limit=f"{exc.limit:,}"),
            )
        except _Unreadable as exc:
            return _rejected(name, digest, make_finding("unreadable-file", file=name, reason=str(exc)))
        try:
            copy_load = reader.copy_load()
        except _Unreadable:
            copy_load = limits.max_copy_load + 1
        return Intake(
            name,
            kind,
            digest,
            tuple(findings),
            sheet_states=tuple((n, s) for n, s, _ in reader.sheets),
            sheets=sheets,
            data=data,
            copy_load=copy_load,
            strict=reader.strict,
        )


def _archive_finding(name: str, infos: list[zipfile.ZipInfo], limits: Limits) -> Finding | None:
    """Zip bomb checks on the central directory only: part count, total size, ratio, compression method."""
    if len(infos) > limits.max_parts:
        return make_finding(
            "archive-too-many-parts", file=name, count=f"{len(infos):,}", limit=f"{limits.max_parts:,}"
        )
    total = sum(info.file_size for info in infos)
    if total > limits.max_total_bytes:
        return make_finding(
            "archive-too-large", file=name, size=_mb(total), limit=_mb(limits.max_total_bytes)
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_min_bytes and ratio > limits.max_ratio:
            return make_finding(
                "archive-ratio",
                file=name,
                value=info.filename,
                ratio=f"{ratio:,.0f}",
                limit=f"{limits.max_ratio:,.0f}",
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
            return make_finding(
                "unreadable-file",
                file=name,
                reason=f"部品「{info.filename}」の圧縮方式・暗号化に対応していません",
            )
    return None


class _RootReached(Exception):
    """The prolog is over: the root element started, so no DTD can follow."""


class _StopAtRoot:
    def start(self, tag: str, attrib: dict[str, str]) -> None:
        raise _RootReached

    def end(self, tag: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def _doctype_finding(name: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Finding | None:
    """Parse a part's prolog with defusedxml (DTDs forbidden); stop at the root element.

    A DTD can only stand before the root element, so reading up to it is enough. Parts that are not XML
    (images, vbaProject.bin) fail to parse and are left alone: only a DTD is a finding here.
    """
    parser = DefusedXMLParser(target=_StopAtRoot(), forbid_dtd=True)
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_PROLOG_CHUNK):
                parser.feed(chunk)
    except _RootReached:
        return None
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        return make_finding("xml-doctype", file=name, value=info.filename)
    except Exception:  # not XML at all, or broken: the workbook reader reports what it needs
        return None
    return None


class _Unreadable(Exception):
    """The workbook structure cannot be read (message: why, in Japanese)."""


class _TooManyCells(Exception):
    def __init__(self, sheet: str, limit: int) -> None:
        super().__init__(sheet)
        self.sheet, self.limit = sheet, limit


class _Forbidden(Exception):
    """A DTD or entity declaration met while reading (already excluded by the prolog check)."""


MAX_ROW, MAX_COLUMN = 1_048_576, 16_384  # Excel's grid; a reference beyond it is a broken or hostile file
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"


def _ref(text: str) -> tuple[int, int]:
    """A cell reference inside Excel's grid (ValueError otherwise: the file is unreadable)."""
    letters = text.rstrip(_DIGITS)  # the common A1 form without the regex: a column already seen, digits
    col = _COLUMNS.get(letters)
    if col is not None and len(letters) < len(text):
        row = int(text[len(letters) :])
        if 1 <= row <= MAX_ROW:
            return row, col
    row, col = parse_ref(text)
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COLUMN):
        raise ValueError(text)
    if letters == column_letters(col):  # an upper-case column inside the grid: at most 16,384 remembered
        _COLUMNS[letters] = col
    return row, col


_DIGITS = "0123456789"
_COLUMNS: dict[str, int] = {}  # column letters (upper case, inside the grid) -> number


def _index(text: str | None, low: int, high: int) -> int:
    """A row or column number from an attribute, inside [low, high] (ValueError otherwise)."""
    number = int(text or "")
    if not low <= number <= high:
        raise ValueError(text)
    return number


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


def _new_parser() -> Any:
    """An expat parser with namespaces split off and every DTD or entity declaration refused."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def forbid(*_: object) -> Any:
        raise _Forbidden

    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    return parser


def _parse(parser: Any, archive: zipfile.ZipFile, part: str) -> None:
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(1 << 16):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (
        expat.ExpatError,
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        _Forbidden,
        ValueError,
        KeyError,
        OverflowError,
    ) as exc:
        raise _Unreadable(f"部品「{part}」を読み取れません（{type(exc).__name__}）") from exc


def _rels(archive: zipfile.ZipFile, names: set[str], part: str) -> list[tuple[str, str, str, str]]:
    """The relationships of a part: (Id, Type, resolved target, TargetMode)."""
    folder, _, base = part.rpartition("/")
    rels_part = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
    if rels_part not in names:
        return []
    found: list[tuple[str, str, str, str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "Relationship":
            target = attrs.get("Target", "")
            mode = attrs.get("TargetMode", "")
            if mode != "External":
                target = _resolve(folder, target)
            found.append((attrs.get("Id", ""), attrs.get("Type", ""), target, mode))

    parser = _new_parser()
    parser.StartElementHandler = start
    _parse(parser, archive, rels_part)
    return found


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts = [p for p in folder.split("/") if p]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


class _WorkbookReader:
    """The workbook part, its sheet list and shared strings, read with hardened expat."""

    def __init__(self, archive: zipfile.ZipFile, names: set[str], limits: Limits) -> None:
        self.archive, self.names, self.limits = archive, names, limits
        root = _rels(archive, names, "")
        workbook = next((t for _, typ, t, _ in root if typ.endswith("/officeDocument")), "xl/workbook.xml")
        if workbook not in names:
            raise _Unreadable("Excel のブックではありません（xl/workbook.xml がない zip）")
        self.workbook = workbook
        self.workbook_rels = _rels(archive, names, workbook)
        targets = {rid: target for rid, _, target, _ in self.workbook_rels}
        self.sheets: list[tuple[str, str, str]] = []  # (name, state, part)

        self.strict = False

        def start(tag: str, attrs: dict[str, str]) -> None:
            if _local(tag) == "workbook":
                self.strict = tag.startswith(STRICT_MAIN + " ")
            if _local(tag) == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
                self.sheets.append(
                    (attrs.get("name", ""), attrs.get("state", "visible"), targets.get(rid, ""))
                )

        parser = _new_parser()
        parser.StartElementHandler = start
        _parse(parser, archive, workbook)
        self.loads: dict[str, int] = {}  # what openpyxl would build, per sheet read
        self._strings: list[str] | None = None
        self._styles: tuple[frozenset[int], frozenset[int]] | None = None

    @property
    def percent_styles(self) -> frozenset[int]:
        """Indexes of the cell formats (cellXfs) whose number format shows a percentage."""
        return self._number_styles()[0]

    @property
    def date_styles(self) -> frozenset[int]:
        """Indexes of the cell formats (cellXfs) whose number format shows a date or a time."""
        return self._number_styles()[1]

    def _number_styles(self) -> tuple[frozenset[int], frozenset[int]]:
        if self._styles is None:
            part = next((t for _, typ, t, _ in self.workbook_rels if typ.endswith("/styles")), "")
            none = frozenset[int]()
            self._styles = _read_number_styles(self.archive, part) if part in self.names else (none, none)
        return self._styles

    @property
    def strings(self) -> list[str]:
        if self._strings is None:
            part = next((t for _, typ, t, _ in self.workbook_rels if typ.endswith("/sharedStrings")), "")
            self._strings = (
                _read_shared_strings(self.archive, part, self.limits) if part in self.names else []
            )
        return self._strings

    def link_findings(self, file: str) -> Iterator[Finding]:
        """External links, data connections and DDE: reported, never followed."""
        for _, typ, target, _ in self.workbook_rels:
            if typ.endswith("/externalLink") and target in self.names:
                external = [
                    t for _, _, t, mode in _rels(self.archive, self.names, target) if mode == "External"
                ]
                with self.archive.open(target) as stream:
                    head = stream.read(1 << 16)
                code: Code = "dde-link" if b"ddeLink" in head else "external-link"
                yield make_finding(code, file=file, value=external[0] if external else target)
            elif typ.endswith("/connections"):
                yield make_finding("data-connection", file=file, value=target)

    def copy_load(self) -> int:
        """What openpyxl would build loading every sheet (the feedback copy), counted without building it.

        The sheets read are counted as they were read; the others are scanned (start tags only) until the sum
        passes :attr:`Limits.max_copy_load`. Charts and chartsheets cost no cells and are not counted."""
        total = sum(self.loads.values())
        for name, _state, part in self.sheets:
            if total > self.limits.max_copy_load:
                break
            if name not in self.loads and part in self.names and "/worksheets/" in f"/{part}":
                total += _scan_load(self.archive, part, self.limits.max_copy_load - total)
        return total

    def read_sheet(self, name: str) -> Sheet:
        """Read one worksheet's cells (bounded by :attr:`Limits.max_cells`)."""
        state, part = next((s, p) for n, s, p in self.sheets if n == name)
        if part not in self.names:
            raise _Unreadable(f"シート『{name}』の部品がありません")
        reader = _SheetXml(name, self.strings, self.limits.max_cells, self.percent_styles, self.date_styles)
        parser = _new_parser()
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.text
        _parse(parser, self.archive, part)
        self.loads[name] = reader.load
        return Sheet(
            name=name,
            state=state,
            cells=reader.cells,
            hidden_rows=frozenset(reader.hidden_rows),
            hidden_columns=reader.hidden_columns(),
            merged=tuple(reader.merged),
        )


def _read_shared_strings(archive: zipfile.ZipFile, part: str, limits: Limits) -> list[str]:
    """Shared strings: the text of each <si>, rich-text runs joined, phonetic guides (rPh) left out."""
    strings: list[str] = []
    buffer: list[str] = []
    depth = {"rPh": 0, "t": 0}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "si":
            buffer.clear()
        elif local in depth:
            depth[local] += 1

    def end(tag: str) -> None:
        local = _local(tag)
        if local == "si":
            if len(strings) >= limits.max_strings:
                raise _Unreadable(f"共有文字列が {limits.max_strings:,} 個を超えています")
            strings.append(unescape("".join(buffer)))
        elif local in depth:
            depth[local] -= 1

    def text(data: str) -> None:
        if depth["t"] and not depth["rPh"]:
            buffer.append(data)

    parser = _new_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    _parse(parser, archive, part)
    return strings


_PERCENT_FORMATS = {9, 10}  # built-in number formats 0% and 0.00%
# built-in date and time formats, with the Japanese locale's (27-36 and 50-58: 和暦, 年月日)
_DATE_FORMATS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
_QUOTED = re.compile(r'"[^"]*"|\\.')
_BRACKETED = re.compile(r"\[(?![hms]+\])[^\]]*\]", re.IGNORECASE)  # [Red], [$-411]; not elapsed [h]
_DATE_PART = re.compile(r"(?<!_)[dmyhs]", re.IGNORECASE)  # _x pads a width, it shows no letter


def _is_date_format(code: str) -> bool:
    """Whether a number format code shows a date or time (its first section has d, m, y, h or s outside quotes)."""
    first = _BRACKETED.sub("", _QUOTED.sub("", code)).split(";")[0]
    return first.strip().lower() != "general" and _DATE_PART.search(first) is not None


def _read_number_styles(archive: zipfile.ZipFile, part: str) -> tuple[frozenset[int], frozenset[int]]:
    """From styles.xml: the cellXfs indexes whose number format (built-in or custom) contains a bare %, and
    those whose format shows a date or a time."""
    percent_formats = set(_PERCENT_FORMATS)
    date_formats = set(_DATE_FORMATS)
    xfs: list[int] = []
    depth = {"cellXfs": 0}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "numFmt" and "%" in _QUOTED.sub("", attrs.get("formatCode", "")):
            percent_formats.add(int(attrs.get("numFmtId", "-1")))
        elif local == "numFmt" and _is_date_format(attrs.get("formatCode", "")):
            date_formats.add(int(attrs.get("numFmtId", "-1")))
        elif local == "cellXfs":
            depth["cellXfs"] += 1
        elif local == "xf" and depth["cellXfs"]:
            xfs.append(int(attrs.get("numFmtId", "0")))

    def end(tag: str) -> None:
        if _local(tag) == "cellXfs":
            depth["cellXfs"] -= 1

    parser = _new_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _parse(parser, archive, part)
    percent = frozenset(i for i, fmt in enumerate(xfs) if fmt in percent_formats)
    return percent, frozenset(i for i, fmt in enumerate(xfs) if fmt in date_formats and i not in percent)


class _Enough(Exception):
    """The scan has counted past its budget."""


def sheet_extent(archive: zipfile.ZipFile, part: str) -> tuple[int, int]:
    """(last row, last column) a worksheet's cells reach, read with the hardened parser in one pass: however
    its references are written (either quote, or left out and counted). A reader that allocates the rectangle
    from A1 (diff's) is sized by this before it sees the sheet.

    Raises:
        ValueError: the part is not well-formed XML or a reference lies outside Excel's grid.
    """
    plain = _plain_extent(archive, part)
    return plain if plain is not None else _expat_extent(archive, part)


def _expat_extent(archive: zipfile.ZipFile, part: str) -> tuple[int, int]:
    """:func:`sheet_extent` of any part, one element at a time."""
    last_row = last_col = row = col = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        # called for every element (~300,000 in a 20,000-row list): the local name tested without splitting
        # it off (_local(tag) == "c" exactly when tag is "c" or ends in " c"), the most frequent first
        nonlocal last_row, last_col, row, col
        if tag.endswith(" c") or tag == "c":
            ref = attrs.get("r")
            if ref is not None:
                row, col = _ref(ref)
            elif col == MAX_COLUMN:
                raise ValueError("column")
            else:
                col += 1
            if row > last_row:
                last_row = row
            if col > last_col:
                last_col = col
        elif tag.endswith(" row") or tag == "row":
            row = _index(attrs["r"], 1, MAX_ROW) if "r" in attrs else row + 1
            col = 0

    parser = _new_parser()
    parser.StartElementHandler = start
    try:
        _parse(parser, archive, part)
    except _Unreadable as exc:
        raise ValueError(str(exc)) from exc
    return last_row, last_col


PLAIN_SCAN_MAX_BYTES = 64 << 20  # a part read whole by the fast scan; larger ones are streamed
# c and row start tags in the plain form Excel and xlsxwriter write: the r attribute first, in double quotes, an
# upper-case reference or a row number without leading zeros
_PLAIN_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,3}([1-9][0-9]{0,6})"[ />]')
_PLAIN_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[1-9]')
_PLAIN_ROW = re.compile(rb'<row r="([1-9][0-9]{0,6})"[ />]')
_PREFIXED_TAG = re.compile(rb":(?:c|row)[\s/>]")  # <x:c …>: maybe a cell in another form
_UNSPACED_TAG = re.compile(rb"<(?:c|row)[\t\n\r>/]")  # <c> or <c\n r=…>: not the plain form
_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*?\?>")
_UTF8_DECLARED = re.compile(rb"""\sencoding\s*=\s*["'](?i:utf-8)["']""")


def _plain_extent(archive: zipfile.ZipFile, part: str) -> tuple[int, int] | None:
    """:func:`sheet_extent` of a well-formed UTF-8 part whose every c and row start tag is in the plain form,
    found with regular expressions (a Python call per element takes ~1 s on a 20,000-row list); None for any
    other part, which the expat scan reads. Only the plain form is taken: no comment, CDATA, processing
    instruction or declaration that could hold tag-like text, no prefixed c or row, every reference present."""
    try:
        if archive.getinfo(part).file_size > PLAIN_SCAN_MAX_BYTES:
            return None
        data = archive.read(part)
    except (KeyError, zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError):
        return None
    prolog = _PROLOG.match(data)
    if prolog is not None and b"encoding" in prolog.group() and not _UTF8_DECLARED.search(prolog.group()):
        return None
    body = data[prolog.end() :] if prolog is not None else data
    if b"<!" in body or b"<?" in body or b"\x00" in data:
        return None
    if _PREFIXED_TAG.search(body) or _UNSPACED_TAG.search(body):
        return None
    parser = _new_parser()  # well-formed, as the expat scan requires (which then reports the fault)
    try:
        parser.Parse(data, True)
    except (expat.ExpatError, _Forbidden, ValueError):
        return None
    rows = _PLAIN_ROW.findall(body)
    cell_rows = _PLAIN_CELL_ROW.findall(body)
    if len(rows) != body.count(b"<row ") or len(cell_rows) != body.count(b"<c "):
        return None
    if rows and _largest(rows) > MAX_ROW:
        return None
    if not cell_rows:
        return 0, 0
    last_row = _largest(cell_rows)
    last_col = max(_column_number(letters) for letters in set(_PLAIN_CELL_COLUMN.findall(body)))
    if last_row > MAX_ROW or last_col > MAX_COLUMN:
        return None
    return last_row, last_col


def _largest(numbers: list[bytes]) -> int:
    """The largest of decimal numbers without leading zeros (the longest, then the greatest)."""
    return int(max(zip(map(len, numbers), numbers, strict=True))[1])


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _scan_load(archive: zipfile.ZipFile, part: str, budget: int) -> int:
    """The load (see :class:`_SheetXml`) of a sheet that is not read, counted up to just past ``budget``."""
    load = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal load
        local = _local(tag)
        if local in ("c", "row", "col"):
            load += 1
        elif local == "mergeCell":
            first, _, last = attrs.get("ref", "").partition(":")
            r1, c1 = _ref(first)
            r2, c2 = _ref(last or first)
            load += (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1)
        else:
            return
        if load > budget:
            raise _Enough

    parser = _new_parser()
    parser.StartElementHandler = start
    try:
        _parse(parser, archive, part)
    except _Enough:
        pass
    except _Unreadable:  # an unreadable sheet that is not read: openpyxl will fail on it, and no copy is made
        return budget + 1
    return load


class _SheetXml:
    """expat handlers collecting one worksheet's cells, hidden rows/columns and merged ranges."""

    def __init__(
        self,
        sheet: str,
        strings: list[str],
        max_cells: int,
        percent_styles: frozenset[int],
        date_styles: frozenset[int] = frozenset(),
    ) -> None:
        self.sheet, self.strings, self.max_cells = sheet, strings, max_cells
        self.percent_styles, self.date_styles = percent_styles, date_styles
        self.style = 0
        self.cells: dict[tuple[int, int], Cell] = {}
        self.hidden_rows: set[int] = set()
        self.hidden_spans: list[tuple[int, int]] = []  # <col min max hidden>: kept as ranges, never expanded
        self.merged: list[tuple[int, int, int, int]] = []
        self.count = 0  # elements kept: cells, hidden rows, column ranges, merged ranges
        self.load = 0  # what openpyxl would build for this sheet (a merge counts every cell it covers)
        self.row = 0
        self.col = 0
        self.type = ""
        self.formula: list[str] | None = None  # text of <f>
        self.value: list[str] | None = None  # text of <v>
        self.inline: list[str] | None = None  # text of <is><t>
        self.capture: list[str] | None = None
        self.in_rph = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "c":
            self._counted(1)
            ref = attrs.get("r")
            if ref:
                self.row, self.col = _ref(ref)
            else:
                self.col += 1
                if self.col > MAX_COLUMN:
                    raise ValueError("column")
            self.type = attrs.get("t", "n")
            self.style = int(attrs.get("s", "0") or 0)
            self.formula = None
            self.value = None
            self.inline = None
        elif local == "row":  # counted when kept (hidden); openpyxl keeps each row's height and style
            self.load += 1
            self.row = (
                _index(attrs["r"], 1, MAX_ROW) if "r" in attrs else _index(str(self.row + 1), 1, MAX_ROW)
            )
            self.col = 0
            if attrs.get("hidden") in ("1", "true"):
                self._counted(0)
                self.hidden_rows.add(self.row)
        elif local == "v":
            self.value = []
            self.capture = self.value
        elif local == "f":
            self.formula = []
            self.capture = self.formula
        elif local == "is":
            self.inline = []
        elif local == "t" and self.inline is not None and not self.in_rph:
            self.capture = self.inline
        elif local == "rPh":
            self.in_rph += 1
        elif local == "col":
            self._counted(1)
            if attrs.get("hidden") in ("1", "true"):
                low = _index(attrs.get("min"), 1, MAX_COLUMN)
                self.hidden_spans.append((low, _index(attrs.get("max"), low, MAX_COLUMN)))
        elif local == "mergeCell":
            first, _, last = attrs.get("ref", "").partition(":")
            r1, c1 = _ref(first)
            r2, c2 = _ref(last or first)
            merged = (min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))
            self._counted((merged[2] - merged[0] + 1) * (merged[3] - merged[1] + 1))
            self.merged.append(merged)

    def _counted(self, load: int) -> None:
        """One more element (bounded by max_cells), building ``load`` objects in openpyxl."""
        self.count += 1
        self.load += load
        if self.count > self.max_cells:
            raise _TooManyCells(self.sheet, self.max_cells)

    def hidden_columns(self) -> frozenset[int]:
        """The hidden columns: the union of the ranges, at most the 16,384 columns of a sheet."""
        hidden: set[int] = set()
        end = 0  # spans sorted by start: each column is added once, however many ranges overlap
        for low, high in sorted(self.hidden_spans):
            if high > end:
                hidden.update(range(max(low, end + 1), high + 1))
                end = high
        return frozenset(hidden)

    def end(self, tag: str) -> None:
        local = _local(tag)
        if local in ("v", "t", "f"):
            self.capture = None
        elif local == "rPh":
            self.in_rph -= 1
        elif local == "c":
            cell = self._cell()
            if cell is not None:
                self.cells[(self.row, self.col)] = cell

    def text(self, data: str) -> None:
        if self.capture is not None:
            self.capture.append(data)

    def _cell(self) -> Cell | None:
        kind = self.type
        formula = ""
        if self.formula is not None:
            formula = "=" + ("".join(self.formula) or "（共有数式）")
        if kind == "inlineStr":
            text = unescape("".join(self.inline or []))
            return Cell(text, formula) if text or formula else None
        if self.value is None:
            return Cell(None, formula) if formula else None
        raw = "".join(self.value)
        if kind == "s":  # an index outside the table is a broken file, never another string or a blank
            try:
                text = self.strings[_index(raw.strip(), 0, len(self.strings) - 1)]
            except ValueError:
                where = f"シート『{self.sheet}』{cell_ref(self.row, self.col)}"
                raise _Unreadable(
                    f"{where} の共有文字列の番号「{raw[:20]}」が範囲外です（{len(self.strings):,} 個）"
                ) from None
            return Cell(text, formula) if text or formula else None
        if kind in ("str", "d"):
            return Cell(unescape(raw), formula)
        if kind == "b":
            return Cell(raw.strip() in ("1", "true"), formula)
        if kind == "e":
            return Cell(raw, formula, error=True)
        if not raw:  # an empty <v/> under a formula (openpyxl writes that) is no saved value
            return Cell(None, formula) if formula else None
        try:
            return Cell(
                float(raw),
                formula,
                percent=self.style in self.percent_styles,
                date=self.style in self.date_styles,
            )
        except ValueError:
            return Cell(raw, formula)
