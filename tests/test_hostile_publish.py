"""Hostile and careless inputs, round two (issue 16), the publishing side: what check accepts never crashes build,
no render worker outlives the command, one generation of outputs, and the smaller layout and console cases."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from random import Random

import kodaira
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from kpi_report.cli import main
from kpi_report.core.model import Finding
from kpi_report.core.project import Project
from kpi_report.forms.layout import form_filename
from kpi_report.forms.writer import build_form
from kpi_report.plan.master import load_plan
from kpi_report.publish.build import build
from kpi_report.render.review.weasy import worker_count
from kpi_report.validate.check import check_year
from tools.fill_forms import fill_form

FY = 2019
REPO = Path(__file__).resolve().parents[1]
KPI_DEPARTMENT = "産業振興課"  # reports K1-1 (経営体) and owns 1-1-01
PLACEHOLDER = "PLACEHOLDER-0123456789"


@pytest.fixture(scope="module")
def kodaira_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Kodaira-shaped project with filled forms for 平成30年度 and 令和元年度 (made once, copied per test)."""
    return kodaira.write_project(tmp_path_factory.mktemp("template") / "project")


@pytest.fixture
def project(kodaira_template: Path, tmp_path: Path) -> Project:
    root = tmp_path / "project"
    shutil.copytree(kodaira_template / "inputs", root / "inputs")
    return Project(root)


def refill(
    project: Project,
    measures: dict[str, tuple[str, str]] | None = None,
    kpis: dict[str, object] | None = None,
    raw: Callable[[str], str] | None = None,
    number_format: str = "",
) -> Path:
    """産業振興課 sends its FY2019 workbook again with some cells changed; ``raw`` edits the sheet XML after."""
    plan = load_plan(project.master)
    entered, actuals = kodaira.form_entries(plan, FY, KPI_DEPARTMENT)
    entered.update(measures or {})
    actuals.update(kpis or {})
    blank = project.root / "blank.xlsx"
    blank.write_bytes(build_form(plan, FY, KPI_DEPARTMENT))
    out = project.inputs(FY) / form_filename(KPI_DEPARTMENT)
    fill_form(blank, out, entered, actuals)
    blank.unlink()
    if number_format:
        from openpyxl import load_workbook

        from tools.fill_forms import save_deterministic

        wb = load_workbook(out)
        ws = wb["KPI"]
        for row in ws.iter_rows():
            for cell in row:
                if cell.value == 43892:
                    cell.number_format = number_format
        save_deterministic(wb, out)
    if raw is not None:
        _rewrite_parts(out, raw)
    return out


