"""効果検証 in the department forms and in check, on real files: a sample-based master with evaluation enabled,
forms made and read back (columns, drop-downs, protection, the 主管課's sheet 施策評価), filled by program and
checked (good and bad inputs, exact cells and codes), and last year's direction carried into next year's form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from kpi_report.core.columns import (
    AREA_ISSUES_COLUMN,
    AREA_KPIS_COLUMN,
    BUDGET_COLUMN,
    DIRECTION_COLUMN,
    FACTORS_COLUMN,
    ISSUES_COLUMN,
    NOT_EVALUABLE_COLUMN,
    PREVIOUS_DIRECTION_COLUMN,
    RESPONSE_COLUMN,
    SETTLEMENT_COLUMN,
)
from kpi_report.core.model import Plan
from kpi_report.core.project import Project
from kpi_report.forms.layout import AREA_SHEET, HEADER_ROW, KPI_SHEET, META_SHEET, PROGRESS_SHEET
from kpi_report.forms.writer import write_forms
from kpi_report.plan.master import check_master
from kpi_report.validate.check import check_year
from tools.fill_forms import fill_form

LEAD = "企画課"  # leads the first 施策 of every goal in the test master; owns measures and KPIs
LEAD_ONLY = "総務課"  # leads one 施策 and owns nothing else
FY = 2019


def _evaluation_master(folder: Path, settings: dict[str, str], plain: Path) -> Path:
    """The plain sample master ``plain`` with evaluation settings and a sheet 施策: 企画課 leads the first 施策
    of each goal, 総務課 (no measures, no KPIs) the second 施策 of the first goal, each measure's first owner
    the rest."""
    plan, _ = check_master(plain)
    assert plan is not None
    wb = load_workbook(plain)
    assert "施策" not in wb.sheetnames
    ws = wb["設定"] if "設定" in wb.sheetnames else wb.create_sheet("設定")
    for key, value in settings.items():
        ws.append([key, value])
    sheet = wb.create_sheet("施策")
    sheet.append(["施策ID", "基本目標", "施策", "主管課"])
    for g, goal in enumerate(plan.goals, start=1):
        for a, area in enumerate(goal.areas, start=1):
            lead = LEAD if a == 1 else LEAD_ONLY if (g, a) == (1, 2) else area.measures[0].owners[0]
            sheet.append([f"{g}-{a}", goal.title, area.title, lead])
    path = folder / "inputs" / "master.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, plain_master: Path) -> tuple[Project, Plan]:
    root = tmp_path_factory.mktemp("evaluation")
    path = _evaluation_master(
        root, {"今後の方向性": "拡充、継続、改善、縮小、廃止、終了", "事業費": "記入する"}, plain_master
    )
    plan, findings = check_master(path)
    assert plan is not None and not [f for f in findings if f.severity == "error"]
    assert plan.settings.evaluation and plan.settings.budgets
    return Project(root), plan


@pytest.fixture(scope="module")
def forms(project: tuple[Project, Plan]) -> dict[str, Path]:
    proj, plan = project
    return dict(zip(plan.departments, write_forms(proj, plan, FY), strict=True))


def _headers(ws: Any) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[HEADER_ROW] if c.value}


def _validations(ws: Any) -> dict[str, tuple[str, str | None]]:
    """{first cell of the range: (type, formula1)}."""
    return {str(v.sqref).split(":")[0]: (v.type, v.formula1) for v in ws.data_validations.dataValidation}


def _letter(col: int) -> str:
    return get_column_letter(col)


def _text(ws: Any, row: int, col: int) -> str:
    return str(ws.cell(row, col).value or "")


def test_progress_and_kpi_sheets_gain_the_evaluation_columns(forms: dict[str, Path]) -> None:
    wb = load_workbook(forms[LEAD])
    assert wb.sheetnames == ["記入方法", PROGRESS_SHEET, KPI_SHEET, AREA_SHEET, META_SHEET]
    ws = wb[PROGRESS_SHEET]
    cols = _headers(ws)
    assert list(cols)[-5:] == [
        PREVIOUS_DIRECTION_COLUMN,
        DIRECTION_COLUMN,
        ISSUES_COLUMN,
        BUDGET_COLUMN,
        SETTLEMENT_COLUMN,
    ]
    first = HEADER_ROW + 1
    rules = _validations(ws)
    assert rules[f"{_letter(cols[DIRECTION_COLUMN])}{first}"] == ("list", '"拡充,継続,改善,縮小,廃止,終了"')
    assert rules[f"{_letter(cols[BUDGET_COLUMN])}{first}"][0] == "whole"
    assert rules[f"{_letter(cols[SETTLEMENT_COLUMN])}{first}"][0] == "whole"
    assert ws.protection.sheet
    for name in (DIRECTION_COLUMN, ISSUES_COLUMN, BUDGET_COLUMN, SETTLEMENT_COLUMN):
        assert ws.cell(first, cols[name]).protection.locked is False, name
    assert ws.cell(first, cols[PREVIOUS_DIRECTION_COLUMN]).protection.locked is True
    kpi = wb[KPI_SHEET]
    kcols = _headers(kpi)
    assert list(kcols)[-1] == NOT_EVALUABLE_COLUMN
    reason = f"{_letter(kcols[NOT_EVALUABLE_COLUMN])}{first}"
    assert _validations(kpi)[reason] == ("list", '"未公表,調査年度でない,事業終了,その他"')
    assert kpi[reason].protection.locked is False
    yellow = {str(r.sqref): r.rules[0].formula for r in kpi.conditional_formatting}
    assert any(NOT_EVALUABLE_COLUMN and f and "ISBLANK" in f[0] for f in yellow.values())


def test_a_lead_gets_the_sheet_area_evaluation(forms: dict[str, Path], project: Any) -> None:
    _, plan = project
    wb = load_workbook(forms[LEAD])
    ws = wb[AREA_SHEET]
    cols = _headers(ws)
    assert list(cols) == [
        "施策ID",
        "基本目標",
        "施策",
        AREA_KPIS_COLUMN,
        "取組の進捗（前年度）",
        PREVIOUS_DIRECTION_COLUMN,
        "前年度の課題",
        FACTORS_COLUMN,
        AREA_ISSUES_COLUMN,
        DIRECTION_COLUMN,
        RESPONSE_COLUMN,
    ]
    led = [a.id for a in plan.policy_areas_led_by(LEAD)]
    ids = [ws.cell(r, 1).value for r in range(HEADER_ROW + 1, ws.max_row + 1)]
    assert ids == led and len(led) >= 4
    row = HEADER_ROW + 1
    assert "前年度の実績なし" in _text(ws, row, cols[AREA_KPIS_COLUMN])  # no FY2018 inputs here
    for name in (FACTORS_COLUMN, AREA_ISSUES_COLUMN, DIRECTION_COLUMN, RESPONSE_COLUMN):
        assert ws.cell(row, cols[name]).protection.locked is False
    assert ws.cell(row, cols[AREA_KPIS_COLUMN]).protection.locked is True
    assert ws.protection.sheet
    assert _validations(ws)[f"{_letter(cols[DIRECTION_COLUMN])}{row}"][0] == "list"
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
    assert str(meta["施策ID"]).split("\n") == led


def test_a_lead_without_measures_still_gets_a_form(forms: dict[str, Path]) -> None:
    wb = load_workbook(forms[LEAD_ONLY])
    assert AREA_SHEET in wb.sheetnames and KPI_SHEET not in wb.sheetnames
    assert wb[AREA_SHEET].cell(HEADER_ROW + 1, 1).value == "1-2"


def test_a_department_that_leads_nothing_has_no_area_sheet(forms: dict[str, Path], project: Any) -> None:
    _, plan = project
    other = next(d for d in plan.departments if not plan.policy_areas_led_by(d))
    wb = load_workbook(forms[other])
    assert AREA_SHEET not in wb.sheetnames
    assert PREVIOUS_DIRECTION_COLUMN in _headers(wb[PROGRESS_SHEET])


def _fill_good(plan: Plan, department: str, form: Path, out: Path, **overrides: Any) -> None:
    """Every input of the department filled validly; ``overrides`` update fill_form's mappings."""
    measures = {m.id: ("実施中", "実施しました。") for m in plan.measures_of(department)}
    args: dict[str, Any] = {
        "kpis": {k.id: 1 for k in plan.kpis_of(department)},
        "directions": {m.id: "継続" for m in plan.measures_of(department)},
        "issues": {m.id: "周知の方法" for m in plan.measures_of(department)},
        "budgets": {m.id: (1200, "1,150") for m in plan.measures_of(department)},
        "areas": {
            a.id: {FACTORS_COLUMN: "理由", AREA_ISSUES_COLUMN: "課題", DIRECTION_COLUMN: "拡充"}
            for a in plan.policy_areas_led_by(department)
        },
        "not_evaluable": {},
    }
    for key, values in overrides.items():
        if key == "areas":  # column by column
            for area_id, texts in values.items():
                args[key].setdefault(area_id, {}).update(texts)
        else:
            args[key].update(values)
    kpis = args.pop("kpis")
    fill_form(form, out, measures, kpis, **args)


