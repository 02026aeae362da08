"""Synthetic plans of any size, for benchmarks and scale tests."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from kpi_report.core.columns import MASTER_KPIS, MASTER_MEASURES, Column
from kpi_report.core.files import new_xlsx, write_atomic

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
NOTE = "地域の関係団体と連携し、説明会を{n}回開催しました。参加者の意見を踏まえ、来年度の実施方法を見直しました。"


def write_synthetic_master(
    path: Path,
    measures: int = 1000,
    departments: int = 100,
    kpis: int = 300,
    goals: int = 4,
    areas_per_goal: int = 5,
    start_fy: int = 2015,
    end_fy: int = 2019,
) -> None:
    """Write a master workbook with the given counts (deterministic content and bytes)."""
    buffer = io.BytesIO()
    wb = new_xlsx(buffer)
    ws = wb.add_worksheet("取組")
    _write_row(ws, 0, MASTER_MEASURES, {c.header: c.header for c in MASTER_MEASURES})
    area_count = goals * areas_per_goal
    for i in range(measures):
        a = i * area_count // measures
        g = a // areas_per_goal
        dept = f"部署{i % departments + 1:03d}課"
        related = f"部署{(i + 7) % departments + 1:03d}課" if i % 5 == 0 else ""
        owners = dept + (f"\n部署{(i + 3) % departments + 1:03d}課" if i % 17 == 0 else "")
        row = {
            "取組ID": f"M{i + 1:05d}",
            "基本目標": f"基本目標{g + 1}「テスト目標{g + 1}」",
            "施策": f"{CIRCLED[a % areas_per_goal]} テスト施策{a + 1}",
            "名称": f"取組{i + 1}の名称（合成データ）",
            "内容": "市民の暮らしを支えるため、関係機関と連携して事業を実施し、効果を検証しながら改善を図ります。"
            * 2,
            "所管課": owners,
            "関連課": related,
            "区分": "継続",
            "予算事業コード": f"{i:010d}",
            "総合計画施策": f"施策{100 + a}",
        }
        _write_row(ws, i + 1, MASTER_MEASURES, row)
    ws = wb.add_worksheet("KPI")
    _write_row(ws, 0, MASTER_KPIS, {c.header: c.header for c in MASTER_KPIS})
    for k in range(kpis):
        a = k * area_count // kpis
        g = a // areas_per_goal
        goal_level = k % 10 == 0
        kpi_row = {
            "KPI_ID": f"K{k + 1:04d}",
            "基本目標": f"基本目標{g + 1}「テスト目標{g + 1}」",
            "施策": "" if goal_level else f"{CIRCLED[a % areas_per_goal]} テスト施策{a + 1}",
            "指標名": f"指標{k + 1}",
            "単位": "人",
            "基準値": str(100 + k),
            "基準年度": str(start_fy),
            "目標値": str(200 + k),
            "目標年度": str(end_fy),
            "方向": "減少" if k % 4 == 0 else "増加",
            "出典": "合成データ",
            "所管課": f"部署{k % departments + 1:03d}課",
        }
        _write_row(ws, k + 1, MASTER_KPIS, kpi_row)
    ws = wb.add_worksheet("設定")
    for r, (key, value) in enumerate(
        (
            ("計画名", "合成テスト総合戦略"),
            ("自治体名", "テスト市"),
            ("計画開始年度", str(start_fy)),
            ("計画終了年度", str(end_fy)),
        )
    ):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value)
    wb.close()
    write_atomic(path, buffer.getvalue())


def _write_row(ws: Any, row: int, spec: tuple[Column, ...], values: dict[str, str]) -> None:
    """One row of a master sheet, in the spec's column order (a column without a value is left blank)."""
    for col, column in enumerate(spec):
        ws.write_string(row, col, values.get(column.header, ""))
