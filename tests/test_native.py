"""The native libraries: WeasyPrint loaded with the quick library search opens the very libraries it opens
without it, and the search answers as ctypes' own look-up in the loader's cache does."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

from kpi_report.render.review import native

LINUX = sys.platform.startswith("linux") and hasattr(ctypes.util, "_findSoname_ldconfig")

_MAPPED = """
import sys
{load}
from weasyprint.text import ffi  # noqa: F401
with open("/proc/self/maps") as maps:
    found = sorted({{line.split()[-1] for line in maps if ".so" in line and "/" in line}})
print("\\n".join(found))
"""


def _mapped(load: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _MAPPED.format(load=load)], capture_output=True, text=True, check=True
    )
    return done.stdout.split()


@pytest.mark.skipif(not LINUX, reason="the search is changed on Linux only")
def test_weasyprint_opens_the_same_libraries_with_the_quick_search() -> None:
    stock = _mapped("import weasyprint")
    quick = _mapped("from kpi_report.render.review.weasy import _renderer_module\n_renderer_module()")
    assert any("libpango-1.0" in path for path in stock) and any("libharfbuzz" in path for path in stock)
    native_libraries = ("gobject", "pango", "harfbuzz", "fontconfig", "glib", "freetype", "fribidi")
    assert [p for p in quick if any(n in p for n in native_libraries)] == [
        p for p in stock if any(n in p for n in native_libraries)
    ]


@pytest.mark.skipif(not LINUX, reason="the search is changed on Linux only")
def test_the_quick_search_answers_as_the_loader_cache_look_up_and_is_undone() -> None:
    names = ["gobject-2.0", "libgobject-2.0-0", "pango-1.0", "harfbuzz", "harfbuzz-subset", "c", "m", "z"]
    names += ["fontconfig-1", "pangoft2-1.0", "no-such-library", "c++", "lib.with.dots"]
    stock = {name: ctypes.util._findSoname_ldconfig(name) for name in names}  # type: ignore[attr-defined]
    original = ctypes.util.find_library
    with native.quick_library_search():
        assert ctypes.util.find_library is not original
        quick = {name: ctypes.util.find_library(name) for name in names}
    assert ctypes.util.find_library is original
    assert quick == stock and quick["gobject-2.0"] and quick["no-such-library"] is None
