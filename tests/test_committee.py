"""The external committee loop on real workbooks: master 委員 → committee workbooks → filled by program →
check (good and bad) → 対応.xlsx → build into the model → the review's chapter 外部評価 and the sheet."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from kpi_report import api
from kpi_report.committee.layout import RESPONSES_FILE, committee_areas
from kpi_report.committee.report import committee_report
from kpi_report.core.errors import InputsHaveErrors, UsageError
from kpi_report.core.project import Project
from kpi_report.present.committee import present_committee
from tools.committee_sample import fill_member_form, fill_responses

REPO = Path(__file__).resolve().parents[1]
FY = 2019
MEMBERS = (
    ("M01", "山田 太郎", "学識経験者"),
    ("M02", "佐藤 花子", "産業界"),
    ("M03", "鈴木 一郎", "住民代表"),
)


def _with_members(
    master: Path, members: tuple[tuple[str, str, str], ...] = MEMBERS, settings: dict[str, str] | None = None
) -> None:
    wb = load_workbook(master)
    if "委員" in wb.sheetnames:
        del wb["委員"]
    ws = wb.create_sheet("委員")
    ws.append(["委員ID", "氏名", "区分"])
    for row in members:
        ws.append(list(row))
    if settings:
        s = wb["設定"]
        for key, value in settings.items():
            s.append([key, value])
    wb.save(master)


def _copy_sample(root: Path) -> Project:
    shutil.copytree(REPO / "inputs", root / "inputs", ignore=shutil.ignore_patterns("committee"))
    shutil.copytree(REPO / "templates", root / "templates")
    return Project(root)


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The sample with three members and their committee workbooks generated (not yet returned)."""
    project = _copy_sample(tmp_path_factory.mktemp("committee") / "project")
    _with_members(project.master)
    api.make_committee_forms(project, FY)
    return project


def _fresh(forms: Project, tmp_path: Path) -> Project:
    root = tmp_path / "project"
    shutil.copytree(forms.root, root)
    return Project(root)


def _answers(project: Project) -> list[str]:
    return [a.id for a in committee_areas(api.load_plan(project))]


def _return_all(project: Project) -> None:
    ids = _answers(project)
    out = project.committee_outputs(FY)
    inp = project.committee_inputs(FY)
    fill_member_form(
        out / "山田 太郎.xlsx",
        inp / "山田 太郎.xlsx",
        {
            ids[0]: ("順調", "子育て支援は着実に進んでいる。"),
            ids[1]: ("やや遅れ", "待機児童の解消を急ぐべき。"),
        },
        "計画全体として概ね順調である。",
    )
    fill_member_form(
        out / "佐藤 花子.xlsx",
        inp / "佐藤 花子.xlsx",
        {ids[0]: ("概ね順調", ""), ids[1]: ("遅れ", "保育士の確保が課題。")},
    )
    fill_member_form(out / "鈴木 一郎.xlsx", inp / "鈴木 一郎.xlsx", {ids[0]: ("順調", "")})


def _committee_codes(result: api.CheckResult) -> list[tuple[str, str]]:
    assert result.committee is not None
    return [(f.code, f.file) for f in result.committee.findings]


def test_one_protected_workbook_per_member_with_context_and_inputs(forms: Project) -> None:
    folder = forms.committee_outputs(FY)
    assert sorted(p.name for p in folder.glob("*.xlsx")) == [
        "佐藤 花子.xlsx",
        "山田 太郎.xlsx",
        "鈴木 一郎.xlsx",
    ]
    wb = load_workbook(folder / "山田 太郎.xlsx")
    assert wb.sheetnames == ["意見", "全体", "_meta"]
    assert wb["_meta"].sheet_state == "veryHidden"
    ws = wb["意見"]
    assert ws.protection.sheet
    header = [c.value for c in ws[3]]
    assert {"施策ID", "評価", "意見"} <= set(header)
    first = {h: c.value for h, c in zip(header, ws[4], strict=False)}
    assert "達成率" in str(first["KPIの状況"]) and "件" in str(first["取組の進捗"])
    rating = ws.cell(4, header.index("評価") + 1)
    assert rating.protection.locked is False
    assert ws.cell(4, header.index("施策") + 1).protection.locked is not False
    assert any("順調" in str(dv.formula1) for dv in ws.data_validations.dataValidation)
    assert wb["全体"]["A3"].value == "全体意見"
    meta = {r[0]: r[1] for r in wb["_meta"].iter_rows(values_only=True)}
    assert meta["種類"] == "committee" and meta["委員ID"] == "M01" and meta["年度"] == FY


def test_forms_are_deterministic(forms: Project, tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in forms.committee_outputs(FY).glob("*.xlsx")}
    other = _fresh(forms, tmp_path)
    api.make_committee_forms(other, FY)
    assert {p.name: p.read_bytes() for p in other.committee_outputs(FY).glob("*.xlsx")} == before


