"""`kpi-report init`: a new project folder with a blank master workbook."""

from __future__ import annotations

import io
from pathlib import Path

from kpi_report.core.columns import MASTER_KPIS, MASTER_MEASURES, MASTER_SETTINGS, optional, required
from kpi_report.core.errors import OutputError, UsageError
from kpi_report.core.files import new_xlsx, write_atomic
from kpi_report.plan.master import KPI_SHEET, MEASURE_SHEET, SETTINGS_SHEET

INSTRUCTIONS = (
    "このブックは計画の取組とKPIの一覧（マスター）です。企画担当課が管理します。",
    "",
    f"シート『{MEASURE_SHEET}』: 1行に1つの取組。必須列: {'・'.join(required(MASTER_MEASURES))}。任意列: {'・'.join(optional(MASTER_MEASURES))}。",
    "  取組IDは一度決めたら変えないでください（年度をまたいで記入内容を結び付けるキーです）。",
    "  所管課・関連課・予算事業コードが複数あるときは、セル内改行（Alt+Enter）か「、」で区切ります。先頭の所管課が主担当です。",
    "  番号を空欄にすると、施策ごとに 1, 2, 3 … と自動で振られます。区分は 継続・新規・拡充・検討 のいずれかです。",
    "  予算事業コードは先頭の0が消えないよう、文字列（書式「文字列」）で入力してください。",
    f"シート『{KPI_SHEET}』: 1行に1つの指標。必須列: {'・'.join(required(MASTER_KPIS))}。任意列: {'・'.join(optional(MASTER_KPIS))}。",
    "  施策を空欄にすると基本目標の数値目標になります。方向は 増加・減少・維持 のいずれかです。",
    "  基準値・目標値は「45人」「73.2%」「－」「55% ※平成32年世論調査」のように書けます。",
    "  年度は 2019、R1、令和元年度、H31 などの形で書けます。",
    f"シート『{SETTINGS_SHEET}』: A列に項目名、B列に値。和暦は「令和元年度」または「平成31年度」（2019年度の表記）。",
    "",
    "列は見出し名で探すので、順番は自由です。知らない列はそのまま残り、無視されます。空行は読み飛ばします。",
    "入力後、コマンド `kpi-report plan` で確認できます。",
)


def write_blank_project(root: Path) -> Path:
    """Create ``root`` with inputs/master.xlsx (headers, one example row per sheet, instructions).

    Raises:
        UsageError: ``root`` is a file, or the folder already holds a master workbook.
        OutputError: the folder cannot be created or written.
    """
    master = root / "inputs" / "master.xlsx"
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} はファイルです。新しいプロジェクトのフォルダー名を指定してください。")
    if master.exists():
        raise UsageError(f"{master} はすでにあります。上書きしないよう、別のフォルダーを指定してください。")
    buffer = io.BytesIO()
    workbook = new_xlsx(buffer)
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = workbook.add_format({"num_format": "@", "text_wrap": True, "valign": "top"})
    sheet = workbook.add_worksheet("説明")
    sheet.set_column(0, 0, 120)
    for row, line in enumerate(INSTRUCTIONS):
        sheet.write_string(row, 0, line)
    for name, spec in ((MEASURE_SHEET, MASTER_MEASURES), (KPI_SHEET, MASTER_KPIS)):
        ws = workbook.add_worksheet(name)
        ws.freeze_panes(1, 0)
        for col, column in enumerate(spec):
            ws.set_column(col, col, column.width, text)
            ws.write_string(0, col, column.header, bold)
            ws.write_string(1, col, column.example, text)
    ws = workbook.add_worksheet(SETTINGS_SHEET)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 60, text)
    for row, setting in enumerate(MASTER_SETTINGS):
        ws.write_string(row, 0, setting.key, bold)
        ws.write_string(row, 1, setting.example, text)
    workbook.close()
    try:
        (root / "outputs").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"フォルダー {root} を作成できません（{exc.strerror or exc}）。書き込める場所を指定してください。"
        ) from exc
    write_atomic(master, buffer.getvalue())
    return root
