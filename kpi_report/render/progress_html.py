"""Render the 進捗状況一覧表 web page (outputs/<FY>/progress-list.html) from a finished ProgressReport.

The page comes from jinja2 templates (templates/progress-list.html.j2, the table macro
templates/_progress_table.html.j2, which the annual review does not use, and the CSS inlined into a <style>).
A city's own templates/ folder overrides the packaged ones. Autoescaping is on: clerk-entered text
can never become markup, and the page makes no external request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from kpi_report import __version__
from kpi_report.core.achievement import format_rate
from kpi_report.core.errors import UsageError
from kpi_report.core.fiscal import fy_label
from kpi_report.core.model import KpiRow, ProgressReport
from kpi_report.core.project import PACKAGED_TEMPLATES, Project, template_dirs, template_problem
from kpi_report.render import templating
from kpi_report.render.progress_xlsx import kpi_rows, year_line

PAGE_TEMPLATE = "progress-list.html.j2"
MISSING = "－"


def template_environment(project: Project | None = None) -> jinja2.Environment:
    """The jinja2 environment: the project's templates/ first, then the packaged ones; autoescaped, sandboxed."""
    dirs: list[Path] = template_dirs(project) if project is not None else [PACKAGED_TEMPLATES]
    return templating.template_environment(dirs, keep_trailing_newline=True)


def format_value(value: float | None) -> str:
    """A KPI value for display: integers without decimals, '－' when missing."""
    if value is None:
        return MISSING
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class KpiView:
    """A KPI row with its values already formatted for the page."""

    row: KpiRow
    baseline: str
    baseline_fy: str
    actuals: tuple[str, ...]
    target: str
    target_fy: str
    rate: str


def _kpi_view(report: ProgressReport, row: KpiRow) -> KpiView:
    kpi = row.kpi

    def year(fy: int | None) -> str:
        return fy_label(fy, report.reiwa_for_2019) if fy else ""

    return KpiView(
        row=row,
        baseline=format_value(kpi.baseline),
        baseline_fy=year(kpi.baseline_fy),
        actuals=tuple(format_value(v) for _, v in row.actuals),
        target=format_value(kpi.target),
        target_fy=year(kpi.target_fy),
        rate=format_rate(row.rate),
    )


def render_progress_html(report: ProgressReport, project: Project | None = None) -> bytes:
    """The progress-list page as UTF-8 bytes (deterministic: the same report gives the same bytes).

    Raises:
        UsageError: a template (e.g. a city's override in templates/) is missing or broken.
    """
    try:
        template = template_environment(project).get_template(PAGE_TEMPLATE)
        html = template.render(
            report=report,
            year_line=year_line(report),
            year_labels=[fy_label(y, report.reiwa_for_2019) for y in report.years],
            kpis=[_kpi_view(report, k) for k in kpi_rows(report)],
            version=__version__,
        )
    except Exception as exc:  # a project's template is code: it may raise anything while loaded or rendered
        raise UsageError(
            f"テンプレート {PAGE_TEMPLATE} を処理できません（{template_problem(exc)}）。"
            "templates/ フォルダーの変更を確認するか、削除して既定のテンプレートに戻してください。"
        ) from exc
    return html.encode("utf-8")