def _findings(proj: Project, plan: Plan, department: str) -> list[tuple[str, str, str]]:
    report = check_year(proj, plan, FY)
    return sorted((f.sheet, f.cell, f.code) for f in report.findings if f.department == department)


def _inputs(proj: Project) -> Path:
    folder = proj.root / "inputs" / str(FY)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    return folder


def test_good_inputs_are_read_into_the_entries(project: Any, forms: dict[str, Path]) -> None:
    proj, plan = project
    folder = _inputs(proj)
    _fill_good(plan, LEAD, forms[LEAD], folder / f"{LEAD}.xlsx")
    report = check_year(proj, plan, FY)
    assert [f for f in report.findings if f.department == LEAD] == []
    entry = next(e for e in report.measure_entries if e.department == LEAD)
    assert (entry.direction, entry.issues, entry.budget, entry.settlement) == (
        "継続",
        "周知の方法",
        1200,
        1150,
    )
    areas = {a.area_id: a for a in report.area_entries}
    assert set(areas) == {a.id for a in plan.policy_areas_led_by(LEAD)}
    assert (areas["1-1"].factors, areas["1-1"].direction) == ("理由", "拡充")


def test_bad_inputs_are_findings_on_their_cells(project: Any, forms: dict[str, Path]) -> None:
    proj, plan = project
    folder = _inputs(proj)
    ms = [m.id for m in plan.measures_of(LEAD)]
    ks = [k.id for k in plan.kpis_of(LEAD)]
    assert len(ms) >= 5 and len(ks) >= 4
    _fill_good(
        plan,
        LEAD,
        forms[LEAD],
        folder / f"{LEAD}.xlsx",
        directions={ms[0]: "やめる", ms[1]: "", **{m: "継続" for m in ms[2:]}},
        budgets={
            ms[0]: ("１，２００", 0),
            ms[1]: (1, 1),
            ms[2]: (-5, 10),
            ms[3]: ("千二百", 10),
            ms[4]: (None, 10),
        },
        kpis={ks[0]: None, ks[1]: None, ks[2]: 10, ks[3]: None},
        not_evaluable={ks[1]: "未公表", ks[2]: "未公表", ks[3]: "気分"},
        areas={
            "1-1": {FACTORS_COLUMN: "理由", AREA_ISSUES_COLUMN: "課題", DIRECTION_COLUMN: "適当"},
            "2-1": {FACTORS_COLUMN: "理由", AREA_ISSUES_COLUMN: "課題", DIRECTION_COLUMN: ""},
        },
    )
    wb = load_workbook(forms[LEAD])
    p, k, a = (_headers(wb[s]) for s in (PROGRESS_SHEET, KPI_SHEET, AREA_SHEET))
    row = HEADER_ROW + 1

    def at(cols: dict[str, int], name: str, offset: int) -> str:
        return f"{_letter(cols[name])}{row + offset}"

    led = plan.policy_areas_led_by(LEAD)
    area_rows = {a.id: i for i, a in enumerate(led)}
    expected = [
        (PROGRESS_SHEET, at(p, DIRECTION_COLUMN, 0), "direction-not-in-scale"),
        (PROGRESS_SHEET, at(p, DIRECTION_COLUMN, 1), "direction-missing"),
        (PROGRESS_SHEET, at(p, BUDGET_COLUMN, 2), "budget-negative"),
        (PROGRESS_SHEET, at(p, BUDGET_COLUMN, 3), "budget-not-a-number"),
        (PROGRESS_SHEET, at(p, BUDGET_COLUMN, 4), "budget-missing"),
        (KPI_SHEET, at(k, "実績値", 0), "reason-missing"),
        (KPI_SHEET, at(k, NOT_EVALUABLE_COLUMN, 2), "reason-with-actual"),
        (KPI_SHEET, at(k, NOT_EVALUABLE_COLUMN, 3), "reason-not-in-scale"),
        (AREA_SHEET, at(a, DIRECTION_COLUMN, area_rows["1-1"]), "direction-not-in-scale"),
        (AREA_SHEET, at(a, DIRECTION_COLUMN, area_rows["2-1"]), "direction-missing"),
    ]
    assert _findings(proj, plan, LEAD) == sorted(expected)
    report = check_year(proj, plan, FY)
    reasons = {e.kpi_id: e.not_evaluable for e in report.kpi_entries}
    assert (reasons[ks[1]], reasons[ks[2]]) == ("未公表", "")  # with an actual the reason is dropped
    budget = {e.measure_id: e.budget for e in report.measure_entries}
    assert budget[ms[0]] == 1200  # full-width digits and comma read as 実績値 are


