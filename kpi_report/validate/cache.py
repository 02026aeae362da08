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

import hashlib
import sys
import unicodedata
import weakref
from functools import cache
from pathlib import Path

import defusedxml
import olefile
import openpyxl
import xlsxwriter

from kpi_report.core.diskcache import DiskCache
from kpi_report.core.model import Plan

CACHE_FOLDER = ("outputs", ".cache", "check")
# the packages whose modules decide what check reads and what its outputs hold (forms: its layout)
_SOURCES = ("core", "intake", "validate", "forms")
_PLAN_DIGESTS: dict[int, tuple[weakref.ref[Plan], str]] = {}
_PLANS_KEPT = 4


def check_cache(root: Path) -> DiskCache:
    """The check's cache of the project at ``root``: ``<root>/outputs/.cache/check/`` (made on first store)."""
    return DiskCache(root.joinpath(*CACHE_FOLDER))


@cache
def code_digest() -> str:
    """SHA-256 over the source of the modules that decide a check's results and outputs, and over the
    versions of Python's Unicode tables and of the libraries that read and write the workbooks."""
    digest = hashlib.sha256()
    versions = (
        sys.version,
        unicodedata.unidata_version,
        openpyxl.__version__,
        xlsxwriter.__version__,
        defusedxml.__version__,
        olefile.__version__,
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
    """SHA-256 over every field of ``plan`` (its repr: plain frozen dataclasses, tuples, numbers and text),
    not only the master's checksum, since a caller may pass a plan it changed; computed once per plan object."""
    known = _PLAN_DIGESTS.get(id(plan))
    if known is not None and known[0]() is plan:
        return known[1]
    digest = hashlib.sha256(repr(plan).encode("utf-8", "surrogatepass")).hexdigest()
    if len(_PLAN_DIGESTS) >= _PLANS_KEPT:
        _PLAN_DIGESTS.clear()
    _PLAN_DIGESTS[id(plan)] = (weakref.ref(plan), digest)
    return digest