def test_good_returns_check_clean_and_missing_members_are_info(forms: Project, tmp_path: Path) -> None:
    project = _fresh(forms, tmp_path)
    ids = _answers(project)
    fill_member_form(
        project.committee_outputs(FY) / "山田 太郎.xlsx",
        project.committee_inputs(FY) / "山田 太郎.xlsx",
        {ids[0]: ("順調", "よい。")},
    )
    result = api.check(project, FY)
    assert not result.report.errors
    assert result.committee is not None
    assert [(o.member_id, o.area_id, o.rating) for o in result.committee.opinions] == [
        ("M01", ids[0], "順調")
    ]
    assert sorted(f.value for f in result.committee.findings if f.code == "committee-missing-member") == [
        "M02",
        "M03",
    ]
    # the department check does not report the committee folder as a skipped file
    assert not [f for f in result.report.findings if f.code == "skipped-file"]


def test_bad_returns_are_findings(forms: Project, tmp_path: Path) -> None:
    project = _fresh(forms, tmp_path)
    ids = _answers(project)
    out, inp = project.committee_outputs(FY), project.committee_inputs(FY)
    fill_member_form(
        out / "山田 太郎.xlsx",
        inp / "山田 太郎.xlsx",
        {ids[0]: ("とても順調", "x"), ids[1]: ("", "評価なし")},
    )
    fill_member_form(out / "佐藤 花子.xlsx", inp / "佐藤 花子.xlsx", {ids[0]: ("順調", "")})
    shutil.copy(inp / "佐藤 花子.xlsx", inp / "佐藤 花子 (2).xlsx")  # two workbooks for one member
    wb = load_workbook(out / "鈴木 一郎.xlsx")  # an unknown 施策ID
    wb["意見"]["A4"] = "9-9"
    wb["意見"]["G4"] = "順調"
    wb.save(inp / "鈴木 一郎.xlsx")
    wb = load_workbook(out / "鈴木 一郎.xlsx")  # a member the master does not have
    wb["_meta"]["B4"] = "M99"
    wb.save(inp / "誰か.xlsx")
    (inp / "メモ.xlsx").write_bytes(b"not a workbook")
    result = api.check(project, FY)
    codes = _committee_codes(result)
    assert ("committee-rating-not-in-scale", "committee/山田 太郎.xlsx") in codes
    assert ("committee-opinion-without-rating", "committee/山田 太郎.xlsx") in codes
    assert ("committee-duplicate", "committee/佐藤 花子.xlsx") in codes
    assert ("committee-duplicate", "committee/佐藤 花子 (2).xlsx") in codes
    assert ("committee-unknown-area", "committee/鈴木 一郎.xlsx") in codes
    assert ("committee-unknown-member", "committee/誰か.xlsx") in codes
    assert any(file == "committee/メモ.xlsx" for _, file in codes)
    assert result.report.errors  # the committee's errors are the year's errors
    assert result.committee is not None
    assert all(o.member_id != "M02" for o in result.committee.opinions)  # duplicates: neither used
    findings = load_workbook(project.outputs(FY) / "check" / "findings.xlsx")
    text = " ".join(str(c) for ws in findings for row in ws.iter_rows(values_only=True) for c in row)
    assert "committee-duplicate" in text or "2つ以上" in text


def test_wrong_fiscal_year_is_refused(forms: Project, tmp_path: Path) -> None:
    project = _fresh(forms, tmp_path)
    wb = load_workbook(project.committee_outputs(FY) / "山田 太郎.xlsx")
    wb["_meta"]["B3"] = 2018
    project.committee_inputs(FY).mkdir(parents=True)
    wb.save(project.committee_inputs(FY) / "山田 太郎.xlsx")
    codes = _committee_codes(api.check(project, FY))
    assert ("committee-wrong-fiscal-year", "committee/山田 太郎.xlsx") in codes


