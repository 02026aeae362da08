"""The annual review PDF (年次報告書): cover, contents, summary, one section per 基本目標, the progress table.

The review is laid out from ``templates/annual-review.html.j2`` and ``annual-review.css`` (a project's own
``templates/`` folder overrides them) and rendered by WeasyPrint in independent parts, in parallel
processes, joined into one PDF with continuous page numbers (see :mod:`kpi_report.render.review.weasy`).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from kpi_report.core.achievement import format_rate
from kpi_report.core.diskcache import DiskCache
from kpi_report.core.fiscal import ERAS, fy_label
from kpi_report.core.model import (
    NOT_EVALUABLE,
    UNREPORTED,
    GradeScheme,
    GradeThresholds,
    Measure,
    Progress,
    YearNotes,
)
from kpi_report.core.project import template_problem
from kpi_report.core.version import __version__
from kpi_report.present.committee import CommitteeAreaView, present_committee
from kpi_report.present.table import (
    FLAG_MARK,
    AreaView,
    GoalView,
    KpiView,
    MeasureView,
    ReportView,
    bulleted,
    department_lines,
    value_text,
)
from kpi_report.render.review import charts
from kpi_report.render.review.cache import PartCache
from kpi_report.render.review.folio import folio_font
from kpi_report.render.review.fontshare import shared_program
from kpi_report.render.review.partspec import PartLayout, RenderConfig
from kpi_report.render.review.pdfjoin import Bookmark
from kpi_report.render.review.weasy import (
    JapaneseFont,
    ReviewRenderError,
    Workers,
    css_string,
    find_japanese_font,
    finish_pdf,
    font_face_css,
    packaged_font_file,
    render_parts,
)
from kpi_report.render.templating import template_environment

TEMPLATE = "annual-review.html.j2"
STYLESHEET = "annual-review.css"
# Parts are cut at 施策 boundaries once they hold about this many estimated text lines (about five pages):
# big enough that the per-part cost (a new document, its font subset) stays small, small enough that a
# corrected form re-renders a few pages (issue 15), and WeasyPrint lays small documents out faster per page.
# A very large plan is cut into at most about PLANNED_PARTS parts (1,000 measures: 64 parts; 16 parts made
# a clean build slower and a correction rebuild 5× slower; 141 parts made the file 25% larger and a clean
# build slower). The plan never depends on the CPU count, so neither do the bytes.
PART_LINES = 600
PLANNED_PARTS = 40
_GOAL_SHORT = re.compile(r"^(基本目標\s*[0-9０-９ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ一二三四五六七八九十]+)")


@dataclass(frozen=True)
class AreaPiece:
    """A 施策, or a run of its measures when a very long one is split over parts."""

    area: AreaView
    anchor: str  # id of its heading, e.g. "g1a2"
    rows: tuple[MeasureView, ...]
    first: bool  # the piece starts the area: its title and KPIs are shown


@dataclass(frozen=True)
class GoalPiece:
    """A 基本目標, or the run of its areas that one part holds."""

    goal: GoalView
    anchor: str  # "g1"
    first: bool  # the piece starts the goal: its title and 数値目標 are shown
    areas: tuple[AreaPiece, ...]


@dataclass(frozen=True)
class Part:
    """One independently rendered document of the review; each starts on a new page."""

    key: str
    kind: str  # "summary" | "goals" | "committee" | "appendix"
    goals: tuple[GoalPiece, ...] = ()
    first: bool = False  # the first part of its kind (the appendix title is shown once)


@dataclass(frozen=True)
class TocEntry:
    """A line of the table of contents."""

    level: int
    title: str
    anchor: str
    page: int  # printed body page number


def render_review(
    view: ReportView,
    template_dirs: Sequence[Path],
    progress: Progress | None = None,
    workers: int | None = None,
    cache: Path | PartCache | None = None,
    started: Callable[[], None] | None = None,
    keep: Workers | None = None,
) -> bytes:
    """Render the annual review of ``view`` as PDF bytes (deterministic: same report, same bytes).

    ``cache``: a folder (or a PartCache) of parts rendered before; unchanged parts are taken from it.
    ``started``: called once the parts are being rendered in worker processes (weasy.render_parts).
    ``keep``: rendering processes kept between builds (weasy.Workers, ``build --watch``).

    Args:
        view: the presented report (kpi_report.present).
        template_dirs: template search path, the project's overrides first (project.template_dirs).
        progress: called as progress(label, done, total) after each rendered part.
        workers: rendering processes; default: the usable CPUs, at most 2.

    Raises:
        ReviewRenderError: a template is missing or broken, or rendering failed.
    """
    report = view.report
    font = find_japanese_font()
    env = _environment(template_dirs)
    try:
        template = env.get_template(TEMPLATE)
        stylesheet = env.loader.get_source(env, STYLESHEET)[0] if env.loader else ""
    except Exception as exc:  # a project's template may be missing, broken or not text at all
        raise _template_error(exc) from exc
    context = _context(view, font)
    parts = plan_parts(view)

    def page(part: Part) -> str:
        try:
            return template.render(part=part, **context)
        except Exception as exc:  # a project's template is code: it may raise anything
            raise _template_error(exc) from exc

    keyed = [(part.key, partial(page, part)) for part in parts]

    def front(layouts: Mapping[str, PartLayout], first_pages: Mapping[str, int]) -> str:
        toc = table_of_contents(view, parts, layouts, first_pages)
        return page_front(toc)

    def page_front(toc: list[TocEntry]) -> str:
        try:
            return template.render(part=Part("front", "front"), toc=toc, **context)
        except Exception as exc:  # a project's template is code: it may raise anything
            raise _template_error(exc) from exc

    folio_file = packaged_font_file()
    config = _render_config(report.plan_name, template_dirs, font, stylesheet)
    if isinstance(cache, Path):
        cache = PartCache(cache)
    if cache is not None:
        cache.configure(config.stylesheets, config.base_url, config.allowed_roots, config.allowed_files)
    rendered = render_parts(
        keyed,
        front,
        config,
        workers=workers,
        progress=progress,
        front_after=last_in_contents(parts),
        cache=cache,
        started=started,
        keep=keep,
    )
    toc = table_of_contents(view, parts, rendered.layouts, rendered.first_pages)
    offset = rendered.front_pages - 1
    outline: list[Bookmark] = []
    for entry in toc:
        parent = None
        if entry.level == 2:
            parent = max(i for i, item in enumerate(outline) if item.parent is None)
        outline.append(Bookmark(entry.title, entry.page + offset, parent))
    metadata = {
        "/Title": f"{report.plan_name} {report.fy_label} 実績 年次報告書",
        "/Author": report.city,
        "/Subject": f"{report.plan_name}の{report.fy_label}の進捗状況",
        "/Creator": f"kpi-report {__version__}",
        "/Producer": "kpi-report (WeasyPrint)",
    }
    created = pdf_date(report.issue_date)
    if created:
        metadata["/CreationDate"] = metadata["/ModDate"] = created
    links = {f"toc:{entry.anchor}": entry.page + offset for entry in toc}
    stored = DiskCache(cache.folder) if cache is not None else None
    folio = folio_font(folio_file, stored) if folio_file is not None else None
    fonts = {}
    if font.file is not None:
        fonts[font.family] = partial(shared_program, font.file, cache=stored)
    pdf = finish_pdf(rendered, outline, metadata, links, folio, fonts, memo=stored)
    if cache is not None:  # once the join has written into it too (its memo, the shared and folio fonts)
        cache.prune()
    return pdf


def render_config(plan_name: str, template_dirs: Sequence[Path]) -> RenderConfig | None:
    """What the review's rendering processes will be set up with for a plan named ``plan_name`` (None: the
    stylesheet cannot be read; rendering will say why): known before the report is made, so that the
    processes can be started while it is (weasy.Workers.prime)."""
    env = _environment(template_dirs)
    try:
        stylesheet = env.loader.get_source(env, STYLESHEET)[0] if env.loader else ""
    except Exception:  # a project's stylesheet may be missing or not text: render_review reports it
        return None
    return _render_config(plan_name, template_dirs, find_japanese_font(), stylesheet)


def _render_config(
    plan_name: str, template_dirs: Sequence[Path], font: JapaneseFont, stylesheet: str
) -> RenderConfig:
    family = f"font-family: {css_string(font.family)}, sans-serif;"
    # the page numbers are drawn when the parts are joined (folio.py), in the packaged font; without it (a
    # broken install) each part numbers its pages, as a margin box
    numbers = "" if packaged_font_file() else '@bottom-center { content: "- " counter(page) " -"; }'
    # the page's margin boxes (running header, page number) inherit from @page, not from body: without the
    # family there they fell back to the system's default (IPAMincho, DejaVu Serif), one more embedded font
    header = (
        f"@page {{ {family} @top-right {{ content: {css_string(header_text(plan_name))}; }} {numbers}}}\n"
    )
    body_font = f"body {{ {family} }}\n"
    dirs = [Path(d).resolve() for d in template_dirs]
    return RenderConfig(
        stylesheets=(font_face_css(font) + header + body_font, stylesheet),
        base_url=(dirs[0].as_uri() + "/") if dirs else "file:///nonexistent/",
        allowed_roots=tuple(d for d in dirs if d.is_dir()),
        allowed_files=(font.file,) if font.file else (),
        # the packaged font's file is known: one subset of it for the whole file instead of one per part
        shared_fonts=(font.family,) if font.file else (),
    )


def _template_error(exc: BaseException) -> ReviewRenderError:
    return ReviewRenderError(
        f"年次報告書のテンプレートを処理できません（{template_problem(exc)}）。"
        "templates/ フォルダーの変更を確認するか、削除して既定のテンプレートに戻してください。"
    )


def _environment(template_dirs: Sequence[Path]) -> Environment:
    return template_environment(template_dirs)


# a letter, digit or sign: not Japanese, not a space
_LETTER = r"[^\s\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]"
# Japanese characters no line may start with (ー 。 、 ッ 」 …), which give no break between them either
_NO_LINE_START = (
    r"[\u3001\u3002\u3005\u300b\u300d\u300f\u3011\u3015\u301c\u3041\u3043\u3045\u3047\u3049\u3063"
    r"\u3083\u3085\u3087\u308e\u309d\u309e\u30a1\u30a3\u30a5\u30a7\u30a9\u30c3\u30e3\u30e5\u30e7"
    r"\u30ee\u30f5\u30f6\u30fb\u30fc\u30fd\u30fe\u2025\u2026\uff09\uff0c\uff0e\uff5e\uff70]"
)
# a run of 16 of either kind, written as one character and 15 or more: a pattern that starts with one character
# class lets the regular expression engine skip to a candidate at C speed (one alternation of both runs tried
# the whole pattern at every position, twice as slow)
_LONG_LETTERS = re.compile(2 * _LETTER + "{15,}")
_LONG_NO_BREAK = re.compile(2 * _NO_LINE_START + "{15,}")


def wrap_class(text: str) -> str:
    """'w' for text with a long run that has no line-break opportunity (a URL, a code), else ''.

    Only such text gets ``overflow-wrap: anywhere`` (class w): it keeps it inside its cell, and set on
    every cell it costs about 6% of the table's layout time.
    """
    return "w" if _LONG_LETTERS.search(text) or _LONG_NO_BREAK.search(text) else ""


HEADER_WIDTH = 100  # half-width characters the running header holds (its margin box is 200 mm at 7.5 pt)


def header_text(plan_name: str) -> str:
    """The plan name for the running header of every page, cut with … where it would run off the page (a
    margin box cannot wrap a long run of letters; the cover shows the name whole)."""
    width = 0
    for i, ch in enumerate(plan_name):
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if width > HEADER_WIDTH:
            return plan_name[:i] + "…"
    return plan_name


def points_text(points: Sequence[str]) -> str:
    """Note points as entered, as printed lines of one text (for templates written before row.this_year_text)."""
    return "\n".join(bulleted(point) for point in points)


def grade_legend(thresholds: GradeThresholds) -> str:
    """'A: 達成率100%以上　B: 50%以上 …' from the configured thresholds."""

    def pct(x: float) -> str:
        return f"{x * 100:g}%"

    return (
        f"A: 達成率{pct(thresholds.a)}以上　B: {pct(thresholds.b)}以上　C: {pct(thresholds.c)}超　"
        f"D: {pct(thresholds.c)}以下　－: 実績値がないなど算定できないもの"
    )


def scheme_legend(scheme: GradeScheme, method: str = "目標比") -> str:
    """'◎: 達成率100%以上　○: 80%以上 … 評価不能: …' from the configured 評価区分 (効果検証 plans)."""
    parts: list[str] = []
    for i, band in enumerate(scheme.bands):
        if band.threshold is None:
            above = scheme.bands[i - 1].threshold if i else None
            rest = "それ以外" if above is None else f"{above * 100:g}%{'以下' if above <= 0 else '未満'}"
            parts.append(f"{band.label}: {rest}")
            continue
        value = f"{band.threshold * 100:g}%"
        bound = "以上" if band.threshold > 0 else "超"
        parts.append(f"{band.label}: {'達成率' if i == 0 else ''}{value}{bound}")
    basis = "（経過按分：経過年数に応じた期待値に対する割合）" if method == "経過按分" else ""
    return (
        "　".join(parts)
        + basis
        + f"　{NOT_EVALUABLE}: 統計が未公表などで今年度は評価できないもの（理由を併記）　－: 実績値がないなど算定できないもの"
    )


_GRADE_PALETTE = ("#1f6f43", "#2e9a5d", "#8cc06b", "#e0a526", "#c8553d", "#8b2e1f")


def grade_colors(columns: Sequence[str]) -> list[str]:
    """Chart colours of the grade columns: A–D as always; other schemes spread best to worst over a palette."""
    labels = [c for c in columns if c not in (NOT_EVALUABLE, "－")]
    if labels == ["A", "B", "C", "D"]:
        ranked = [charts.GRADE_COLORS[g] for g in labels]
    else:
        last = max(1, len(labels) - 1)
        ranked = [
            _GRADE_PALETTE[round(1 + i * (len(_GRADE_PALETTE) - 2) / last)]
            if len(labels) > 1
            else _GRADE_PALETTE[1]
            for i in range(len(labels))
        ]
    colors = iter(ranked)
    return [
        "#9a9a9a" if c == NOT_EVALUABLE else charts.GRADE_COLORS[""] if c == "－" else next(colors)
        for c in columns
    ]


def departments_text(measure: Measure) -> str:
    """The departments as lines (for templates written before row.departments_text)."""
    return "\n".join(line.text for line in department_lines(measure))


def _context(view: ReportView, font: JapaneseFont) -> dict[str, Any]:
    """Template variables shared by every part (docs/templates.md)."""
    report = view.report
    reiwa = report.reiwa_for_2019
    status_columns, status_rows = view.status_columns, view.status_rows
    grades = view.grade_rows
    status_colors = [
        charts.UNREPORTED_COLOR if name == UNREPORTED else charts.STATUS_COLORS[i % len(charts.STATUS_COLORS)]
        for i, name in enumerate(status_columns)
    ]
    colors_of_grades = grade_colors(view.grade_columns)
    years = report.years

    def label(fy: int) -> str:
        return fy_label(fy, reiwa)

    def kpi_chart(row: KpiView) -> Markup:
        return Markup(charts.kpi_chart(row.row, font.family, reiwa))

    def actual_values(row: KpiView) -> tuple[str, ...]:
        return row.values_with_unit

    def common_year(rows: Sequence[KpiView], attribute: str) -> int | None:
        found = {getattr(row.kpi, attribute) for row in rows}
        return found.pop() if len(found) == 1 else None

    def this_year(row: MeasureView) -> tuple[str, ...]:
        return tuple(point.text for point in row.this_year)

    committee = present_committee(report.committee)
    committee_colors = charts.committee_colors(committee.scale if committee else ())

    def committee_chart(area: CommitteeAreaView) -> Markup:
        assert committee is not None
        return Markup(
            charts.stacked_bars(
                [("委員の評価", area.counts)],
                committee.scale,
                committee_colors,
                font.family,
                f"{area.title}の委員の評価: {area.tally_text}",
            )
        )

    return {
        "view": view,
        "report": report,
        "committee": committee,
        "committee_chart": committee_chart,
        "flag_mark": FLAG_MARK,
        "unreported": UNREPORTED,
        "font_family": font.family,
        "fy_label": label,
        "rate": format_rate,
        "value": value_text,
        "kpi_chart": kpi_chart,
        "chart_legend": charts.CHART_LEGEND,
        "common_year": common_year,
        "year_mark": lambda fy: charts.year_mark(fy, reiwa),
        "actual_values": actual_values,
        "this_year": this_year,
        "long_row": long_row,
        "wrap": wrap_class,
        "points_text": points_text,
        "notes_text": lambda row: row.notes_text,
        "departments_text": departments_text,
        "status_text": lambda row: row.status_text,
        "year_width": round(min(22.0, 105 / max(1, len(years))), 2),
        "measure_total": view.measure_total,
        "kpi_total": sum(r.total for r in grades),
        "status_columns": status_columns,
        "status_rows": status_rows,
        "grade_columns": view.grade_columns,
        "grade_rows": grades,
        "grade_legend": (
            scheme_legend(report.grade_scheme, report.method)
            if report.evaluation
            else grade_legend(report.grade_thresholds)
        ),
        "status_chart": Markup(
            charts.stacked_bars(
                [(r.short, r.counts) for r in status_rows],
                status_columns,
                status_colors,
                font.family,
                "基本目標別の取組の進捗状況",
            )
        ),
        "grade_chart": Markup(
            charts.stacked_bars(
                [(r.short, r.counts) for r in grades],
                view.grade_columns,
                colors_of_grades,
                font.family,
                "基本目標別のKPI・数値目標の評価",
            )
        ),
    }


def _lines(text: str, per_line: int) -> int:
    return len(text) // per_line + 1


def _point_lines(years: Sequence[YearNotes], per_line: int) -> int:
    """Estimated text lines of the points of ``years``' notes: each point's :func:`_lines`, written out (the
    review's part plan and ``long_row`` count some 20,000 points per build)."""
    return sum(len(point) // per_line + 1 for year in years for point in year.points)


def _appendix_cost(row: MeasureView) -> float:
    """Estimated text lines of a measure in the progress table (what WeasyPrint's time follows)."""
    history, measure = row.history, row.measure
    notes = len(history) + _point_lines(history, 42)  # each year's heading and its points
    return notes + _lines(measure.content, 22) + _lines(measure.name, 11) + len(measure.owners) + 3


PAGE_LINES = 40  # text lines of the progress table that surely fit on one page (47 do, header included)


def long_row(row: MeasureView) -> bool:
    """Whether a measure's progress-table row may be taller than a page.

    Such a row may split (break-inside: auto): kept whole, WeasyPrint would push it to a page of its own,
    leave near-empty pages and drop the repeated header while it breaks it anyway.
    """
    history = row.history
    notes = len(history) + _point_lines(history, 42)
    measure = row.measure
    return max(notes, _lines(measure.content, 22), len(measure.owners) + len(measure.related)) > PAGE_LINES


def _section_cost(row: MeasureView) -> float:
    """Estimated text lines of a measure in its goal section (this year's notes: the latest year)."""
    measure = row.measure
    return _point_lines(row.history[-1:], 58) + _lines(measure.name, 16) + len(measure.owners) + 3


def _kpi_cost(rows: Sequence[KpiView]) -> float:
    return 10.0 * len(rows)


def _evaluation_cost(area: AreaView) -> float:
    """Estimated text lines of a 施策's evaluation block (0 without 効果検証)."""
    e = area.evaluation
    if e is None:
        return 0.0
    return 3.0 + len(e.kpi_results) + sum(_lines(text, 80) for _, text in e.items)


class _Packer:
    """Fills parts of about ``limit`` estimated lines with goal and area pieces, in document order."""

    def __init__(self, kind: str, limit: float) -> None:
        self.kind, self.limit = kind, limit
        self.parts: list[Part] = []
        self.current: list[GoalPiece] = []
        self.cost = 0.0  # estimated lines in the part being filled
        self.pieces: list[AreaPiece] = []  # areas of the goal being packed, not yet in self.current
        self.goal: GoalView | None = None
        self.goal_anchor = ""
        self.goal_first = True

    def start_goal(self, goal: GoalView, anchor: str) -> None:
        self.goal, self.goal_anchor, self.goal_first, self.pieces = goal, anchor, True, []

    def flush_goal(self) -> None:
        if self.pieces and self.goal is not None:
            self.current.append(GoalPiece(self.goal, self.goal_anchor, self.goal_first, tuple(self.pieces)))
            self.pieces, self.goal_first = [], False

    def close(self) -> None:
        self.flush_goal()
        if self.current:
            key = f"{self.kind}{len(self.parts) + 1}"
            self.parts.append(Part(key, self.kind, tuple(self.current), first=not self.parts))
        self.current, self.cost = [], 0.0

    def add_area(self, area: AreaView, anchor: str, head: float, costs: Sequence[float]) -> None:
        """Add a 施策 (its title and KPIs cost ``head`` lines, its measures ``costs``).

        A part ends before a 施策 chosen by its own content (:func:`_cuts_before`; inside a very long 施策,
        before a measure chosen by its ID) once the part holds :data:`_FILLED` of its lines, or before what
        would make it longer than :data:`_FULL`: where parts end depends on what is around the cut, not on
        everything before it, so a correction that lengthens one part leaves the later cuts where they were
        (and those parts are taken from the cache).
        """
        total = head + sum(costs)
        if self.cost >= self.limit * _FILLED and (
            _cuts_before(area) or self.cost + total > self.limit * _FULL
        ):
            self.close()
        if total <= self.limit * 1.5:
            self.pieces.append(AreaPiece(area, anchor, area.rows, True))
            self.cost += total
            return
        start, first = 0, True  # a very long 施策: split between its measures, chosen the same way
        self.cost += head
        for i, lines in enumerate(costs):
            if (
                i > start
                and self.cost >= self.limit * _FILLED
                and (_cuts_before_row(area.rows[i]) or self.cost + lines > self.limit * _FULL)
            ):
                self.pieces.append(AreaPiece(area, anchor, area.rows[start:i], first))
                self.close()
                start, first, self.cost = i, False, 2.0
            self.cost += lines
        self.pieces.append(AreaPiece(area, anchor, area.rows[start:], first))


_FILLED = 0.6  # a part may end once it holds this share of its lines …
_FULL = 1.3  # … and ends before what would make it longer than this share
_CUT_ONE_IN = 2  # about one 施策 in two may start a part
_CUT_ONE_ROW_IN = 10  # inside a very long 施策: about one measure in ten


def _chosen(text: str, one_in: int) -> bool:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[0] % one_in == 0


def _cuts_before(area: AreaView) -> bool:
    """Whether a part may end before ``area``: decided by its title and first measure, nothing else."""
    first = area.rows[0].measure.id if area.rows else ""
    return _chosen(f"{area.title}\0{first}", _CUT_ONE_IN)


def _cuts_before_row(row: MeasureView) -> bool:
    """Whether a part may end before ``row`` inside a long 施策: decided by the measure's ID."""
    return _chosen(row.measure.id, _CUT_ONE_ROW_IN)


def _split(
    view: ReportView, costs: Sequence[Sequence[float]], limit: float, kind: str, break_goals: bool
) -> list[Part]:
    """Cut the goals into parts of about ``limit`` lines, at 施策 boundaries (inside a very long 施策 if needed).

    ``costs``: each 施策's measures' estimated lines, 施策 after 施策 in document order (:func:`_area_costs`).
    With ``break_goals``, a part also ends where a 基本目標 ends (each goal section starts a page anyway,
    so nothing is lost, and parts stay aligned with the chapters).
    """
    packer = _Packer(kind, limit)
    sections = kind == "goals"
    area_costs = iter(costs)
    for gi, goal in enumerate(view.goals, start=1):
        packer.start_goal(goal, f"g{gi}")
        goal_head = (_kpi_cost(goal.indicators) if sections else 0) + 2
        for ai, area in enumerate(goal.areas, start=1):
            head = (
                (_kpi_cost(area.kpis) + _evaluation_cost(area) if sections else 0)
                + 2
                + (goal_head if ai == 1 else 0)
            )
            packer.add_area(area, f"g{gi}a{ai}", head, next(area_costs))
        packer.flush_goal()
        if break_goals and packer.cost > limit * 0.6:
            packer.close()
    packer.close()
    return packer.parts


def _area_costs(view: ReportView, row_cost: Callable[[MeasureView], float]) -> list[list[float]]:
    """Each 施策's measures' estimated lines, 施策 after 施策 in document order: counted once per build."""
    return [[row_cost(row) for row in area.rows] for goal in view.goals for area in goal.areas]


def plan_parts(view: ReportView) -> list[Part]:
    """The review's parts in document order: summary, goal sections, progress-table slices."""
    sections, appendix = _area_costs(view, _section_cost), _area_costs(view, _appendix_cost)
    total = sum(map(sum, sections)) + sum(map(sum, appendix))
    # in steps, so that a correction of a few lines leaves the size, and so every cut, as it was
    step = PART_LINES / 4
    limit = max(PART_LINES, step * math.ceil(total / PLANNED_PARTS / step))
    return [
        Part("summary", "summary", first=True),
        *_split(view, sections, limit, "goals", break_goals=True),
        *([Part("committee", "committee", first=True)] if view.report.committee is not None else []),
        # smaller parts last: the workers then run out of work at nearly the same time
        *_split(view, appendix, limit * 0.75, "appendix", break_goals=False),
    ]


def last_in_contents(parts: Sequence[Part]) -> str:
    """The key of the last part that holds a heading listed in the contents (later parts add none)."""
    listed = [p.key for p in parts if p.kind != "appendix" or p.first or any(g.first for g in p.goals)]
    return listed[-1] if listed else parts[-1].key


def table_of_contents(
    view: ReportView,
    parts: Sequence[Part],
    layouts: Mapping[str, PartLayout],
    first_pages: Mapping[str, int],
) -> list[TocEntry]:
    """Contents lines with the body page number where each section starts (from the parts' layouts)."""
    where: dict[str, int] = {}
    for part in parts:
        if part.key not in first_pages:  # laid out later than the contents needed
            break
        layout = layouts[part.key]
        for anchor, index in layout.anchors.items():
            where.setdefault(anchor, first_pages[part.key] + index)
    missing = [a for a in ("summary", *(f"g{gi}" for gi in range(1, len(view.goals) + 1))) if a not in where]
    if missing:  # a project's template dropped the headings the contents point to
        raise _template_error(
            ValueError(f'目次が指す見出し id="{missing[0]}" がテンプレートの出力にありません')
        )
    entries = [TocEntry(1, "概要", "summary", where["summary"])]
    for gi, goal in enumerate(view.goals, start=1):
        entries.append(TocEntry(1, goal.title, f"g{gi}", where[f"g{gi}"]))
        for ai, area in enumerate(goal.areas, start=1):
            anchor = f"g{gi}a{ai}"
            if anchor in where:
                entries.append(TocEntry(2, area.title, anchor, where[anchor]))
    if "committee" in where:
        entries.append(TocEntry(1, "外部評価", "committee", where["committee"]))
    if "appendix" in where:
        entries.append(
            TocEntry(1, f"資料　{view.report.plan_name} 進捗状況一覧表", "appendix", where["appendix"])
        )
        for gi, goal in enumerate(view.goals, start=1):
            anchor = f"ap-g{gi}"
            if anchor in where:
                entries.append(TocEntry(2, goal.title, anchor, where[anchor]))
    return entries


_ERA_DATE = re.compile(r"^(昭和|平成|令和)(元|\d{1,2})年(\d{1,2})月(?:(\d{1,2})日)?$")
_WESTERN_DATE = re.compile(r"^(\d{4})[年/\-.](\d{1,2})(?:[月/\-.](\d{1,2})日?)?月?$")


def pdf_date(issue_date: str) -> str | None:
    """PDF date 'D:20200601000000' from the issue date as written ('令和2年6月', '2020年6月1日'); None if unreadable."""
    text = issue_date.strip().replace(" ", "")
    era = _ERA_DATE.match(text)
    if era:
        year = ERAS[era.group(1)][0] + (1 if era.group(2) == "元" else int(era.group(2))) - 1
        month, day = int(era.group(3)), int(era.group(4) or 1)
    else:
        western = _WESTERN_DATE.match(text)
        if not western:
            return None
        year, month, day = int(western.group(1)), int(western.group(2)), int(western.group(3) or 1)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"D:{year:04d}{month:02d}{day:02d}000000"
