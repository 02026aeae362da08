"""The bundled sample master (inputs/master.xlsx) is rebuilt byte-for-byte from the seeds and holds the whole plan.

Uses openpyxl only, not the kpi_report loader.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
BUILDER = REPO / "tools" / "build_sample_master.py"
MASTER = REPO / "inputs" / "master.xlsx"

# Counted in seed 001 (清瀬市まち・ひと・しごと創生総合戦略, March 2016), section 3 (before 【資料】):
# - goals: the four headings "(n) 基本目標Ⅰ.…Ⅳ."
# - areas: the ①② headings under each goal's "戦略の展開": Ⅰ ①–⑤, Ⅱ ①②, Ⅲ ①, Ⅳ ①② = 10
# - measures: the lines with a 【継続/新規/拡充/検討】 tag under "◆取り組み内容" (grep -c gives 60):
#   Ⅰ 10 + 5 + 3 + 7 + 9 = 34, Ⅱ 6 + 6 = 12, Ⅲ 7, Ⅳ 3 + 4 = 7 (lines with two tags are one measure)
# - KPIs: the rows of the "重要業績評価指標（KPI）" tables: Ⅰ 1+1+2+1+1, Ⅱ 1+2, Ⅲ 3, Ⅳ 4+2 = 18;
#   goal-level: the rows of the "戦略指標" (数値目標) tables: Ⅰ 1, Ⅱ 2, Ⅲ 1, Ⅳ 1 = 5
GOALS = 4
AREAS = 10
MEASURES = 60
MEASURES_PER_GOAL = {"Ⅰ": 34, "Ⅱ": 12, "Ⅲ": 7, "Ⅳ": 7}
AREA_KPIS = 18
GOAL_KPIS = 5


def rows(sheet: str) -> list[dict[str, Any]]:
    wb = openpyxl.load_workbook(MASTER, read_only=True)
    try:
        data = list(wb[sheet].iter_rows(values_only=True))
    finally:
        wb.close()
    header = [str(h) for h in data[0]]
    return [dict(zip(header, row, strict=False)) for row in data[1:] if any(v is not None for v in row)]


def test_builder_reproduces_committed_master(tmp_path: Path) -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"seeds not found at {SEEDS}")
    out = tmp_path / "master.xlsx"
    for _ in range(2):  # twice: the same seeds give the same bytes
        subprocess.run([sys.executable, str(BUILDER), str(SEEDS), "--out", str(out)], check=True)
        assert out.read_bytes() == MASTER.read_bytes()


def test_counts_match_the_seed() -> None:
    measures = rows("取組")
    kpis = rows("KPI")
    goals = {m["基本目標"] for m in measures}
    assert len(goals) == GOALS
    assert len({(m["基本目標"], m["施策"]) for m in measures}) == AREAS
    assert len(measures) == MEASURES
    assert len({m["取組ID"] for m in measures}) == MEASURES
    for numeral, count in MEASURES_PER_GOAL.items():
        assert sum(1 for m in measures if m["基本目標"].startswith(f"基本目標{numeral} ")) == count
    assert sum(1 for k in kpis if k["施策"] is None) == GOAL_KPIS
    assert sum(1 for k in kpis if k["施策"] is not None) == AREA_KPIS
    assert len({k["KPI_ID"] for k in kpis}) == GOAL_KPIS + AREA_KPIS
    areas = {m["施策"] for m in measures}
    assert all(k["施策"] in areas for k in kpis if k["施策"] is not None)
    assert all(k["基本目標"] in goals for k in kpis)
    for m in measures:
        assert m["名称"] and m["内容"] and m["所管課"], m["取組ID"]
        assert m["区分"] in {"継続", "新規", "拡充", "検討"}, m["取組ID"]
    for k in kpis:
        assert k["方向"] in {"増加", "減少", "維持"} and k["目標年度"] == 2019 and k["所管課"], k["KPI_ID"]


def test_spot_checks() -> None:
    measures = {m["取組ID"]: m for m in rows("取組")}
    kpis = {k["KPI_ID"]: k for k in rows("KPI")}

    first = measures["1-1-01"]
    assert first["基本目標"] == "基本目標Ⅰ 結婚・出産・子育ての希望実現戦略"
    assert first["施策"] == "① 妊娠・出産・子育ての切れ目のないサポート体制の整備"
    assert first["名称"] == "妊婦健康診査"
    assert first["予算事業コード"] == "0104010242"  # text, leading zero kept (seed 000's code)
    assert first["総合計画施策"] == "施策311"

    # Two budget lines with different departments in seed 000.
    hub = measures["1-1-06"]
    assert hub["名称"].startswith("地域子育て支援拠点事業")
    assert hub["所管課"].split("\n") == ["子ども家庭支援センター", "子育て支援課"]
    assert hub["予算事業コード"].split("\n") == ["0103020902", "0103020607"]

    # "-" in seed 000 means no budget business.
    assert measures["3-1-07"]["名称"] == "移住に関する情報提供の一元化"
    assert measures["3-1-07"]["予算事業コード"] is None

    # Two tags on one line: one measure, the stronger tag.
    assert measures["1-2-01"]["名称"] == "保育園運営事業（家庭的保育事業・小規模保育事業）"
    assert measures["1-2-01"]["区分"] == "新規"

    waiting = kpis["K1-2-01"]
    assert waiting["指標名"] == "保育園待機児童数"
    assert (waiting["基準値"], waiting["目標値"], waiting["方向"]) == ("45人", "20人", "減少")
    assert waiting["単位"] == "人"

    survey = kpis["K1-4-01"]
    assert survey["目標値"] == "55% ※平成32年世論調査"
    assert kpis["K1-3-01"]["基準値"] == "－"
    assert kpis["G1-01"]["指標名"] == "合計特殊出生率"
    assert kpis["G1-01"]["施策"] is None

    settings = dict(rows_of_settings())
    assert settings["計画名"] == "清瀬市まち・ひと・しごと創生総合戦略"
    assert settings["計画開始年度"] == 2015 and settings["計画終了年度"] == 2019
    assert settings["和暦"] == "令和元年度"


def rows_of_settings() -> list[tuple[Any, Any]]:
    wb = openpyxl.load_workbook(MASTER, read_only=True)
    try:
        return [(r[0], r[1]) for r in wb["設定"].iter_rows(min_row=2, max_col=2, values_only=True)]
    finally:
        wb.close()
