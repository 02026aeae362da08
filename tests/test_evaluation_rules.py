"""効果検証 rules, table-driven: grade schemes of several cities, both methods, 維持 with a tolerance,
"cannot evaluate", and the master's evaluation settings (docs/master-format.md#evaluation)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from kpi_report.core.achievement import evaluate_kpi, expected_share, grade_label
from kpi_report.core.model import NOT_EVALUABLE, GradeScheme, Kpi
from kpi_report.plan.evaluation import parse_grade_scheme
from kpi_report.plan.master import check_master

REPO = Path(__file__).resolve().parents[1]


def kpi(
    direction: str = "増加",
    baseline: float | None = 100,
    target: float | None = 200,
    baseline_fy: int | None = 2014,
    target_fy: int | None = 2019,
    method: str | None = None,
) -> Kpi:
    return Kpi(
        "K1",
        "G",
        "A",
        "指標",
        "人",
        baseline,
        "",
        baseline_fy,
        target,
        "",
        target_fy,
        direction,
        "",
        "課",
        method=method,  # type: ignore[arg-type]
    )


def scheme(text: str) -> GradeScheme:
    parsed, why = parse_grade_scheme(text)
    assert parsed is not None, why
    return parsed


@pytest.mark.parametrize(
    ("text", "rate", "label"),
    [
        # the default A–D: C for any gain, D for none or worse
        ("A:100%、B:50%、C:0%、D", 1.0, "A"),
        ("A:100%、B:50%、C:0%、D", 0.5, "B"),
        ("A:100%、B:50%、C:0%、D", 0.01, "C"),
        ("A:100%、B:50%、C:0%、D", 0.0, "D"),
        ("A:100%、B:50%、C:0%、D", -0.3, "D"),
        # 長与町 style S/A/B/C
        ("S:120%、A:100%、B:70%、C", 1.25, "S"),
        ("S:120%、A:100%、B:70%、C", 0.7, "B"),
        ("S:120%、A:100%、B:70%、C", 0.69, "C"),
        # いの町 style ◎○△×, full-width colon and percent
        ("◎：100％、○：80％、△：50％、×", 0.85, "○"),
        ("◎:100%、○:80%、△:50%、×", 0.2, "×"),
        # rates written as fractions
        ("A:1、B:0.5、C", 0.6, "B"),
    ],
)
def test_grade_labels_of_each_style(text: str, rate: float, label: str) -> None:
    assert grade_label(rate, scheme(text)) == label


@pytest.mark.parametrize(
    "text",
    [
        "A",
        "A:100%、B:100%、C",
        "A:50%、B:80%、C",
        "A:100%、B:x%、C",
        "A:100%、A:50%、B",
        "A:100%、B:50%、C:0%",
    ],
)
def test_a_scheme_that_cannot_work_is_refused(text: str) -> None:
    parsed, why = parse_grade_scheme(text)
    assert parsed is None and why


@pytest.mark.parametrize(
    ("k", "actual", "method", "fy", "rate", "grade"),
    [
        (kpi(), 150, "目標比", 2016, 0.5, "B"),
        # 経過按分: after 2 of 5 years (2014 → 2019), 40 % of the way is on track
        (kpi(), 140, "経過按分", 2016, 0.4, "A"),
        (kpi(), 120, "経過按分", 2016, 0.2, "B"),
        (kpi(method="目標比"), 140, "経過按分", 2016, 0.4, "C"),  # the KPI's own method wins
        (kpi(method="経過按分"), 140, "目標比", 2016, 0.4, "A"),
        # 減少 by the same formula
        (kpi("減少", 45, 20), 30, "目標比", 2019, 0.6, "B"),
        # 維持 with baseline = target: graded, no division by zero
        (kpi("維持", 80, 80), 80, "目標比", 2019, 1.0, "A"),
        (kpi("維持", 80, 80), 40, "目標比", 2019, 0.5, "B"),
    ],
)
def test_rates_and_grades_by_method(
    k: Kpi, actual: float, method: str, fy: int, rate: float, grade: str
) -> None:
    result = evaluate_kpi(k, actual, fy, GradeScheme(), method)  # type: ignore[arg-type]
    assert result.rate == pytest.approx(rate)
    assert result.grade == grade


def test_keep_within_the_tolerance_is_achieved() -> None:
    assert evaluate_kpi(kpi("維持", 80, 80), 77, 2019, GradeScheme(), tolerance=0.05).grade == "A"
    assert evaluate_kpi(kpi("維持", 80, 80), 75, 2019, GradeScheme(), tolerance=0.05).grade == "B"


def test_cannot_evaluate_is_a_state_with_its_reason_never_a_d() -> None:
    result = evaluate_kpi(kpi(), None, 2019, GradeScheme(), not_evaluable="未公表")
    assert (result.rate, result.grade, result.not_evaluable) == (None, NOT_EVALUABLE, "未公表")
    assert evaluate_kpi(kpi(), None, 2019, GradeScheme()).grade == ""  # not reported: no grade, no D


@pytest.mark.parametrize(
    ("baseline_fy", "target_fy", "fy", "share"),
    [(2014, 2019, 2016, 0.4), (2014, 2019, 2019, 1.0), (2014, 2019, 2021, 1.0), (None, 2019, 2016, None)],
)
def test_expected_share_of_the_elapsed_years(
    baseline_fy: int | None, target_fy: int, fy: int, share: float | None
) -> None:
    got = expected_share(kpi(baseline_fy=baseline_fy, target_fy=target_fy), fy)
    assert got == (pytest.approx(share) if share is not None else None)


def _master_with(
    tmp_path: Path, plain: Path, settings: dict[str, str], areas: list[list[str]] | None = None
) -> Path:
    """The plain sample master ``plain`` (no 施策) with ``settings`` added and, given ``areas``, a sheet 施策."""
    wb = load_workbook(plain)
    ws = wb["設定"] if "設定" in wb.sheetnames else wb.create_sheet("設定")
    for key, value in settings.items():
        ws.append([key, value])
    if areas is not None:
        sheet = wb.create_sheet("施策")
        sheet.append(["施策ID", "基本目標", "施策", "主管課"])
        for row in areas:
            sheet.append(row)
    path = tmp_path / "master.xlsx"
    wb.save(path)
    return path


def test_evaluation_settings_are_read(tmp_path: Path, plain_master: Path) -> None:
    path = _master_with(
        tmp_path,
        plain_master,
        {
            "評価区分": "◎:100%、○:80%、△:50%、×",
            "今後の方向性": "拡充、継続、見直し、廃止",
            "評価方式": "経過按分",
            "維持の許容幅": "5%",
            "事業費": "記入する",
        },
    )
    plan, findings = check_master(path)
    assert plan is not None and [f.code for f in findings if f.severity == "error"] == []
    s = plan.settings
    assert s.evaluation and s.budgets and s.method == "経過按分"
    assert s.scheme.labels == ("◎", "○", "△", "×")
    assert s.directions == ("拡充", "継続", "見直し", "廃止")
    assert s.maintain_tolerance == pytest.approx(0.05)


def test_a_plan_without_evaluation_keeps_the_old_settings(plain_master: Path) -> None:
    plan, _ = check_master(plain_master)
    assert plan is not None and not plan.settings.evaluation and plan.policy_areas == ()
    assert plan.settings.scheme.labels == ("A", "B", "C", "D")


def test_bad_evaluation_settings_are_findings_on_their_cells(tmp_path: Path, plain_master: Path) -> None:
    path = _master_with(
        tmp_path,
        plain_master,
        {"評価区分": "A:50%、B:80%、C", "評価方式": "適当", "事業費": "たぶん", "今後の方向性": "継続、継続"},
    )
    _, findings = check_master(path)
    flagged = sorted((f.code, f.value) for f in findings if f.sheet == "設定")
    assert flagged == [
        ("master-bad-setting", "A:50%、B:80%、C"),
        ("master-bad-setting", "たぶん"),
        ("master-bad-setting", "適当"),
        ("master-setting-conflict", "継続、継続"),
    ]


def test_sheet_policy_areas_names_the_lead_of_each_area(tmp_path: Path, plain_master: Path) -> None:
    plan, _ = check_master(plain_master)
    assert plan is not None
    goal, area = plan.goals[0].title, plan.goals[0].areas[0].title
    path = _master_with(
        tmp_path,
        plain_master,
        {},
        [
            ["1-1", goal, area, "子育て支援課"],
            ["1-1", goal, area, "企画課"],
            ["9-9", goal, "ない施策", "企画課"],
        ],
    )
    loaded, findings = check_master(path)
    assert loaded is not None
    assert [(p.id, p.lead) for p in loaded.policy_areas] == [("1-1", "子育て支援課")]
    assert loaded.settings.evaluation
    assert sorted((f.cell, f.code) for f in findings if f.sheet == "施策") == [
        ("A3", "master-duplicate-id"),
        ("C4", "master-area-unknown"),
    ]
