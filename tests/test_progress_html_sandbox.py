"""The templates' sandbox reads the report's own objects faster (issue 15) and allows and refuses exactly what
Jinja's plain sandbox does (the page and the annual review use the same sandbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import kodaira
import pytest
from jinja2 import Undefined
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.present.table import ReportView, present
from kpi_report.render.progress_html import template_environment
from kpi_report.render.templating import TemplateSandbox


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> ReportView:
    plan = load_plan(kodaira.write_master(tmp_path_factory.mktemp("kodaira") / "master.xlsx"))
    return present(merge(plan, 2019, kodaira.check_reports()).report)


@dataclass(frozen=True)
class Own:
    text: str
    fmt: Any
    method_holder: Any = None

    def shout(self) -> str:
        return self.text.upper()


Own.__module__ = "kpi_report.fake"  # an instance of one of the package's classes, to the sandbox


def _same(fast: Any, plain: Any) -> bool:
    if isinstance(plain, Undefined):
        return isinstance(fast, Undefined) and type(fast) is type(plain)
    if callable(plain) and not isinstance(plain, type):
        return callable(fast)
    return bool(fast == plain and type(fast) is type(plain))


def test_every_attribute_reads_as_in_the_plain_sandbox(view: ReportView) -> None:
    page = template_environment()
    assert type(page) is TemplateSandbox
    sandbox: SandboxedEnvironment = page

    class Plain:  # Jinja's own checks, on the same environment
        @staticmethod
        def getattr(obj: Any, name: str) -> Any:
            return SandboxedEnvironment.getattr(sandbox, obj, name)

    plain = Plain()
    row = view.goals[0].areas[0].rows[0]
    objects: list[Any] = [view, view.report, view.goals[0], view.goals[0].areas[0], row, row.measure]
    objects += [
        row.notes[0],
        row.notes[0].points[0],
        row.departments[0],
        view.kpis[0],
        Own("a", "b{}".format),
    ]
    for obj in objects:
        for name in [*dir(obj), "missing", "_x", "__class__", "__init__", "__globals__", "mro"]:
            assert _same(page.getattr(obj, name), plain.getattr(obj, name)), (type(obj).__name__, name)


def test_private_and_internal_attributes_stay_refused() -> None:
    page = template_environment()
    own = Own("a", "{0.__class__}".format)
    for name in ("__class__", "__dict__", "__init__", "__dataclass_fields__"):
        with pytest.raises(SecurityError):
            page.from_string("{{ obj." + name + " }}").render(obj=own)
    # a str.format method read through one of the package's objects is still the sandbox's safe version
    with pytest.raises(SecurityError):
        page.from_string("{{ obj.fmt(obj) }}").render(obj=own)
    assert page.from_string("{{ obj.shout() }} {{ obj.text }}").render(obj=own) == "A a"
