"""Progress lists (進捗状況一覧表) in the build renderer's layout, from plain rows: diff tests and benchmarks.

A stand-in for kpi_report.render.progress_xlsx that needs no master or submissions: the tests edit one row at a time
(a reworded 内容, a past year's note, a moved measure …) and compare the two lists.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from kpi_report.core.files import new_xlsx
from kpi_report.core.fiscal import fy_heading, fy_label

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"


@dataclass(frozen=True)
class FixtureMeasure:
    """One measure row of the progress sheet."""

    id: str
    goal: str
    area: str
    number: str
    name: str
    content: str
    owners: str  # the 所管課 (関連課) cell: owners one per line, then (related) lines
    status: str
    notes: str  # the whole notes cell, year headings included


@dataclass(frozen=True)
class FixtureKpi:
    """One row of the KPI sheet; values are written as given (numbers as numbers, text as text)."""

    id: str
    goal: str
    area: str
    name: str
    unit: str
    baseline: object
    baseline_fy: str
    actuals: tuple[object, ...]  # one per year column
    target: object
    target_fy: str
    rate: object  # a number (1.0 = 100%) or "－"
    grade: str


@dataclass(frozen=True)
class FixtureList:
    """A whole progress list: title, report year, rows and the header texts."""

    plan_name: str
    fy: int
    measures: tuple[FixtureMeasure, ...]
    kpis: tuple[FixtureKpi, ...] = ()
    kpi_years: tuple[int, ...] = ()
    with_ids: bool = True
    header_overrides: dict[str, str] = field(default_factory=dict)  # renamed columns: old header -> new

    def with_measure(self, measure_id: str, **changes: object) -> FixtureList:
        """A copy with one measure's fields replaced."""
        rows = tuple(replace(m, **changes) if m.id == measure_id else m for m in self.measures)  # type: ignore[arg-type]
        return replace(self, measures=rows)

    def with_kpi(self, kpi_id: str, **changes: object) -> FixtureList:
        """A copy with one KPI's fields replaced."""
        rows = tuple(replace(k, **changes) if k.id == kpi_id else k for k in self.kpis)  # type: ignore[arg-type]
        return replace(self, kpis=rows)


def notes_text(blocks: Sequence[tuple[int, Sequence[str]]]) -> str:
    """The notes cell: a 【年度】 heading per year, then one `・` line per point (《…》 sub-headings bare)."""
    lines: list[str] = []
    for fy, points in blocks:
        lines.append(fy_heading(fy))
        lines.extend(p if p.startswith("《") else f"・{p}" for p in points)
    return "\n".join(lines)


def progress_list_bytes(doc: FixtureList) -> bytes:
    """The .xlsx bytes of ``doc`` in the progress-list layout (sheets 進捗状況一覧表 and KPI)."""
    buffer = io.BytesIO()
    wb = new_xlsx(buffer)
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    goal_fmt = wb.add_format({"bold": True, "bg_color": "#BFBFBF"})
    area_fmt = wb.add_format({"bold": True, "bg_color": "#E7E6E6"})
    rate_fmt = wb.add_format({"num_format": "0.0%"})

    def header(text: str) -> str:
        return doc.header_overrides.get(text, text)

    year_line = f"{fy_label(doc.fy)}（{doc.fy}年度）"
    ws = wb.add_worksheet("進捗状況一覧表")
    ws.merge_range(0, 0, 0, 5, f"{doc.plan_name} 進捗状況一覧表")
    ws.merge_range(1, 0, 1, 5, year_line)
    headers = [
        "施策番号",
        "名称",
        "内容",
        "所管課 (関連課)",
        "進捗状況",
        f"{fy_label(doc.fy)}までの実施等状況",
    ]
    if doc.with_ids:
        headers.append("取組ID")
    for col, text in enumerate(headers):
        ws.write_string(2, col, header(text))
    if doc.with_ids:
        ws.set_column(6, 6, None, None, {"hidden": True})
    row = 3
    goal = area = None
    for m in doc.measures:
        if m.goal != goal:
            ws.merge_range(row, 0, row, 5, m.goal, goal_fmt)
            goal, area, row = m.goal, None, row + 1
        if m.area != area:
            ws.merge_range(row, 0, row, 5, m.area, area_fmt)
            area, row = m.area, row + 1
        values = [m.number, m.name, m.content, m.owners, m.status, m.notes]
        if doc.with_ids:
            values.append(m.id)
        for col, value in enumerate(values):
            if value:
                ws.write_string(row, col, value, wrap)
        row += 1

    ws = wb.add_worksheet("KPI")
    ws.write_string(0, 0, f"{doc.plan_name} KPI・数値目標")
    ws.write_string(1, 0, year_line)
    kpi_headers = ["KPI_ID", "基本目標", "施策", "指標名", "単位", "基準値", "基準年度"]
    kpi_headers += [f"{fy_label(fy)}実績" for fy in doc.kpi_years]
    kpi_headers += ["目標値", "目標年度", "達成率", "評価"]
    for col, text in enumerate(kpi_headers):
        ws.write_string(2, col, header(text))
    for r, k in enumerate(doc.kpis, start=3):
        cells: list[object] = [k.id, k.goal, k.area, k.name, k.unit, k.baseline, k.baseline_fy, *k.actuals]
        cells += [k.target, k.target_fy, k.rate, k.grade]
        for col, cell in enumerate(cells):
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                ws.write_number(r, col, cell, rate_fmt if col == len(cells) - 2 else None)
            elif cell:
                ws.write_string(r, col, str(cell))
    wb.close()
    return buffer.getvalue()


