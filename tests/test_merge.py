"""Merging every year's entries with the master: notes per year, owners combined, statuses, KPIs, orphans."""

from __future__ import annotations

from dataclasses import replace

import kodaira
import pytest

from kpi_report.core.errors import InputsHaveErrors
from kpi_report.core.model import Finding, GradeThresholds, MeasureRow, Plan, ProgressReport, Settings
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return load_plan(kodaira.write_master(tmp_path_factory.mktemp("kodaira") / "master.xlsx"))


def rows(report: ProgressReport) -> dict[str, MeasureRow]:
    return {r.measure.id: r for g in report.goals for a in g.areas for r in a.rows}


def test_every_measure_in_master_order_with_numbers_restarting_per_area(plan: Plan) -> None:
    report = merge(plan, 2019, kodaira.check_reports()).report
    flat = [(a.title, r.measure.number, r.measure.id) for g in report.goals for a in g.areas for r in a.rows]
    assert [i for _, _, i in flat] == [m[0] for m in kodaira.MEASURES]
    assert [(a, n) for a, n, _ in flat[:5]] == [
        ("① 農のあるまちづくりの推進", "1"),
        ("① 農のあるまちづくりの推進", "2"),
        ("① 農のあるまちづくりの推進", "3"),
        ("② 魅力ある都市空間の形成", "1"),
        ("② 魅力ある都市空間の形成", "2"),
    ]
    assert [g.title for g in report.goals] == [kodaira.G1, kodaira.G2, kodaira.G3]
    assert [a.title[0] for a in report.goals[1].areas] == ["①", "②", "③", "④"]


def test_notes_of_every_year_under_era_headings(plan: Plan) -> None:
    report = merge(plan, 2019, kodaira.check_reports()).report
    row = rows(report)["1-1-02"]
    assert [(y.heading, y.points) for y in row.history] == [
        ("【平成28年度】", ("未着手",)),
        (
            "【平成29年度】",
            ("実績なし (前年度事業の検証を踏まえ、平成30年度の実施手法の検討を行いました。)",),
        ),
        ("【平成30年度】", ("市民農園で農業体験講座を開催しました。",)),
        ("【令和元年度】", ("市民農園で農業体験講座を開催しました。",)),
    ]
    assert report.notes_header == "令和元年度までの実施等状況"
    assert report.years == (2016, 2017, 2018, 2019)


def test_heisei_31_when_the_plan_says_so(plan: Plan) -> None:
    heisei = replace(plan, settings=replace(plan.settings, reiwa_for_2019=False))
    report = merge(heisei, 2019, kodaira.check_reports()).report
    assert report.notes_header == "平成31年度までの実施等状況"
    assert rows(report)["1-1-02"].history[-1].heading == "【平成31年度】"


def test_rebuilding_last_year_prints_last_years_issue_date(plan: Plan) -> None:
    dated = replace(
        plan, settings=replace(plan.settings, issue_dates=((2016, "平成29年6月"), (2017, "平成30年6月")))
    )
    assert merge(dated, 2016, kodaira.check_reports()).report.issue_date == "平成29年6月"
    assert merge(dated, 2017, kodaira.check_reports()).report.issue_date == "平成30年6月"


def test_report_year_limits_the_years_shown(plan: Plan) -> None:
    report = merge(plan, 2017, kodaira.check_reports()).report
    assert report.years == (2016, 2017)
    assert [y.heading for y in rows(report)["1-1-01"].history] == ["【平成28年度】", "【平成29年度】"]
    assert rows(report)["1-1-02"].status == "検討中"


def test_plan_start_year_drops_earlier_entries(plan: Plan) -> None:
    later = replace(plan, settings=replace(plan.settings, start_fy=2018))
    report = merge(later, 2019, kodaira.check_reports()).report
    assert [y.fy for y in rows(report)["1-1-01"].history] == [2018, 2019]


def test_without_start_year_the_earliest_input_year_starts(plan: Plan) -> None:
    no_start = replace(plan, settings=replace(plan.settings, start_fy=None))
    reports = kodaira.check_reports()
    del reports[2016]
    report = merge(no_start, 2019, reports).report
    assert report.years == (2017, 2018, 2019)


def test_a_year_without_entry_or_notes_is_left_out(plan: Plan) -> None:
    report = merge(plan, 2019, kodaira.check_reports()).report
    added_later = rows(report)["2-4-02"]
    assert [y.heading for y in added_later.history] == ["【令和元年度】"]
    no_notes = rows(report)["2-3-01"]  # 2016 entry had a status but no notes; nothing after
    assert no_notes.history == ()
    assert no_notes.status == ""


def test_several_owners_combined_lead_first_duplicates_once(plan: Plan) -> None:
    report = merge(plan, 2019, kodaira.check_reports()).report
    row = rows(report)["1-2-01"]
    assert row.measure.owners == ("都市開発課", "都市計画課", "産業振興課")
    assert row.history[0].points == (
        "《小川駅西口地区》",
        kodaira.LONG_POINT,
        "共通の取組：権利者説明会を開催しました。",
        "都市計画決定の手続を行いました。",
        "駅前のにぎわい創出を検討しました。",
    )


