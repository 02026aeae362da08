"""The check's rebuild cache (issue 15): check_year and write_check_outputs with a DiskCache give what they
give without one — the same reports, byte-identical outputs — while reading again only the inputs that
changed; a damaged or foreign entry is a miss, and a changed master (or plan) invalidates every entry."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import defects
import pytest
from openpyxl import load_workbook

import kpi_report.validate.check as check_module
import kpi_report.validate.outputs as outputs_module
from kpi_report.core.diskcache import LEDGER, DiskCache
from kpi_report.core.model import CheckReport, Plan
from kpi_report.core.project import Project
from kpi_report.forms.layout import NOTES_COLUMN, PROGRESS_SHEET
from kpi_report.plan.master import load_plan
from kpi_report.validate.cache import check_cache
from kpi_report.validate.check import check_year
from kpi_report.validate.outputs import write_check_outputs
from tools.fill_forms import save_deterministic

FY = 2019
YEARS = (2018, 2019)
MARKED = "産業振興課.xlsx"  # given a status off the scale: its feedback copy is marked
DUPLICATED = "企画課.xlsx"  # sent twice: both copies get duplicate-submission, neither's entries are used
SECOND = "企画課（再送）.xlsx"
CHANGED = "生活福祉課.xlsx"  # corrected between two builds


@pytest.fixture
def project(sample_project: Path) -> Project:
    """The sample project with findings of both kinds: in one file, and across two files."""
    inputs = sample_project / "inputs" / str(FY)
    defects.status_not_in_scale(inputs / MARKED, inputs / MARKED)
    shutil.copy(inputs / DUPLICATED, inputs / SECOND)
    return Project(sample_project)


@pytest.fixture
def plan(project: Project) -> Plan:
    return load_plan(project.master)


def check_all(project: Project, plan: Plan, cache: DiskCache | None = None) -> dict[int, CheckReport]:
    return {fy: check_year(project, plan, fy, past=fy < FY, cache=cache) for fy in YEARS}


def written(project: Project) -> dict[str, bytes]:
    """Every file under outputs/<FY>/check/, by its path there."""
    folder = project.outputs(FY) / "check"
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def fresh_outputs(project: Project, plan: Plan, report: CheckReport) -> dict[str, bytes]:
    """The check outputs written without a cache into an empty folder."""
    shutil.rmtree(project.outputs(FY) / "check", ignore_errors=True)
    write_check_outputs(report, project, plan)
    return written(project)


class Reads:
    """take_in of a module, counted: the names of the files it was called for."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any) -> None:
        self.names: list[str] = []
        original: Callable[..., Any] = module.take_in

        def counted(path: Path, *args: Any, **kwargs: Any) -> Any:
            self.names.append(path.name)
            return original(path, *args, **kwargs)

        monkeypatch.setattr(module, "take_in", counted)

    def take(self) -> list[str]:
        names, self.names = sorted(self.names), []
        return names


def entries(cache: DiskCache) -> Iterator[Path]:
    """The cache's entries (not its size record, diskcache.LEDGER)."""
    return (p for p in sorted(cache.folder.iterdir()) if p.is_file() and p.name != LEDGER)


def correct(path: Path, notes: str) -> None:
    """A clerk's correction: the first measure's 実施状況 rewritten and the workbook saved again."""

    def change(wb: Any) -> None:
        ws = wb[PROGRESS_SHEET]
        header = next(c.column for c in ws[3] if c.value == NOTES_COLUMN)
        ws.cell(4, header).value = notes

    defects.edit(path, path, change)


def test_cached_reports_and_outputs_equal_uncached(project: Project, plan: Plan) -> None:
    uncached = check_all(project, plan)
    assert not (project.root / "outputs" / ".cache").exists()  # no cache: nothing kept
    fresh = fresh_outputs(project, plan, uncached[FY])
    inputs = project.inputs(FY)
    assert fresh["feedback/" + MARKED] != (inputs / MARKED).read_bytes()  # a marked copy …
    assert fresh["feedback/" + CHANGED] == (inputs / CHANGED).read_bytes()  # … and one as received
    codes = {f.code for f in uncached[FY].findings}
    assert {"status-not-in-scale", "duplicate-submission"} <= codes

    cache = check_cache(project.root)
    cold = check_all(project, plan, cache)
    assert len(list(entries(cache))) == 37  # one per input file (18 + 19)
    warm = check_all(project, plan, cache)
    assert cold == uncached
    assert warm == uncached
    assert repr(warm) == repr(uncached)  # 10 and 10.0 alike

    shutil.rmtree(project.outputs(FY) / "check")
    write_check_outputs(warm[FY], project, plan, cache=cache)  # stores the outputs
    assert written(project) == fresh
    shutil.rmtree(project.outputs(FY) / "check")
    write_check_outputs(warm[FY], project, plan, cache=cache)  # from the cache
    assert written(project) == fresh
    write_check_outputs(warm[FY], project, plan, cache=cache)  # over the same files
    assert written(project) == fresh