NOTE_POINTS = (
    "認定農業者の更新や新規認定の呼びかけを行い、{n}経営体が認定を受けました。",
    "経営基盤強化の補助を行う、地域農業担い手支援事業を実施し、{n}経営体が事業を活用して農業経営の促進を図りました。",
    "市民向けの説明会を{n}回開催し、参加者アンケートの結果を次年度の事業計画に反映しました。",
)


def synthetic_list(
    measures: int, fy: int = 2019, first_fy: int = 2016, goals: int = 4, areas_per_goal: int = 5
) -> FixtureList:
    """A deterministic list of ``measures`` rows with a notes block per year from ``first_fy`` to ``fy``."""
    area_count = goals * areas_per_goal
    rows: list[FixtureMeasure] = []
    number_in_area: dict[int, int] = {}
    for i in range(measures):
        a = i * area_count // measures
        g = a // areas_per_goal
        number_in_area[a] = number_in_area.get(a, 0) + 1
        blocks = [
            (year, [p.format(n=(i + year) % 40 + 1) for p in NOTE_POINTS[: 1 + (i + year) % 3]])
            for year in range(first_fy, fy + 1)
        ]
        rows.append(
            FixtureMeasure(
                id=f"M{i + 1:05d}",
                goal=f"基本目標{g + 1}「テスト目標{g + 1}」",
                area=f"{CIRCLED[a % areas_per_goal]} テスト施策{a + 1}",
                number=str(number_in_area[a]),
                name=f"取組{i + 1}の名称（合成データ）",
                content="市民の暮らしを支えるため、関係機関と連携して事業を実施し、効果を検証しながら改善を図ります。",
                owners=f"部署{i % 100 + 1:03d}課"
                + (f"\n(部署{(i + 7) % 100 + 1:03d}課)" if i % 5 == 0 else ""),
                status="実施中" if i % 7 else "完了",
                notes=notes_text(blocks),
            )
        )
    kpi_years = tuple(range(first_fy, fy + 1))
    kpis = tuple(
        FixtureKpi(
            id=f"K{k + 1:04d}",
            goal=f"基本目標{k % goals + 1}「テスト目標{k % goals + 1}」",
            area="" if k % 10 == 0 else f"{CIRCLED[k % areas_per_goal]} テスト施策{k % area_count + 1}",
            name=f"指標{k + 1}",
            unit="人",
            baseline=float(100 + k),
            baseline_fy="平成27年度",
            actuals=tuple(float(100 + k + (y - first_fy + 1) * 10) for y in kpi_years),
            target=float(200 + k),
            target_fy="令和元年度",
            rate=(len(kpi_years) * 10) / 100,
            grade="C",
        )
        for k in range(max(1, measures // 10))
    )
    return FixtureList(
        plan_name="合成テスト総合戦略", fy=fy, measures=tuple(rows), kpis=kpis, kpi_years=kpi_years
    )
