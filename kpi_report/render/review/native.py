"""The native libraries the review is rendered with, opened without loading WeasyPrint.

WeasyPrint lays text out with Pango and HarfBuzz, system libraries a package manager may upgrade under an
unchanged WeasyPrint: a newer Pango may break a line elsewhere, a newer HarfBuzz subset a font into other
bytes; and zlib (the system's, or zlib-ng in its place) compresses every stream a part's record and the
shared font program hold. Their versions are therefore part of the review cache's keys
(:func:`native_versions`), so that a part or a font program made before such an upgrade is made again — the
cache never gives other bytes than a clean build. fontshare.py subsets the shared font with the same
HarfBuzz, through :func:`open_library`.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
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
    return _first(ffi.dlopen, names)


def _first(opener: Callable[[str], Any], names: Iterable[str]) -> Any | None:
    for name in names:
        with suppress(OSError):
            return opener(name)
    return None


@functools.cache
def native_versions() -> str:
    """'pango 1.50.12; harfbuzz 6.0.0; harfbuzz-subset; zlib 1.2.13' — the versions of the libraries the parts
    are laid out, the font subset and the streams compressed with (UNKNOWN for one that cannot be opened by
    name; the subset library named when present: without it the font is subset by fontTools), read once per
    process. By ctypes: cffi's first declarations cost ~0.09 s, this ~5 ms."""
    import ctypes
    import zlib

    pango, harfbuzz, subset = (_first(ctypes.CDLL, names) for names in (PANGO, HARFBUZZ, SUBSET))
    found = [
        f"pango {_version(pango, 'pango_version_string')}",
        f"harfbuzz {_version(harfbuzz, 'hb_version_string')}",
    ]
    if subset is not None:
        found.append("harfbuzz-subset")
    found.append(f"zlib {zlib.ZLIB_RUNTIME_VERSION}")  # pydyf's and the joiner's compressed streams
    return "; ".join(found)


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


@contextmanager
def quick_library_search() -> Iterator[None]:
    """While WeasyPrint is loaded (``import weasyprint``): ``ctypes.util.find_library`` answers from one reading
    of the dynamic loader's cache (``ldconfig -p``), instead of running ldconfig, then gcc and ld, for each name.

    WeasyPrint opens each of its seven libraries by the first of up to six names that loads, and cffi looks a
    name up with ``find_library``: 22 look-ups, 16 of which fail only after gcc and ld have searched (about
    20 ms each): ~0.35 s of the ~1 s WeasyPrint takes to load, in every rendering process a build starts. On
    Linux ``find_library`` asks the loader's cache first, as here; gcc and ld only find a library's own
    name (its soname), which the loader must then open by that name — and WeasyPrint tries each library's
    soname itself after those look-ups — so the same libraries are opened. Elsewhere (another platform or
    Python) nothing changes.
    """
    import ctypes.util

    if not sys.platform.startswith("linux") or not hasattr(ctypes.util, "_findSoname_ldconfig"):
        yield
        return
    original = ctypes.util.find_library
    listing: list[bytes] = []

    def find_library(name: str) -> str | None:
        if not listing:
            listing.append(_loader_cache())
        found = re.search(_soname_pattern(name), listing[0])
        return os.fsdecode(found.group(1)) if found else None

    ctypes.util.find_library = find_library
    try:
        yield
    finally:
        ctypes.util.find_library = original


def _loader_cache() -> bytes:
    """``ldconfig -p``, run as ctypes.util runs it (b"" where it cannot be)."""
    try:
        return subprocess.run(
            ["/sbin/ldconfig", "-p"],
            stdin=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            env={"LC_ALL": "C", "LANG": "C"},
            check=False,
        ).stdout
    except OSError:
        return b""


def _soname_pattern(name: str) -> bytes:
    """The pattern ctypes.util (CPython 3.8–3.13, ``_findSoname_ldconfig``) finds a library's soname with in
    ``ldconfig -p``'s listing, for this machine's word size and C library ABI."""
    return os.fsencode(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({_abi()}")


@functools.cache
def _abi() -> str:
    import struct

    machine = os.uname().machine + ("-32" if struct.calcsize("l") == 4 else "-64")
    return {
        "x86_64-64": "libc6,x86-64",
        "ppc64-64": "libc6,64bit",
        "sparc64-64": "libc6,64bit",
        "s390x-64": "libc6,64bit",
        "ia64-64": "libc6,IA-64",
    }.get(machine, "libc6")
