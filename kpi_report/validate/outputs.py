"""What `check` writes to ``outputs/<FY>/check/``, and its console summary.

- ``findings.xlsx``: a summary per department (submitted file, errors, warnings, state) and one row per finding,
  filterable, header frozen;
- ``findings.json``: the same, for programs;
- ``feedback/<file>``: a copy of each submitted workbook with every faulty cell filled and its message attached as
  a comment, plus a first sheet listing every finding of the file — what the planning section sends back.

Every file is written atomically with deterministic bytes; the inputs are only read.
"""

from __future__ import annotations

import hashlib
import io
import json
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path, PurePosixPath
from typing import Any, cast

from defusedxml import ElementTree as DefusedET

from kpi_report.core.cellmetrics import line_count, row_height
from kpi_report.core.codec import encode
from kpi_report.core.diskcache import DiskCache, cache_key
from kpi_report.core.errors import OutputError
from kpi_report.core.files import FIXED_CREATED, load_openpyxl, new_xlsx, openpyxl_bytes, write_atomic
from kpi_report.core.fiscal import fy_label
from kpi_report.core.model import CheckReport, Finding, Plan, Submission
from kpi_report.core.project import Project
from kpi_report.core.version import __version__
from kpi_report.forms.layout import FEEDBACK_RECORD_SHEET, FEEDBACK_SHEET, FEEDBACK_TOOL
from kpi_report.intake.workbook import InputReader, Intake, take_in, transitional
from kpi_report.validate.cache import code_digest
from kpi_report.validate.check import WANTED_SHEETS, copy_refusal, feedback_sheets

CHECK_DIR = "check"
FEEDBACK_DIR = "feedback"
FINDINGS_XLSX = "findings.xlsx"
FINDINGS_JSON = "findings.json"
# notes for the planning section only: a department cannot act on them, so its feedback copy leaves them out
PLANNING_ONLY: frozenset[str] = frozenset({"older-master"})
_AUTHOR = "kpi-report"
SEVERITY_LABELS = {"error": "エラー", "warning": "警告", "info": "情報"}
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_FILLS = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
_XLSX_TEXT_LIMIT = 32_767
# what a cache entry of a written file holds before its bytes (findings.xlsx, a feedback copy): the bytes
# themselves, the workbook as received (no bytes), or no copy at all
_COPY, _AS_RECEIVED, _NO_COPY = b"C", b"R", b"N"
_ZIP = b"PK\x03\x04"  # how a workbook's bytes start: an entry holding anything else is not ours


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then warnings, then notes; otherwise in report order."""
    return sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity])


def status_of(submission: Submission | None) -> str:
    """A department's state: 未提出 / 要修正 / 警告あり / OK."""
    if submission is None:
        return "未提出"
    if submission.errors:
        return "要修正"
    if submission.warnings:
        return "警告あり"
    return "OK"


def department_rows(report: CheckReport, plan: Plan) -> list[dict[str, Any]]:
    """One row per (department, submitted file) in master order, 未提出 for departments that sent nothing;
    then files whose department is not in the master."""
    rows: list[dict[str, Any]] = []
    by_department: dict[str, list[Submission]] = {}
    for s in report.submissions:
        by_department.setdefault(s.department, []).append(s)
    departments = plan.departments  # a property that walks the whole plan: asked once
    for department in departments:
        submitted: list[Submission | None] = list(by_department.get(department, [])) or [None]
        rows.extend(_department_row(department, s) for s in submitted)
    known = set(departments)
    for department, subs in by_department.items():
        if department not in known:
            rows.extend(_department_row(department or "（特定できず）", s) for s in subs)
    return rows


def _department_row(department: str, s: Submission | None) -> dict[str, Any]:
    return {
        "department": department,
        "file": s.file if s else "",
        "errors": s.errors if s else 0,
        "warnings": s.warnings if s else 0,
        "status": status_of(s),
    }


