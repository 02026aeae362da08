"""`kpi-report committee`: one workbook per committee member, and the planning section's 対応.xlsx.

A member's workbook (outputs/<FY>/committee/<氏名>.xlsx) lists every 施策 with read-only context — its KPIs'
actuals, rates and grades, the lead department's evaluation, the measures' statuses — beside the inputs 評価
(a drop-down of 委員評価) and 意見; sheet 全体 holds the overall opinion. Sheets are protected like the
department forms; the bytes are deterministic.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kpi_report.committee.layout import (
    COMMITTEE_FORMAT,
    HEADER_ROW,
    KIND_COMMITTEE,
    KIND_RESPONSES,
    META_FORMAT,
    META_FY,
    META_KIND,
    META_MASTER,
    META_MEMBER,
    META_NAME,
    META_SHEET,
    META_TOOL,
    OPINION_SHEET,
    OVERALL_HEADER_ROW,
    OVERALL_SHEET,
    RESPONSE_SHEET,
    RESPONSES_FORMAT,
    committee_areas,
)
from kpi_report.core.achievement import format_rate
from kpi_report.core.columns import (
    AREA_ID_COLUMN,
    CITY_RESPONSE_COLUMN,
    FORM_COMMITTEE,
    FORM_RESPONSES,
    OPINION_COLUMN,
    OVERALL_COLUMN,
    RATING_COLUMN,
    Column,
)
from kpi_report.core.files import FIXED_CREATED, new_xlsx
from kpi_report.core.fiscal import fy_label
from kpi_report.core.model import (
    NOT_EVALUABLE,
    UNREPORTED,
    AreaSection,
    CommitteeCheck,
    KpiRow,
    Member,
    Plan,
    ProgressReport,
)
from kpi_report.core.version import __version__
from kpi_report.forms.writer import (
    _input_sheet,
    _lock_structure,
    _print_setup,
    _protect,
    _row_height,
    _Styles,
)

NO_EVALUATION = "（主管課の評価はまだありません）"
NO_KPI = "（KPIなし）"
_OVERALL_WIDTH = 100


@dataclass(frozen=True)
class AreaContext:
    """What a member reads about one 施策 before rating it (read-only cells)."""

    kpis: str
    evaluation: str
    statuses: str


def _number(value: float | None) -> str:
    if value is None:
        return "－"
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _kpi_line(row: KpiRow) -> str:
    kpi = row.kpi
    actual = f"{_number(row.actual)}{kpi.unit}" if row.actual is not None else "－"
    if row.grade == NOT_EVALUABLE:
        judged = f"{NOT_EVALUABLE}（{row.not_evaluable}）" if row.not_evaluable else NOT_EVALUABLE
    else:
        judged = f"達成率 {format_rate(row.rate)}・評価 {row.grade or '－'}"
    return f"・{kpi.name}: {actual}（目標 {kpi.target_text or '－'}）{judged}"


def _area_context(area: AreaSection) -> AreaContext:
    kpis = "\n".join(_kpi_line(k) for k in area.kpis) or NO_KPI
    ev = area.evaluation
    if ev is not None and ev.submitted:
        parts = [f"【要因分析】{ev.factors}", f"【課題】{ev.issues}", f"【今後の方向性】{ev.direction}"]
        evaluation = "\n".join(p for p in parts if not p.endswith("】"))
    else:
        evaluation = NO_EVALUATION
    counts = Counter(r.status or UNREPORTED for r in area.rows)
    statuses = "\n".join(f"{status}: {n}件" for status, n in counts.items())
    return AreaContext(kpis, evaluation, statuses)


def area_contexts(report: ProgressReport) -> dict[tuple[str, str], AreaContext]:
    """{(基本目標, 施策): context} from the merged report of the report year."""
    return {(goal.title, area.title): _area_context(area) for goal in report.goals for area in goal.areas}


def _sheet_header(wb: Any, styles: _Styles, name: str, title: str, hint: str, spec: Sequence[Column]) -> Any:
    """A sheet laid out and printed like the departments' forms (title, hint, header row, A4 landscape)."""
    ws, _ = _input_sheet(wb, styles, name, title, hint, spec)
    _print_setup(ws)
    return ws


