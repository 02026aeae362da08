"""Fill committee workbooks by program: for the tests, and the sample's committee (invented sample data).

    python -m tools.committee_sample [--project DIR] [--fy 2019]

makes outputs/<FY>/committee/ with ``kpi-report committee``, fills every member's workbook with invented
ratings and opinions into inputs/<FY>/committee/ (replacing what was there), then makes 対応.xlsx and fills the
city's responses. Everything written here is invented sample data (架空のサンプルデータ), not any committee's real
opinion; every opinion and response ends with 「（架空のサンプルデータ）」 and every workbook says so in its document
properties. The files are saved with fixed dates (:func:`tools.fill_forms.save_deterministic`): running it twice
gives the same bytes. The bundled sample's inputs/2019/committee/ is made by it.
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
from tools.fill_forms import save_deterministic

SAMPLE_NOTE = "（架空のサンプルデータ）"
SAMPLE_LABEL = "サンプルデータ（架空の記入例）"


def _columns(ws: Any, row: int) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[row] if c.value is not None}


def fill_member_form(
    src: Path, dst: Path, answers: Mapping[str, tuple[str, str]], overall: str = "", description: str = ""
) -> Path:
    """Copy a member's workbook with 評価 and 意見 filled per 施策ID ({施策ID: (rating, opinion)}) and 全体意見
    (``description``: stored in the document properties). Saved with fixed dates: same inputs, same bytes."""
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
    if description:
        wb.properties.description = description
    save_deterministic(wb, dst)
    return dst


def fill_responses(
    src: Path, dst: Path, respond: Callable[[str, str, str], str], description: str = ""
) -> Path:
    """Copy 対応.xlsx with 市の対応 filled by ``respond(委員ID, 施策ID, 意見)`` ("" leaves it blank); saved with
    fixed dates."""
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
    if description:
        wb.properties.description = description
    save_deterministic(wb, dst)
    return dst


# --- the sample's invented committee -------------------------------------------------------------------------

_OPINIONS = (
    "目標に向けて着実に進んでいる。成果を市民に分かりやすく伝えてほしい。",
    "取組は進んでいるが、KPIの伸びが鈍い。要因を分析し、手法の見直しを検討すべき。",
    "関係機関や近隣市との連携を強め、担い手の確保に取り組んでほしい。",
    "事業の効果が見えにくい。利用者の声を集め、指標の設定も含めて検討されたい。",
    "社会情勢の変化にも対応できるよう、デジタル化による効率化を進めてほしい。",
)
_OVERALL = (
    "全体として計画は概ね順調に進んでいる。KPIが未達の施策は、次年度の取組に改善を反映されたい。",
    "",
    "若い世代の定住に向けて、子育てと仕事の両立支援を引き続き重点的に進めてほしい。",
    "次期戦略では、評価できない年度のある指標を見直し、毎年把握できる指標を加えてほしい。",
    "",
)


# The bundled sample (清瀬市, FY2019): per 施策ID the five members' ratings (index into the scale, better first,
# following the 施策's KPIs: 4-1's 自治組織への加入率 fell, 1-2's 待機児童 are above target) and the opinions given
# as {member index: (opinion, the city's response)}.
_SAMPLE_RATINGS: dict[str, tuple[int, ...]] = {
    "1-1": (0, 0, 1, 0, 1),
    "1-2": (1, 1, 2, 1, 2),
    "1-3": (1, 0, 1, 1, 2),
    "1-4": (1, 1, 1, 2, 1),
    "1-5": (0, 0, 1, 0, 0),
    "2-1": (1, 1, 0, 1, 1),
    "2-2": (1, 2, 1, 2, 1),
    "3-1": (0, 1, 1, 1, 0),
    "4-1": (2, 2, 3, 1, 2),
    "4-2": (1, 1, 0, 1, 1),
}
_SAMPLE_OPINIONS: dict[str, dict[int, tuple[str, str]]] = {
    "1-1": {
        0: (
            "妊娠期からの切れ目ない支援が定着している。支援が必要な家庭を関係機関で確実に見守ってほしい。",
            "子ども家庭支援センターと月1回の連絡会を設け、支援の必要な家庭の情報を共有します。",
        ),
        3: ("相談窓口の案内が一つにまとまり、分かりやすくなった。", "リーフレットを転入者にも配布します。"),
    },
    "1-2": {
        1: (
            "待機児童は減ったが目標には届いていない。保育士の確保に市内の事業者とも連携して取り組むべき。",
            "保育士の就職相談会を市内の法人と共同で開催し、宿舎借り上げ支援を続けます。",
        ),
        3: (
            "病児・病後児保育の利用方法を、子育て世帯に分かりやすく周知してほしい。",
            "利用の流れを子育てアプリと市報で案内します。",
        ),
    },
    "1-3": {
        2: (
            "婚活事業の成果を、結婚に至った件数などで把握する工夫が必要。",
            "参加者への追跡アンケートを実施し、成果の把握に努めます。",
        ),
    },
    "1-4": {
        4: (
            "世論調査のない年度は満足度を評価できない。利用者アンケートなどで補ってはどうか。",
            "公園や子育て施設の利用者アンケートを次年度から実施します。",
        ),
    },
    "1-5": {
        0: (
            "オリジナル教材や体験学習が充実している。学習支援の対象の拡大を検討されたい。",
            "子どもの学習支援事業の会場と支援員を増やし、対象の拡大を検討します。",
        ),
    },
    "2-1": {
        1: (
            "創業件数は伸びている。創業後の経営の継続を商工会と連携して支援してほしい。",
            "創業後1年間の経営相談を商工会と連携して行います。",
        ),
        2: (
            "融資制度の利用状況を分析し、必要な見直しを行うこと。",
            "利用実績を分析し、取扱金融機関と見直しを協議します。",
        ),
    },
    "2-2": {
        1: (
            "商店街のイベント参加者数の伸びが小さい。空き店舗の活用と一体で集客策を考えるべき。",
            "空き店舗の活用とイベントを組み合わせた集客策を、商店会と検討します。",
        ),
    },
    "3-1": {
        4: (
            "市外向けの発信が増えたことを評価する。効果を転入者数などで検証してほしい。",
            "PR動画の視聴数と転入者へのアンケートで効果を検証します。",
        ),
    },
    "4-1": {
        0: (
            "自治組織への加入率の低下が続いている。要因を分析し、加入以外の参加の形も検討すべき。",
            "未加入世帯への意向調査を行い、行事への参加など加入以外の関わり方を検討します。",
        ),
        4: (
            "円卓会議の活動を市民にもっと知らせてほしい。",
            "各地区の円卓会議の活動を市報で連載します。",
        ),
    },
    "4-2": {
        2: (
            "公共施設の再編には、市民への丁寧な説明が欠かせない。",
            "再編計画の説明会を地区ごとに開催します。",
        ),
    },
}


def sample_answers(
    member_index: int, area_ids: list[str], scale: tuple[str, ...]
) -> dict[str, tuple[str, str]]:
    """A member's invented ratings: every 施策 rated; the bundled sample's 施策 from the table above, any other
    施策 by a formula with an opinion on about every third (deterministic)."""
    answers: dict[str, tuple[str, str]] = {}
    for i, area_id in enumerate(area_ids):
        if area_id in _SAMPLE_RATINGS:
            ratings = _SAMPLE_RATINGS[area_id]
            rating = scale[min(len(scale) - 1, ratings[member_index % len(ratings)])]
            opinion = _SAMPLE_OPINIONS.get(area_id, {}).get(member_index, ("", ""))[0]
        else:
            rating = scale[
                min(len(scale) - 1, (i * 7 + member_index * 3) % 5 // 2 + (1 if i % 6 == 5 else 0))
            ]
            opinion = _OPINIONS[(i + member_index) % len(_OPINIONS)] if (i + member_index) % 3 == 0 else ""
        answers[area_id] = (rating, opinion + SAMPLE_NOTE if opinion else "")
    return answers


def sample_response(member_id: str, area_id: str, opinion: str) -> str:
    """The city's invented response to an opinion (the bundled sample's from the table above)."""
    for given, response in _SAMPLE_OPINIONS.get(area_id, {}).values():
        if opinion.startswith(given):
            return response + SAMPLE_NOTE
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
    for old in sorted(project.committee_inputs(fy).glob("*.xlsx")):  # a rebuild replaces the sample's returns
        old.unlink()
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
                SAMPLE_LABEL,
            )
        )
    responses = api.make_committee_forms(project, fy, responses=True)
    written.append(
        fill_responses(
            responses.files[0], project.committee_inputs(fy) / RESPONSES_FILE, sample_response, SAMPLE_LABEL
        )
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