def write_check_outputs(
    report: CheckReport, project: Project, plan: Plan, *, cache: DiskCache | None = None
) -> list[Path]:
    """Write findings.xlsx, findings.json and the feedback copies to ``outputs/<FY>/check/``.

    Feedback copies left from an earlier run for files no longer submitted are removed.

    With ``cache`` (:func:`kpi_report.validate.cache.check_cache`), findings.xlsx and each feedback copy are
    taken from it when an entry was made from the same findings (and, for a copy, the same input bytes), and
    a file already holding the very bytes to write is left as it is: the same files, byte for byte, as
    without it.

    Returns:
        The files written: findings.xlsx, findings.json, then the feedback copies.

    Raises:
        OutputError: a file could not be written.
    """
    folder = project.outputs(report.fy) / CHECK_DIR
    feedback = folder / FEEDBACK_DIR
    if feedback.is_symlink():  # copies written, and stale ones deleted, through a link could be anywhere
        raise OutputError(
            f"{feedback} はシンボリックリンクです。feedback のコピーをリンク先に書いたり消したりしないよう、"
            "リンクを削除してからもう一度実行してください。"
        )
    write = write_atomic if cache is None else _write_if_changed
    rows = department_rows(report, plan)
    written = [folder / FINDINGS_XLSX, folder / FINDINGS_JSON]
    data = findings_data(report, plan, rows)
    text = (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
    workbook, stored = _findings_workbook(report, plan, rows, data, cache)
    write(written[0], workbook)
    write(written[1], text)
    copies: list[Path] = []
    inputs = project.input_files(report.fy)
    within = project.root / "inputs"
    by_file: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.code not in PLANNING_ONLY:
            by_file.setdefault(f.file, []).append(f)
    reader = InputReader(within=within)
    for submission in report.submissions:
        if submission.file not in inputs:
            continue
        own = by_file.get(submission.file, [])
        path = inputs[submission.file]
        if cache is None:
            copy = _feedback_for(path, submission, own, within)
        else:
            copy, new = _cached_feedback(path, submission, own, reader, cache)
            stored |= new
        if copy is None:
            continue
        name = feedback_name(submission.file, {p.name for p in copies})
        target = feedback / name
        write(target, copy)
        copies.append(target)
    if feedback.is_dir():
        keep = {p.name for p in copies}
        for stale in feedback.glob("*.xlsx"):
            # a folder is not ours to delete; a link is removed, never what it points to
            if stale.name not in keep and (stale.is_symlink() or stale.is_file()):
                stale.unlink()
    if cache is not None and stored:
        cache.prune()
    return written + copies


def _write_if_changed(path: Path, data: bytes) -> None:
    """:func:`write_atomic`, unless ``path`` is a regular file already holding exactly ``data`` (a rebuild
    stage starts as hard links to the last outputs: an unchanged file needs no new copy)."""
    try:
        same = path.is_file() and not path.is_symlink() and path.stat().st_size == len(data)
        if same and path.read_bytes() == data:
            return
    except OSError:
        pass
    write_atomic(path, data)


def _findings_workbook(
    report: CheckReport, plan: Plan, rows: list[dict[str, Any]], data: dict[str, Any], cache: DiskCache | None
) -> tuple[bytes, bool]:
    """findings.xlsx, from ``cache`` when it holds the workbook made for the same year, summary rows and
    findings (every field), as findings.json ``data`` holds them: all that :func:`findings_workbook` shows (a
    corrected file's new checksum, which the workbook does not show, changes nothing); and whether it was
    stored."""
    if cache is None:
        return findings_workbook(report, plan, rows), False
    shown = [data["fy_label"], data["departments"], data["findings"]]
    key = cache_key("findings-xlsx", code_digest(), json.dumps(shown, ensure_ascii=False, sort_keys=True))
    entry = cache.get(key)
    if entry is not None and entry.startswith(_COPY + _ZIP):
        return entry[1:], False
    workbook = findings_workbook(report, plan, rows)
    cache.put(key, _COPY + workbook)
    return workbook, True


NAME_BYTES = 255  # the longest file name most file systems take


def feedback_name(file: str, taken: set[str]) -> str:
    """The feedback copy's name: the input's name, always with the .xlsx extension (macros are not kept);
    the whole name when that is taken, then a numbered one; shortened to the 255 bytes a file name may have."""
    path = PurePosixPath(file)
    first = (
        (file.removesuffix(path.suffix), path.suffix)
        if path.suffix.casefold() == ".xlsx"
        else (path.stem, ".xlsx")
    )
    candidates = [first, (file, ".xlsx"), *((file, f"({n}).xlsx") for n in range(2, len(taken) + 3))]
    for stem, ending in candidates:  # the ending (extension, number) is kept whole when the stem is shortened
        name = stem.encode()[: NAME_BYTES - len(ending.encode())].decode(errors="ignore") + ending
        if name not in taken:
            return name
    raise AssertionError("unreachable: more candidate names than taken ones")


def findings_data(report: CheckReport, plan: Plan, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """findings.json: the fiscal year, the summary per department, the submissions and every finding."""
    return {
        "tool": f"kpi-report {__version__}",
        "fy": report.fy,
        "fy_label": fy_label(report.fy, plan.settings.reiwa_for_2019),
        "master_sha256": plan.sha256,
        "counts": {
            severity: sum(f.severity == severity for f in report.findings) for severity in SEVERITY_LABELS
        },
        "departments": rows,
        "missing_departments": list(report.missing_departments),
        "submissions": [asdict(s) for s in report.submissions],
        "findings": [asdict(f) for f in report.findings],
    }


def findings_workbook(report: CheckReport, plan: Plan, rows: list[dict[str, Any]]) -> bytes:
    """findings.xlsx: sheet 所管課別 (summary) and sheet 指摘一覧 (one row per finding).

    It shows the year, ``rows`` and the report's findings, nothing else: the check cache keys it by them
    (:func:`_findings_workbook`); a workbook that showed more would need them in that key."""
    buffer = io.BytesIO()
    wb = new_xlsx(buffer)
    wb.set_properties(
        {
            "title": f"{fy_label(report.fy, plan.settings.reiwa_for_2019)} 提出ファイルの検証結果",
            "created": FIXED_CREATED,
        }
    )
    header = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "valign": "vcenter"})
    text = wb.add_format({"valign": "top"})
    wrapped = wb.add_format({"text_wrap": True, "valign": "top"})
    severity_formats = {
        s: wb.add_format({"bg_color": f"#{_FILLS[s]}", "valign": "top"}) for s in SEVERITY_LABELS
    }
    state_formats = {
        "未提出": severity_formats["error"],
        "要修正": severity_formats["error"],
        "警告あり": severity_formats["warning"],
        "OK": text,
    }

    ws = wb.add_worksheet("所管課別")
    summary_columns = (("所管課", 22), ("提出ファイル", 36), ("エラー", 8), ("警告", 8), ("状態", 10))
    _table_header(ws, header, summary_columns)
    for r, row in enumerate(rows, start=1):
        ws.write_string(r, 0, row["department"], text)
        ws.write_string(r, 1, row["file"], text)
        ws.write_number(r, 2, row["errors"])
        ws.write_number(r, 3, row["warnings"])
        ws.write_string(r, 4, row["status"], state_formats[row["status"]])
    ws.autofilter(0, 0, max(len(rows), 1), len(summary_columns) - 1)

    ws = wb.add_worksheet("指摘一覧")
    columns = (
        ("重要度", 8),
        ("所管課", 22),
        ("ファイル", 28),
        ("シート", 8),
        ("セル", 8),
        ("取組ID・KPI_ID", 15),
        ("コード", 22),
        ("内容（直し方）", 70),
        ("入力値", 30),
    )
    _table_header(ws, header, columns)
    for r, f in enumerate(sort_findings(report.findings), start=1):  # errors first
        value = _cut(f.value)
        values = (f.department, f.file, f.sheet, f.cell, f.item_id, f.code)
        ws.write_string(r, 0, SEVERITY_LABELS[f.severity], severity_formats[f.severity])
        for c, text_value in enumerate(values, start=1):
            ws.write_string(r, c, text_value, text)
        ws.write_string(r, 7, f.message, wrapped)
        ws.write_string(r, 8, value, wrapped)
        lines = max(_lines(f.message, 68), min(_lines(value, 28), 10))
        ws.set_row(r, row_height(lines, line_pt=15, padding_pt=0))  # not re-measured when the file is opened
    ws.autofilter(0, 0, max(len(report.findings), 1), len(columns) - 1)
    wb.close()
    return buffer.getvalue()


