"""外部評価 leftovers (issue 13): the page's section 外部評価, diff of two years' opinions and responses (the
sheet 外部評価 read back from real progress-list workbooks), the library face and the docs of the master's sheets
and keys."""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import kodaira
import pytest
from openpyxl import load_workbook

import kpi_report
from kpi_report import api
from kpi_report.compare.diff import Change, diff_files
from kpi_report.core import columns
from kpi_report.core.model import (
    DEFAULT_COMMITTEE_SCALE,
    CommitteeArea,
    CommitteeComment,
    CommitteeReport,
    Plan,
    ProgressReport,
)
from kpi_report.merge.merge import merge
from kpi_report.plan.evaluation import EVALUATION_KEYS
from kpi_report.plan.master import load_plan
from kpi_report.present.table import present
from kpi_report.render.progress_html import render_progress_html
from kpi_report.render.progress_xlsx import render_progress_xlsx

REPO = Path(__file__).resolve().parents[1]
COMMITTEE_KINDS = {
    "committee-opinion-added",
    "committee-opinion-removed",
    "committee-rating-changed",
    "committee-opinion-changed",
    "committee-response-changed",
}


def committee(fy: int) -> CommitteeReport:
    """Two 施策 rated by 委員A–C; 2019 changes a rating, an opinion and a response, adds and drops one."""
    if fy == 2018:
        farm = (
            CommitteeComment("委員A", "順調", "認定農業者の確保が進んでいる。", "引き続き支援します。"),
            CommitteeComment("委員B", "概ね順調", "若手の就農支援を。", ""),
        )
        child = (CommitteeComment("委員C", "やや遅れ", "待機児童の解消を急ぐべき。", "定員を増やします。"),)
        overall: tuple[tuple[str, str], ...] = (("委員A", "全体として順調。"),)
    else:
        farm = (
            CommitteeComment("委員A", "概ね順調", "認定農業者の確保が進んでいる。", "引き続き支援します。"),
            CommitteeComment(
                "委員B", "概ね順調", "若手の就農支援を強化すべき。", "新規就農者研修を始めます。"
            ),
        )
        child = (
            CommitteeComment("委員C", "やや遅れ", "待機児童の解消を急ぐべき。", "定員を30人増やしました。"),
        )
        overall = (("委員A", "全体として順調。"), ("委員B", "KPIの見直しを。"))
    areas = (
        CommitteeArea(
            "1-1",
            kodaira.G1,
            "① 農のあるまちづくりの推進",
            (1, 1, 0, 0) if fy == 2018 else (0, 2, 0, 0),
            farm,
        ),
        CommitteeArea("2-1", kodaira.G2, "① 子育て支援の充実", (0, 0, 1, 0), child),
        CommitteeArea("3-1", kodaira.G3, "① 商工業の振興", (0, 0, 0, 0), ()),
    )
    if fy == 2019:
        added = CommitteeComment("委員C", "順調", "創業支援の件数が伸びた。", "")
        areas = (*areas[:2], replace(areas[2], tally=(1, 0, 0, 0), comments=(added,)))
    return CommitteeReport(DEFAULT_COMMITTEE_SCALE, 3, 3, areas, overall, named=False)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return load_plan(kodaira.write_master(tmp_path_factory.mktemp("kodaira") / "master.xlsx"))


def year(plan: Plan, fy: int, with_committee: bool = True) -> ProgressReport:
    report = merge(plan, fy, kodaira.check_reports(fy)).report
    return replace(report, committee=committee(fy)) if with_committee else report