def test_area_sheet_rows_ids_and_the_missing_sheet(
    project: Any, forms: dict[str, Path], tmp_path: Path
) -> None:
    proj, plan = project
    folder = _inputs(proj)
    out = folder / f"{LEAD}.xlsx"
    _fill_good(plan, LEAD, forms[LEAD], out)
    wb = load_workbook(out)
    ws = wb[AREA_SHEET]
    first = HEADER_ROW + 1
    ws.cell(first, 1).value = "9-9"  # unknown
    ws.cell(first + 1, 1).value = "1-2"  # led by 総務課
    ws.cell(first + 2, 1).value = ws.cell(first + 3, 1).value  # duplicate
    wb.save(out)
    led = [a.id for a in plan.policy_areas_led_by(LEAD)]
    got = _findings(proj, plan, LEAD)
    assert got == sorted(
        [
            (AREA_SHEET, f"A{first}", "unknown-id"),
            (AREA_SHEET, f"A{first + 1}", "not-owned"),
            (AREA_SHEET, f"A{first + 3}", "duplicate-id"),
            (AREA_SHEET, "", "missing-area"),
            (AREA_SHEET, "", "missing-area"),
            (AREA_SHEET, "", "missing-area"),
        ]
    ), led
    # the sheet removed: an error for a lead
    wb = load_workbook(forms[LEAD_ONLY])
    wb.remove(wb[AREA_SHEET])
    wb.save(folder / f"{LEAD_ONLY}.xlsx")
    assert (AREA_SHEET, "", "missing-sheet") in _findings(proj, plan, LEAD_ONLY)


