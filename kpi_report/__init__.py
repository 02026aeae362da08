"""kpi-report: strategy-plan progress reports for Japanese municipalities."""

__version__ = "0.1.0"