def _rewrite_parts(path: Path, change: Callable[[str], str]) -> None:
    with zipfile.ZipFile(path) as zin:
        parts = {n: zin.read(n) for n in zin.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            if name.endswith(".xml"):
                data = change(data.decode("utf-8")).encode("utf-8")
            zout.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def codes(findings: tuple[Finding, ...] | list[Finding], file: str = "") -> list[tuple[str, str]]:
    return [(f.cell, f.code) for f in findings if not file or f.file == file]


def build_exit(project: Project, *extra: str) -> int:
    return main(["build", "--fy", str(FY), "--project", str(project.root), *extra])


# -- 5: a value check accepts never crashes build --------------------------------------------------------


@pytest.mark.parametrize("saved", ["inf", "-inf", "1e309", "nan", "1e308", "-1E+300"])
def test_actual_not_finite_or_huge_is_out_of_range_and_build_does_not_crash(
    project: Project, saved: str, capsys: pytest.CaptureFixture[str]
) -> None:
    refill(project, kpis={"K1-1": 12345}, raw=lambda xml: xml.replace("<v>12345</v>", f"<v>{saved}</v>"))
    report = check_year(project, load_plan(project.master), FY)
    name = form_filename(KPI_DEPARTMENT)
    assert (
        [c for c in codes(report.findings, name) if c[1].startswith("actual")]
        == [(c[0], "actual-out-of-range") for c in codes(report.findings, name) if c[1].startswith("actual")]
        != []
    )
    assert build_exit(project) == 1  # refused with the finding, not a crash
    assert build_exit(project, "--allow-errors") == 0
    assert "Traceback" not in capsys.readouterr().err


def test_actual_typed_as_400_digits_is_not_read_as_infinity(project: Project) -> None:
    refill(project, kpis={"K1-1": "9" * 400})
    report = check_year(project, load_plan(project.master), FY)
    assert "actual-not-a-number" in {f.code for f in report.findings}
    assert build_exit(project, "--allow-errors") == 0


def test_actual_in_a_date_format_is_a_date_not_its_serial(project: Project) -> None:
    refill(project, kpis={"K1-1": 43892}, number_format="yyyy/m/d")
    report = check_year(project, load_plan(project.master), FY)
    found = [f for f in report.findings if f.code == "actual-is-a-date"]
    assert [f.value for f in found] == ["2020-03-02"]
    assert "2020-03-02" in found[0].message


def test_lone_surrogate_in_notes_is_cleaned_and_build_does_not_crash(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    refill(
        project,
        measures={"1-1-01": ("実施中", PLACEHOLDER)},
        raw=lambda xml: xml.replace(PLACEHOLDER, "絵文字_xD83D_の後_xD83D__xDE00_です"),
    )
    report = check_year(project, load_plan(project.master), FY)
    cleaned = [f for f in report.findings if f.code == "text-cleaned"]
    assert cleaned and cleaned[0].item_id == "1-1-01"
    assert build_exit(project) == 0
    html = (project.outputs(FY) / "progress-list.html").read_text(encoding="utf-8")
    assert "絵文字の後😀です" in html
    assert "Traceback" not in capsys.readouterr().err


def test_rate_from_a_target_a_hair_above_the_baseline_is_no_rate(project: Project) -> None:
    from kpi_report.core.achievement import achievement_rate

    kpi = dataclasses.replace(
        load_plan(project.master).kpis[0], baseline=0.0, target=1e-300, direction="増加"
    )
    assert achievement_rate(kpi, 5.0) is None


def test_numbers_out_of_range_are_not_numbers() -> None:
    from kpi_report.core.values import parse_master_number, parse_number

    for value in (float("inf"), float("nan"), "9" * 400):
        assert not parse_number(value).ok
    for value in (1e308, float("-inf"), "1" + "0" * 20):
        assert not parse_master_number(value).ok
    assert parse_number("1,234").value == 1234.0


# -- 6: departments equal after NFKC are one department spelled two ways ----------------------------------


@pytest.mark.parametrize(
    ("first", "second"), [("IT推進課", "ＩＴ推進課"), ("\u798f祉課", "\ufa1b祉課"), ("企画 課", "企画課")]
)
def test_departments_equal_after_nfkc_are_a_plan_finding_not_two_departments(
    tmp_path: Path, first: str, second: str
) -> None:
    from openpyxl import load_workbook

    from kpi_report.core.errors import MasterError
    from kpi_report.plan.master import check_master

    master = tmp_path / "master.xlsx"
    wb = load_workbook(REPO / "inputs" / "master.xlsx")
    ws = wb["取組"]
    column = next(c.column for c in ws[1] if c.value == "所管課")
    ws.cell(row=2, column=column, value=first)
    ws.cell(row=3, column=column, value=second)
    wb.save(master)
    _, findings = check_master(master)
    found = [f for f in findings if f.code == "master-department-variants"]
    assert [(f.sheet, f.cell, f.value) for f in found] == [("取組", "3行目", second)]
    assert first in found[0].message and "2行目" in found[0].message
    with pytest.raises(MasterError):
        load_plan(master)


# -- 7: build --allow-errors with an input it cannot read ------------------------------------------------


def test_allow_errors_builds_and_writes_the_manifest_with_an_unreadable_input(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = project.inputs(FY) / form_filename(KPI_DEPARTMENT)
    real_open = io.open

    def no_permission(file: object, *args: object, **kwargs: object) -> object:
        if str(file) == str(locked):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(io, "open", no_permission)
    monkeypatch.setattr("builtins.open", no_permission)
    assert build_exit(project, "--allow-errors") == 0
    assert "Traceback" not in capsys.readouterr().err
    manifest = json.loads((project.outputs(FY) / "manifest.json").read_text(encoding="utf-8"))
    record = next(r for r in manifest["inputs"] if r["path"] == f"inputs/{FY}/{locked.name}")
    assert record["sha256"] == "" and record["unreadable"] is True
    findings = json.loads((project.outputs(FY) / "check" / "findings.json").read_text(encoding="utf-8"))
    assert "unreadable-file" in json.dumps(findings, ensure_ascii=False)


# -- 3: no render worker outlives the command ------------------------------------------------------------


def _children(pid: int) -> set[int]:
    """Living processes forked by ``pid`` or by them (same command line; from /proc; zombies count as gone): a
    build's first rendering process forks the second."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            forked = (stat.parent / "cmdline").read_bytes() == Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if fields[0] != "Z" and forked:
            parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    grown = True
    while grown:
        below = {child for child, parent in parents.items() if parent == pid or parent in found}
        grown = below != found
        found = below
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_no_render_worker_outlives_a_killed_build(project: Project, how: signal.Signals) -> None:
    command = [sys.executable, "-m", "kpi_report", "build", "--fy", str(FY), "--project", str(project.root)]
    build_process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while len(workers) < worker_count() and build_process.poll() is None and time.monotonic() < deadline:
        workers = _children(build_process.pid)
        time.sleep(0.02)
    assert len(workers) == worker_count(), "the build ended before its render workers started"
    build_process.send_signal(how)
    build_process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)]


# -- 8: one generation of outputs ------------------------------------------------------------------------


def _manifest_matches_files(project: Project) -> list[str]:
    """Outputs whose bytes differ from the manifest's record (or are missing); [] when it tells the truth."""
    folder = project.outputs(FY)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    wrong = []
    for record in manifest["outputs"]:
        path = project.root / record["path"]
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != record["sha256"]:
            wrong.append(record["path"])
    return wrong


def test_build_killed_at_random_points_leaves_one_generation(project: Project) -> None:
    assert build_exit(project) == 0
    refill(project, measures={"1-1-01": ("完了", "新しい年度の実施状況です。")}, kpis={"K1-1": 77})
    command = [sys.executable, "-m", "kpi_report", "build", "--fy", str(FY), "--project", str(project.root)]
    started = time.monotonic()
    subprocess.run(command, cwd=REPO, capture_output=True, check=True)
    duration = time.monotonic() - started
    random = Random(16)
    for _ in range(5):
        refill(project, kpis={"K1-1": random.randint(1, 1000)})
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0, duration))
        process.kill()
        process.wait()
        assert _manifest_matches_files(project) == []
    assert build_exit(project) == 0
    assert _manifest_matches_files(project) == []
    assert list((project.root / "outputs").glob(f".{FY}.*")) == []


def test_failed_write_publishes_nothing(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpi_report.core.errors import OutputError
    from kpi_report.publish import build as build_module

    assert build_exit(project) == 0
    before = {p: p.read_bytes() for p in project.outputs(FY).rglob("*") if p.is_file()}
    refill(project, kpis={"K1-1": 500})
    from kpi_report.core.files import write_atomic as real

    def disk_full(path: Path, data: bytes) -> None:
        if path.name == "annual-review.pdf":
            raise OutputError("書き込めません（File too large）")
        real(path, data)

    monkeypatch.setattr(build_module, "write_atomic", disk_full)
    with pytest.raises(OutputError):
        build(project, FY)
    after = {p: p.read_bytes() for p in project.outputs(FY).rglob("*") if p.is_file()}
    assert after == before  # the check outputs and the workbook too: nothing of the new generation
    assert list((project.root / "outputs").glob(f".{FY}.*")) == []


# -- property: arbitrary text and numbers through forms → fill → check → build → diff ----------------------

_TYPED_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=60).map(
    lambda text: ILLEGAL_CHARACTERS_RE.sub(
        "", text
    )  # what openpyxl cannot write is not what a clerk can type
)
_TYPED_VALUE = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    _TYPED_TEXT,
)


