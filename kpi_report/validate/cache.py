"""The check's rebuild cache: what a rebuild would compute again for inputs that did not change.

``check_year`` keeps each input file's own result (its intake, findings and entries, before the checks
across files) and ``write_check_outputs`` each feedback copy and findings.xlsx, in one
:class:`~kpi_report.core.diskcache.DiskCache` folder, ``outputs/.cache/check/``. An entry's key is a
SHA-256 (:func:`~kpi_report.core.diskcache.cache_key`, which adds the tool's version) over everything that
decides it: the input's bytes, its name, the whole plan (:func:`plan_digest`), the year and how it is read,
and :func:`code_digest` — the source of the modules that compute it and the libraries that write the bytes,
so that a changed check gives fresh results even without a new version number. Entries are JSON decoded
with :mod:`kpi_report.core.codec` or plain bytes; one that fails its digest or does not decode is a miss.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import unicodedata
import weakref
import zlib
from functools import cache
from pathlib import Path

from kpi_report.core.diskcache import DiskCache, cache_folder
from kpi_report.core.model import Plan
from kpi_report.core.version import library_version

# the packages whose modules decide what check reads and what its outputs hold (forms: its layout)
_SOURCES = ("core", "intake", "validate", "forms")
_PLAN_DIGESTS: dict[int, tuple[weakref.ref[Plan], str]] = {}
_PLANS_KEPT = 4
_FLAT = ("measures", "kpis")  # the plan's long lists of plain records


def check_cache(root: Path) -> DiskCache:
    """The check's cache of the project at ``root``: ``<root>/outputs/.cache/check/`` (made on first store)."""
    return DiskCache(cache_folder(root, "check"))


@cache
def code_digest() -> str:
    """SHA-256 over the source of the modules that decide a check's results and outputs, and over the
    versions of Python's Unicode tables, of the libraries that read and write the workbooks and of the zlib
    that compresses them (a system library an upgrade may change: a kept findings.xlsx or feedback copy must
    be the bytes a check without the cache writes)."""
    digest = hashlib.sha256()
    libraries = ("openpyxl", "xlsxwriter", "defusedxml", "olefile")  # read from their metadata, not imported
    versions = (
        sys.version,
        unicodedata.unidata_version,
        zlib.ZLIB_RUNTIME_VERSION,
        *(library_version(name) for name in libraries),
    )
    digest.update("\0".join(versions).encode())
    package = Path(__file__).resolve().parents[1]
    for name in _SOURCES:
        for path in sorted((package / name).glob("*.py")):
            digest.update(f"\0{name}/{path.name}\0".encode())
            try:
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            except OSError:
                digest.update(b"unreadable")
    return digest.hexdigest()


def plan_digest(plan: Plan) -> str:
    """SHA-256 over every field of ``plan``, not only the master's checksum (a caller may pass a plan it
    changed); computed once per plan object."""
    known = _PLAN_DIGESTS.get(id(plan))
    if known is not None and known[0]() is plan:
        return known[1]
    # the flat lists as dicts of plain values (their repr is made in C); the tree and the rest field by field,
    # a measure of the flat list named by its place in it
    places = {id(m): n for n, m in enumerate(plan.measures)}
    state = {name: _plain(value, places) for name, value in _attributes(plan).items() if name not in _FLAT}
    state |= {name: [_attributes(item) for item in getattr(plan, name)] for name in _FLAT}
    digest = hashlib.sha256(repr(state).encode("utf-8", "surrogatepass")).hexdigest()
    if len(_PLAN_DIGESTS) >= _PLANS_KEPT:
        _PLAN_DIGESTS.clear()
    _PLAN_DIGESTS[id(plan)] = (weakref.ref(plan), digest)
    return digest


def _attributes(value: object) -> dict[str, object]:
    """A dataclass instance's fields, in order (a repr of plain values: text, numbers, None, dates, tuples)."""
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict):
        return attributes
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}  # type: ignore[arg-type]


def _plain(value: object, places: dict[int, int]) -> object:
    """``value`` as plain data for its repr: a dataclass instance as its type and fields, one of the flat list
    of measures as its place there, a tuple item by item."""
    place = places.get(id(value))
    if place is not None:
        return ("measure", place)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__qualname__, {k: _plain(v, places) for k, v in _attributes(value).items()})
    if isinstance(value, tuple):
        return tuple(_plain(v, places) for v in value)
    return value
