"""What the committee's workbooks look like: sheets, header rows, the _meta record and file names.

The fixed points (docs/contract.md, 外部評価): a member's workbook has a sheet 意見 with a header row holding at
least 施策ID, 評価 and 意見, and a sheet 全体 with the overall opinion under the header 全体意見; the planning
section's 対応.xlsx has a sheet 対応 with 委員ID, 施策ID, 意見 and 市の対応. Columns are declared in
:mod:`kpi_report.core.columns` (``FORM_COMMITTEE``, ``FORM_RESPONSES``) and always found by header.
"""

from __future__ import annotations

from kpi_report.core.columns import FORM_COMMITTEE, FORM_RESPONSES
from kpi_report.core.model import Member, Plan, PolicyArea
from kpi_report.forms.layout import form_filename

COMMITTEE_FORMAT = "kpi-report committee/1"  # _meta 様式 of a member's workbook
RESPONSES_FORMAT = "kpi-report committee-responses/1"  # _meta 様式 of 対応.xlsx
KIND_COMMITTEE = "committee"
KIND_RESPONSES = "committee-responses"

OPINION_SHEET = "意見"
OVERALL_SHEET = "全体"
RESPONSE_SHEET = "対応"
META_SHEET = "_meta"
HEADER_ROW = 3  # 1-based: row 1 a title, row 2 a hint
FIRST_DATA_ROW = HEADER_ROW + 1
OVERALL_HEADER_ROW = 3  # 全体: the header 全体意見 in A3, the opinion in A4
RESPONSES_FILE = "対応.xlsx"

# _meta: key in column A, value in column B
META_FORMAT = "様式"
META_KIND = "種類"
META_FY = "年度"
META_MEMBER = "委員ID"
META_NAME = "氏名"
META_MASTER = "マスター"
META_TOOL = "ツール"

HEADERS = tuple(c.header for c in FORM_COMMITTEE)
RESPONSE_HEADERS = tuple(c.header for c in FORM_RESPONSES)


def member_filename(member: Member) -> str:
    """A member's workbook: ``<氏名>.xlsx`` (characters file systems reject become ``_``)."""
    return form_filename(member.name)


def committee_areas(plan: Plan) -> tuple[PolicyArea, ...]:
    """The 施策 the committee rates: the sheet 施策 when the master has one, else every 施策 of the 取組 sheet
    with an ID of its position (``1-2``: goal 1, area 2) and its first measure's lead department."""
    if plan.policy_areas:
        return plan.policy_areas
    return tuple(
        PolicyArea(
            id=f"{gi}-{ai}",
            goal=goal.title,
            title=area.title,
            lead=area.measures[0].owners[0] if area.measures and area.measures[0].owners else "",
        )
        for gi, goal in enumerate(plan.goals, start=1)
        for ai, area in enumerate(goal.areas, start=1)
    )


def anonymous_label(index: int) -> str:
    """委員A, 委員B … 委員Z, then 委員27 …: a member's published name when 委員名の公表 is しない."""
    return f"委員{chr(65 + index)}" if index < 26 else f"委員{index + 1}"


def display_names(plan: Plan) -> dict[str, str]:
    """{委員ID: the name the review prints}: 氏名, or 委員A … by master order (委員名の公表)."""
    if plan.settings.member_names:
        return {m.id: m.name for m in plan.members}
    return {m.id: anonymous_label(i) for i, m in enumerate(plan.members)}
