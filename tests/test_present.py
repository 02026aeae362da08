"""The presenter: the published table's text rules, decided once for the workbook, the page and the PDF."""

from __future__ import annotations

from dataclasses import replace

import kodaira
import pytest

from kpi_report.core.model import (
    GradeThresholds,
    Kpi,
    KpiRow,
    Measure,
    MeasureRow,
    Plan,
    ProgressReport,
    YearNotes,
)
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.present.table import (
    MISSING,
    MeasureView,
    format_number,
    kpi_view,
    measure_view,
    note_lines,
    present,
    value_text,
)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return load_plan(kodaira.write_master(tmp_path_factory.mktemp("kodaira") / "master.xlsx"))


@pytest.fixture(scope="module")
def report(plan: Plan) -> ProgressReport:
    return merge(plan, 2019, kodaira.check_reports()).report


def views(report: ProgressReport) -> dict[str, MeasureView]:
    return {r.measure.id: r for g in present(report).goals for a in g.areas for r in a.rows}


def measure(**changes: object) -> Measure:
    base = Measure(
        id="1-1-01", goal="基本目標1", area="① 施策", number="1", name="名称", content="内容", owners=()
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def kpi(**changes: object) -> Kpi:
    base = Kpi(
        id="K1",
        goal="基本目標1",
        area="① 施策",
        name="認定農業者数",
        unit="経営体",
        baseline=None,
        baseline_text="",
        baseline_fy=None,
        target=None,
        target_text="",
        target_fy=None,
        direction="増加",
        source="",
        owner="産業振興課",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_related_departments_follow_the_owners_in_half_width_brackets() -> None:
    row = MeasureRow(
        measure(owners=("都市計画課",), related=("地域整備支援課", "水と緑と公園課")), "実施中", ()
    )
    view = measure_view(row, 2019)
    assert view.departments_text == "都市計画課\n(地域整備支援課)\n(水と緑と公園課)"
    assert [(d.text, d.related) for d in view.departments] == [
        ("都市計画課", False),
        ("(地域整備支援課)", True),
        ("(水と緑と公園課)", True),
    ]
    assert view.departments_inline == "都市計画課(地域整備支援課)(水と緑と公園課)"


def test_three_owners_on_three_lines_without_brackets() -> None:
    view = measure_view(MeasureRow(measure(owners=("企画政策課", "財政課", "行政経営課")), "完了", ()), 2019)
    assert view.departments_text == "企画政策課\n財政課\n行政経営課"
    assert "(" not in view.departments_inline and view.departments_inline == "企画政策課・財政課・行政経営課"


def test_note_lines_with_year_headings_sub_headings_and_points(report: ProgressReport) -> None:
    view = views(report)["1-2-01"]
    assert view.note_lines[:3] == ("【平成28年度】", "《小川駅西口地区》", "・" + kodaira.LONG_POINT)
    first = view.notes[0]
    assert (first.heading, first.points[0].subheading, first.points[0].line) == (
        "【平成28年度】",
        True,
        "《小川駅西口地区》",
    )
    assert first.points[1].text == kodaira.LONG_POINT and not first.points[1].subheading
    assert view.notes_text == "\n".join(view.note_lines)


def test_note_lines_leave_out_years_without_entries() -> None:
    history = (
        YearNotes(2016, "【平成28年度】", ("未着手",)),
        YearNotes(2018, "【平成30年度】", ("〈A地区〉", "説明会")),
    )
    assert note_lines(history) == ("【平成28年度】", "・未着手", "【平成30年度】", "〈A地区〉", "・説明会")


def test_this_year_points_and_unreported_status() -> None:
    history = (YearNotes(2018, "【平成30年度】", ("前年",)), YearNotes(2019, "【令和元年度】", ("今年",)))
    view = measure_view(MeasureRow(measure(owners=("学務課",)), "", history), 2019)
    assert view.this_year_text == "・今年"
    assert view.status_label == "未報告"
    assert view.status_text == ""


def test_flagged_status_carries_the_check_mark() -> None:
    view = measure_view(MeasureRow(measure(owners=("学務課",)), "実施中", (), flagged=True), 2019)
    assert view.status_lines == ("実施中", "要確認")
    assert view.status_text == "実施中\n要確認"


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, MISSING), (1234.0, "1,234"), (73.25, "73.25"), (1.1649, "1.16"), (2.5, "2.5"), (0.0, "0")],
)
def test_number_precision_and_missing(value: float | None, text: str) -> None:
    assert format_number(value) == text


def test_values_with_units_and_missing() -> None:
    assert value_text(1234.0, "人") == "1,234人"
    assert value_text(None, "人") == MISSING


def test_kpi_view_values_rate_and_grade() -> None:
    k = kpi(baseline=10.0, baseline_text="10（H26）", baseline_fy=2014, target=20.0, target_fy=2021)
    row = KpiRow(k, ((2018, None), (2019, 16.0)), 16.0, 0.6, "B")
    view = kpi_view(row, (2017, 2018, 2019))
    assert view.values == (MISSING, MISSING, "16")
    assert view.values_with_unit == (MISSING, MISSING, "16経営体")
    assert (view.baseline, view.baseline_as_written, view.baseline_fy) == ("10", "10（H26）", "平成26年度")
    assert (view.target, view.target_as_written, view.target_fy) == ("20", MISSING, "令和3年度")
    assert (view.rate_text, view.grade_text) == ("60.0%", "B")
    empty = kpi_view(KpiRow(kpi(), (), None, None, ""), (2019,))
    assert (empty.values, empty.rate_text, empty.grade_text, empty.baseline_fy) == (
        (MISSING,),
        MISSING,
        MISSING,
        "",
    )


def test_status_and_grade_counts_per_goal(report: ProgressReport) -> None:
    view = present(report)
    assert view.status_columns == report.status_columns
    assert [r.counts for r in view.status_rows] == [c.counts for c in report.status_counts]
    assert sum(r.total for r in view.status_rows) == view.measure_total == len(kodaira.MEASURES)
    kpis = [k for g in report.goals for k in (*g.indicators, *(k for a in g.areas for k in a.kpis))]
    assert sum(r.total for r in view.grade_rows) == len(kpis) == len(view.kpis)
    assert [k.kpi.row for k in view.kpis] == sorted(k.kpi.row for k in kpis)


def test_counts_without_the_merges_table_use_the_scale_then_unreported(report: ProgressReport) -> None:
    bare = replace(report, status_columns=(), status_counts=(), grade_thresholds=GradeThresholds())
    view = present(bare)
    assert view.status_columns == (*report.statuses, "未報告")
    assert sum(r.total for r in view.status_rows) == len(kodaira.MEASURES)
