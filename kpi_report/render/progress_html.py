"""Render the 進捗状況一覧表 web page (outputs/<FY>/progress-list.html) from the presented report.

The text of every cell comes from kpi_report.present; this module only fills the jinja2 templates
(templates/progress-list.html.j2, its table macro templates/_progress_table.html.j2 — the page's own; the annual
review prints the table with _review_table.html.j2 — and the CSS inlined into a <style>).
A city's own templates/ folder overrides the packaged ones. Autoescaping is on: clerk-entered text
can never become markup, and the page makes no external request.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from kpi_report.core.errors import UsageError
from kpi_report.core.project import PACKAGED_TEMPLATES, Project, template_dirs, template_problem
from kpi_report.core.version import __version__
from kpi_report.present.committee import present_committee
from kpi_report.present.table import ReportView
from kpi_report.render import templating

PAGE_TEMPLATE = "progress-list.html.j2"


def template_environment(project: Project | None = None) -> jinja2.Environment:
    """The jinja2 environment: the project's templates/ first, then the packaged ones; autoescaped, sandboxed."""
    dirs: list[Path] = template_dirs(project) if project is not None else [PACKAGED_TEMPLATES]
    return templating.template_environment(dirs, keep_trailing_newline=True)


def render_progress_html(view: ReportView, project: Project | None = None) -> bytes:
    """The progress-list page as UTF-8 bytes (deterministic: the same report gives the same bytes).

    The template receives the variables listed in docs/templates.md.

    Raises:
        UsageError: a template (e.g. a city's override in templates/) is missing or broken.
    """
    try:
        template = template_environment(project).get_template(PAGE_TEMPLATE)
        html = template.render(
            view=view,
            report=view.report,
            year_line=view.year_line,
            year_labels=view.year_labels,
            kpis=view.kpis,
            committee=present_committee(view.report.committee),
            version=__version__,
        )
    except Exception as exc:  # a project's template is code: it may raise anything while loaded or rendered
        raise UsageError(
            f"テンプレート {PAGE_TEMPLATE} を処理できません（{template_problem(exc)}）。"
            "templates/ フォルダーの変更を確認するか、削除して既定のテンプレートに戻してください。"
        ) from exc
    return html.encode("utf-8")
