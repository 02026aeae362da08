"""Render the 進捗状況一覧表 web page (outputs/<FY>/progress-list.html) from the presented report.

The text of every cell comes from kpi_report.present; this module only fills the jinja2 templates
(templates/progress-list.html.j2, its table macro templates/_progress_table.html.j2 — the page's own; the annual
review prints the table with _review_table.html.j2 — and the CSS inlined into a <style>).
A city's own templates/ folder overrides the packaged ones. Autoescaping is on: clerk-entered text
can never become markup, and the page makes no external request.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

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
    environment = templating.template_environment(dirs, keep_trailing_newline=True)
    environment.__class__ = _PageSandbox  # the same environment, reading the report's attributes faster
    return environment


class _PageSandbox(templating.TemplateSandbox):
    """The templates' sandbox, reading an attribute of the report's own objects without its general checks.

    The page reads some 40,000 attributes of the presented report (``row.measure.name`` …); the sandbox checks
    each (is the object a function, a method, a type, a frame, a generator …?), which took most of the
    rendering time. For an instance of a class of this package (never one of those kinds), the sandbox allows
    exactly the attributes not beginning with ``_``, and wraps only ``str.format`` methods: so such an
    attribute that is not a method is returned as read, and everything else goes through the sandbox's own
    :meth:`getattr`, unchanged.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        cls = type(obj)
        own = _OWN.get(cls)
        if own is None:
            own = _own_class(cls)
        if own and not attribute.startswith("_"):
            try:
                value = getattr(obj, attribute)
            except AttributeError:
                pass
            else:
                if not isinstance(value, _METHODS):
                    return value
        return super().getattr(obj, attribute)


_METHODS = (types.MethodType, types.BuiltinMethodType)  # a str.format among them is the sandbox's to wrap
_OWN: dict[type, bool] = {}


def _own_class(cls: type) -> bool:
    """A class of kpi_report (not a metaclass): its instances are plain objects to the sandbox."""
    own = _OWN[cls] = cls.__module__.startswith("kpi_report.") and not issubclass(cls, type)
    return own


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
