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


def test_the_zlib_that_compresses_the_cached_streams_keys_the_parts_and_the_font_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part's record holds its content streams and font subsets as zlib compressed them, and the shared font
    program is zlib's too: zlib is a system library (or zlib-ng in its place, as on Fedora 40) an upgrade may
    change under the same Python packages, like Pango and HarfBuzz, so its version keys those entries as it
    keys the join's memo (pdfjoin._stored_key) — else a cached part gives other bytes than a clean build."""
    import zlib

    from kpi_report.render.review import cache as review_cache
    from kpi_report.render.review import fontshare, native
    from kpi_report.render.review.weasy import packaged_font_file

    font_file = packaged_font_file()
    assert font_file is not None

    def keys() -> tuple[str, int]:
        native.native_versions.cache_clear()
        parts = review_cache.PartCache(tmp_path / "review")
        parts.configure(["p { color: red }"], tmp_path.as_uri(), [], [font_file])
        fontshare.shared_program(font_file, [1, 2, 3], diskcache.DiskCache(tmp_path / "fonts"))
        return parts.part_key("<p>x</p>"), len(list((tmp_path / "fonts").iterdir()))

    try:
        before = keys()
        monkeypatch.setattr(zlib, "ZLIB_RUNTIME_VERSION", zlib.ZLIB_RUNTIME_VERSION + ".1")
        after = keys()
    finally:
        native.native_versions.cache_clear()
    assert after[0] != before[0] and after[1] == before[1] + 1  # another part key, another font entry
