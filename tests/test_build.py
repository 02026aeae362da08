"""`build` end to end: real forms filled by program, check, merge, render, manifest, refusal, determinism, kill."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import kodaira
import pytest
from openpyxl import load_workbook

from kpi_report.cli import main
from kpi_report.core.columns import DIRECTION_COLUMN as DIRECTION
from kpi_report.core.errors import InputsHaveErrors
from kpi_report.core.files import sha256_file
from kpi_report.core.project import Project
from kpi_report.forms.layout import form_filename
from kpi_report.forms.writer import build_form
from kpi_report.plan.master import load_plan
from kpi_report.publish.build import build, input_years, years_to_check
from tools.fill_forms import fill_form

REPO = Path(__file__).resolve().parents[1]
REPORTS = ("progress-list.xlsx", "progress-list.html", "annual-review.pdf", "manifest.json")


@pytest.fixture(scope="module")
def kodaira_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Kodaira-shaped project with filled forms for 平成30年度 and 令和元年度 (made once, copied per test)."""
    return kodaira.write_project(tmp_path_factory.mktemp("template") / "project")


@pytest.fixture
def project(kodaira_template: Path, tmp_path: Path) -> Project:
    root = tmp_path / "project"
    shutil.copytree(kodaira_template / "inputs", root / "inputs")
    return Project(root)


def refill(project: Project, fy: int, department: str, changes: dict[str, tuple[str, str]]) -> None:
    """The department sends its workbook again with some measures changed."""
    plan = load_plan(project.master)
    measures, kpis = kodaira.form_entries(plan, fy, department)
    measures.update(changes)
    blank = project.root / "blank.xlsx"
    blank.write_bytes(build_form(plan, fy, department))
    fill_form(blank, project.inputs(fy) / form_filename(department), measures, kpis)
    blank.unlink()


def outputs(project: Project, fy: int) -> dict[str, bytes]:
    folder = project.outputs(fy)
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def progress_rows(data: bytes, column: str = "") -> dict[str, list[object]]:
    """{取組ID: [施策番号, 名称, 内容, 所管課, 進捗状況, 実施等状況]} of the list (the columns found by the
    header row, so a plan with 効果検証, whose list adds 今後の方向性, reads the same); with ``column``, that
    column's value alone, as a one-item list."""
    ws = load_workbook(io.BytesIO(data))["進捗状況一覧表"]
    header = next(ws.iter_rows(min_row=3, max_row=3, values_only=True))
    id_col = header.index("取組ID")
    keep = (
        [header.index(column)]
        if column
        else [i for i, h in enumerate(header) if h not in ("取組ID", DIRECTION)]
    )
    return {
        str(row[id_col]): [row[i] for i in keep]
        for row in ws.iter_rows(min_row=4, values_only=True)
        if len(row) > id_col and row[id_col]
    }


