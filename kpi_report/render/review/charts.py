"""SVG charts of the annual review: a KPI's course (基準値 → 実績 → 目標), counts per 基本目標.

Written as plain SVG text rather than with matplotlib: a chart here is a few dozen elements, built in
microseconds, byte-stable, and its <text> labels use the review's embedded Japanese font (matplotlib
would need its own font setup and costs tens of milliseconds per figure, hundreds of figures per review).
Every label is XML-escaped; coordinates are rounded so the output never depends on float noise.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from kpi_report.core.fiscal import era_of
from kpi_report.core.model import KpiRow

STATUS_COLORS = ("#2f6db5", "#2e9a5d", "#8cc06b", "#e0a526", "#9a9a9a", "#c8553d", "#5b4a8b", "#3fa7b5")
UNREPORTED_COLOR = "#d9d9d9"
GRADE_COLORS = {"A": "#2e9a5d", "B": "#8cc06b", "C": "#e0a526", "D": "#c8553d", "": "#d9d9d9"}
_ACTUAL = "#2f6db5"
_TARGET = "#c8553d"
_INK = "#333333"
_GRID = "#bbbbbb"
_LIGHT = frozenset({"#8cc06b", "#e0a526", "#d9d9d9", "#9a9a9a", "#3fa7b5"})  # fills that need dark labels


def _n(value: float) -> str:
    """A coordinate with at most one decimal, without a trailing '.0'."""
    return f"{value:.1f}".removesuffix(".0")


def year_mark(fy: int, reiwa_for_2019: bool = True) -> str:
    """Short era label of a fiscal year for an axis: 'H26', 'R1'."""
    era, number = era_of(fy, reiwa_for_2019)
    return {"平成": "H", "令和": "R", "昭和": "S"}.get(era, era) + str(number)


# the charts' year marks (their fiscal years are the model's ints): a handful of years, each marked hundreds of
# times per review (the template's year_mark is the plain function: it may be given anything)
_chart_year_mark = functools.cache(year_mark)


def _svg(width: float, height: float, body: list[str], font_family: str, label: str) -> str:
    """The chart; ``label`` states its values in words: the <title> is the tagged PDF's alternative text."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" role="img" aria-label={quoteattr(label)} '
        f'font-family={quoteattr(font_family)} fill="{_INK}"><title>{escape(label)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _value(value: float, unit: str) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") + unit


def kpi_chart_text(row: KpiRow, reiwa_for_2019: bool = True) -> str:
    """The chart's values in words: '合計特殊出生率の推移。基準値 1.16（H26）、実績 H30 1.19、R1 1.21、目標値 1.23（R1）'."""
    kpi = row.kpi
    parts = []
    if kpi.baseline is not None:
        year = f"（{_chart_year_mark(kpi.baseline_fy, reiwa_for_2019)}）" if kpi.baseline_fy else ""
        parts.append(f"基準値 {_value(kpi.baseline, kpi.unit)}{year}")
    actuals = [
        f"{_chart_year_mark(fy, reiwa_for_2019)} {_value(v, kpi.unit)}"
        for fy, v in row.actuals
        if v is not None
    ]
    parts.append("実績 " + "、".join(actuals) if actuals else "実績なし")
    if kpi.target is not None:
        year = f"（{_chart_year_mark(kpi.target_fy, reiwa_for_2019)}）" if kpi.target_fy else ""
        parts.append(f"目標値 {_value(kpi.target, kpi.unit)}{year}")
    return f"{kpi.name}の推移。" + "、".join(parts)


def _text(x: float, y: float, text: str, size: float = 8, anchor: str = "start", fill: str = _INK) -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" text-anchor="{anchor}" fill="{fill}">'
        f"{escape(text)}</text>"
    )


CHART_LEGEND = "□基準 ■実績 ◆目標"