def _rating_validation(scale: Sequence[str]) -> dict[str, Any]:
    return {
        "validate": "list",
        "source": list(scale),
        "ignore_blank": True,
        "input_title": RATING_COLUMN,
        "input_message": "▼をクリックして一覧から選んでください。",
        "error_title": "一覧にない値です",
        "error_message": f"{RATING_COLUMN}は一覧から選んでください: {'、'.join(scale)}"[:255],
        "error_type": "stop",
    }


def _write_meta(wb: Any, rows: Sequence[tuple[str, str | int]]) -> None:
    ws = wb.add_worksheet(META_SHEET)
    for r, (key, value) in enumerate(rows):
        ws.write_string(r, 0, key)
        if isinstance(value, int):
            ws.write_number(r, 1, value)
        else:
            ws.write_string(r, 1, value)
    ws.very_hidden()


def build_member_form(
    plan: Plan, fy: int, member: Member, contexts: Mapping[tuple[str, str], AreaContext]
) -> bytes:
    """The bytes of one member's workbook for report year ``fy`` (deterministic)."""
    settings = plan.settings
    label = fy_label(fy, settings.reiwa_for_2019)
    buffer = io.BytesIO()
    wb = new_xlsx(buffer)
    wb.set_properties(
        {
            "title": f"{label} 外部評価記入様式　{member.name}",
            "subject": settings.plan_name,
            "comments": f"kpi-report {__version__} が作成した外部評価の記入様式（{COMMITTEE_FORMAT}）",
            "created": FIXED_CREATED,
        }
    )
    styles = _Styles(wb)
    ws = _sheet_header(
        wb,
        styles,
        OPINION_SHEET,
        f"{label} {settings.plan_name} 外部評価記入様式　{member.name} 委員",
        f"施策ごとに、灰色の参考情報を読んで、オレンジ色の見出しの列（{RATING_COLUMN}・{OPINION_COLUMN}）に"
        f"入力してください。{RATING_COLUMN}は▼から選びます（{'、'.join(settings.committee_scale)}）。"
        f"提出先: {settings.submit_to}",
        FORM_COMMITTEE,
    )
    col = {c.header: i for i, c in enumerate(FORM_COMMITTEE)}
    areas = committee_areas(plan)
    empty = AreaContext(NO_KPI, NO_EVALUATION, "")
    for offset, area in enumerate(areas):
        row = HEADER_ROW + offset
        context = contexts.get((area.goal, area.title), empty)
        texts = {
            AREA_ID_COLUMN: area.id,
            "基本目標": area.goal,
            "施策": area.title,
            "KPIの状況": context.kpis,
            "主管課の評価": (f"主管課: {area.lead}\n" if area.lead else "") + context.evaluation,
            "取組の進捗": context.statuses,
        }
        for name, text in texts.items():
            ws.write_string(
                row, col[name], text, styles.locked_center if name == AREA_ID_COLUMN else styles.locked
            )
        ws.write_blank(row, col[RATING_COLUMN], None, styles.input)
        ws.write_blank(row, col[OPINION_COLUMN], None, styles.input)
        widths = {c.header: c.width for c in FORM_COMMITTEE}
        ws.set_row(row, _row_height([(t, widths[n]) for n, t in texts.items()], min_lines=4))
    if areas:
        first, last = HEADER_ROW, HEADER_ROW + len(areas) - 1
        rating = col[RATING_COLUMN]
        ws.data_validation(first, rating, last, rating, _rating_validation(settings.committee_scale))
        ws.conditional_format(first, rating, last, rating, {"type": "blanks", "format": styles.missing})
    _protect(ws)

    overall = wb.add_worksheet(OVERALL_SHEET)
    overall.set_column(0, 0, _OVERALL_WIDTH)
    overall.write_string(
        0, 0, f"{label} {settings.plan_name} 外部評価　全体意見　{member.name} 委員", styles.title
    )
    overall.write_string(1, 0, "計画全体への意見があれば、下の白い欄に書いてください（任意）。", styles.hint)
    overall.set_row(0, 24)
    overall.write_string(OVERALL_HEADER_ROW - 1, 0, OVERALL_COLUMN, styles.input_header)
    overall.write_blank(OVERALL_HEADER_ROW, 0, None, styles.input)
    overall.set_row(OVERALL_HEADER_ROW, 240)
    _protect(overall)

    _write_meta(
        wb,
        (
            (META_FORMAT, COMMITTEE_FORMAT),
            (META_KIND, KIND_COMMITTEE),
            (META_FY, fy),
            (META_MEMBER, member.id),
            (META_NAME, member.name),
            (META_MASTER, plan.sha256),
            (META_TOOL, __version__),
        ),
    )
    wb.close()
    return _lock_structure(buffer.getvalue())


