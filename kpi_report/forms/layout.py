"""What a department form looks like: its sheets, header row, columns and the record it keeps in _meta.

The fixed points that ``check`` and programs filling forms rely on. The form writer lays its sheets out by this
module and ``check`` reads returned forms by it; neither depends on the other. The columns themselves are
declared in :mod:`kpi_report.core.columns` (``FORM_PROGRESS``, ``FORM_KPIS``).
"""

from __future__ import annotations

import re

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
    REMARKS_COLUMN,
    SHARED_COLUMN,
    STATUS_COLUMN,
)

__all__ = [
    "ACTUAL_COLUMN",
    "FIRST_DATA_ROW",
    "FORM_KPIS",
    "FORM_PROGRESS",
    "FORM_VERSION",
    "HEADER_ROW",
    "INSTRUCTIONS_SHEET",
    "KPI_COLUMNS",
    "KPI_ID_COLUMN",
    "KPI_INPUT_COLUMNS",
    "KPI_SHEET",
    "MEASURE_ID_COLUMN",
    "META_DEPARTMENT",
    "META_FORMAT",
    "META_FY",
    "META_KPI_IDS",
    "META_MASTER",
    "META_MEASURE_IDS",
    "META_SHEET",
    "META_STATUS_SCALE",
    "META_TOOL",
    "NOTES_COLUMN",
    "PREVIOUS_ACTUAL_COLUMN",
    "PREVIOUS_NOTES_COLUMN",
    "PROGRESS_COLUMNS",
    "PROGRESS_INPUT_COLUMNS",
    "PROGRESS_SHEET",
    "REMARKS_COLUMN",
    "SHARED_COLUMN",
    "STATUS_COLUMN",
    "form_filename",
]

FORM_VERSION = "kpi-report/1"  # _meta 様式: bump when the layout changes incompatibly

INSTRUCTIONS_SHEET = "記入方法"
PROGRESS_SHEET = "進捗"
KPI_SHEET = "KPI"
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
META_TOOL = "ツール"
META_STATUS_SCALE = "進捗状況の選択肢"  # in column C; the scale itself in column D, one per row

FILENAME_STEM_BYTES = 150  # file systems allow 255 bytes; room is left for "(2)", ".xlsx" and a copy's suffix
_UNSAFE_FILENAME = re.compile(r'[/\\:*?"<>|\x00-\x1f]')


def form_filename(department: str) -> str:
    """The form's file name for a department: characters file systems reject become ``_``; a very long
    name is shortened (to 150 bytes of UTF-8, about 50 Japanese characters)."""
    name = _UNSAFE_FILENAME.sub("_", department).strip(" .")
    name = name.encode()[:FILENAME_STEM_BYTES].decode(errors="ignore").strip(" .") or "_"
    return f"{name}.xlsx"
