"""`kpi-report forms`: one standardized workbook per department (所管課) for its clerks to fill in.

The layout is fixed, because ``check`` and programs that fill forms rely on it: the sheet names, the header row
and the _meta record are in :mod:`kpi_report.forms.layout`, the columns in :mod:`kpi_report.core.columns`.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpi_report.core.achievement import evaluate_kpi, format_rate
from kpi_report.core.cellmetrics import line_count, pixel_line_capacity, row_height
from kpi_report.core.columns import (
    AREA_ISSUES_COLUMN,
    AREA_KPIS_COLUMN,
    AREA_STATUSES_COLUMN,
    BUDGET_COLUMN,
    DIRECTION_COLUMN,
    FACTORS_COLUMN,
    FORM_AREA_EVALUATION,
    FORM_KPIS,
    FORM_PROGRESS,
    ISSUES_COLUMN,
    NOT_EVALUABLE_COLUMN,
    PREVIOUS_AREA_ISSUES_COLUMN,
    PREVIOUS_DIRECTION_COLUMN,
    RESPONSE_COLUMN,
    SETTLEMENT_COLUMN,
    Column,
    kpi_columns,
    progress_columns,
)
from kpi_report.core.files import FIXED_CREATED, new_xlsx, write_atomic, write_json_atomic
from kpi_report.core.fiscal import date_label, fy_heading, fy_label
from kpi_report.core.model import (
    NOT_EVALUABLE,
    UNREPORTED,
    AreaEntry,
    CheckReport,
    Kpi,
    KpiEntry,
    Measure,
    MeasureEntry,
    Plan,
    PolicyArea,
    Progress,
)
from kpi_report.core.project import Project
from kpi_report.core.values import cell_text, clean_text, column_letters
from kpi_report.core.version import __version__
from kpi_report.forms.layout import (
    ACTUAL_COLUMN,
    AREA_SHEET,
    FORM_VERSION,
    HEADER_ROW,
    INSTRUCTIONS_SHEET,
    KPI_ID_COLUMN,
    KPI_SHEET,
    MEASURE_ID_COLUMN,
    META_AREA_IDS,
    META_CONTENT,
    META_DEPARTMENT,
    META_DIRECTION_SCALE,
    META_FORMAT,
    META_FY,
    META_KPI_IDS,
    META_MASTER,
    META_MEASURE_IDS,
    META_REASON_SCALE,
    META_SHEET,
    META_STATUS_SCALE,
    META_TOOL,
    NOTES_COLUMN,
    PREVIOUS_ACTUAL_COLUMN,
    PREVIOUS_NOTES_COLUMN,
    PREVIOUS_REMARKS_COLUMN,
    PROGRESS_SHEET,
    REMARKS_COLUMN,
    SHARED_COLUMN,
    STATUS_COLUMN,
    content_record,
    form_filename,
    kpi_master_values,
    measure_master_values,
)

_META_SCALE_COLUMN = "D"
_META_DIRECTION_COLUMN = "F"  # 効果検証: the label in E1, the values in F
_META_REASON_COLUMN = "H"  # 効果検証: the label in G1, the values in H

# 提出期限 when neither 設定 nor forms --deadline gives one: left for the planning section to fill in by hand
BLANK_DEADLINE = "　　年　　月　　日"
FORMS_DIR = "forms"
INDEX_FILE = "index.json"

_PROGRESS_WIDTHS = {c.header: c.width for c in FORM_PROGRESS}
_KPI_WIDTHS = {c.header: c.width for c in FORM_KPIS}
# 記入方法's one column: within the portrait page's 523 pt even where LibreOffice lacks Calibri (Carlito) and
# sizes columns by a wider default font (7 pt a unit: 84 units were cut by a character a line when printed)
_INSTRUCTIONS_WIDTH = 72
_NOTES_MIN_LINES = 4  # room to type in 実施状況 even for a measure with a short description
_ACTUAL_LIMIT = 999_999_999_999  # the decimal validation accepts any plausible number
_AREA_MIN_LINES = 5  # room to type the 施策's analysis

# colours: grey = read-only, orange header = input column, yellow = required and still blank
_GREY, _INPUT_HEADER, _HEADER, _MISSING, _SHARED_TEXT = "#EDEDED", "#F8CBAD", "#D9E1F2", "#FFF2CC", "#1F4E79"


def _row_height(cells: Iterable[tuple[str, float]], font_size: float = 10, min_lines: int = 1) -> float:
    """A row height in points that shows every (text, column width) cell unclipped, at least ``min_lines`` high.

    Written explicitly because neither Excel nor LibreOffice reliably autofits wrapped rows when opening a file.
    """
    lines = max(
        [
            min_lines,
            *(
                line_count(text, width, capacity=pixel_line_capacity(width, font_size))
                for text, width in cells
            ),
        ]
    )
    return row_height(lines, line_pt=font_size * 1.6)  # roomy line spacing: the cells are typed in


def previous_notes_text(entry: MeasureEntry, reiwa_for_2019: bool = True) -> str:
    """Last year's report of a measure as shown read-only in 前年度の実施状況: heading, status, points."""
    heading = fy_heading(entry.fy, reiwa_for_2019) + (f"（{entry.status}）" if entry.status else "")
    points = [p if p.startswith("《") else f"・{p}" for p in entry.notes]
    return "\n".join([heading, *points])


