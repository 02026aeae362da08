"""kpi-report: strategy-plan progress reports for Japanese municipalities.

The library face (see :mod:`kpi_report.api`)::

    from kpi_report import load_plan, make_forms, check, build, diff
    from kpi_report import make_committee_forms  # the external committee's workbooks (外部評価)
    from kpi_report import watch  # build again after every change (a correction round)

Names are loaded on first use, so ``import kpi_report`` stays light (no WeasyPrint, no pandas).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpi_report.core.version import __version__

if TYPE_CHECKING:
    from kpi_report.api import (
        CheckResult,
        CommitteeResult,
        DemoResult,
        FormsResult,
        build,
        check,
        demo,
        diff,
        load_plan,
        make_committee_forms,
        make_forms,
        watch,
    )
    from kpi_report.compare.diff import DiffResult
    from kpi_report.core.errors import KpiReportError
    from kpi_report.core.model import CheckReport, Finding, Plan
    from kpi_report.core.project import Project
    from kpi_report.publish.build import BuildResult

__all__ = [
    "BuildResult",
    "CheckReport",
    "CheckResult",
    "CommitteeResult",
    "DemoResult",
    "DiffResult",
    "Finding",
    "FormsResult",
    "KpiReportError",
    "Plan",
    "Project",
    "__version__",
    "build",
    "check",
    "demo",
    "diff",
    "load_plan",
    "make_committee_forms",
    "make_forms",
    "watch",
]

_HOME = {
    "BuildResult": "kpi_report.publish.build",
    "CheckReport": "kpi_report.core.model",
    "CheckResult": "kpi_report.api",
    "CommitteeResult": "kpi_report.api",
    "DemoResult": "kpi_report.api",
    "DiffResult": "kpi_report.compare.diff",
    "Finding": "kpi_report.core.model",
    "FormsResult": "kpi_report.api",
    "KpiReportError": "kpi_report.core.errors",
    "Plan": "kpi_report.core.model",
    "Project": "kpi_report.core.project",
    "build": "kpi_report.api",
    "check": "kpi_report.api",
    "demo": "kpi_report.api",
    "diff": "kpi_report.api",
    "load_plan": "kpi_report.api",
    "make_committee_forms": "kpi_report.api",
    "make_forms": "kpi_report.api",
    "watch": "kpi_report.api",
}


def __getattr__(name: str) -> Any:
    import importlib

    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'kpi_report' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