def _table_header(ws: Any, style: Any, columns: Sequence[tuple[str, float]]) -> None:
    """Header row, column widths, frozen header; printed A4 landscape at page width, header on every page."""
    for c, (name, width) in enumerate(columns):
        ws.write_string(0, c, name, style)
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _lines(text: str, width: int) -> int:
    """Lines a wrapped cell of ``width`` (in half-width characters) needs for ``text``."""
    return line_count(text, width, capacity=width)


def _cut(value: str) -> str:
    """A cell keeps at most 32,767 characters: longer values are cut with a note (the JSON keeps them whole)."""
    if len(value) <= _XLSX_TEXT_LIMIT:
        return value
    note = f"…（全 {len(value):,} 文字。findings.json に全文）"
    return value[: _XLSX_TEXT_LIMIT - len(note)] + note


def _feedback_for(
    path: Path, submission: Submission, own: Sequence[Finding], within: Path | None = None
) -> bytes | None:
    """The feedback copy of one submitted file, or None when it cannot be opened safely (or changed since), or
    openpyxl would build more than the bound allows for it (check gave no-feedback-copy). ``own``: the file's
    findings but the planning section's notes."""
    if not path.is_file():
        return None
    # the safety checks again, reading what check read: openpyxl only ever opens a file that passed them
    intake = take_in(path, WANTED_SHEETS, within=within)
    if not intake.readable or intake.sha256 != submission.sha256:
        return None
    return _feedback_of(intake, own)


