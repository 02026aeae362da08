"""Synthetic plans of any size, for benchmarks and scale tests."""

from __future__ import annotations

import io
from pathlib import Path

from kpi_report.core.files import new_xlsx, write_atomic
from kpi_report.plan.scaffold import KPI_COLUMNS, MEASURE_COLUMNS

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
    for col, header in enumerate(MEASURE_COLUMNS):
        ws.write_string(0, col, header)
    area_count = goals * areas_per_goal
    for i in range(measures):
        a = i * area_count // measures
        g = a // areas_per_goal
        dept = f"部署{i % departments + 1:03d}課"
        related = f"部署{(i + 7) % departments + 1:03d}課" if i % 5 == 0 else ""
        owners = dept + (f"\n部署{(i + 3) % departments + 1:03d}課" if i % 17 == 0 else "")
        row = (
            f"M{i + 1:05d}",
            f"基本目標{g + 1}「テスト目標{g + 1}」",
            f"{CIRCLED[a % areas_per_goal]} テスト施策{a + 1}",
            "",
            f"取組{i + 1}の名称（合成データ）",
            "市民の暮らしを支えるため、関係機関と連携して事業を実施し、効果を検証しながら改善を図ります。"
            * 2,
            owners,
            related,
            "継続",
            f"{i:010d}",
            f"施策{100 + a}",
        )
        for col, value in enumerate(row):
            ws.write_string(i + 1, col, value)
    ws = wb.add_worksheet("KPI")
    for col, header in enumerate(KPI_COLUMNS):
        ws.write_string(0, col, header)
    for k in range(kpis):
        a = k * area_count // kpis
        g = a // areas_per_goal
        goal_level = k % 10 == 0
        kpi_row = (
            f"K{k + 1:04d}",
            f"基本目標{g + 1}「テスト目標{g + 1}」",
            "" if goal_level else f"{CIRCLED[a % areas_per_goal]} テスト施策{a + 1}",
            f"指標{k + 1}",
            "人",
            str(100 + k),
            str(start_fy),
            str(200 + k),
            str(end_fy),
            "減少" if k % 4 == 0 else "増加",
            "合成データ",
            f"部署{k % departments + 1:03d}課",
        )
        for col, value in enumerate(kpi_row):
            ws.write_string(k + 1, col, value)
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
