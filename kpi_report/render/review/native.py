"""The native libraries the review is rendered with, opened without loading WeasyPrint.

WeasyPrint lays text out with Pango and HarfBuzz, system libraries a package manager may upgrade under an
unchanged WeasyPrint: a newer Pango may break a line elsewhere, a newer HarfBuzz subset a font into other
bytes; and zlib (the system's, or zlib-ng in its place) compresses every stream a part's record and the
shared font program hold. Their versions are therefore part of the review cache's keys
(:func:`native_versions`), so that a part or a font program made before such an upgrade is made again — the
cache never gives other bytes than a clean build. fontshare.py subsets the shared font with the same HarfBuzz, through :func:`open_library`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from contextlib import suppress
from typing import Any

# the names WeasyPrint opens the same libraries by (weasyprint/text/ffi.py), on every platform it runs on; the
# exact file names first (a bare name makes cffi search with ldconfig and a compiler: ~0.06 s)
HARFBUZZ = (
    "libharfbuzz.so.0",
    "libharfbuzz.0.dylib",
    "libharfbuzz-0.dll",
    "libharfbuzz-0",
    "harfbuzz",
    "harfbuzz-0.0",
)
SUBSET = (
    "libharfbuzz-subset.so.0",
    "libharfbuzz-subset.0.dylib",
    "libharfbuzz-subset-0.dll",
    "libharfbuzz-subset-0",
    "harfbuzz-subset",
    "harfbuzz-subset-0.0",
)
PANGO = (
    "libpango-1.0.so.0",
    "libpango-1.0.dylib",
    "libpango-1.0-0.dll",
    "libpango-1.0-0",
    "pango-1.0-0",
    "pango-1.0",
)
UNKNOWN = "?"  # a library that cannot be opened by these names (WeasyPrint may add folders first: Windows)


def open_library(ffi: Any, names: Iterable[str]) -> Any | None:
    """The first of ``names`` cffi can open, or None."""
    for name in names:
        with suppress(OSError):
            return ffi.dlopen(name)
    return None


@functools.cache
def native_versions() -> str:
    """'pango 1.50.12; harfbuzz 6.0.0; harfbuzz-subset; zlib 1.2.13' — the versions of the libraries the parts
    are laid out, the font subset and the streams compressed with (UNKNOWN for one that cannot be opened by
    name; the subset library named when present: without it the font is subset by fontTools), read once per
    process. By ctypes: cffi's first declarations cost ~0.09 s, this ~5 ms."""
    import zlib

    pango, harfbuzz, subset = _loaded(PANGO), _loaded(HARFBUZZ), _loaded(SUBSET)
    found = [
        f"pango {_version(pango, 'pango_version_string')}",
        f"harfbuzz {_version(harfbuzz, 'hb_version_string')}",
    ]
    if subset is not None:
        found.append("harfbuzz-subset")
    found.append(f"zlib {zlib.ZLIB_RUNTIME_VERSION}")  # pydyf's and the joiner's compressed streams
    return "; ".join(found)


def _loaded(names: Iterable[str]) -> Any | None:
    import ctypes

    for name in names:
        with suppress(OSError):
            return ctypes.CDLL(name)
    return None


def _version(library: Any | None, function: str) -> str:
    import ctypes

    if library is None:
        return UNKNOWN
    try:
        call = getattr(library, function)
    except AttributeError:
        return UNKNOWN
    call.restype, call.argtypes = ctypes.c_char_p, []
    found = call()
    return found.decode("ascii", "replace") if isinstance(found, bytes) else UNKNOWN