def _cached_feedback(
    path: Path, submission: Submission, own: Sequence[Finding], reader: InputReader, cache: DiskCache
) -> tuple[bytes | None, bool]:
    """:func:`_feedback_for` through ``cache``, and whether an entry was stored: keyed by the input's bytes and
    name, the findings marked (every field, in order) and the code. The file is still read, with take_in's
    checks, and must have the bytes that were checked."""
    data = reader.read(path)
    if data is None or hashlib.sha256(data).hexdigest() != submission.sha256:
        return _feedback_for(path, submission, own, reader.within), False
    findings = json.dumps(encode(tuple(own)), ensure_ascii=False, sort_keys=True)
    key = cache_key("feedback", code_digest(), submission.sha256, path.name, findings)
    entry = cache.get(key)
    if entry is not None:
        kind, copy = entry[:1], entry[1:]
        if kind == _COPY and copy.startswith(_ZIP):
            return copy, False
        if kind == _AS_RECEIVED and not copy:
            return data, False
        if kind == _NO_COPY and not copy:
            return None, False
    if not path.is_file():
        return None, False
    intake = take_in(path, WANTED_SHEETS, within=reader.within)
    if not intake.readable or intake.sha256 != submission.sha256:
        return None, False  # changed since it was read: not stored
    result = _feedback_of(intake, own)
    if result is None:
        cache.put(key, _NO_COPY)
    elif result is intake.data:
        cache.put(key, _AS_RECEIVED)
    else:
        cache.put(key, _COPY + result)
    return result, True


def _feedback_of(intake: Intake, own: Sequence[Finding]) -> bytes | None:
    """The feedback copy of a readable workbook marked with ``own``, or None (see :func:`_feedback_for`)."""
    if not own and not feedback_sheets(intake):
        return intake.data  # nothing to mark or unmark: the copy is the workbook as received
    if copy_refusal(intake):  # openpyxl would build more than the bound allows
        return None
    # openpyxl may fail on a file our reader accepts: findings.xlsx still lists that file's findings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore"
            )  # openpyxl warns about extensions it drops; the library never prints
            copy = feedback_copy(transitional(intake.data) if intake.strict else intake.data, own)
    except Exception:
        return None
    # a copy that lost one of the clerk's sheets (a part openpyxl cannot read) is worse than none
    kept = _sheet_names(copy)
    clerks = {name for name, _ in intake.sheet_states} - feedback_sheets(intake)  # ours are remade or dropped
    return copy if clerks <= kept else None


def _sheet_names(data: bytes) -> set[str]:
    """The sheet names of a workbook we just wrote, from xl/workbook.xml (no need to load the whole file)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = DefusedET.fromstring(archive.read("xl/workbook.xml"))
    return {e.get("name", "") for e in root.iter() if e.tag.rpartition("}")[2] == "sheet"}


def feedback_copy(data: bytes, findings: Sequence[Finding]) -> bytes:
    """A copy of a workbook with each faulty cell filled and commented, and a first sheet listing ``findings``.

    A returned feedback copy is first cleared of what an earlier copy added (its 検証結果 sheet, the fills and
    comments it set, as its record sheet lists them), so the new copy shows the clerk's values and only
    ``findings``. What this copy adds is recorded in a very hidden sheet (FEEDBACK_RECORD_SHEET) for the next
    round. Macros are not kept. The bytes are deterministic (fixed document dates and zip entry times).
    """
    # openpyxl (~0.2 s) only where a copy is made: a build takes the unchanged copies from its cache
    load_openpyxl()
    from openpyxl import load_workbook
    from openpyxl.cell.cell import MergedCell
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill
    from openpyxl.xml.functions import tostring

    wb = load_workbook(io.BytesIO(data))
    _remove_earlier_marks(wb)
    if not findings:
        return openpyxl_bytes(wb)
    marks: list[tuple[str, str, str, str, str]] = []
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if f.sheet and f.cell and f.sheet in wb.sheetnames:
            by_cell.setdefault((f.sheet, f.cell), []).append(f)
    for (sheet, ref), group in by_cell.items():
        ws = wb[sheet]
        cell = ws[ref]
        if isinstance(cell, MergedCell):
            merged = next(r for r in ws.merged_cells.ranges if ref in r)
            cell = ws.cell(merged.min_row, merged.min_col)
        worst = min(group, key=lambda f: _SEVERITY_ORDER[f.severity]).severity
        original = tostring(cell.fill.to_tree()).decode()
        cell.fill = PatternFill("solid", fgColor=_FILLS[worst])
        text = _cut("\n".join(f"【{SEVERITY_LABELS[f.severity]}】{f.message}" for f in group))
        comment = Comment(text, _AUTHOR)
        comment.width, comment.height = 420, 40 + 70 * len(group)
        cell.comment = comment
        marks.append((sheet, cell.coordinate, _FILLS[worst], original, _text_digest(text)))
    findings_sheet = _findings_sheet(wb, findings)
    _record_marks(wb, findings_sheet, marks)
    return openpyxl_bytes(wb)


def _text_digest(text: str) -> str:
    """A comment's text, blanks and line ends ignored (spreadsheet programs may rewrite them on saving)."""
    return hashlib.sha256("".join(text.split()).encode()).hexdigest()[:16]