def test_build_writes_the_lists_from_the_forms(project: Project) -> None:
    steps: list[tuple[str, int, int]] = []
    result = build(project, 2019, progress=lambda label, done, total: steps.append((label, done, total)))
    saving = [(done, total) for label, done, total in steps if label.endswith("報告書を保存")]
    assert saving and all(0 <= done <= total for done, total in saving)  # opendata/ is many files, one step
    assert [done for done, _ in saving] == sorted(done for done, _ in saving) and saving[-1][0] == saving[-1][
        1
    ]
    folder = project.outputs(2019)
    assert [p for p in result.files if p.parent == folder] == [folder / name for name in REPORTS]
    assert any(p.parent == folder / "check" for p in result.files)
    rows = progress_rows((folder / "progress-list.xlsx").read_bytes())
    assert list(rows) == [m[0] for m in kodaira.MEASURES]
    number, name, _, owners, status, notes = rows["1-2-02"]
    assert (number, name, status) == ("2", "都市計画マスタープランの推進", "実施中")
    assert owners == "都市計画課\n(地域整備支援課)\n(水と緑と公園課)"
    assert notes == (
        "【平成30年度】\n・都市計画マスタープランの中間見直しを行いました。\n"
        "【令和元年度】\n・都市計画マスタープランの中間見直しを行いました。"
    )
    assert rows["1-2-01"][3] == "都市開発課\n都市計画課\n産業振興課"
    assert str(rows["1-2-01"][5]).startswith("【平成30年度】\n《小川駅西口地区》\n・小川駅西口地区")
    assert rows["2-4-02"][5] == (
        "【平成30年度】\n・実施方法を検討しました。\n【令和元年度】\n・健康ポイント事業を開始しました。"
    )
    assert "+1" in str(rows["2-2-01"][5]) and "@SUM(A1)" in str(rows["2-2-01"][5])
    html = (folder / "progress-list.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in html and "<script" not in html
    assert [f.code for f in result.findings] == ["status-conflict"]
    assert result.report.years == (2018, 2019)


def test_manifest_lists_every_input_and_output(project: Project) -> None:
    result = build(project, 2019)
    manifest_path = project.outputs(2019) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["fy"] == 2019 and manifest["version"] and manifest["tool"] == "kpi-report"
    inputs = {r["path"]: r for r in manifest["inputs"]}
    submitted = [
        p.relative_to(project.root).as_posix()
        for fy in (2018, 2019)
        for p in project.inputs(fy).glob("*.xlsx")
    ]
    expected_inputs = ["inputs/master.xlsx", *submitted]
    assert sorted(inputs) == sorted(expected_inputs)
    outputs_ = {r["path"]: r for r in manifest["outputs"]}
    written = {p.relative_to(project.root).as_posix() for p in result.files if p != manifest_path}
    assert set(outputs_) == written
    for record in [*inputs.values(), *outputs_.values()]:
        path = project.root / record["path"]
        assert record["sha256"] == sha256_file(path) and record["size"] == path.stat().st_size
    assert [r["path"] for r in manifest["outputs"]] == sorted(outputs_)
    assert not re.search(r"\d{4}-\d{2}-\d{2}T|\d{2}:\d{2}:\d{2}", manifest_path.read_text(encoding="utf-8"))


def test_building_twice_gives_identical_bytes_even_elsewhere(project: Project, tmp_path: Path) -> None:
    build(project, 2019)
    first = outputs(project, 2019)
    build(project, 2019)
    assert outputs(project, 2019) == first
    elsewhere = Project(tmp_path / "elsewhere" / "copy")
    shutil.copytree(project.root / "inputs", elsewhere.root / "inputs")
    build(elsewhere, 2019)
    assert outputs(elsewhere, 2019) == first
    assert {"progress-list.xlsx", "progress-list.html", "manifest.json", "check/findings.json"} <= set(first)


def test_report_year_errors_refuse_and_point_at_the_check_outputs(project: Project) -> None:
    refill(project, 2019, "健康推進課", {"2-4-01": ("実施", "健診を行いました。")})
    with pytest.raises(InputsHaveErrors, match=r"1 件のエラー.*outputs/2019/check/"):
        build(project, 2019)
    folder = project.outputs(2019)
    assert (folder / "check" / "findings.xlsx").is_file()
    assert not (folder / "progress-list.xlsx").exists() and not (folder / "manifest.json").exists()
    result = build(project, 2019, allow_errors=True)
    assert result.flagged_departments == ("健康推進課",)
    ws = load_workbook(folder / "progress-list.xlsx")["進捗状況一覧表"]
    fills = {
        str(ws.cell(r, 7).value): ws.cell(r, 2).fill.fill_type
        for r in range(4, ws.max_row + 1)
        if ws.cell(r, 7).value
    }
    assert fills["2-4-01"] == "solid" and fills["2-4-02"] == "solid" and fills["1-1-01"] is None
    assert "要確認" in (folder / "progress-list.html").read_text(encoding="utf-8")


def test_errors_of_an_earlier_year_are_reported_not_refused(project: Project) -> None:
    refill(project, 2018, "健康推進課", {"2-4-01": ("実施", "健診を行いました。")})
    result = build(project, 2019)
    assert [(y.fy, y.errors) for y in result.years] == [(2018, 1), (2019, 0)]
    assert result.years[0].error_departments == ("健康推進課",)


def test_years_checked_from_the_plan_start_or_the_earliest_folder(project: Project) -> None:
    plan = load_plan(project.master)
    assert years_to_check(project, plan, 2019) == (2018, 2019)
    assert years_to_check(project, plan, 2018) == (2018,)
    (project.inputs(2021)).mkdir()
    assert years_to_check(project, plan, 2020) == (2018, 2019, 2020)
    assert input_years(project) == (2018, 2019, 2021)
    assert input_years(Project(project.root / "nowhere")) == ()


def test_cli_build(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--fy", "R1", "--project", str(project.root)]) == 0
    out = capsys.readouterr().out
    assert "令和元年度の進捗状況一覧表を作成しました" in out
    assert "outputs/2019/progress-list.xlsx" in out and "outputs/2019/manifest.json" in out
    refill(project, 2019, "健康推進課", {"2-4-01": ("実施", "健診を行いました。")})
    assert main(["build", "--fy", "2019", "--project", str(project.root)]) == 1
    err = capsys.readouterr().err
    assert "outputs/2019/check/" in err and "--allow-errors" in err
    assert main(["build", "--fy", "2019", "--project", str(project.root), "--allow-errors"]) == 0
    assert main(["build", "--fy", "2019", "--project", str(project.root / "nowhere")]) == 2
    project.master.unlink()
    assert main(["build", "--fy", "2019", "--project", str(project.root)]) == 2
    assert "master.xlsx" in capsys.readouterr().err
    assert main(["build", "--fy", "R99x", "--project", str(project.root)]) == 2


KILLED_BUILD = """
import os, sys
from pathlib import Path
import kpi_report.publish.build as build_module
real_write = build_module.write_atomic
written = []

def write_then_die(path, data):
    written.append(path)
    if len(written) == 2:  # the second report: die after its temporary file is written, before the rename
        os.fsync = lambda fd: os._exit(9)
    real_write(path, data)

build_module.write_atomic = write_then_die
build_module.build(build_module.Project(Path(sys.argv[1])), 2019)
"""


def test_killed_build_leaves_previous_outputs_intact(project: Project, tmp_path: Path) -> None:
    build(project, 2019)
    before = outputs(project, 2019)
    refill(project, 2019, "産業振興課", {"3-1-01": ("完了", "創業セミナーを3回開催しました。")})
    reference = Project(tmp_path / "reference")
    shutil.copytree(project.root / "inputs", reference.root / "inputs")
    build(reference, 2019)
    after = outputs(reference, 2019)
    assert before["progress-list.xlsx"] != after["progress-list.xlsx"]

    killed = subprocess.run([sys.executable, "-c", KILLED_BUILD, str(project.root)], cwd=REPO, timeout=300)
    assert killed.returncode == 9
    now = outputs(project, 2019)
    assert now == before  # one generation: the workbook written before the kill was only staged
    leftovers = [p.name for p in (project.root / "outputs").glob(".2019.*")]
    assert len(leftovers) == 1 and re.fullmatch(r"\.2019\.staging-\d+", leftovers[0]), leftovers
    build(project, 2019)  # the next build removes the stage the killed one left
    assert list((project.root / "outputs").glob(".2019.*")) == []
    assert outputs(project, 2019) == after
    load_workbook(project.outputs(2019) / "progress-list.xlsx")
    assert (
        (project.outputs(2019) / "progress-list.html")
        .read_text(encoding="utf-8")
        .rstrip()
        .endswith("</html>")
    )
    json.loads((project.outputs(2019) / "manifest.json").read_text(encoding="utf-8"))


SAMPLE_YEARS = sorted(p.name for p in (REPO / "inputs").glob("20[0-9][0-9]") if any(p.glob("*.xlsx")))


@pytest.mark.skipif(
    len(SAMPLE_YEARS) < 2, reason="the sample submissions inputs/<FY>/ are not in the repository"
)
def test_sample_builds_clean(sample_project: Path) -> None:
    project = Project(sample_project)
    fy = int(SAMPLE_YEARS[-1])
    result = build(project, fy)
    plan = load_plan(project.master)
    rows = progress_rows((project.outputs(fy) / "progress-list.xlsx").read_bytes())
    assert list(rows) == [m.id for m in plan.measures]
    assert all(row[4] in plan.settings.statuses for row in rows.values())
    directions = progress_rows((project.outputs(fy) / "progress-list.xlsx").read_bytes(), DIRECTION)
    assert all(d in plan.settings.directions for [d] in directions.values())  # 効果検証: the sample's
    headings = {"【平成30年度】", "【令和元年度】"}
    assert all(headings <= set(str(row[5]).split("\n")) for row in rows.values())
    assert result.orphan_ids == () and result.missing_submissions == ()
    assert sum(y.errors for y in result.years) == 0