def kpi_chart(row: KpiRow, font_family: str, reiwa_for_2019: bool = True) -> str:
    """A small line chart of one KPI: baseline, actual values per year, the target line and target year.

    The baseline is a hollow square, actual values filled squares joined by a line, the target a dashed
    horizontal line with a diamond on the target year, whose dashed vertical line marks it on the axis
    (legend: :data:`CHART_LEGEND`). Straight segments and two labels only: WeasyPrint draws SVG in
    Python, per element and per path command, and a review holds hundreds of these charts.
    """
    kpi = row.kpi
    width, height = 200.0, 62.0
    left, right, top, bottom = 8.0, 192.0, 6.0, 46.0
    points: list[tuple[int, float]] = [(fy, v) for fy, v in row.actuals if v is not None]
    base = (
        (kpi.baseline_fy, kpi.baseline) if kpi.baseline_fy is not None and kpi.baseline is not None else None
    )
    target_fy = kpi.target_fy
    values = [v for _, v in points]
    if base:
        values.append(base[1])
    if kpi.target is not None:
        values.append(kpi.target)
    label = kpi_chart_text(row, reiwa_for_2019)
    if not values:
        return _svg(width, height, [_text(width / 2, 34, "データなし", anchor="middle")], font_family, label)
    years = sorted(
        {fy for fy, _ in row.actuals}
        | ({base[0]} if base else set())
        | ({target_fy} if target_fy is not None else set())
    )
    first, last = years[0], years[-1]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.12 if hi > lo else max(abs(hi) * 0.1, 1.0)
    lo, hi = lo - pad, hi + pad

    def x(fy: int) -> float:
        return (left + right) / 2 if last == first else left + (right - left) * (fy - first) / (last - first)

    def y(value: float) -> float:
        return bottom - (bottom - top) * (value - lo) / (hi - lo)

    def square(fy: int, value: float) -> str:
        return f"M{_n(x(fy) - 2)} {_n(y(value) - 2)}h4v4h-4Z"

    axis = f"M{_n(left)} {_n(bottom)}H{_n(right)}" + "".join(f"M{_n(x(fy))} {_n(bottom)}v2" for fy in years)
    body = [f'<path d="{axis}" stroke="{_GRID}" fill="none"/>']
    target = ""
    if target_fy is not None:
        target += f"M{_n(x(target_fy))} {_n(top)}V{_n(bottom)}"
    if kpi.target is not None:
        target += f"M{_n(left)} {_n(y(kpi.target))}H{_n(right)}"
    if target:
        body.append(f'<path d="{target}" stroke="{_TARGET}" stroke-dasharray="3 2" fill="none"/>')
    if kpi.target is not None and target_fy is not None:
        tx, ty = x(target_fy), y(kpi.target)
        body.append(f'<path d="M{_n(tx)} {_n(ty - 3.5)}l3.5 3.5l-3.5 3.5l-3.5 -3.5Z" fill="{_TARGET}"/>')
    line = ([base] if base else []) + [(fy, v) for fy, v in points if not base or fy > base[0]]
    if len(line) > 1:
        coords = " ".join(f"{_n(x(fy))},{_n(y(v))}" for fy, v in line)
        body.append(f'<polyline points="{coords}" fill="none" stroke="{_ACTUAL}" stroke-width="1.2"/>')
    if points:
        body.append(f'<path d="{"".join(square(fy, v) for fy, v in points)}" fill="{_ACTUAL}"/>')
    if base:
        body.append(f'<path d="{square(*base)}" fill="#ffffff" stroke="{_ACTUAL}"/>')
    marked = [first, last] if last != first else [first]
    for fy in marked:
        anchor = "start" if fy == first and len(marked) > 1 else "end" if len(marked) > 1 else "middle"
        body.append(_text(x(fy), bottom + 11, _chart_year_mark(fy, reiwa_for_2019), 7.5, anchor))
    return _svg(width, height, body, font_family, label)


COMMITTEE_COLORS = ("#2e9a5d", "#8cc06b", "#e0a526", "#c8553d")  # 委員評価, best first (four levels)


def committee_colors(scale: Sequence[str]) -> tuple[str, ...]:
    """One fill per rating of the committee's scale, best first: the four-level colours, more from the status
    palette for a longer scale."""
    if len(scale) <= len(COMMITTEE_COLORS):
        return COMMITTEE_COLORS[: len(scale)]
    extra = [c for c in STATUS_COLORS if c not in COMMITTEE_COLORS]
    return (
        (*COMMITTEE_COLORS, *extra)[: len(scale)]
        if len(scale) <= 4 + len(extra)
        else tuple(STATUS_COLORS[i % len(STATUS_COLORS)] for i in range(len(scale)))
    )


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[int]]],
    categories: Sequence[str],
    colors: Sequence[str],
    font_family: str,
    label: str,
) -> str:
    """Horizontal stacked bars, one per row (e.g. per 基本目標), a legend of the categories on top.

    Args:
        rows: (row label, count per category) in display order.
        categories: category names, in the order of the counts.
        colors: one fill colour per category.
        font_family: the document's Japanese font family, for the labels.
        label: what the chart shows; the alternative text adds every bar's counts.
    """
    width = 640.0
    label_width, bar_left, bar_right = 96.0, 100.0, 600.0
    legend_height, bar_height, gap = 22.0, 14.0, 7.0
    height = legend_height + len(rows) * (bar_height + gap) + 4
    body: list[str] = []
    lx = bar_left
    for name, color in zip(categories, colors, strict=True):
        body.append(f'<rect x="{_n(lx)}" y="4" width="9" height="9" fill="{color}"/>')
        body.append(_text(lx + 12, 12, name, 9))
        lx += 22 + 9.5 * len(name)
    biggest = max((sum(counts) for _, counts in rows), default=0) or 1
    scale = (bar_right - bar_left) / biggest
    for i, (name, counts) in enumerate(rows):
        top = legend_height + i * (bar_height + gap)
        body.append(_text(label_width, top + bar_height - 3.5, name, 9, "end"))
        x = bar_left
        for count, color in zip(counts, colors, strict=True):
            if not count:
                continue
            w = count * scale
            body.append(
                f'<rect x="{_n(x)}" y="{_n(top)}" width="{_n(w)}" height="{_n(bar_height)}" fill="{color}"/>'
            )
            if w >= 16:
                ink = _INK if color in _LIGHT else "#ffffff"
                body.append(_text(x + w / 2, top + bar_height - 3.5, str(count), 8, "middle", ink))
            x += w
        body.append(_text(x + 4, top + bar_height - 3.5, f"計{sum(counts)}", 8.5))
    values = "；".join(
        f"{name} "
        + "、".join(f"{c} {n}" for c, n in zip(categories, counts, strict=True))
        + f"（計{sum(counts)}）"
        for name, counts in rows
    )
    return _svg(width, height, body, font_family, f"{label}。{values}")