@pytest.fixture(scope="module")
def built_template(kodaira_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Kodaira-shaped project, built once."""
    root = tmp_path_factory.mktemp("built") / "project"
    shutil.copytree(kodaira_template / "inputs", root / "inputs")
    assert build_exit(Project(root)) == 0
    return root


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    status=st.one_of(st.sampled_from(["実施中", "完了"]), _TYPED_TEXT), notes=_TYPED_TEXT, actual=_TYPED_VALUE
)
def test_what_a_clerk_types_never_crashes_check_build_or_diff(
    built_template: Path, monkeypatch: pytest.MonkeyPatch, status: str, notes: str, actual: object
) -> None:
    from kpi_report.publish import build as build_module

    real = build_module.renderers
    # the PDF is left out for speed; the values that broke it are tested with it above
    monkeypatch.setattr(
        build_module,
        "renderers",
        lambda *args, **kwargs: {k: v for k, v in real(*args, **kwargs).items() if k != "annual-review.pdf"},
    )
    with tempfile.TemporaryDirectory() as folder:
        project = Project(Path(folder) / "project")
        shutil.copytree(built_template, project.root)
        before = project.root / "before.xlsx"
        shutil.copy(project.outputs(FY) / "progress-list.xlsx", before)
        refill(project, measures={"1-1-01": (status, notes)}, kpis={"K1-1": actual})
        root = str(project.root)
        assert main(["check", "--fy", str(FY), "--project", root]) in (0, 1)
        assert build_exit(project, "--allow-errors") in (0, 1)
        after = project.outputs(FY) / "progress-list.xlsx"
        assert main(["diff", str(before), str(after), "--out", str(project.root / "diff.xlsx")]) in (0, 1)


# -- 12: smaller cases -----------------------------------------------------------------------------------


def test_a_line_break_in_a_file_name_does_not_break_the_console_table(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    source = project.inputs(FY) / form_filename(KPI_DEPARTMENT)
    source.rename(project.inputs(FY) / "産業\n振興課\x1b[31m.xlsx")
    main(["check", "--fy", str(FY), "--project", str(project.root)])
    out = capsys.readouterr().out
    assert "\x1b" not in out
    table = out.split("\n\n")[0].splitlines()
    assert all(len(line.split()) >= 4 for line in table[2:]), table  # every row whole, on one line
    assert r"産業\n振興課\x1b[31m.xlsx" in out


def _pdf_text(path: Path) -> str:
    """The PDF's text as pdftotext sees it, spaces removed."""
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
    return re.sub(r"\s", "", text)


def _words_off_the_page(path: Path) -> list[str]:
    """Words that run past the page's right or bottom edge (pdftotext -bbox)."""
    xml = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    off = []
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', xml, re.S):
        width, height = float(page.group(1)), float(page.group(2))
        for word in re.finditer(
            r'<word xMin="[\d.-]+" yMin="[\d.-]+" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)', page.group(3)
        ):
            if float(word.group(1)) > width + 0.5 or float(word.group(2)) > height + 0.5:
                off.append(word.group(3)[:20])
    return off


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_unbreakable_runs_stay_on_the_pdf_page(tmp_path: Path) -> None:
    root = kodaira.write_project(tmp_path / "project", years=(2019,), plan_name="A" * 100)
    project = Project(root)
    refill(project, measures={"1-1-01": ("実施中", "ー" * 1200 + "\n" + "。" * 400 + "\n" + "X" * 300)})
    assert build_exit(project) == 0
    text = _pdf_text(project.outputs(FY) / "annual-review.pdf")
    assert "A" * 100 in text  # the cover's plan name, wrapped
    assert text.count("ー") >= 1200 and text.count("。") >= 400 and "X" * 300 in text
    assert _words_off_the_page(project.outputs(FY) / "annual-review.pdf") == []