def test_a_blank_analysis_of_a_poorly_graded_area_is_a_warning(project: Any, forms: dict[str, Path]) -> None:
    """The grades are this year's, from every workbook of the batch: the KPI may be another department's."""
    proj, plan = project
    folder = _inputs(proj)
    led = plan.policy_areas_led_by(LEAD)
    graded, area = next(
        (k, a)
        for a in led
        for k in plan.kpis
        if (k.goal, k.area) == (a.goal, a.title) and k.direction == "増加" and k.baseline and k.target
    )
    no_gain = {graded.id: graded.baseline}  # rate 0 %: D
    blank = {area.id: {FACTORS_COLUMN: ""}}
    _fill_good(plan, LEAD, forms[LEAD], folder / f"{LEAD}.xlsx", areas=blank, kpis=no_gain)
    if graded.owner != LEAD:
        _fill_good(plan, graded.owner, forms[graded.owner], folder / f"{graded.owner}.xlsx", kpis=no_gain)
    a = _headers(load_workbook(forms[LEAD])[AREA_SHEET])
    row = HEADER_ROW + 1 + [x.id for x in led].index(area.id)
    assert _findings(proj, plan, LEAD) == [
        (AREA_SHEET, f"{_letter(a[FACTORS_COLUMN])}{row}", "area-factors-missing")
    ]
    report = check_year(proj, plan, FY)
    warning = next(f for f in report.findings if f.code == "area-factors-missing")
    assert f"{graded.name}: D" in warning.message and warning.severity == "warning"
    # written, it is no finding
    _fill_good(plan, LEAD, forms[LEAD], folder / f"{LEAD}.xlsx", kpis=no_gain)
    assert _findings(proj, plan, LEAD) == []


