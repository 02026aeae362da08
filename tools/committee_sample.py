"""Fill committee workbooks by program: for the tests, and the sample's committee (invented sample data).

    python -m tools.committee_sample [--project DIR] [--fy 2019]

makes outputs/<FY>/committee/ with ``kpi-report committee``, fills every member's workbook with invented
ratings and opinions into inputs/<FY>/committee/, then makes 対応.xlsx and fills the city's responses.
Everything written here is invented sample data (架空のサンプルデータ), not any committee's real opinion.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kpi_report.committee.layout import (
    HEADER_ROW,
    OPINION_SHEET,
    OVERALL_HEADER_ROW,
    OVERALL_SHEET,
    RESPONSE_SHEET,
    RESPONSES_FILE,
)

SAMPLE_NOTE = "（架空のサンプルデータ）"


def _columns(ws: Any, row: int) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[row] if c.value is not None}


def fill_member_form(src: Path, dst: Path, answers: Mapping[str, tuple[str, str]], overall: str = "") -> Path:
    """Copy a member's workbook with 評価 and 意見 filled per 施策ID ({施策ID: (rating, opinion)}) and 全体意見."""
    wb = load_workbook(src)
    ws = wb[OPINION_SHEET]
    col = _columns(ws, HEADER_ROW)
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        area_id = ws.cell(row, col["施策ID"]).value
        if area_id in answers:
            rating, opinion = answers[str(area_id)]
            ws.cell(row, col["評価"]).value = rating or None
            ws.cell(row, col["意見"]).value = opinion or None
    if overall:
        wb[OVERALL_SHEET].cell(OVERALL_HEADER_ROW + 1, 1).value = overall
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def fill_responses(src: Path, dst: Path, respond: Callable[[str, str, str], str]) -> Path:
    """Copy 対応.xlsx with 市の対応 filled by ``respond(委員ID, 施策ID, 意見)`` ("" leaves it blank)."""
    wb = load_workbook(src)
    ws = wb[RESPONSE_SHEET]
    col = _columns(ws, HEADER_ROW)
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        member = ws.cell(row, col["委員ID"]).value
        if member is None:
            continue
        area = str(ws.cell(row, col["施策ID"]).value)
        text = respond(str(member), area, str(ws.cell(row, col["意見"]).value or ""))
        ws.cell(row, col["市の対応"]).value = text or None
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


# --- the sample's invented committee -------------------------------------------------------------------------

_OPINIONS = (
    "目標に向けて着実に進んでいる。成果を市民に分かりやすく伝えてほしい。",
    "取組は進んでいるが、KPIの伸びが鈍い。要因を分析し、手法の見直しを検討すべき。",
    "関係機関や近隣市との連携を強め、担い手の確保に取り組んでほしい。",
    "事業の効果が見えにくい。利用者の声を集め、指標の設定も含めて検討されたい。",
    "新型の課題にも対応できるよう、デジタル化による効率化を進めてほしい。",
)
_OVERALL = (
    "全体として計画は概ね順調に進んでいる。KPIが未達の施策は、次年度の取組に改善を反映されたい。",
    "",
    "若い世代の定住に向けて、子育てと仕事の両立支援を引き続き重点的に進めてほしい。",
    "",
    "各施策の成果を市民に伝える広報を強化してほしい。",
)


def sample_answers(
    member_index: int, area_ids: list[str], scale: tuple[str, ...]
) -> dict[str, tuple[str, str]]:
    """A member's invented ratings: every 施策 rated, an opinion on about every third (deterministic)."""
    answers: dict[str, tuple[str, str]] = {}
    for i, area_id in enumerate(area_ids):
        rating = scale[min(len(scale) - 1, (i * 7 + member_index * 3) % 5 // 2 + (1 if i % 6 == 5 else 0))]
        opinion = _OPINIONS[(i + member_index) % len(_OPINIONS)] if (i + member_index) % 3 == 0 else ""
        answers[area_id] = (rating, opinion + SAMPLE_NOTE if opinion else "")
    return answers


def sample_response(member_id: str, area_id: str, opinion: str) -> str:
    """The city's invented response to an opinion."""
    if "連携" in opinion:
        return "近隣市・関係機関との連絡会を次年度から設け、担い手の確保策を共同で検討します。" + SAMPLE_NOTE
    if "要因" in opinion or "効果" in opinion:
        return "所管課で要因を分析し、次年度の取組の見直しと指標の検討に反映します。" + SAMPLE_NOTE
    return "ご意見を踏まえ、次年度の取組と市民への情報発信に反映します。" + SAMPLE_NOTE


def build_sample(project_dir: Path, fy: int) -> list[Path]:
    """The sample committee's returned workbooks and 対応.xlsx under inputs/<FY>/committee/."""
    from kpi_report import api
    from kpi_report.committee.layout import committee_areas, member_filename
    from kpi_report.core.project import Project

    project = Project(project_dir)
    forms = api.make_committee_forms(project, fy)
    plan = forms.plan
    area_ids = [a.id for a in committee_areas(plan)]
    written = []
    for index, member in enumerate(plan.members):
        name = member_filename(member)
        written.append(
            fill_member_form(
                forms.folder / name,
                project.committee_inputs(fy) / name,
                sample_answers(index, area_ids, plan.settings.committee_scale),
                _OVERALL[index % len(_OVERALL)] + (SAMPLE_NOTE if _OVERALL[index % len(_OVERALL)] else ""),
            )
        )
    responses = api.make_committee_forms(project, fy, responses=True)
    written.append(
        fill_responses(responses.files[0], project.committee_inputs(fy) / RESPONSES_FILE, sample_response)
    )
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default=".", help="project folder (default: the repository)")
    parser.add_argument("--fy", type=int, default=2019)
    args = parser.parse_args(argv)
    written = build_sample(Path(args.project), args.fy)
    print(f"{len(written)} sample committee workbooks written under {Path(args.project) / 'inputs'}")


if __name__ == "__main__":
    main()