def build_responses(plan: Plan, fy: int, check: CommitteeCheck) -> bytes:
    """対応.xlsx: every opinion received with its 施策 and member, and the input 市の対応 (earlier answers kept)."""
    settings = plan.settings
    label = fy_label(fy, settings.reiwa_for_2019)
    names = {m.id: m.name for m in plan.members}
    titles = {a.id: a.title for a in committee_areas(plan)}
    answered = {(r.member_id, r.area_id): r.response for r in check.responses}
    buffer = io.BytesIO()
    wb = new_xlsx(buffer)
    wb.set_properties(
        {
            "title": f"{label} 外部評価 市の対応",
            "subject": settings.plan_name,
            "comments": f"kpi-report {__version__} が作成した市の対応の記入様式（{RESPONSES_FORMAT}）",
            "created": FIXED_CREATED,
        }
    )
    styles = _Styles(wb)
    ws = _sheet_header(
        wb,
        styles,
        RESPONSE_SHEET,
        f"{label} {settings.plan_name} 外部評価　委員の意見と市の対応",
        f"委員の意見ごとに、{CITY_RESPONSE_COLUMN}を記入してください。年次報告書の外部評価に意見と並べて載ります。",
        FORM_RESPONSES,
    )
    col = {c.header: i for i, c in enumerate(FORM_RESPONSES)}
    widths = {c.header: c.width for c in FORM_RESPONSES}
    opinions = [o for o in check.opinions if o.opinion]
    for offset, o in enumerate(opinions):
        row = HEADER_ROW + offset
        texts = {
            "委員ID": o.member_id,
            "委員": names.get(o.member_id, ""),
            AREA_ID_COLUMN: o.area_id,
            "施策": titles.get(o.area_id, ""),
            RATING_COLUMN: o.rating,
            OPINION_COLUMN: o.opinion,
        }
        for name, text in texts.items():
            ws.write_string(row, col[name], text, styles.locked)
        response = answered.get((o.member_id, o.area_id), "")
        if response:
            ws.write_string(row, col[CITY_RESPONSE_COLUMN], response, styles.input)
        else:
            ws.write_blank(row, col[CITY_RESPONSE_COLUMN], None, styles.input)
        cells = [*texts.items(), (CITY_RESPONSE_COLUMN, response)]
        ws.set_row(row, _row_height([(t, widths[n]) for n, t in cells], min_lines=3))
    if opinions:
        response_col = col[CITY_RESPONSE_COLUMN]
        last = HEADER_ROW + len(opinions) - 1
        ws.conditional_format(
            HEADER_ROW, response_col, last, response_col, {"type": "blanks", "format": styles.missing}
        )
    _protect(ws)
    _write_meta(
        wb,
        (
            (META_FORMAT, RESPONSES_FORMAT),
            (META_KIND, KIND_RESPONSES),
            (META_FY, fy),
            (META_MASTER, plan.sha256),
            (META_TOOL, __version__),
        ),
    )
    wb.close()
    return _lock_structure(buffer.getvalue())