def test_warm_cache_reads_no_input(project: Project, plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = check_cache(project.root)
    report = check_all(project, plan, cache)[FY]
    write_check_outputs(report, project, plan, cache=cache)
    checked, copied = Reads(monkeypatch, check_module), Reads(monkeypatch, outputs_module)
    report = check_all(project, plan, cache)[FY]
    write_check_outputs(report, project, plan, cache=cache)
    assert checked.take() == []
    assert copied.take() == []


def test_one_corrected_workbook_is_read_again(
    project: Project, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = check_cache(project.root)
    write_check_outputs(check_all(project, plan, cache)[FY], project, plan, cache=cache)
    correct(project.inputs(FY) / CHANGED, "・事業の内容を見直し、説明会を3回開催しました。")
    # its status still off the scale, but another: the same counts, another finding (findings.xlsx made again)
    defects.set_cells(
        project.inputs(FY) / MARKED,
        project.inputs(FY) / MARKED,
        PROGRESS_SHEET,
        {f"{defects.STATUS_COL}4": "実施した"},
    )
    checked, copied = Reads(monkeypatch, check_module), Reads(monkeypatch, outputs_module)

    cached = check_all(project, plan, cache)
    assert checked.take() == [CHANGED, MARKED]
    write_check_outputs(cached[FY], project, plan, cache=cache)
    assert copied.take() == [CHANGED, MARKED]
    from_cache = written(project)

    uncached = check_all(project, plan)
    assert cached == uncached
    assert any(
        e.notes == ("事業の内容を見直し、説明会を3回開催しました。",) for e in cached[FY].measure_entries
    )
    assert from_cache == fresh_outputs(project, plan, uncached[FY])


def test_findings_across_files_are_made_again(
    project: Project, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = check_cache(project.root)
    before = check_all(project, plan, cache)[FY]
    assert sum(f.code == "duplicate-submission" for f in before.findings) == 2
    write_check_outputs(before, project, plan, cache=cache)
    (project.inputs(FY) / SECOND).unlink()  # the second copy withdrawn: the first one stands
    checked = Reads(monkeypatch, check_module)
    after = check_all(project, plan, cache)
    assert checked.take() == []  # every file from the cache …
    uncached = check_all(project, plan)
    assert after == uncached  # … and the duplicate found no more
    assert not any(f.code == "duplicate-submission" for f in after[FY].findings)
    assert any(e.department == "企画課" for e in after[FY].measure_entries)
    # the same input with other findings: its copy is made again (now as received, unmarked)
    write_check_outputs(after[FY], project, plan, cache=cache)
    from_cache = written(project)
    assert from_cache["feedback/" + DUPLICATED] == (project.inputs(FY) / DUPLICATED).read_bytes()
    assert from_cache == fresh_outputs(project, plan, uncached[FY])


def test_damaged_entries_are_misses(project: Project, plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = check_cache(project.root)
    uncached = check_all(project, plan)
    fresh = fresh_outputs(project, plan, uncached[FY])
    write_check_outputs(check_all(project, plan, cache)[FY], project, plan, cache=cache)
    for path in entries(cache):  # one byte flipped in each: the digest no longer matches
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
    checked, copied = Reads(monkeypatch, check_module), Reads(monkeypatch, outputs_module)
    assert check_all(project, plan, cache) == uncached
    assert len(checked.take()) == 37
    shutil.rmtree(project.outputs(FY) / "check")
    write_check_outputs(uncached[FY], project, plan, cache=cache)
    assert written(project) == fresh
    assert len(copied.take()) == 19

    for path in entries(cache):  # intact entries of the wrong shape: not a result, not a copy
        cache.put(path.name, b'{"file": "x"}')
    assert check_all(project, plan, cache) == uncached
    assert len(checked.take()) == 37
    shutil.rmtree(project.outputs(FY) / "check")
    write_check_outputs(uncached[FY], project, plan, cache=cache)
    assert written(project) == fresh
    assert len(copied.take()) == 19


def test_changed_master_or_plan_invalidates(
    project: Project, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = check_cache(project.root)
    before = check_all(project, plan, cache)
    wb = load_workbook(project.master)
    wb["取組"]["E2"] = "妊婦健康診査（名称変更）"  # 健康推進課's first measure renamed
    save_deterministic(wb, project.master)
    renamed = load_plan(project.master)
    checked = Reads(monkeypatch, check_module)
    after = check_all(project, renamed, cache)
    assert len(checked.take()) == 37
    assert after == check_all(project, renamed)
    assert after != before
    checked.take()

    short = dataclasses.replace(renamed, settings=dataclasses.replace(renamed.settings, notes_max_chars=10))
    limited = check_all(project, short, cache)  # the same master, another plan: nothing from the cache
    assert len(checked.take()) == 37
    assert limited == check_all(project, short)
    assert any(f.code == "notes-too-long" for f in limited[FY].findings)


def test_undecodable_file_name(project: Project, plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    """A name the file system holds as bytes that are not UTF-8: checked alike, with or without the cache."""
    inputs = project.inputs(FY)
    shutil.move(inputs / CHANGED, Path(os.fsdecode(bytes(inputs) + b"/\xff\xfe\x80.xlsx")))
    # its findings name it as the file system gives it (not JSON text): never kept, and no error
    Path(os.fsdecode(bytes(inputs) + b"/\xff\xfd.xlsx")).write_bytes(b"not a workbook")
    cache = check_cache(project.root)
    uncached = check_all(project, plan)
    assert check_all(project, plan, cache) == uncached
    assert check_all(project, plan, cache) == uncached
    fresh = fresh_outputs(project, plan, uncached[FY])
    for _ in range(2):
        shutil.rmtree(project.outputs(FY) / "check")
        write_check_outputs(uncached[FY], project, plan, cache=cache)
        assert written(project) == fresh


def test_renamed_clean_file(project: Project, plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean file sent again under another name: the same bytes and findings, only the summary row changes."""
    cache = check_cache(project.root)
    write_check_outputs(check_all(project, plan, cache)[FY], project, plan, cache=cache)
    shutil.move(project.inputs(FY) / CHANGED, project.inputs(FY) / "生活福祉課（修正版）.xlsx")
    cached = check_all(project, plan, cache)
    write_check_outputs(cached[FY], project, plan, cache=cache)
    from_cache = written(project)
    uncached = check_all(project, plan)
    assert cached == uncached
    assert from_cache == fresh_outputs(project, plan, uncached[FY])


def test_build_says_how_many_submissions_it_took_from_the_cache(tmp_path: Path) -> None:
    """The planning section sees that a rebuild read only the corrected form again."""
    from kpi_report.console import build_summary
    from kpi_report.publish.build import build

    root = tmp_path / "project"
    shutil.copytree(Path(__file__).resolve().parents[1] / "inputs", root / "inputs")
    project = Project(root)
    first = build(project, 2019, allow_errors=True)
    assert first.inputs_reused == 0 and first.inputs_read > 0
    again = build(project, 2019, allow_errors=True)
    assert again.inputs_read == 0 and again.inputs_reused == first.inputs_read
    assert "前回の確認結果を再利用" in build_summary(again, root)
    uncached = build(project, 2019, allow_errors=True, use_cache=False)
    assert uncached.inputs_reused == uncached.inputs_read == 0


def test_the_check_command_reuses_the_master_and_unchanged_forms_and_writes_the_same_files(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kpi-report check`, run again after one clerk's correction, parses neither the master nor the unchanged
    forms again (as build), and prints and writes exactly what a check without the cache does."""
    import openpyxl

    from kpi_report import api
    from kpi_report.console import check_text

    uncached = api.check(project, FY, use_cache=False)
    assert not (project.root / "outputs" / ".cache").exists()  # --no-cache: nothing kept
    plain = written(project)
    api.check(project, FY)  # the first check with the cache keeps the master and every form's result
    assert written(project) == plain
    correct(project.inputs(FY) / CHANGED, "訂正した実施状況です。")
    expected_report = api.check(project, FY, use_cache=False).report
    expected = written(project)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the master was parsed again")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)  # the master imports it where it parses
    reads = Reads(monkeypatch, check_module)
    again = api.check(project, FY)
    assert reads.take() == [CHANGED]  # only the corrected form is read for its check
    assert again.report == expected_report and written(project) == expected
    assert uncached.report.findings != () and again.plan == uncached.plan
    submitted = len(again.report.submissions)
    assert (again.inputs_read, again.inputs_reused) == (1, submitted - 1)  # what the console then says:
    assert f"提出の確認: 1 件を読み直し、{submitted - 1} 件は前回の確認結果を再利用" in check_text(
        again, project.inputs(FY)
    )
    assert "前回の確認結果" not in check_text(uncached, project.inputs(FY))


def test_the_zlib_that_compresses_the_kept_workbooks_keys_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """findings.xlsx and the feedback copies are zip files compressed by zlib, a system library an upgrade may
    change under the same packages: another zlib, other keys (the kept bytes are never a clean check's)."""
    import zlib

    from kpi_report.validate import cache as check_cache_module

    check_cache_module.code_digest.cache_clear()
    before = check_cache_module.code_digest()
    monkeypatch.setattr(zlib, "ZLIB_RUNTIME_VERSION", zlib.ZLIB_RUNTIME_VERSION + ".zlib-ng")
    check_cache_module.code_digest.cache_clear()
    try:
        assert check_cache_module.code_digest() != before
    finally:
        monkeypatch.undo()
        check_cache_module.code_digest.cache_clear()
    assert check_cache_module.code_digest() == before
