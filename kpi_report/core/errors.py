"""The exception tree. Validation problems are Findings (data), not exceptions."""

from __future__ import annotations

from kpi_report.core.model import Finding


class KpiReportError(Exception):
    """Base of every error the tool reports to the user as a one-line message."""


class UsageError(KpiReportError):
    """The command was called wrongly (bad option value, missing folder)."""


class FiscalYearError(UsageError):
    """A fiscal-year text could not be parsed."""


class MasterError(KpiReportError):
    """The master workbook is missing, unreadable or has problems (findings attached)."""

    def __init__(self, message: str, findings: tuple[Finding, ...] = ()) -> None:
        super().__init__(message)
        self.findings = findings


class OutputError(KpiReportError):
    """An output could not be written (folder not writable, disk full)."""


class InputsHaveErrors(KpiReportError):
    """The report year's submissions still have error findings; build refuses to publish."""


class DiffError(KpiReportError):
    """A progress list given to diff is missing, not an .xlsx, or has no progress sheet."""