def test_owner_order_follows_the_master_not_the_input_order(plan: Plan) -> None:
    reports = kodaira.check_reports()
    reports[2016] = replace(reports[2016], measure_entries=tuple(reversed(reports[2016].measure_entries)))
    report = merge(plan, 2019, reports).report
    assert rows(report)["1-2-01"].history[0].points[0] == "《小川駅西口地区》"


def test_conflicting_statuses_are_a_finding_and_the_lead_owner_wins(plan: Plan) -> None:
    result = merge(plan, 2019, kodaira.check_reports())
    assert rows(result.report)["1-2-01"].status == "実施中"
    assert [(f.code, f.item_id, f.severity) for f in result.findings] == [
        ("status-conflict", "1-2-01", "warning")
    ]
    assert "都市計画課: 完了" in result.findings[0].value
    assert "筆頭所管課" in result.findings[0].message
    assert merge(plan, 2018, kodaira.check_reports()).findings == ()


def test_entries_for_ids_not_in_the_master_are_listed(plan: Plan) -> None:
    reports = kodaira.check_reports()
    extra = replace(reports[2019].kpi_entries[0], kpi_id="K-OLD")
    reports[2019] = replace(reports[2019], kpi_entries=(*reports[2019].kpi_entries, extra))
    report = merge(plan, 2019, reports).report
    assert report.orphan_ids == ("9-9-99", "K-OLD")
    assert "9-9-99" not in rows(report)


def test_kpi_actuals_per_year_rate_and_grade(plan: Plan) -> None:
    report = merge(plan, 2019, kodaira.check_reports()).report
    kpis = {k.kpi.id: k for g in report.goals for k in (*g.indicators, *(x for a in g.areas for x in a.kpis))}
    farmers = kpis["K1-1"]  # baseline 60 → target 80, actual 69
    assert farmers.actuals == ((2016, 66.0), (2017, 67.0), (2018, 68.0), (2019, 69.0))
    assert farmers.rate == pytest.approx(0.45)
    assert farmers.grade == "C"
    waiting = kpis["K2-1"]  # 減少: 45 → 20, actual 41
    assert waiting.rate == pytest.approx((41 - 45) / (20 - 45))
    assert kpis["G1"].rate is None and kpis["G1"].grade == ""  # reported as －
    assert kpis["K2-2"].actuals[-1] == (2019, None)  # never reported
    assert [k.kpi.id for k in report.goals[0].indicators] == ["G1"]


def test_status_counts_per_goal(plan: Plan) -> None:
    report = merge(plan, 2019, kodaira.check_reports()).report
    assert report.status_columns[:6] == Settings().statuses
    assert report.status_columns[-1] == "未報告"
    counts = {c.goal: dict(zip(report.status_columns, c.counts, strict=True)) for c in report.status_counts}
    assert counts[kodaira.G1]["実施中"] == 5
    assert counts[kodaira.G2]["未報告"] == 1
    assert sum(sum(c.counts) for c in report.status_counts) == len(kodaira.MEASURES)


def test_report_year_errors_refuse_unless_allowed(plan: Plan) -> None:
    error = Finding(code="status-not-in-scale", severity="error", message="…", department="学務課")
    reports = kodaira.check_reports()
    reports[2019] = replace(reports[2019], findings=(error,))
    with pytest.raises(InputsHaveErrors, match="1 件のエラー"):
        merge(plan, 2019, reports)
    report = merge(plan, 2019, reports, allow_errors=True).report
    assert [r.measure.id for r in rows(report).values() if r.flagged] == ["2-2-01"]
    assert report.flagged_departments == ("学務課",)


def test_earlier_year_errors_do_not_refuse(plan: Plan) -> None:
    error = Finding(code="status-not-in-scale", severity="error", message="…", department="学務課")
    reports = kodaira.check_reports()
    reports[2017] = replace(reports[2017], findings=(error,))
    report = merge(plan, 2019, reports).report
    assert not any(r.flagged for r in rows(report).values())


def test_control_characters_in_notes_are_cleaned(plan: Plan) -> None:
    reports = kodaira.check_reports(2016)
    dirty = replace(reports[2016].measure_entries[0], notes=("説明会\x07を開催\u200bしました。",))
    reports[2016] = replace(reports[2016], measure_entries=(dirty, *reports[2016].measure_entries[1:]))
    report = merge(plan, 2016, reports).report
    assert rows(report)["1-1-01"].history[0].points == ("説明会を開催しました。",)


def test_grade_thresholds_travel_with_the_report(plan: Plan) -> None:
    strict = replace(plan, settings=replace(plan.settings, grades=GradeThresholds(a=1.2, b=0.8, c=0.1)))
    assert merge(strict, 2019, kodaira.check_reports()).report.grade_thresholds == GradeThresholds(
        1.2, 0.8, 0.1
    )
