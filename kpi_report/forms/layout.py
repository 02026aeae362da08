"""What a department form looks like: its sheets, header row, columns and the record it keeps in _meta.

The fixed points that ``check`` and programs filling forms rely on. The form writer lays its sheets out by this
module and ``check`` reads returned forms by it; neither depends on the other. The columns themselves are
declared in :mod:`kpi_report.core.columns` (``FORM_PROGRESS``, ``FORM_KPIS``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

from kpi_report.core import columns
from kpi_report.core.columns import (
    ACTUAL_COLUMN,
    FORM_KPIS,
    FORM_PROGRESS,
    KPI_ID_COLUMN,
    MEASURE_ID_COLUMN,
    NOTES_COLUMN,
    PREVIOUS_ACTUAL_COLUMN,
    PREVIOUS_NOTES_COLUMN,
    PREVIOUS_REMARKS_COLUMN,
    REMARKS_COLUMN,
    SHARED_COLUMN,
    STATUS_COLUMN,
    Column,
)
from kpi_report.core.fiscal import fy_label
from kpi_report.core.model import Kpi, Measure

__all__ = [
    "ACTUAL_COLUMN",
    "AREA_SHEET",
    "FEEDBACK_RECORD_SHEET",
    "FEEDBACK_SHEET",
    "FEEDBACK_TOOL",
    "FIRST_DATA_ROW",
    "FORM_KPIS",
    "FORM_PROGRESS",
    "FORM_VERSION",
    "GOAL_LEVEL_AREA",
    "HEADER_ROW",
    "INSTRUCTIONS_SHEET",
    "KPI_COLUMNS",
    "KPI_ID_COLUMN",
    "KPI_INPUT_COLUMNS",
    "KPI_SHEET",
    "MEASURE_ID_COLUMN",
    "META_AREA_IDS",
    "META_CONTENT",
    "META_DEPARTMENT",
    "META_DIRECTION_SCALE",
    "META_FORMAT",
    "META_FY",
    "META_KPI_IDS",
    "META_MASTER",
    "META_MEASURE_IDS",
    "META_REASON_SCALE",
    "META_SHEET",
    "META_STATUS_SCALE",
    "META_TOOL",
    "NOTES_COLUMN",
    "PREVIOUS_ACTUAL_COLUMN",
    "PREVIOUS_NOTES_COLUMN",
    "PREVIOUS_REMARKS_COLUMN",
    "PROGRESS_COLUMNS",
    "PROGRESS_INPUT_COLUMNS",
    "PROGRESS_SHEET",
    "REMARKS_COLUMN",
    "SHARED_COLUMN",
    "STATUS_COLUMN",
    "content_digest",
    "content_record",
    "form_filename",
    "kpi_master_values",
    "measure_master_values",
    "parse_content_record",
    "shared_label",
]

FORM_VERSION = "kpi-report/1"  # _meta 様式: bump when the layout changes incompatibly

INSTRUCTIONS_SHEET = "記入方法"
PROGRESS_SHEET = "進捗"
KPI_SHEET = "KPI"
AREA_SHEET = "施策評価"  # 効果検証: only in the form of a department that leads a 施策 (主管課)
META_SHEET = "_meta"

HEADER_ROW = 3  # 1-based header row of 進捗 and KPI: row 1 is a title, row 2 a hint
FIRST_DATA_ROW = HEADER_ROW + 1

PROGRESS_COLUMNS = columns.headers(FORM_PROGRESS)
PROGRESS_INPUT_COLUMNS = columns.inputs(FORM_PROGRESS)
KPI_COLUMNS = columns.headers(FORM_KPIS)
KPI_INPUT_COLUMNS = columns.inputs(FORM_KPIS)

# _meta: key in column A, value in column B
META_FORMAT = "様式"
META_FY = "年度"
META_DEPARTMENT = "所管課"
META_MASTER = "マスター"
META_MEASURE_IDS = "取組ID"
META_KPI_IDS = "KPI_ID"
META_AREA_IDS = "施策ID"  # 効果検証 only: the 施策 whose evaluation the department writes
# 効果検証 only: the choice lists of the drop-downs, each a label in row 1 and its values below, one per row
META_DIRECTION_SCALE = "今後の方向性の選択肢"
META_REASON_SCALE = "評価不能の理由の選択肢"
META_TOOL = "ツール"
META_STATUS_SCALE = "進捗状況の選択肢"  # in column C; the scale itself in column D, one per row
# one line per measure and KPI: "<ID> <digest of the locked texts the form shows for it>" (content_record)
META_CONTENT = "表示内容"

# A feedback copy (check's outputs) adds a first sheet listing the findings, and records what it added (that
# sheet, each cell's fill and comment) in a very hidden sheet, so that a copy returned by a clerk is read
# without those marks and the next copy is made without them.
FEEDBACK_SHEET = "検証結果"
FEEDBACK_RECORD_SHEET = "_検証記録"
FEEDBACK_TOOL = "kpi-report feedback/1"  # A1 of the record sheet: the record's format

GOAL_LEVEL_AREA = "（基本目標の数値目標）"  # 施策 cell of a goal-level 数値目標

FILENAME_STEM_BYTES = 150  # file systems allow 255 bytes; room is left for "(2)", ".xlsx" and a copy's suffix
_UNSAFE_FILENAME = re.compile(r'[/\\:*?"<>|\x00-\x1f]')
# names Windows reserves for devices, with any extension (CON.xlsx opens the console, not a file)
_RESERVED = re.compile(r"(?i)(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?")


def form_filename(department: str) -> str:
    """The form's file name for a department: characters file systems reject become ``_``; a very long
    name is shortened (to 150 bytes of UTF-8, about 50 Japanese characters)."""
    name = _UNSAFE_FILENAME.sub("_", department).strip(" .")
    name = name.encode()[:FILENAME_STEM_BYTES].decode(errors="ignore").strip(" .") or "_"
    reserved = _RESERVED.fullmatch(name)
    if reserved:  # the device name is the part before the first dot: CON_.xlsx, AUX_.x.xlsx
        name = f"{reserved.group(1)}_{reserved.group(2) or ''}"
    return f"{name}.xlsx"


def shared_label(measure: Measure) -> str:
    """The 共同所管 text: ``共同: 〇〇課、△△課（主担当: 〇〇課）``, or "" for a single owner."""
    if len(measure.owners) < 2:
        return ""
    return f"共同: {'、'.join(measure.owners)}（主担当: {measure.owners[0]}）"


def measure_master_values(measure: Measure) -> dict[str, str]:
    """The master texts written in a measure's 進捗 row, by column (for comparing with what comes back)."""
    values = _master_texts(measure, FORM_PROGRESS)
    values[SHARED_COLUMN] = shared_label(measure)
    return values