def test_responses_workbook_and_its_check(forms: Project, tmp_path: Path) -> None:
    project = _fresh(forms, tmp_path)
    with pytest.raises(UsageError):  # no opinion yet
        api.make_committee_forms(project, FY, responses=True)
    _return_all(project)
    result = api.make_committee_forms(project, FY, responses=True)
    path = project.committee_outputs(FY) / RESPONSES_FILE
    assert result.files == (path,)
    ws = load_workbook(path)["対応"]
    header = [c.value for c in ws[3]]
    assert {"委員ID", "施策ID", "意見", "市の対応"} <= set(header)
    rows = [dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=4, values_only=True)]
    assert [(r["委員ID"], r["意見"]) for r in rows] == [
        ("M01", "子育て支援は着実に進んでいる。"),
        ("M01", "待機児童の解消を急ぐべき。"),
        ("M02", "保育士の確保が課題。"),
    ]
    fill_responses(
        path,
        project.committee_inputs(FY) / RESPONSES_FILE,
        lambda m, a, o: "" if m == "M02" else f"対応: {o}",
    )
    codes = [f.code for f in api.check(project, FY).committee.findings]  # type: ignore[union-attr]
    assert codes.count("committee-response-missing") == 1
    wb = load_workbook(project.committee_inputs(FY) / RESPONSES_FILE)
    wb["対応"]["A4"] = "M77"
    wb.save(project.committee_inputs(FY) / RESPONSES_FILE)
    checked = api.check(project, FY)
    assert "committee-response-unknown" in [f.code for f in checked.committee.findings]  # type: ignore[union-attr]
    # regenerated, 対応.xlsx keeps the answers already written
    fill_responses(path, project.committee_inputs(FY) / RESPONSES_FILE, lambda m, a, o: f"対応: {o}")
    api.make_committee_forms(project, FY, responses=True)
    again = load_workbook(path)["対応"]
    assert again.cell(4, header.index("市の対応") + 1).value == "対応: 子育て支援は着実に進んでいる。"


def test_model_tallies_and_anonymisation(forms: Project, tmp_path: Path) -> None:
    from kpi_report.committee.check import check_committee

    project = _fresh(forms, tmp_path)
    _return_all(project)
    plan = api.load_plan(project)
    report = committee_report(plan, check_committee(project, plan, FY))
    assert report is not None and not report.named
    first = report.areas[0]
    assert first.tally == (2, 1, 0, 0) and first.rated == 3
    assert [(c.member, c.rating) for c in first.comments] == [("委員A", "順調")]
    assert report.areas[1].tally == (0, 0, 1, 1)
    assert report.overall == (("委員A", "計画全体として概ね順調である。"),)
    view = present_committee(report)
    assert view is not None and "委員 3 人のうち 3 人" in view.summary_line
    _with_members(project.master, settings={"委員名の公表": "する"})
    plan = api.load_plan(project)
    named = committee_report(plan, check_committee(project, plan, FY))
    assert named is not None and named.areas[0].comments[0].member == "山田 太郎"


def test_build_puts_the_chapter_in_the_review_and_the_sheet_in_the_list(
    forms: Project, tmp_path: Path
) -> None:
    project = _fresh(forms, tmp_path)
    _return_all(project)
    api.make_committee_forms(project, FY, responses=True)
    fill_responses(
        project.committee_outputs(FY) / RESPONSES_FILE,
        project.committee_inputs(FY) / RESPONSES_FILE,
        lambda m, a, o: f"市は{o[:6]}に対応します。",
    )
    api.build(project, FY)
    pdf = project.outputs(FY) / "annual-review.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "外部評価: 委員 3 人のうち 3 人が評価しました（順調 2・概ね順調 1・やや遅れ 1・遅れ 1）" in text
    assert "委員の評価: 順調 2・概ね順調 1・やや遅れ 0・遅れ 0" in text
    assert "待機児童の解消を急ぐべき。" in text and "市の対応: 市は待機児童の解に対応します。" in text
    assert "計画全体として概ね順調である。" in text
    assert "委員A（評価: やや遅れ）" in text and "山田 太郎" not in text
    ws = load_workbook(project.outputs(FY) / "progress-list.xlsx")["外部評価"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows[0][:7] == ("施策ID", "基本目標", "施策", "順調", "概ね順調", "やや遅れ", "遅れ")
    assert any(r[9] == "保育士の確保が課題。" and r[10] == "市は保育士の確保に対応します。" for r in rows)
    manifest = (project.outputs(FY) / "manifest.json").read_text(encoding="utf-8")
    assert "inputs/2019/committee/対応.xlsx" in manifest
    before = {
        name: (project.outputs(FY) / name).read_bytes()
        for name in ("annual-review.pdf", "progress-list.xlsx")
    }
    api.build(project, FY)
    assert {name: (project.outputs(FY) / name).read_bytes() for name in before} == before


def test_forms_refused_while_department_submissions_have_errors(forms: Project, tmp_path: Path) -> None:
    project = _fresh(forms, tmp_path)
    first = sorted(p for p in project.inputs(FY).glob("*.xlsx"))[0]
    first.write_bytes(b"broken")
    with pytest.raises(InputsHaveErrors):
        api.make_committee_forms(project, FY)
    assert api.make_committee_forms(project, FY, allow_errors=True).files


def test_a_plan_without_members_has_no_committee(tmp_path: Path) -> None:
    project = _copy_sample(tmp_path / "project")
    plan = api.load_plan(project)
    if plan.members:  # the sample has a committee: take it out
        wb = load_workbook(project.master)
        del wb["委員"]
        wb.save(project.master)
    with pytest.raises(UsageError, match="委員"):
        api.make_committee_forms(project, FY)
    result = api.check(project, FY)
    assert result.committee is None
