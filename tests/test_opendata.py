"""The open data folder (outputs/<FY>/opendata/): tidy CSVs and a Frictionless Data Package describing them."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import kodaira
import openpyxl
import pandas as pd
import pytest
from frictionless import validate

from kpi_report.core.model import ProgressReport
from kpi_report.core.project import Project
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.present.table import present
from kpi_report.publish.build import build
from kpi_report.render.opendata import MEASURES, license_record, measure_years, render_opendata

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ProgressReport]:
    root = tmp_path_factory.mktemp("opendata") / "project"
    shutil.copytree(REPO / "inputs", root / "inputs")
    shutil.copytree(REPO / "templates", root / "templates")
    result = build(Project(root), 2019)
    return root / "outputs" / "2019" / "opendata", result.report


@pytest.fixture(scope="module")
def kodaira_report(tmp_path_factory: pytest.TempPathFactory) -> ProgressReport:
    plan = load_plan(kodaira.write_master(tmp_path_factory.mktemp("kodaira") / "master.xlsx"))
    return merge(plan, 2019, kodaira.check_reports()).report


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def descriptor(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    return data


def test_build_writes_the_package_and_frictionless_finds_it_valid(
    sample_build: tuple[Path, ProgressReport],
) -> None:
    folder, _ = sample_build
    assert sorted(p.name for p in folder.iterdir()) == [
        "area_evaluations.csv",
        "areas.csv",
        "committee_opinions.csv",
        "datapackage.json",
        "goals.csv",
        "kpis.csv",
        "measures.csv",
    ]
    report = validate(folder / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_the_descriptor_names_plan_city_year_licence_and_keys(
    sample_build: tuple[Path, ProgressReport],
) -> None:
    folder, report = sample_build
    package = descriptor(folder)
    assert package["plan"] == report.plan_name and package["city"] == report.city
    assert package["fiscalYear"] == 2019 and package["fiscalYearLabel"] == "令和元年度"
    assert report.plan_name in package["title"]
    assert package["licenses"] == [
        {
            "name": "CC-BY-4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
            "title": "Creative Commons Attribution 4.0",
        }
    ]
    resources = {r["name"]: r for r in package["resources"]}
    assert resources["measures"]["schema"]["primaryKey"] == ["取組ID", "年度"]
    assert resources["kpis"]["schema"]["primaryKey"] == ["KPI_ID", "年度"]
    assert {"fields": ["施策番号"], "reference": {"resource": "areas", "fields": ["施策番号"]}} in resources[
        "measures"
    ]["schema"]["foreignKeys"]
    types = {f["name"]: f["type"] for f in resources["kpis"]["schema"]["fields"]}
    assert (types["年度"], types["実績値"], types["評価"], types["目標年度"]) == (
        "integer",
        "number",
        "string",
        "integer",
    )
    for resource in package["resources"]:
        assert (folder / resource["path"]).stat().st_size == resource["bytes"]


def test_every_csv_reads_back_with_pandas_one_value_per_cell(
    sample_build: tuple[Path, ProgressReport],
) -> None:
    folder, report = sample_build
    years = [str(y) for y in report.years]
    measures = read(folder, "measures.csv")
    count = sum(len(a.rows) for g in report.goals for a in g.areas)
    assert len(measures) == count * len(years)
    assert not measures.duplicated(["取組ID", "年度"]).any()
    assert sorted(set(measures["年度"])) == years
    assert set(measures["年度（和暦）"]) == {"平成30年度", "令和元年度"}
    this_year = measures[measures["年度"] == "2019"]
    assert (this_year["進捗状況"] != "").all() and set(this_year["要確認"]) == {"false"}
    assert (measures.loc[measures["年度"] != "2019", "進捗状況"] == "").all()
    assert not measures["実施状況"].str.startswith("・").any()  # the points as entered, no bullets
    kpis = read(folder, "kpis.csv")
    assert not kpis.duplicated(["KPI_ID", "年度"]).any()
    rated = kpis[kpis["達成率（%）"] != ""]
    assert set(rated["年度"]) == {"2019"} and set(rated["評価"]) <= {"A", "B", "C", "D"}
    pd.to_numeric(kpis["実績値"].replace("", None))  # numbers, no separators or units
    goals, areas = read(folder, "goals.csv"), read(folder, "areas.csv")
    assert list(goals["基本目標番号"]) == [str(n) for n in range(1, len(report.goals) + 1)]
    assert set(measures["施策番号"]) <= set(areas["施策番号"])


def test_utf8_with_bom_and_one_kind_of_line_end(sample_build: tuple[Path, ProgressReport]) -> None:
    folder, _ = sample_build
    for path in folder.glob("*.csv"):
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), path.name
        assert b"\r" not in data, path.name


def test_identical_inputs_give_identical_bytes(sample_build: tuple[Path, ProgressReport]) -> None:
    folder, report = sample_build
    again = render_opendata(present(report))
    assert again == {p.name: p.read_bytes() for p in folder.iterdir()}


def test_columns_the_plan_does_not_use_are_left_out(kodaira_report: ProgressReport) -> None:
    files = render_opendata(present(kodaira_report))
    header = files["measures.csv"].decode("utf-8-sig").splitlines()[0].split(",")
    assert "予算事業コード" not in header and "総合計画施策" not in header and "区分" not in header
    assert header[:3] == ["取組ID", "年度", "年度（和暦）"]


def test_a_plan_without_kpis_has_no_kpi_table(kodaira_report: ProgressReport) -> None:
    goals = tuple(
        dataclasses.replace(g, indicators=(), areas=tuple(dataclasses.replace(a, kpis=()) for a in g.areas))
        for g in kodaira_report.goals
    )
    files = render_opendata(present(dataclasses.replace(kodaira_report, goals=goals)))
    assert "kpis.csv" not in files
    assert [r["name"] for r in json.loads(files["datapackage.json"])["resources"]] == [
        "goals",
        "areas",
        "measures",
    ]


def test_hostile_text_is_kept_as_one_value(kodaira_report: ProgressReport, tmp_path: Path) -> None:
    files = render_opendata(present(kodaira_report))
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    measures = read(tmp_path, "measures.csv")
    assert kodaira.HOSTILE_NAME in set(measures["名称"])
    assert validate(tmp_path / "datapackage.json").valid


def test_flagged_rows_say_so_in_the_report_year(kodaira_report: ProgressReport, tmp_path: Path) -> None:
    goal = kodaira_report.goals[0]
    area = goal.areas[0]
    flagged = dataclasses.replace(area.rows[0], flagged=True)
    areas = (dataclasses.replace(area, rows=(flagged, *area.rows[1:])), *goal.areas[1:])
    report = dataclasses.replace(
        kodaira_report, goals=(dataclasses.replace(goal, areas=areas), *kodaira_report.goals[1:])
    )
    files = render_opendata(present(report))
    (tmp_path / "measures.csv").write_bytes(files["measures.csv"])
    measures = read(tmp_path, "measures.csv")
    row = measures[(measures["取組ID"] == flagged.measure.id) & (measures["年度"] == "2019")]
    assert list(row["要確認"]) == ["true"]


def test_each_years_notes_are_that_years_points(kodaira_report: ProgressReport) -> None:
    """measure_years hands each row its year's points (made once per measure): the same text as joining the
    points of every notes entry of that year, a year twice or missing included."""
    view = present(kodaira_report)
    goal = view.goals[0]
    area = goal.areas[0]
    first = area.rows[0]
    years = first.notes
    assert years, "the first measure has notes"
    doubled = dataclasses.replace(first, notes=(years[0], *years, years[-1]))  # a year twice, in order
    unreported = dataclasses.replace(area.rows[1], notes=())
    areas = (dataclasses.replace(area, rows=(doubled, unreported, *area.rows[2:])), *goal.areas[1:])
    odd = dataclasses.replace(view, goals=(dataclasses.replace(goal, areas=areas), *view.goals[1:]))
    rows = measure_years(odd)
    column = next(c for c in MEASURES.columns if c.name == "実施状況")
    for row in rows:
        plain = "\n".join(p.text for y in row.view.notes if y.fy == row.fy for p in y.points) or None
        assert column.value(row) == plain, (row.view.measure.id, row.fy)
    assert column.value(rows[0]) is not None and column.value(rows[len(odd.report.years)]) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CC BY 4.0", "CC-BY-4.0"),
        ("cc-by 4.0", "CC-BY-4.0"),
        ("ＣＣ０ １．０", "CC0-1.0"),
        ("公共データ利用規約（第1.0版）", "PDL-1.0"),
    ],
)
def test_known_licences_get_their_id_and_address(text: str, expected: str) -> None:
    record = license_record(text)
    assert record["name"] == expected and record["path"].startswith("https://")


def test_an_unknown_licence_is_kept_as_written() -> None:
    assert license_record("○○市オープンデータ利用規約") == {
        "name": "○○市オープンデータ利用規約",
        "title": "○○市オープンデータ利用規約",
    }
    assert license_record("https://example.jp/terms")["path"] == "https://example.jp/terms"


def test_the_master_names_the_licence(tmp_path: Path) -> None:
    master = tmp_path / "master.xlsx"
    shutil.copy(REPO / "inputs" / "master.xlsx", master)
    wb = openpyxl.load_workbook(master)
    wb["設定"].append(["ライセンス", "CC0 1.0"])
    wb.save(master)
    assert load_plan(master).settings.license == "CC0 1.0"
    assert load_plan(REPO / "inputs" / "master.xlsx").settings.license == "CC BY 4.0"


def test_evaluation_columns_appear_when_the_plan_uses_them(
    kodaira_report: ProgressReport, tmp_path: Path
) -> None:
    goal = kodaira_report.goals[0]
    area = goal.areas[0]
    row = dataclasses.replace(
        area.rows[0], direction="拡充", issues="担い手の確保", budget=1200.0, settlement=1150.5
    )
    goal = dataclasses.replace(
        goal,
        areas=(dataclasses.replace(area, rows=(row, *area.rows[1:])), *goal.areas[1:]),
        indicators=tuple(dataclasses.replace(k, not_evaluable="未公表") for k in goal.indicators),
    )
    report = dataclasses.replace(
        kodaira_report, goals=(goal, *kodaira_report.goals[1:]), evaluation=True, budgets=True
    )
    files = render_opendata(present(report))
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert validate(tmp_path / "datapackage.json").valid
    measures = read(tmp_path, "measures.csv")
    mine = measures[(measures["取組ID"] == row.measure.id) & (measures["年度"] == "2019")]
    assert mine[["今後の方向性", "課題・今後の取組", "予算額（千円）", "決算額（千円）"]].values.tolist() == [
        ["拡充", "担い手の確保", "1200", "1150.5"]
    ]
    assert (measures.loc[measures["年度"] != "2019", "今後の方向性"] == "").all()
    assert "未公表" in set(read(tmp_path, "kpis.csv")["評価不能の理由"])
    plain = render_opendata(present(kodaira_report))["measures.csv"].decode("utf-8-sig").splitlines()[0]
    assert "今後の方向性" not in plain and "予算額（千円）" not in plain


def test_evaluation_committee_and_remarks_are_published_as_data(
    sample_build: tuple[Path, ProgressReport],
) -> None:
    """The sample's 施策評価, 外部評価 and KPI 備考 are in the package, one value per cell, keyed."""
    folder, report = sample_build
    evaluations = read(folder, "area_evaluations.csv")
    areas = read(folder, "areas.csv")
    assert set(evaluations["施策番号"]) <= set(areas["施策番号"])
    assert len(evaluations) == sum(len(g.areas) for g in report.goals)
    assert (evaluations["要因分析"] != "").all() and set(evaluations["年度"]) == {"2019"}
    opinions = read(folder, "committee_opinions.csv")
    assert report.committee is not None
    assert len(opinions) == sum(len(a.comments) for a in report.committee.areas)
    assert not opinions.duplicated(["施策ID", "委員"]).any()
    assert set(opinions["評価"]) <= set(report.committee.scale)
    kpis = read(folder, "kpis.csv")
    assert "備考" in kpis.columns and (kpis["備考"] != "").any()