def _record_marks(wb: Any, findings_sheet: str, marks: Sequence[tuple[str, str, str, str, str]]) -> None:
    """The very hidden record of what this feedback copy added: the findings sheet, and per marked cell its
    sheet, cell, the fill set, the fill it had before and the digest of the comment set."""
    ws = wb.create_sheet(FEEDBACK_RECORD_SHEET)
    ws.append([FEEDBACK_TOOL])
    ws.append(["sheet", findings_sheet])
    for mark in marks:
        ws.append(["cell", *mark])
    ws.sheet_state = "veryHidden"


def _remove_earlier_marks(wb: Any) -> None:
    """Undo an earlier feedback copy's additions, as its record lists them: its sheets go; a fill still the one
    it set gets back the fill it replaced; a comment still the one it set goes. What the clerk changed stays."""
    from openpyxl.styles import PatternFill
    from openpyxl.styles.fills import Fill
    from openpyxl.xml.functions import fromstring

    if FEEDBACK_RECORD_SHEET not in wb.sheetnames:
        return
    record = wb[FEEDBACK_RECORD_SHEET]
    if record.sheet_state != "veryHidden" or record["A1"].value != FEEDBACK_TOOL:
        return
    for kind, sheet, *rest in record.iter_rows(min_row=2, max_col=6, values_only=True):
        if kind == "sheet" and sheet in wb.sheetnames:
            del wb[sheet]
        elif kind == "cell" and sheet in wb.sheetnames:
            ref, colour, original, digest = (str(v or "") for v in rest)
            cell = wb[sheet][ref]
            fill = cell.fill
            if fill.fill_type == "solid" and str(fill.fgColor.rgb).upper().endswith(colour.upper()):
                cell.fill = Fill.from_tree(cast(Any, fromstring(original))) if original else PatternFill()
            if cell.comment is not None and (
                _text_digest(cell.comment.text or "") == digest or cell.comment.author == _AUTHOR
            ):
                cell.comment = None
    del wb[FEEDBACK_RECORD_SHEET]
    shown = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    if shown:
        for ws in wb.worksheets:
            ws.sheet_view.tabSelected = ws is shown[0]
        wb.active = wb.worksheets.index(shown[0])


def _findings_sheet(wb: Any, findings: Sequence[Finding]) -> str:
    """The first sheet of a feedback copy: every finding of the file, errors first; returns its name."""
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.create_sheet(FEEDBACK_SHEET, 0)
    ws.append(["重要度", "シート", "セル", "取組ID・KPI_ID", "内容（直し方）"])
    for f in sort_findings(findings):
        ws.append([SEVERITY_LABELS[f.severity], f.sheet, f.cell, f.item_id, _cut(f.message)])
    if not findings:
        ws.append(["", "", "", "", "指摘はありません。"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
    for column, width in zip("ABCDE", (8, 10, 8, 16, 90), strict=True):
        ws.column_dimensions[column].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row[:4]:
            cell.alignment = Alignment(vertical="top")
        row[4].alignment = Alignment(wrap_text=True, vertical="top")
        # wrapped rows are not re-measured on opening
        ws.row_dimensions[row[0].row].height = row_height(
            _lines(str(row[4].value), 86), line_pt=15, padding_pt=0
        )
        severity = next((k for k, v in SEVERITY_LABELS.items() if v == row[0].value), "")
        if severity:
            row[0].fill = PatternFill("solid", fgColor=_FILLS[severity])
    ws.freeze_panes = "A2"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet is ws
    wb.active = 0
    return str(ws.title)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
