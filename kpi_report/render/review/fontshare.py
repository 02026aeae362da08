"""One subset of the review's font for the whole joined file, instead of one per part.

Every part is a WeasyPrint document of its own, so each embeds its own subset of the packaged IPAexGothic
(about 23 KB; 64 parts of a 1,000-measure review: 1.5 MB, 40 % of the file). WeasyPrint subsets with the
glyph IDs retained (HarfBuzz's RETAIN_GIDS), so the glyph IDs in every part's text are those of the full font:
one subset holding the union of the parts' glyphs serves them all. :func:`shared_program` makes it — with
HarfBuzz's subsetter (WeasyPrint's own library, about 0.05 s) or, where that is missing, fontTools — and keeps
it in the review cache by the font file's SHA-256 and the glyph set, so a correction that adds no new
character reuses it.
"""

from __future__ import annotations

import functools
import io
import zlib
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

from kpi_report.core.diskcache import DiskCache, cache_key
from kpi_report.core.files import file_sha256
from kpi_report.render.review.native import HARFBUZZ, SUBSET, native_versions, open_library

_LEVEL = 6  # zlib level of the font program (made once per glyph set, then read from the cache)


def shared_program(file: Path, gids: Iterable[int], cache: DiskCache | None = None) -> bytes:
    """The stream object's body (dictionary and compressed data, without "N 0 obj") of the subset of the
    TrueType ``file`` holding ``gids`` at their own IDs."""
    wanted = sorted(set(gids) | {0})
    key = cache_key(
        "shared-font", file_sha256(file), ",".join(map(str, wanted)), _library_version(), native_versions()
    )
    found = cache.get(key) if cache is not None else None
    if found is not None and found.startswith(b"<</Filter /FlateDecode"):
        return found
    data = file.read_bytes()
    program = _harfbuzz_subset(data, wanted) or _fonttools_subset(data, wanted)
    packed = zlib.compress(program, _LEVEL)
    body = b"<</Filter /FlateDecode/Length %d/Length1 %d>>\nstream\n%b\nendstream" % (
        len(packed),
        len(program),
        packed,
    )
    if cache is not None:
        cache.put(key, body)
    return body


@functools.cache
def _library_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("weasyprint") + "/" + metadata.version("fonttools")
    except metadata.PackageNotFoundError:
        return "?"