def actual_input_message(unit: str) -> str:
    """The input message of a 実績値 cell, stating the KPI's unit."""
    if not unit:
        return "数値のみ入力（未集計は空欄）"
    message = f"単位: {unit}。数値のみ入力（未集計は空欄）"
    if unit == "%":
        message += "。「%」は付けず 73.2 のように入力"
    return message


@dataclass(frozen=True)
class _Previous:
    """Last fiscal year's accepted entries, looked up by (department, ID)."""

    notes: dict[tuple[str, str], MeasureEntry]
    actuals: dict[str, KpiEntry]
    areas: dict[str, AreaEntry] = field(default_factory=dict)  # 施策ID -> last year's evaluation (効果検証)
    fy: int | None = None  # the fiscal year of these entries

    @classmethod
    def of(cls, report: CheckReport | None) -> _Previous:
        if report is None:
            return cls({}, {})
        notes = {(e.department, e.measure_id): e for e in report.measure_entries}
        actuals: dict[str, KpiEntry] = {}
        for k in report.kpi_entries:
            actuals.setdefault(k.kpi_id, k)
        areas: dict[str, AreaEntry] = {}
        for a in report.area_entries:
            areas.setdefault(a.area_id, a)
        return cls(notes, actuals, areas, report.fy)


class _Styles:
    """The workbook's cell formats, created once per workbook (xlsxwriter formats are per workbook)."""

    def __init__(self, wb: Any) -> None:
        cell = {"border": 1, "border_color": "#A6A6A6", "valign": "top", "text_wrap": True, "font_size": 10}
        locked = {**cell, "bg_color": _GREY, "locked": True}
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.hint = wb.add_format({"font_size": 10, "font_color": "#404040"})
        self.header = wb.add_format(
            {**cell, "bold": True, "bg_color": _HEADER, "align": "center", "valign": "vcenter"}
        )
        self.input_header = wb.add_format(
            {**cell, "bold": True, "bg_color": _INPUT_HEADER, "align": "center", "valign": "vcenter"}
        )
        self.locked = wb.add_format(locked)
        self.locked_center = wb.add_format({**locked, "align": "center"})
        self.shared = wb.add_format({**locked, "bold": True, "font_color": _SHARED_TEXT})
        self.locked_integer = wb.add_format({**locked, "num_format": "#,##0"})
        self.locked_decimal = wb.add_format({**locked, "num_format": "#,##0.0##"})
        self.input = wb.add_format({**cell, "locked": False, "bg_color": "#FFFFFF"})
        self.input_number = wb.add_format(
            {**cell, "locked": False, "bg_color": "#FFFFFF", "text_wrap": False}
        )
        self.missing = wb.add_format({"bg_color": _MISSING})
        self.text = wb.add_format({"text_wrap": True, "valign": "top", "font_size": 11})
        self.text_bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "font_size": 11})
        self.deadline = wb.add_format(
            {"locked": False, "bold": True, "border": 1, "bg_color": "#FFFFFF", "font_size": 11}
        )