class _Page(HTMLParser):
    """Header cells' scopes, captions, headings and the text of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.th_scopes: list[str | None] = []
        self.captions: list[str] = []
        self.text: list[str] = []
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "th":
            self.th_scopes.append(dict(attrs).get("scope"))
        self._in_caption = tag == "caption"

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.captions.append(data)
        self.text.append(data)


# The page


def test_the_page_shows_the_committee_section(plan: Plan) -> None:
    page = _Page()
    page.feed(render_progress_html(present(year(plan, 2019))).decode("utf-8"))
    text = "".join(page.text)
    assert all(page.th_scopes)
    assert "外部評価" in text and "委員 3 人のうち 3 人が評価しました" in text
    assert any(
        c.startswith("施策ごとの委員の評価（人数。評価は順調・概ね順調・やや遅れ・遅れ）")
        for c in page.captions
    )
    assert "① 農のあるまちづくりの推進への委員の意見と市の対応" in page.captions
    assert "委員の全体意見" in page.captions
    for expected in (
        "委員の評価: 順調 0・概ね順調 2・やや遅れ 0・遅れ 0",
        "若手の就農支援を強化すべき。",
        "新規就農者研修を始めます。",
        "（市の対応は未記入）",
        "KPIの見直しを。",
        "全施策の合計",
    ):
        assert expected in text, expected


def test_a_page_without_a_committee_has_no_section(plan: Plan) -> None:
    html = render_progress_html(present(year(plan, 2019, with_committee=False))).decode("utf-8")
    assert "外部評価" not in html and "opinions" not in html  # no section, no CSS


# diff


def by_kind(changes: tuple[Change, ...]) -> dict[str, list[Change]]:
    found: dict[str, list[Change]] = {}
    for change in changes:
        found.setdefault(change.kind, []).append(change)
    return found


def test_diff_reports_opinion_and_response_changes(plan: Plan, tmp_path: Path) -> None:
    for fy in (2018, 2019):
        (tmp_path / f"{fy}.xlsx").write_bytes(render_progress_xlsx(present(year(plan, fy))))
    assert "外部評価" in load_workbook(tmp_path / "2019.xlsx", read_only=True).sheetnames
    result = diff_files(tmp_path / "2018.xlsx", tmp_path / "2019.xlsx")
    found = by_kind(result.changes)
    rating = found["committee-rating-changed"]
    assert [(c.item_id, c.detail) for c in rating] == [("1-1", "委員A: 順調 → 概ね順調")]
    opinions = found["committee-opinion-changed"]
    assert [(c.item_id, c.old, c.new, c.detail) for c in opinions] == [
        ("1-1", "若手の就農支援を。", "若手の就農支援を強化すべき。", "委員B")
    ]
    responses = found["committee-response-changed"]
    assert [(c.item_id, c.old, c.new) for c in responses] == [
        ("1-1", "", "新規就農者研修を始めます。"),
        ("2-1", "定員を増やします。", "定員を30人増やしました。"),
    ]
    added = found["committee-opinion-added"]
    assert sorted((c.item_id, c.detail) for c in added) == [("3-1", "追加: 委員C"), ("全体", "追加: 委員B")]
    assert all(c.sheet == "外部評価" and c.cell for c in added)
    assert "committee-opinion-removed" not in found
    counted = dict(result.count_by_kind())
    assert counted["committee-response-changed"] == 2

    removed = diff_files(tmp_path / "2019.xlsx", tmp_path / "2018.xlsx")
    assert sorted(c.detail for c in by_kind(removed.changes)["committee-opinion-removed"]) == [
        "削除: 委員B",
        "削除: 委員C",
    ]


def test_lists_without_the_sheet_compare_as_before(plan: Plan, tmp_path: Path) -> None:
    for fy in (2018, 2019):
        report = year(plan, fy, with_committee=False)
        (tmp_path / f"{fy}.xlsx").write_bytes(render_progress_xlsx(present(report)))
    result = diff_files(tmp_path / "2018.xlsx", tmp_path / "2019.xlsx")
    assert not {c.kind for c in result.changes} & COMMITTEE_KINDS
    assert not {kind for kind, _ in result.count_by_kind()} & COMMITTEE_KINDS
    # a year that gained a committee: every opinion is new
    (tmp_path / "2019c.xlsx").write_bytes(render_progress_xlsx(present(year(plan, 2019))))
    gained = diff_files(tmp_path / "2018.xlsx", tmp_path / "2019c.xlsx")
    assert {c.kind for c in gained.changes} & COMMITTEE_KINDS == {"committee-opinion-added"}
    assert len([c for c in gained.changes if c.kind == "committee-opinion-added"]) == 6


# The library face and the docs


def test_the_library_exports_the_committee_workbooks() -> None:
    assert "make_committee_forms" in kpi_report.__all__ and "CommitteeResult" in kpi_report.__all__
    assert kpi_report.make_committee_forms is api.make_committee_forms
    assert kpi_report.CommitteeResult is api.CommitteeResult


def test_master_format_documents_the_sheets_and_keys() -> None:
    page = (REPO / "docs" / "master-format.md").read_text(encoding="utf-8")
    for table in (
        columns.markdown_table(columns.MASTER_POLICY_AREAS),
        columns.markdown_table(columns.MASTER_MEMBERS),
        columns.settings_markdown_table(columns.EVALUATION_SETTINGS),
    ):
        assert table in page
    for key in columns.MASTER_SETTINGS:
        if key.key in ("委員評価", "委員名の公表"):
            assert f"| {key.key} | {key.help} |" in page
    assert tuple(k.key for k in columns.EVALUATION_SETTINGS) == EVALUATION_KEYS
    assert "## Sheet 施策" in page and "## Sheet 委員" in page


def test_contract_and_outputs_name_the_committee_workbooks() -> None:
    contract = (REPO / "docs" / "contract.md").read_text(encoding="utf-8")
    outputs = (REPO / "docs" / "outputs.md").read_text(encoding="utf-8")
    for page in (contract, outputs):
        assert "対応.xlsx" in page and "committee/<氏名>.xlsx" in page and "外部評価" in page
    assert "sheet **外部評価**" in outputs and "sheet **施策評価**" in outputs
    assert "`committee-response-changed`" in outputs and "`kpi-remarks-changed`" in outputs