def test_last_years_direction_is_carried_into_next_years_form(project: Any, forms: dict[str, Path]) -> None:
    proj, plan = project
    folder = _inputs(proj)
    first = plan.measures_of(LEAD)[0].id
    _fill_good(
        plan,
        LEAD,
        forms[LEAD],
        folder / f"{LEAD}.xlsx",
        directions={m.id: ("縮小" if m.id == first else "継続") for m in plan.measures_of(LEAD)},
        areas={"1-1": {FACTORS_COLUMN: "理由", AREA_ISSUES_COLUMN: "保育士の確保", DIRECTION_COLUMN: "拡充"}},
    )
    previous = check_year(proj, plan, FY, past=True)
    paths = write_forms(proj, plan, FY + 1, previous=previous)
    wb = load_workbook(next(p for p in paths if p.stem == LEAD))
    ws = wb[PROGRESS_SHEET]
    cols = _headers(ws)
    assert ws.cell(HEADER_ROW + 1, cols[PREVIOUS_DIRECTION_COLUMN]).value == "縮小"
    assert ws.cell(HEADER_ROW + 2, cols[PREVIOUS_DIRECTION_COLUMN]).value == "継続"
    areas = wb[AREA_SHEET]
    acols = _headers(areas)
    assert areas.cell(HEADER_ROW + 1, acols[PREVIOUS_DIRECTION_COLUMN]).value == "拡充"
    assert areas.cell(HEADER_ROW + 1, acols["前年度の課題"]).value == "保育士の確保"
    context = [_text(areas, r, acols[AREA_KPIS_COLUMN]) for r in range(HEADER_ROW + 1, areas.max_row + 1)]
    assert any("達成率" in text and "評価" in text for text in context)  # LEAD's own KPIs, reported last year
    tallies = [
        _text(areas, r, acols["取組の進捗（前年度）"]) for r in range(HEADER_ROW + 1, areas.max_row + 1)
    ]
    assert any("実施中" in t for t in tallies) and all(t.endswith("件）") for t in tallies)
    # next year: the response to last year's direction is asked for (a warning when blank)
    next_folder = proj.root / "inputs" / str(FY + 1)
    next_folder.mkdir(parents=True, exist_ok=True)
    filled = next_folder / f"{LEAD}.xlsx"
    _fill_good(plan, LEAD, next(p for p in paths if p.stem == LEAD), filled)
    report = check_year(proj, plan, FY + 1)
    flagged = [(f.cell, f.code) for f in report.findings if f.department == LEAD]
    led = plan.policy_areas_led_by(LEAD)  # every 施策 had a direction last year (拡充 filled for all)
    response = _letter(acols[RESPONSE_COLUMN])
    assert flagged == [(f"{response}{HEADER_ROW + 1 + i}", "area-response-missing") for i in range(len(led))]
    fill_form(filled, filled, {}, {}, areas={a.id: {RESPONSE_COLUMN: "定員を増やした"} for a in led})
    assert [f for f in check_year(proj, plan, FY + 1).findings if f.department == LEAD] == []


def test_a_plan_without_evaluation_is_read_as_before(tmp_path: Path, plain_plan: Plan) -> None:
    proj = Project(tmp_path)
    paths = write_forms(proj, plain_plan, FY)
    department = plain_plan.kpis[0].owner
    form = next(p for p in paths if p.stem == department)
    wb = load_workbook(form)
    assert AREA_SHEET not in wb.sheetnames
    assert NOT_EVALUABLE_COLUMN not in _headers(wb[KPI_SHEET])
    assert "施策ID" not in {r[0] for r in wb[META_SHEET].iter_rows(values_only=True)}
    folder = tmp_path / "inputs" / str(FY)
    measures = {m.id: ("実施中", "実施しました。") for m in plain_plan.measures_of(department)}
    fill_form(form, folder / form.name, measures, {})
    codes = {f.code for f in check_year(proj, plain_plan, FY).findings if f.department == department}
    assert "actual-not-reported" in codes and "reason-missing" not in codes
