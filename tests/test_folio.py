"""The page numbers' font (folio.py): a small deterministic subset, kept in the cache and checked when read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kpi_report.core.diskcache import DiskCache
from kpi_report.render.review import folio
from kpi_report.render.review.weasy import packaged_font_file


@pytest.fixture
def font_file() -> Path:
    found = packaged_font_file()
    assert found is not None
    return found


def test_the_subset_is_the_same_bytes_made_again_or_read_from_the_cache(
    font_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folio, "_made", {})
    cache = DiskCache(tmp_path)
    made = folio.folio_font(font_file, cache)
    assert len(made.program) < 10_000 and set(made.advances) == set(folio.CHARACTERS)
    monkeypatch.setattr(folio, "_made", {})
    read = folio.folio_font(font_file, cache)
    assert cache.hits == 1 and read == made
    monkeypatch.setattr(folio, "_made", {})
    assert folio.folio_font(font_file) == made  # no cache: made again, the same


def test_a_damaged_cache_entry_is_made_again(
    font_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folio, "_made", {})
    cache = DiskCache(tmp_path)
    made = folio.folio_font(font_file, cache)
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(entry.read_bytes()[:-50])
    monkeypatch.setattr(folio, "_made", {})
    assert folio.folio_font(font_file, cache) == made


def test_the_number_is_centred_on_the_page(font_file: Path) -> None:
    font = folio.folio_font(font_file)
    box = (0.0, 0.0, 841.89, 595.28)
    drawn = font.draw(123, box, b"/KpiFolio").decode()
    x = float(re.search(r"Tf (\S+) (\S+) Td", drawn).group(1))  # type: ignore[union-attr]
    assert x + font.width("- 123 -") / 2 == pytest.approx(841.89 / 2, abs=0.01)
    assert "(- 123 -) Tj" in drawn and drawn.startswith("/Artifact <</Type /Pagination/Subtype /Footer>> BDC")
