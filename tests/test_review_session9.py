"""Review of the ninth session's changes (issue 15): what a build writes into a cache is in the record its
prunes trust (core/diskcache.py LEDGER)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.synth_report import report_from_plan
from kpi_report.core import diskcache
from kpi_report.core.model import Plan
from kpi_report.core.project import PACKAGED_TEMPLATES
from kpi_report.present.table import present
from kpi_report.render.review.review import render_review


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file() and p.name != diskcache.LEDGER)


def test_what_the_join_writes_into_the_review_cache_is_in_its_record(
    sample_plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The join writes into the review cache (the memo of placed parts, the shared font program, the folio
    font) after the parts are rendered: a prune before it left those bytes uncounted, and a build is one
    process, so they never reached the record — a season of corrections grew the folder past its bound while
    the record said there was room."""
    monkeypatch.setattr(diskcache, "_WRITTEN", {})
    report = report_from_plan(sample_plan, fy=2019)
    small = present(replace(report, goals=report.goals[:1]))
    folder = tmp_path / "review"
    render_review(small, [PACKAGED_TEMPLATES], workers=1, cache=folder)
    monkeypatch.setattr(diskcache, "_WRITTEN", {})  # the build's process has ended
    recorded = (folder / diskcache.LEDGER).read_bytes().split()
    assert int(recorded[0]) >= _folder_size(folder)
