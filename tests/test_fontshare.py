"""One program of the review's font for every part (fontshare.py): deterministic, cached, and the glyphs each
part uses at their own IDs."""

from __future__ import annotations

import io
import re
import zlib
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from kpi_report.core.diskcache import DiskCache
from kpi_report.render.review import fontshare
from kpi_report.render.review.weasy import packaged_font_file

TEXT = "清瀬市まち・ひと・しごと創生総合戦略 令和元年度 実績 123"


@pytest.fixture(scope="module")
def font_file() -> Path:
    found = packaged_font_file()
    assert found is not None
    return found


@pytest.fixture(scope="module")
def glyphs(font_file: Path) -> dict[str, int]:
    font = TTFont(str(font_file), lazy=True)
    order = {name: index for index, name in enumerate(font.getGlyphOrder())}
    cmap = font.getBestCmap()
    return {c: order[cmap[ord(c)]] for c in set(TEXT)}


def _program(body: bytes) -> TTFont:
    head, rest = body.split(b"\nstream\n", 1)
    length = int(head.split(b"/Length ")[1].split(b"/")[0])
    return TTFont(io.BytesIO(zlib.decompress(rest[:length])))


def _outlined(font: TTFont) -> set[int]:
    glyf = font["glyf"]
    return {i for i, name in enumerate(font.getGlyphOrder()) if glyf[name].numberOfContours != 0}


def test_the_subset_keeps_each_glyph_at_its_own_id(font_file: Path, glyphs: dict[str, int]) -> None:
    wanted = sorted(set(glyphs.values()) - {glyphs[" "]})
    program = _program(fontshare.shared_program(font_file, wanted))
    assert _outlined(program) - {0} == set(wanted)  # nothing else drawn; .notdef kept
    assert program["maxp"].numGlyphs == max(wanted) + 1
    assert fontshare.shared_program(font_file, reversed(wanted)) == fontshare.shared_program(
        font_file, wanted
    )


def test_the_program_is_kept_in_the_cache(font_file: Path, glyphs: dict[str, int], tmp_path: Path) -> None:
    cache = DiskCache(tmp_path)
    made = fontshare.shared_program(font_file, glyphs.values(), cache)
    again = fontshare.shared_program(font_file, glyphs.values(), cache)
    assert again == made and cache.hits == 1
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(entry.read_bytes()[:100])  # damaged: made again, never trusted
    assert fontshare.shared_program(font_file, glyphs.values(), cache) == made


def test_without_harfbuzz_fonttools_makes_the_same_glyphs(
    font_file: Path, glyphs: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    wanted = sorted(set(glyphs.values()) - {glyphs[" "]})
    fast = _program(fontshare.shared_program(font_file, wanted))
    monkeypatch.setattr(fontshare, "_harfbuzz_subset", lambda data, gids: None)
    slow = _program(fontshare.shared_program(font_file, wanted))
    assert _outlined(slow) - {0} == _outlined(fast) - {0} == set(wanted)


def test_thousands_of_glyphs_spread_over_the_font_are_subset_by_harfbuzz(font_file: Path) -> None:
    """A long review uses a few thousand kanji: HarfBuzz must not fail on them (it did with GDEF kept), or the
    build would fall back to fontTools, several seconds."""
    import random

    wanted = sorted(random.Random(1).sample(range(1, 12000), 3000))
    program = fontshare._harfbuzz_subset(font_file.read_bytes(), [0, *wanted])
    assert program is not None
    drawn = _outlined(TTFont(str(font_file), lazy=True)) & set(wanted)  # the wanted glyphs that have outlines
    assert drawn and drawn <= _outlined(TTFont(io.BytesIO(program)))


def test_the_subset_is_the_same_through_weasyprints_own_handles(
    font_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The joining process opens HarfBuzz itself (no WeasyPrint to load); where it cannot (library folders only
    WeasyPrint knows), WeasyPrint's handles on the same library make the same bytes."""
    wanted = list(range(1, 3000, 7))
    fontshare._harfbuzz.cache_clear()
    own = fontshare.shared_program(font_file, wanted)
    monkeypatch.setattr(fontshare, "HARFBUZZ", ("no-such-harfbuzz-library",))
    fontshare._harfbuzz.cache_clear()
    try:
        handles = fontshare._harfbuzz()
        from weasyprint.text import ffi as weasyprint_ffi

        assert handles is not None and handles[0] is weasyprint_ffi.ffi  # WeasyPrint's own
        assert fontshare.shared_program(font_file, wanted) == own
    finally:
        fontshare._harfbuzz.cache_clear()


def test_the_native_libraries_versions_key_the_parts_and_the_font_program(
    font_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pango and HarfBuzz are system libraries an upgrade may change under the same WeasyPrint (other line
    breaks, other subset bytes): a part or a font program cached before is then made again."""
    from kpi_report.render.review import cache as review_cache
    from kpi_report.render.review import native

    versions = native.native_versions()
    assert re.fullmatch(
        r"pango 1\.\d+\.\d+; harfbuzz \d+\.\d+\.\d+; harfbuzz-subset; zlib \d+\.\d+[.\w-]*", versions
    ), versions

    def keys() -> tuple[str, int]:
        parts = review_cache.PartCache(tmp_path / "review")
        parts.configure(["p { color: red }"], tmp_path.as_uri(), [], [font_file])
        stored = DiskCache(tmp_path / "fonts")
        fontshare.shared_program(font_file, [1, 2, 3], stored)
        return parts.part_key("<p>x</p>"), len(list((tmp_path / "fonts").iterdir()))

    before = keys()
    assert keys() == before  # the same libraries: the same keys, the font program taken from the cache
    # another version of each, whatever this machine's are (HarfBuzz 6 on Debian 12, 8 on Ubuntu 24.04 …)
    monkeypatch.setattr(review_cache, "native_versions", lambda: versions.replace("pango 1.", "pango 2."))
    monkeypatch.setattr(fontshare, "native_versions", lambda: versions.replace("harfbuzz ", "harfbuzz 99."))
    after = keys()
    assert after[0] != before[0] and after[1] == before[1] + 1  # another part key, another font entry