_DECLARATIONS = """
typedef ... hb_face_t;
typedef ... hb_blob_t;
typedef ... hb_subset_input_t;
typedef ... hb_set_t;
typedef int hb_bool_t;
typedef uint32_t hb_tag_t;
typedef uint32_t hb_codepoint_t;
hb_tag_t hb_tag_from_string (const char *str, int len);
hb_blob_t * hb_blob_create (const char *data, unsigned int length, int mode, void *user_data, void *destroy);
void hb_blob_destroy (hb_blob_t *blob);
const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
void hb_face_destroy (hb_face_t *face);
hb_blob_t * hb_face_reference_blob (hb_face_t *face);
unsigned int hb_face_get_glyph_count (const hb_face_t *face);
hb_bool_t hb_version_atleast (unsigned int major, unsigned int minor, unsigned int micro);
void hb_set_add_sorted_array (hb_set_t *set, const hb_codepoint_t *sorted_codepoints, unsigned int num_codepoints);
typedef enum {
    HB_SUBSET_FLAGS_NO_HINTING = 0x00000001u,
    HB_SUBSET_FLAGS_RETAIN_GIDS = 0x00000002u,
    HB_SUBSET_FLAGS_DESUBROUTINIZE = 0x00000004u,
    HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED = 0x00000020u,
    HB_SUBSET_FLAGS_NOTDEF_OUTLINE = 0x00000040u,
} hb_subset_flags_t;
typedef enum {
    HB_SUBSET_SETS_GLYPH_INDEX = 0,
    HB_SUBSET_SETS_UNICODE,
    HB_SUBSET_SETS_NO_SUBSET_TABLE_TAG,
    HB_SUBSET_SETS_DROP_TABLE_TAG,
} hb_subset_sets_t;
hb_subset_input_t * hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t * hb_subset_input_glyph_set (hb_subset_input_t *input);
hb_set_t * hb_subset_input_set (hb_subset_input_t *input, hb_subset_sets_t set_type);
void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned value);
hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""


@functools.cache
def _harfbuzz() -> tuple[Any, Any, Any] | None:
    """cffi handles on HarfBuzz and HarfBuzz-subset — the libraries WeasyPrint renders with, declared here with
    just what the subset needs, so that the process joining the parts never loads WeasyPrint (about a second);
    where they cannot be opened so (WeasyPrint may add library folders first: Windows), WeasyPrint's own
    handles; None when the subset library is missing or too old."""
    try:
        from cffi import FFI  # type: ignore[import-untyped]
    except ImportError:
        return None
    ffi = FFI()
    ffi.cdef(_DECLARATIONS)
    harfbuzz, subset = open_library(ffi, HARFBUZZ), open_library(ffi, SUBSET)
    if harfbuzz is None or subset is None:
        return _weasyprint_harfbuzz()
    if not harfbuzz.hb_version_atleast(4, 1, 0):
        return None
    return ffi, harfbuzz, subset


def _weasyprint_harfbuzz() -> tuple[Any, Any, Any] | None:
    """WeasyPrint's cffi handles on HarfBuzz and HarfBuzz-subset (loads WeasyPrint), with the two functions it
    does not declare (making a face from bytes); None when missing or too old."""
    try:
        from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset
    except (ImportError, OSError):
        return None
    if harfbuzz_subset is None or not harfbuzz.hb_version_atleast(4, 1, 0):
        return None
    from cffi import FFIError

    with suppress(FFIError):  # declared already (an earlier call, or a later WeasyPrint)
        ffi.cdef(
            "hb_blob_t * hb_blob_create (const char *data, unsigned int length, int mode, void *user_data,"
            " void *destroy);\nhb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);"
        )
    return ffi, harfbuzz, harfbuzz_subset


_DUPLICATE = 0  # HB_MEMORY_MODE_DUPLICATE: HarfBuzz keeps its own copy of the bytes
# the tables WeasyPrint drops from its subsets, and GDEF: HarfBuzz 6 fails to subset it (offset overflow) for a few
# thousand glyphs spread over IPAexGothic's 12,000, and a PDF viewer never reads it
_DROPPED_TABLES: tuple[bytes, ...] = (
    b"BASE",
    b"DSIG",
    b"EBDT",
    b"EBLC",
    b"EBSC",
    b"GDEF",
    b"GPOS",
    b"GSUB",
    b"JSTF",
    b"LTSH",
)
_DROPPED_TABLES += (b"PCLT", b"SVG ")


def _harfbuzz_subset(data: bytes, gids: list[int]) -> bytes | None:
    """The subset made as WeasyPrint makes its own (retained IDs, no layout tables, no hinting), or None."""
    found = _harfbuzz()
    if found is None:
        return None
    ffi, harfbuzz, subset = found
    blob = harfbuzz.hb_blob_create(data, len(data), _DUPLICATE, ffi.NULL, ffi.NULL)
    face = ffi.gc(harfbuzz.hb_face_create(blob, 0), harfbuzz.hb_face_destroy)
    harfbuzz.hb_blob_destroy(blob)  # the face holds its own reference
    count = harfbuzz.hb_face_get_glyph_count(face)
    wanted = [g for g in gids if g < count]
    made = face
    # two passes, as WeasyPrint's: keep the glyphs at their IDs, then drop the empty tail after the last one
    for keep, flags in (
        (wanted, subset.HB_SUBSET_FLAGS_RETAIN_GIDS),
        (list(range(max(wanted) + 1)), 0),
    ):
        request = ffi.gc(subset.hb_subset_input_create_or_fail(), subset.hb_subset_input_destroy)
        if request == ffi.NULL:
            return None
        chosen = ffi.new(f"hb_codepoint_t[{len(keep)}]", keep)
        harfbuzz.hb_set_add_sorted_array(subset.hb_subset_input_glyph_set(request), chosen, len(keep))
        dropped = sorted(harfbuzz.hb_tag_from_string(name, -1) for name in _DROPPED_TABLES)
        tags = ffi.new(f"hb_codepoint_t[{len(dropped)}]", dropped)
        drop = subset.hb_subset_input_set(request, subset.HB_SUBSET_SETS_DROP_TABLE_TAG)
        harfbuzz.hb_set_add_sorted_array(drop, tags, len(dropped))
        subset.hb_subset_input_set_flags(
            request,
            flags
            | subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED
            | subset.HB_SUBSET_FLAGS_DESUBROUTINIZE
            | subset.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
            | subset.HB_SUBSET_FLAGS_NO_HINTING,
        )
        result = subset.hb_subset_or_fail(made, request)
        if result == ffi.NULL:
            return None
        made = ffi.gc(result, harfbuzz.hb_face_destroy)
    out = harfbuzz.hb_face_reference_blob(made)
    try:
        length = ffi.new("unsigned int *")
        pointer = harfbuzz.hb_blob_get_data(out, length)
        return None if pointer == ffi.NULL or not length[0] else bytes(ffi.unpack(pointer, int(length[0])))
    finally:
        harfbuzz.hb_blob_destroy(out)


def _fonttools_subset(data: bytes, gids: list[int]) -> bytes:
    """The same subset made with fontTools (several seconds for a CJK font: only where HarfBuzz is missing)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
    options = subset.Options(
        retain_gids=True,
        passthrough_tables=True,
        ignore_missing_glyphs=True,
        hinting=False,
        desubroutinize=True,
        notdef_outline=True,
    )
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "SVG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=gids)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
