"""The cache of loaded plans (outputs/.cache/plan/): a master loaded before is not parsed again, and the cached
plan and warnings are exactly what loading gives; a changed master, a damaged entry or a master with errors
never yields a cached plan."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook, load_workbook

from kpi_report.core.diskcache import LEDGER, DiskCache
from kpi_report.core.errors import MasterError
from kpi_report.plan.master import load_plan, load_plan_and_warnings, plan_cache

SAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "master.xlsx"
GOAL, AREA = "基本目標1 まちをつくる", "① 農のあるまちづくり"
MEASURE_HEADER = ["取組ID", "基本目標", "施策", "名称", "内容", "所管課", "関連課", "区分", "予算事業コード"]


def _write_master(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "取組"
    ws.append(MEASURE_HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _row(measure_id: str, name: str) -> list[object]:
    return [measure_id, GOAL, AREA, name, "内容です", "産業振興課", "", "継続", "0104"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder holding a copy of the sample master (settings, KPIs, sheets 施策 and 委員)."""
    (tmp_path / "inputs").mkdir()
    shutil.copyfile(SAMPLE, tmp_path / "inputs" / "master.xlsx")
    return tmp_path


def _entries(cache: DiskCache) -> list[Path]:
    """The cache's entries (not its size record, diskcache.LEDGER)."""
    return sorted(p for p in cache.folder.iterdir() if p.name != LEDGER) if cache.folder.is_dir() else []


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, opening a workbook fails the test: a result can only come from the cache."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the master was parsed again")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)  # the master imports it where it parses


def test_the_cached_plan_and_warnings_equal_the_loaded_ones(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project / "inputs" / "master.xlsx"
    loaded = load_plan_and_warnings(path)
    cache = plan_cache(project)
    assert load_plan_and_warnings(path, cache) == loaded  # a miss: loaded and kept
    assert cache.folder == project / "outputs" / ".cache" / "plan"
    assert len(_entries(cache)) == 1
    _no_parsing(monkeypatch)
    cached = load_plan_and_warnings(path, cache)
    assert cached == loaded
    assert cached[0].goals == loaded[0].goals and cached[0].settings == loaded[0].settings
    assert load_plan(path, cache) == loaded[0]
    # a watching process loads the master at every build: the same plan object, whose digest the check has
    # computed once already
    assert load_plan(path, cache) is load_plan(path, plan_cache(project))


def test_the_warnings_come_back_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write_master(tmp_path / "master.xlsx", [_row("1-1-01", "取組\u200bの名前")])  # a zero-width space
    loaded = load_plan_and_warnings(path)
    assert [f.code for f in loaded[1]] == ["master-text-cleaned"]
    cache = DiskCache(tmp_path / "cache")
    load_plan_and_warnings(path, cache)
    _no_parsing(monkeypatch)
    assert load_plan_and_warnings(path, cache) == loaded


def test_a_changed_master_is_read_again(project: Path) -> None:
    path = project / "inputs" / "master.xlsx"
    cache = plan_cache(project)
    before = load_plan(path, cache)
    wb = load_workbook(path)
    ws = wb["取組"]
    header = [cell.value for cell in ws[1]]
    ws.cell(row=2, column=header.index("名称") + 1, value="名前を直した取組")
    wb.save(path)
    after = load_plan(path, cache)
    assert after.measures[0].name == "名前を直した取組" != before.measures[0].name
    assert after == load_plan(path)
    assert len(_entries(cache)) == 2


def test_the_same_bytes_under_another_name_are_not_taken_for_the_first(tmp_path: Path) -> None:
    first = _write_master(tmp_path / "master.xlsx", [_row("1-1-01", "取組\u200bの名前")])
    other = tmp_path / "other.xlsx"
    shutil.copyfile(first, other)
    cache = DiskCache(tmp_path / "cache")
    load_plan_and_warnings(first, cache)
    warnings = load_plan_and_warnings(other, cache)[1]
    assert [f.file for f in warnings] == ["other.xlsx"]  # the findings name the file


def _damage_flip(entry: Path) -> None:
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0x01
    entry.write_bytes(bytes(data))


def _damage_shape(entry: Path) -> None:
    """Intact as a file (its digest matches) but not a plan: the codec refuses it."""
    DiskCache(entry.parent).put_json(entry.name, {"plan": {"settings": {}}, "warnings": []})


def _damage_foreign(entry: Path) -> None:
    """A well-formed entry of another master under this master's key."""
    other = _write_master(entry.parent.parent / "other-master.xlsx", [_row("9-9-99", "よその取組")])
    foreign = DiskCache(entry.parent.parent / "foreign")
    load_plan(other, foreign)
    (source,) = _entries(foreign)
    entry.write_bytes(source.read_bytes())


@pytest.mark.parametrize("damage", [_damage_flip, _damage_shape, _damage_foreign])
def test_a_damaged_entry_is_a_miss(project: Path, damage: object) -> None:
    path = project / "inputs" / "master.xlsx"
    cache = plan_cache(project)
    loaded = load_plan_and_warnings(path, cache)
    (entry,) = _entries(cache)
    assert callable(damage)
    damage(entry)
    calls: list[object] = []
    real = load_workbook

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(openpyxl, "load_workbook", counted)
        assert load_plan_and_warnings(path, cache) == loaded
    assert len(calls) == 1  # parsed again
    assert _entries(cache) == [entry]  # and kept again, whole
    with pytest.MonkeyPatch.context() as patch:
        _no_parsing(patch)
        assert load_plan_and_warnings(path, cache) == loaded


def test_a_master_with_errors_is_not_cached(tmp_path: Path) -> None:
    path = _write_master(tmp_path / "master.xlsx", [_row("1-1-01", "一つ目"), _row("1-1-01", "二つ目")])
    cache = DiskCache(tmp_path / "cache")
    for _ in range(2):
        with pytest.raises(MasterError) as raised:
            load_plan(path, cache)
        assert [f.code for f in raised.value.findings] == ["master-duplicate-id"]
    assert _entries(cache) == []


def test_a_missing_master_is_refused_as_without_a_cache(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache")
    with pytest.raises(MasterError, match="ありません"):
        load_plan(tmp_path / "master.xlsx", cache)


def test_the_build_command_does_not_parse_a_master_loaded_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kpi-report build` checks the report year against the plan before building: that load is the cached
    one too (the workbook took 0.25-0.5 s to read again for 1,000 measures, at every correction)."""
    from kpi_report import api

    root = tmp_path / "project"
    shutil.copytree(SAMPLE.parent, root / "inputs", ignore=shutil.ignore_patterns("2020", "2021"))
    api.build(root, 2019)
    _no_parsing(monkeypatch)
    assert api.build(root, 2019).review_parts_reused  # the whole build with the master from the cache