def kpi_master_values(kpi: Kpi, reiwa_for_2019: bool = True) -> dict[str, str]:
    """The master texts written in a KPI row, by column (for comparing with what comes back)."""
    baseline = kpi.baseline_text
    if baseline and kpi.baseline_fy is not None:
        baseline = f"{baseline}（{fy_label(kpi.baseline_fy, reiwa_for_2019)}）"
    return {
        **_master_texts(kpi, FORM_KPIS),
        "施策": kpi.area or GOAL_LEVEL_AREA,
        "基準値": baseline,
        "目標年度": fy_label(kpi.target_fy, reiwa_for_2019) if kpi.target_fy is not None else "",
    }


def _master_texts(item: Measure | Kpi, spec: Sequence[Column]) -> dict[str, str]:
    """The read-only columns of ``spec`` filled from the master item's fields (several values one per line)."""
    values: dict[str, str] = {}
    for c in spec:
        if c.field and not c.input:
            value = getattr(item, c.field)
            values[c.header] = "\n".join(value) if isinstance(value, tuple) else str(value)
    return values


def content_digest(texts: Mapping[str, str]) -> str:
    """A short digest of the locked texts one form row shows ({column: text}; surrounding blanks ignored)."""
    canonical = "\x1e".join(f"{column}\x1f{texts[column].strip()}" for column in sorted(texts))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def content_record(plan_items: Sequence[tuple[str, Mapping[str, str]]]) -> str:
    """The _meta 表示内容 value: one line ``<ID> <digest>`` per (ID, shown texts)."""
    return "\n".join(f"{item_id} {content_digest(texts)}" for item_id, texts in plan_items)


def parse_content_record(value: str) -> dict[str, str]:
    """{ID: digest} from a _meta 表示内容 value (lines that do not parse are ignored)."""
    record: dict[str, str] = {}
    for line in value.splitlines():
        item_id, _, digest = line.strip().rpartition(" ")
        if item_id and digest:
            record[item_id] = digest
    return record