def _protect(ws: Any) -> None:
    """Protect a sheet without a password: only unlocked cells take input; widths and heights may change."""
    ws.protect(
        "",
        {
            "format_columns": True,
            "format_rows": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )


def _print_setup(ws: Any) -> None:
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.repeat_rows(0, HEADER_ROW - 1)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C&P / &N")
    ws.freeze_panes(HEADER_ROW, 0)


def _input_sheet(
    wb: Any,
    styles: _Styles,
    sheet: str,
    title: str,
    hint: str,
    spec: Sequence[Column],
) -> tuple[Any, dict[str, int]]:
    """A sheet with its title, its input hint and the header row (input columns marked); returns the sheet and
    {column name: column number}."""
    ws = wb.add_worksheet(sheet)
    ws.write_string(0, 0, title, styles.title)
    ws.write_string(1, 0, hint, styles.hint)
    ws.set_row(0, 24)
    ws.set_row(HEADER_ROW - 1, 30)
    for col, c in enumerate(spec):
        ws.set_column(col, col, c.width)
        ws.write_string(HEADER_ROW - 1, col, c.header, styles.input_header if c.input else styles.header)
    return ws, {c.header: i for i, c in enumerate(spec)}


def _write_instructions(
    wb: Any, styles: _Styles, plan: Plan, fy: int, department: str, measures: int, kpis: int
) -> None:
    label = fy_label(fy, plan.settings.reiwa_for_2019)
    notes_max = plan.settings.notes_max_chars
    ws = wb.add_worksheet(INSTRUCTIONS_SHEET)
    ws.set_column(0, 0, _INSTRUCTIONS_WIDTH)
    ws.hide_gridlines(2)
    kpi_part = f"、シート『{KPI_SHEET}』に KPI {kpis} 件" if kpis else ""
    submit_to = plan.settings.submit_to
    deadline = date_label(plan.settings.deadline) if plan.settings.deadline else BLANK_DEADLINE
    lines: list[tuple[str, str]] = [
        ("title", f"{label} 進捗状況記入様式　記入方法"),
        ("text", f"計画: {plan.settings.plan_name}"),
        ("text", f"所管課: {department}"),
        ("deadline", f"提出期限: {deadline}　提出先: {submit_to}"),
        ("text", ""),
        ("bold", "この記入様式について"),
        (
            "text",
            f"あなたの課が所管する取組と指標の、{label}の実績を記入する様式です。"
            f"シート『{PROGRESS_SHEET}』に取組 {measures} 件{kpi_part}が並んでいます。",
        ),
        (
            "text",
            f"入力できるのはオレンジ色の見出しの列の白いセルだけです。灰色のセルはマスター（{submit_to}の取組一覧）の"
            "内容で、変更できません。まだ入力していない必須のセルは黄色で表示されます。",
        ),
        ("text", ""),
        ("bold", f"1. シート『{PROGRESS_SHEET}』"),
        (
            "text",
            f"・{STATUS_COLUMN}: セルを選ぶと出る▼から選んでください（{'、'.join(plan.settings.statuses)}）。",
        ),
        (
            "text",
            f"・{NOTES_COLUMN}: {label}に実施したことを、1行に1項目で書いてください。セル内の改行は Alt+Enter"
            "（Mac は option+command+return）です。行頭の「・」は付けても付けなくてもかまいません。",
        ),
        (
            "text",
            f"　{notes_max:,} 文字まで入力できます。小見出しを付けるときは《小見出し》のように1行で書きます。",
        ),
        (
            "text",
            "・実績がない場合は空欄にせず、「実績なし」と書いて、続けて理由や今後の予定を書いてください。",
        ),
        (
            "text",
            f"・{PREVIOUS_NOTES_COLUMN}: 前年度にあなたの課が報告した内容です（参考）。"
            "書き写さず、今年度の内容に更新して記入してください。",
        ),
        (
            "text",
            f"・{SHARED_COLUMN}: 複数の課が所管する取組です。各課がそれぞれの実施内容を記入してください"
            "（主担当の課だけでなく、共同所管の課も記入します）。",
        ),
    ]
    if kpis:
        lines += [
            ("text", ""),
            ("bold", f"2. シート『{KPI_SHEET}』"),
            (
                "text",
                f"・{ACTUAL_COLUMN}: {label}の実績を数値だけで入力してください。単位（人、件、% など）や「約」は"
                "付けません。セルを選ぶと単位が表示されます。未集計の場合は空欄のままにし、備考に理由を書いてください。",
            ),
            (
                "text",
                f"・{REMARKS_COLUMN}: 集計方法の変更、数値の補足などがあれば書いてください（任意）。"
                "備考は一覧表と年次報告書に実績値とともに掲載され、翌年度の記入様式に前年度備考として表示されます。",
            ),
        ]
    if plan.settings.evaluation:
        lines += _evaluation_instructions(plan, department, kpis)
    lines += [
        ("text", ""),
        ("bold", "してはいけないこと"),
        (
            "text",
            "・行や列、シートの追加・削除・並べ替え、見出しの変更、取組ID・KPI_ID の変更はしないでください。",
        ),
        (
            "text",
            "・ファイルにパスワードを付けないでください。.xlsx 形式のまま保存してください（.xls などにしない）。",
        ),
        ("text", "・他の課の記入様式と内容をまとめたり、別の年度の記入様式を使い回したりしないでください。"),
        ("text", ""),
        ("bold", "提出と確認"),
        (
            "text",
            f"・記入したファイルを提出期限までに{submit_to}へ提出してください。ファイル名は変えてもかまいません"
            "（年度・所管課はファイルの中に記録されています）。",
        ),
        (
            "text",
            f"・提出されたファイルは、{submit_to}で自動的に検証します。直すところがあれば、"
            "該当するセルに色とコメントを付けたファイルが返送されますので、修正して再提出してください。",
        ),
    ]
    formats = {
        "title": styles.title,
        "text": styles.text,
        "bold": styles.text_bold,
        "deadline": styles.deadline,
    }
    for row, (kind, text) in enumerate(lines):
        if text:
            ws.write_string(row, 0, text, formats[kind])
            size = 14 if kind == "title" else 11
            ws.set_row(row, _row_height([(text, _INSTRUCTIONS_WIDTH)], font_size=size))
    _protect(ws)
    ws.set_paper(9)
    ws.set_portrait()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    ws.print_area(0, 0, len(lines) - 1, 0)  # fit to width scales the text column only


def _evaluation_instructions(plan: Plan, department: str, kpis: int) -> list[tuple[str, str]]:
    """The 記入方法 lines of the 効果検証 inputs (only in plans that use them)."""
    s = plan.settings
    lines: list[tuple[str, str]] = [
        ("text", ""),
        ("bold", "効果検証（取組の方向性・評価できないKPI・施策の評価）"),
        (
            "text",
            f"・シート『{PROGRESS_SHEET}』の{DIRECTION_COLUMN}: 来年度以降この取組をどうするかを▼から選んでください"
            f"（{'、'.join(s.directions)}）。{PREVIOUS_DIRECTION_COLUMN}は前年度に選んだ方向性です（参考）。",
        ),
        ("text", f"・{ISSUES_COLUMN}: 課題と、それに対して今後どう取り組むかを書いてください（任意）。"),
    ]
    if s.budgets:
        lines.append(
            (
                "text",
                f"・{BUDGET_COLUMN}・{SETTLEMENT_COLUMN}: 取組の事業費を千円単位の整数で入力してください"
                "（1,200千円なら 1200）。事業費がなければ 0 と入力します。",
            )
        )
    if kpis:
        lines.append(
            (
                "text",
                f"・シート『{KPI_SHEET}』の{NOT_EVALUABLE_COLUMN}: 統計が未公表、調査の年でない、事業が終了した"
                f"などで実績値を書けない年は、実績値を空欄のまま▼から理由を選んでください（{'、'.join(s.not_evaluable_reasons)}）。"
                "実績値も理由もない行はエラーになります。",
            )
        )
    if plan.policy_areas_led_by(department):
        lines.append(
            (
                "text",
                f"・シート『{AREA_SHEET}』: あなたの課が主管課の施策ごとに、{FACTORS_COLUMN}（KPIが動いた理由）、"
                f"{AREA_ISSUES_COLUMN}、{DIRECTION_COLUMN}を書き、前年度の方向性があれば{RESPONSE_COLUMN}"
                "（前年度の方針を受けて行ったこと）も書いてください。灰色の列は前年度の結果です（参考）。",
            )
        )
    return lines


def _write_progress(
    wb: Any,
    styles: _Styles,
    plan: Plan,
    fy: int,
    department: str,
    measures: Sequence[Measure],
    prev: _Previous,
) -> None:
    settings = plan.settings
    spec = progress_columns(settings)
    typed = "・".join(c.header for c in spec if c.input)
    ws, col = _input_sheet(
        wb,
        styles,
        PROGRESS_SHEET,
        f"{fy_label(fy, settings.reiwa_for_2019)} 進捗状況記入様式　{department}",
        f"オレンジ色の見出しの列（{typed}）に入力してください。"
        "灰色のセルは変更できません。未入力のセルは黄色で表示されます。",
        spec,
    )
    centered = {MEASURE_ID_COLUMN, "番号", "区分"}
    for offset, measure in enumerate(measures):
        row = HEADER_ROW + offset  # 0-based row of this measure
        for name, text in measure_master_values(measure).items():
            style = styles.shared if name == SHARED_COLUMN else styles.locked
            ws.write_string(row, col[name], text, styles.locked_center if name in centered else style)
        entry = prev.notes.get((department, measure.id))
        previous = previous_notes_text(entry, settings.reiwa_for_2019) if entry else ""
        ws.write_string(row, col[PREVIOUS_NOTES_COLUMN], previous, styles.locked)
        ws.write_blank(row, col[STATUS_COLUMN], None, styles.input)
        ws.write_blank(row, col[NOTES_COLUMN], None, styles.input)
        if settings.evaluation:  # 効果検証: last year's direction carried forward beside this year's inputs
            carried = entry.direction if entry else ""
            ws.write_string(row, col[PREVIOUS_DIRECTION_COLUMN], carried, styles.locked_center)
            ws.write_blank(row, col[DIRECTION_COLUMN], None, styles.input)
            ws.write_blank(row, col[ISSUES_COLUMN], None, styles.input)
            if settings.budgets:
                ws.write_blank(row, col[BUDGET_COLUMN], None, styles.input_number)
                ws.write_blank(row, col[SETTLEMENT_COLUMN], None, styles.input_number)
        cells = [*measure_master_values(measure).items(), (PREVIOUS_NOTES_COLUMN, previous)]
        texts = [(text, _PROGRESS_WIDTHS[name]) for name, text in cells]
        ws.set_row(row, _row_height(texts, min_lines=_NOTES_MIN_LINES))
    if measures:
        first, last = HEADER_ROW, HEADER_ROW + len(measures) - 1
        status_col, notes_col = col[STATUS_COLUMN], col[NOTES_COLUMN]
        ws.data_validation(first, status_col, last, status_col, _status_validation(settings.statuses))
        ws.data_validation(
            first,
            notes_col,
            last,
            notes_col,
            {
                "validate": "length",
                "criteria": "<=",
                "value": settings.notes_max_chars,
                "ignore_blank": True,
                "input_title": NOTES_COLUMN,
                "input_message": "1行に1項目で書いてください。セル内の改行は Alt+Enter です。"
                f"実績がない場合は「実績なし」と理由を書いてください（{settings.notes_max_chars:,}文字まで）。",
                "error_title": "文字数が多すぎます",
                "error_message": f"{NOTES_COLUMN}は {settings.notes_max_chars:,} 文字以内で入力してください。"
                "要点を1行に1項目でまとめてください。",
                "error_type": "stop",
            },
        )
        ws.conditional_format(
            first, status_col, last, notes_col, {"type": "blanks", "format": styles.missing}
        )
        if settings.evaluation:
            _evaluation_inputs(ws, styles, settings.directions, settings.budgets, col, first, last)
    _print_setup(ws)
    _protect(ws)


def _status_validation(statuses: Sequence[str]) -> dict[str, Any]:
    listed = "、".join(statuses)
    # a comma splits the written list, and a " ends its string: such a scale is pointed at in _meta instead
    inline = len(",".join(statuses)) <= 255 and not any("," in s or '"' in s for s in statuses)
    choices: dict[str, Any] = {"source": list(statuses)}
    if not inline:  # Excel's limit for a list written into the rule: point at the copy kept in _meta
        choices = {"source": f"='{META_SHEET}'!${_META_SCALE_COLUMN}$1:${_META_SCALE_COLUMN}${len(statuses)}"}
    return {
        "validate": "list",
        **choices,
        "ignore_blank": True,
        "input_title": STATUS_COLUMN,
        "input_message": "▼をクリックして一覧から選んでください。",
        "error_title": "一覧にない値です",
        "error_message": f"{STATUS_COLUMN}は一覧から選んでください: {listed}"[:255],
        "error_type": "stop",
    }


def _letter(col: int) -> str:
    """The column letter of a 0-based xlsxwriter column."""
    return column_letters(col + 1)


def _choice_validation(title: str, choices: Sequence[str], meta_column: str, message: str) -> dict[str, Any]:
    """A drop-down of ``choices`` (効果検証 lists); a list too long to write into the rule points at _meta."""
    inline = len(",".join(choices)) <= 255 and not any("," in c or '"' in c for c in choices)
    source: dict[str, Any] = {"source": list(choices)}
    if not inline:
        source = {"source": f"='{META_SHEET}'!${meta_column}$1:${meta_column}${len(choices)}"}
    return {
        "validate": "list",
        **source,
        "ignore_blank": True,
        "input_title": title[:32],
        "input_message": message[:255],
        "error_title": "一覧にない値です",
        "error_message": f"{title}は一覧から選んでください: {'、'.join(choices)}"[:255],
        "error_type": "stop",
    }


def _evaluation_inputs(
    ws: Any,
    styles: _Styles,
    directions: Sequence[str],
    budgets: bool,
    col: dict[str, int],
    first: int,
    last: int,
) -> None:
    """進捗's 効果検証 inputs: the 今後の方向性 drop-down, and 予算額・決算額 as whole numbers of 千円 (≥ 0)."""
    direction_col = col[DIRECTION_COLUMN]
    ws.data_validation(
        first,
        direction_col,
        last,
        direction_col,
        _choice_validation(
            DIRECTION_COLUMN,
            directions,
            _META_DIRECTION_COLUMN,
            f"▼をクリックして、来年度以降この取組をどうするかを選んでください（{'、'.join(directions)}）。",
        ),
    )
    ws.conditional_format(
        first, direction_col, last, direction_col, {"type": "blanks", "format": styles.missing}
    )
    if not budgets:
        return
    budget_col, settlement_col = col[BUDGET_COLUMN], col[SETTLEMENT_COLUMN]
    for money_col, name in ((budget_col, BUDGET_COLUMN), (settlement_col, SETTLEMENT_COLUMN)):
        ws.data_validation(
            first,
            money_col,
            last,
            money_col,
            {
                "validate": "integer",
                "criteria": "between",
                "minimum": 0,
                "maximum": _ACTUAL_LIMIT,
                "ignore_blank": True,
                "input_title": name,
                "input_message": "千円単位の整数で入力してください（1,200千円なら 1200）。事業費がなければ 0。",
                "error_title": "千円単位の整数を入力してください",
                "error_message": f"{name}は 0 以上の整数（千円単位）で入力してください。"
                "「円」「千円」などの単位は付けません。",
                "error_type": "stop",
            },
        )
        ws.conditional_format(first, money_col, last, money_col, {"type": "blanks", "format": styles.missing})


def area_kpi_text(plan: Plan, area: PolicyArea, previous: CheckReport | None) -> str:
    """施策評価's read-only KPIの状況（前年度）: each KPI of the 施策 with last year's actual, rate and grade.

    Forms are made before this year's actuals exist, so the context is last year's accepted entries, graded by
    the plan's scheme and method (core.achievement.evaluate_kpi)."""
    return _area_kpi_text(plan, area, _Previous.of(previous))


def _area_kpi_text(plan: Plan, area: PolicyArea, prev: _Previous) -> str:
    s = plan.settings
    kpis = [k for k in plan.kpis if k.goal == area.goal and k.area == area.title]
    if not kpis:
        return "（この施策のKPIはありません）"
    lines: list[str] = []
    for kpi in kpis:
        entry = prev.actuals.get(kpi.id)
        if prev.fy is None or entry is None or (entry.actual is None and not entry.not_evaluable):
            lines.append(f"・{kpi.name}: 前年度の実績なし")
            continue
        result = evaluate_kpi(
            kpi,
            entry.actual,
            prev.fy,
            s.scheme,
            s.method,
            entry.not_evaluable,
            s.maintain_tolerance,
            s.start_fy,
        )
        if result.grade == NOT_EVALUABLE:
            lines.append(f"・{kpi.name}: {NOT_EVALUABLE}（{result.not_evaluable}）")
            continue
        value = f"{cell_text(entry.actual)}{kpi.unit}"
        lines.append(
            f"・{kpi.name}: {value}（達成率 {format_rate(result.rate)}・評価 {result.grade or '－'}）"
        )
    return "\n".join(lines)


def _area_status_text(plan: Plan, area: PolicyArea, prev: _Previous) -> str:
    """施策評価's read-only 取組の進捗（前年度）: last year's 進捗状況 of the 施策's measures, counted."""
    measures = [m for m in plan.measures if m.goal == area.goal and m.area == area.title]
    if not measures:
        return "（この施策の取組はありません）"
    counts: dict[str, int] = {s: 0 for s in plan.settings.statuses}
    for measure in measures:
        reported = (prev.notes.get((d, measure.id)) for d in measure.owners)
        status = next((e.status for e in reported if e is not None and e.status), UNREPORTED)
        counts[status] = counts.get(status, 0) + 1
    shown = "、".join(f"{s} {n}" for s, n in counts.items() if n)
    return f"{shown}（全{len(measures)}件）"


def _write_areas(
    wb: Any,
    styles: _Styles,
    plan: Plan,
    fy: int,
    department: str,
    areas: Sequence[PolicyArea],
    prev: _Previous,
) -> None:
    """The 主管課's sheet 施策評価: one row per 施策 it leads, last year's results beside this year's inputs."""
    settings = plan.settings
    ws, col = _input_sheet(
        wb,
        styles,
        AREA_SHEET,
        f"{fy_label(fy, settings.reiwa_for_2019)} 施策評価記入様式　{department}",
        f"主管課として、オレンジ色の見出しの列（{FACTORS_COLUMN}・{AREA_ISSUES_COLUMN}・{DIRECTION_COLUMN}・"
        f"{RESPONSE_COLUMN}）に入力してください。灰色のセルは前年度の結果です（参考）。",
        FORM_AREA_EVALUATION,
    )
    widths = {c.header: c.width for c in FORM_AREA_EVALUATION}
    for offset, area in enumerate(areas):
        row = HEADER_ROW + offset
        last_year = prev.areas.get(area.id)
        texts = {
            "施策ID": area.id,
            "基本目標": area.goal,
            "施策": area.title,
            AREA_KPIS_COLUMN: _area_kpi_text(plan, area, prev),
            AREA_STATUSES_COLUMN: _area_status_text(plan, area, prev),
            PREVIOUS_DIRECTION_COLUMN: last_year.direction if last_year else "",
            PREVIOUS_AREA_ISSUES_COLUMN: last_year.issues if last_year else "",
        }
        centered = {"施策ID", PREVIOUS_DIRECTION_COLUMN}
        for name, text in texts.items():
            ws.write_string(row, col[name], text, styles.locked_center if name in centered else styles.locked)
        for name in (FACTORS_COLUMN, AREA_ISSUES_COLUMN, DIRECTION_COLUMN, RESPONSE_COLUMN):
            ws.write_blank(row, col[name], None, styles.input)
        ws.set_row(row, _row_height([(t, widths[n]) for n, t in texts.items()], min_lines=_AREA_MIN_LINES))
    first, last = HEADER_ROW, HEADER_ROW + len(areas) - 1
    direction_col = col[DIRECTION_COLUMN]
    ws.data_validation(
        first,
        direction_col,
        last,
        direction_col,
        _choice_validation(
            DIRECTION_COLUMN,
            settings.directions,
            _META_DIRECTION_COLUMN,
            f"▼をクリックして、施策の今後の方向性を選んでください（{'、'.join(settings.directions)}）。",
        ),
    )
    ws.conditional_format(
        first, col[FACTORS_COLUMN], last, direction_col, {"type": "blanks", "format": styles.missing}
    )
    response = col[RESPONSE_COLUMN]  # required only where last year decided a direction
    carried = f"${_letter(col[PREVIOUS_DIRECTION_COLUMN])}{HEADER_ROW + 1}"
    ws.conditional_format(
        first,
        response,
        last,
        response,
        {
            "type": "formula",
            "criteria": f'=AND(ISBLANK(${_letter(response)}{HEADER_ROW + 1}),{carried}<>"")',
            "format": styles.missing,
        },
    )
    _print_setup(ws)
    _protect(ws)


def _write_kpis(
    wb: Any, styles: _Styles, plan: Plan, fy: int, department: str, kpis: Sequence[Kpi], prev: _Previous
) -> None:
    settings = plan.settings
    hint = (
        f"オレンジ色の見出しの列（{ACTUAL_COLUMN}・{REMARKS_COLUMN}）に入力してください。"
        f"{ACTUAL_COLUMN}は数値のみ（単位は付けない）、未集計は空欄です。"
    )
    if settings.evaluation:
        hint = (
            f"オレンジ色の見出しの列（{ACTUAL_COLUMN}・{REMARKS_COLUMN}・{NOT_EVALUABLE_COLUMN}）に入力してください。"
            f"{ACTUAL_COLUMN}は数値のみ（単位は付けない）。実績値を書けない年は空欄にし、{NOT_EVALUABLE_COLUMN}を選びます。"
        )
    ws, col = _input_sheet(
        wb,
        styles,
        KPI_SHEET,
        f"{fy_label(fy, settings.reiwa_for_2019)} KPI実績値記入様式　{department}",
        hint,
        kpi_columns(settings),
    )
    centered = {KPI_ID_COLUMN, "単位", "目標年度"}
    for offset, kpi in enumerate(kpis):
        row = HEADER_ROW + offset
        for name, text in kpi_master_values(kpi, settings.reiwa_for_2019).items():
            ws.write_string(row, col[name], text, styles.locked_center if name in centered else styles.locked)
        entry = prev.actuals.get(kpi.id)
        if entry is not None and entry.actual is not None:
            style = styles.locked_integer if float(entry.actual).is_integer() else styles.locked_decimal
            ws.write_number(row, col[PREVIOUS_ACTUAL_COLUMN], entry.actual, style)
        else:
            ws.write_blank(row, col[PREVIOUS_ACTUAL_COLUMN], None, styles.locked)
        previous_remarks = clean_text(entry.remarks)[0].strip() if entry is not None else ""
        if previous_remarks:
            ws.write_string(row, col[PREVIOUS_REMARKS_COLUMN], previous_remarks, styles.locked)
        else:
            ws.write_blank(row, col[PREVIOUS_REMARKS_COLUMN], None, styles.locked)
        ws.write_blank(row, col[ACTUAL_COLUMN], None, styles.input_number)
        ws.write_blank(row, col[REMARKS_COLUMN], None, styles.input)
        if settings.evaluation:
            ws.write_blank(row, col[NOT_EVALUABLE_COLUMN], None, styles.input)
        texts = [
            *kpi_master_values(kpi, settings.reiwa_for_2019).items(),
            (PREVIOUS_REMARKS_COLUMN, previous_remarks),
        ]
        ws.set_row(row, _row_height([(text, _KPI_WIDTHS[name]) for name, text in texts], min_lines=2))
        ws.data_validation(
            row,
            col[ACTUAL_COLUMN],
            row,
            col[ACTUAL_COLUMN],
            {
                "validate": "decimal",
                "criteria": "between",
                "minimum": -_ACTUAL_LIMIT,
                "maximum": _ACTUAL_LIMIT,
                "ignore_blank": True,
                "input_title": f"{ACTUAL_COLUMN}（{kpi.unit or '単位なし'}）"[:32],
                "input_message": actual_input_message(kpi.unit),
                "error_title": "数値を入力してください",
                "error_message": f"{ACTUAL_COLUMN}は数値だけを入力してください。単位や「約」は付けず、"
                "未集計の場合は空欄のままにして備考に理由を書いてください。",
                "error_type": "stop",
            },
        )
    if kpis and settings.evaluation:  # 実績値 or 評価不能の理由: both yellow while neither is given
        actual_col, reason_col = col[ACTUAL_COLUMN], col[NOT_EVALUABLE_COLUMN]
        last = HEADER_ROW + len(kpis) - 1
        both_blank = f"=AND(ISBLANK(${_letter(actual_col)}{HEADER_ROW + 1}),ISBLANK(${_letter(reason_col)}{HEADER_ROW + 1}))"
        for target in (actual_col, reason_col):
            ws.conditional_format(
                HEADER_ROW,
                target,
                last,
                target,
                {"type": "formula", "criteria": both_blank, "format": styles.missing},
            )
        reasons = settings.not_evaluable_reasons
        ws.data_validation(
            HEADER_ROW,
            reason_col,
            last,
            reason_col,
            _choice_validation(
                NOT_EVALUABLE_COLUMN,
                reasons,
                _META_REASON_COLUMN,
                f"実績値を書けない年だけ選びます（実績値が空欄なら必須）。{'、'.join(reasons)}",
            ),
        )
    elif kpis:
        actual_col = col[ACTUAL_COLUMN]
        ws.conditional_format(
            HEADER_ROW,
            actual_col,
            HEADER_ROW + len(kpis) - 1,
            actual_col,
            {"type": "blanks", "format": styles.missing},
        )
    _print_setup(ws)
    _protect(ws)


def meta_record(plan: Plan, fy: int, department: str) -> tuple[tuple[str, str | int], ...]:
    """The _meta rows of a department's form: (key, value), in order."""
    return (
        (META_FORMAT, FORM_VERSION),
        (META_FY, fy),
        (META_DEPARTMENT, department),
        (META_MASTER, plan.sha256),
        (META_MEASURE_IDS, "\n".join(m.id for m in plan.measures_of(department))),
        (META_KPI_IDS, "\n".join(k.id for k in plan.kpis_of(department))),
        (META_TOOL, __version__),
        (META_CONTENT, form_content_record(plan, department)),
        *(
            ((META_AREA_IDS, "\n".join(a.id for a in plan.policy_areas_led_by(department))),)
            if plan.settings.evaluation
            else ()
        ),
    )


def form_content_record(plan: Plan, department: str) -> str:
    """The _meta 表示内容 of a department's form: a digest of the locked texts of each measure and KPI row."""
    reiwa = plan.settings.reiwa_for_2019
    return content_record(
        [
            *((m.id, measure_master_values(m)) for m in plan.measures_of(department)),
            *((k.id, kpi_master_values(k, reiwa)) for k in plan.kpis_of(department)),
        ]
    )


def _write_meta(wb: Any, plan: Plan, fy: int, department: str) -> None:
    ws = wb.add_worksheet(META_SHEET)
    for row, (key, value) in enumerate(meta_record(plan, fy, department)):
        ws.write_string(row, 0, key)
        if isinstance(value, int):
            ws.write_number(row, 1, value)
        else:
            ws.write_string(row, 1, value)
    ws.write_string(0, 2, META_STATUS_SCALE)
    for row, status in enumerate(plan.settings.statuses):
        ws.write_string(row, 3, status)
    if plan.settings.evaluation:  # the drop-downs' lists, for those too long to write into the rule
        for label_col, scale in (
            (4, (META_DIRECTION_SCALE, plan.settings.directions)),
            (6, (META_REASON_SCALE, plan.settings.not_evaluable_reasons)),
        ):
            ws.write_string(0, label_col, scale[0])
            for row, value in enumerate(scale[1]):
                ws.write_string(row, label_col + 1, value)
    ws.very_hidden()


def _lock_structure(data: bytes) -> bytes:
    """Add workbook structure protection (no password): sheets cannot be added, deleted, renamed or unhidden.

    xlsxwriter has no API for it, so the element is inserted into xl/workbook.xml; every zip entry keeps its
    fixed timestamp, so the bytes stay deterministic.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            part = zin.read(info.filename)
            if info.filename == "xl/workbook.xml":
                if b"<bookViews>" not in part:
                    raise RuntimeError("xl/workbook.xml without <bookViews>: xlsxwriter output changed")
                part = part.replace(b"<bookViews>", b'<workbookProtection lockStructure="1"/><bookViews>', 1)
            zout.writestr(info, part, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def build_form(plan: Plan, fy: int, department: str, previous: CheckReport | None = None) -> bytes:
    """The bytes of one department's form for fiscal year ``fy`` (deterministic)."""
    return _build_form(plan, fy, department, _Previous.of(previous))


def _build_form(plan: Plan, fy: int, department: str, prev: _Previous) -> bytes:
    buffer = io.BytesIO()
    wb = new_xlsx(buffer)
    label = fy_label(fy, plan.settings.reiwa_for_2019)
    wb.set_properties(
        {
            "title": f"{label} 進捗状況記入様式　{department}",
            "subject": plan.settings.plan_name,
            "comments": f"kpi-report {__version__} が作成した記入様式（{FORM_VERSION}）",
            "created": FIXED_CREATED,
        }
    )
    styles = _Styles(wb)
    measures = plan.measures_of(department)
    kpis = plan.kpis_of(department)
    _write_instructions(wb, styles, plan, fy, department, len(measures), len(kpis))
    _write_progress(wb, styles, plan, fy, department, measures, prev)
    if kpis:
        _write_kpis(wb, styles, plan, fy, department, kpis, prev)
    areas = plan.policy_areas_led_by(department) if plan.settings.evaluation else ()
    if areas:
        _write_areas(wb, styles, plan, fy, department, areas, prev)
    _write_meta(wb, plan, fy, department)
    wb.close()
    return _lock_structure(buffer.getvalue())


def write_forms(
    project: Project,
    plan: Plan,
    fy: int,
    previous: CheckReport | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Write ``outputs/<FY>/forms/<department>.xlsx`` for every department, and ``index.json`` beside them.

    Args:
        project: the project folder.
        plan: the loaded master.
        fy: the fiscal year the forms are for.
        previous: the previous fiscal year's checked inputs; their notes and actuals are shown read-only.
        progress: called after each form as ``progress(label, done, total)``.

    Returns:
        The forms written, in the plan's department order.

    Raises:
        OutputError: a file could not be written.
    """
    folder = project.outputs(fy) / FORMS_DIR
    prev = _Previous.of(previous)
    departments = plan.departments
    index: list[dict[str, Any]] = []
    forms: list[bytes] = []
    used: set[str] = set()
    # every form is built before any is written: a form that cannot be built leaves the folder as it was
    for done, department in enumerate(departments, start=1):
        name = form_filename(department)
        stem = name.removesuffix(".xlsx")
        counter = 2
        while name.casefold() in used:  # two departments that sanitize to the same name
            name = f"{stem}({counter}).xlsx"
            counter += 1
        used.add(name.casefold())
        forms.append(_build_form(plan, fy, department, prev))
        index.append(
            {
                "department": department,
                "file": name,
                "measures": len(plan.measures_of(department)),
                "kpis": len(plan.kpis_of(department)),
            }
        )
        if plan.settings.evaluation:
            index[-1]["areas"] = len(plan.policy_areas_led_by(department))
        if progress is not None:
            progress("記入様式を作成", done, len(departments))
    paths = [folder / entry["file"] for entry in index]
    for path, data in zip(paths, forms, strict=True):
        write_atomic(path, data)
    write_json_atomic(
        folder / INDEX_FILE,
        {"fy": fy, "form": FORM_VERSION, "master_sha256": plan.sha256, "tool": __version__, "forms": index},
    )
    return paths
