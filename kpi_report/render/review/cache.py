"""A cache of the annual review's rendered parts, so that a rebuild re-renders only what changed.

A part's layout (page count, anchors) depends only on its HTML and on what the renderer reads besides: the
stylesheets, the base URL and the files it may fetch (template folders, the font), and the versions of the
tool, WeasyPrint, pydyf and the system libraries that lay the text out and compress the streams (Pango,
HarfBuzz, zlib: ``native.py``). Its record (its PDF objects, ``pdfjoin.py``) does not depend on where it
starts: the page numbers are drawn when joining (``folio.py``), unless a project's stylesheet numbers the
pages in its margin boxes, when the record depends on the number of its first page too. So an entry is keyed by a
SHA-256 over all of that (:func:`part_key`): ``<key>.json`` holds the layout, ``<key>-pany.pdf`` the record
(``<key>-p<first page>.pdf`` for a part numbered by its stylesheet). The PDF's own SHA-256 is kept in the JSON and checked on every read: a damaged, truncated or foreign
file is a miss, never trusted. Nothing is executed or unpickled: entries are JSON and PDF bytes.

The cache lives in the project (``outputs/.cache/review/``), is bounded (oldest entries are removed beyond
:data:`MAX_BYTES`), and ``build --no-cache`` does not use it. A cached part's bytes are the bytes a fresh
render gives, because rendering is deterministic; tests build clean, correct, rebuild and compare.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from kpi_report.core.diskcache import DiskCache, note_written
from kpi_report.core.files import file_sha256
from kpi_report.core.version import __version__
from kpi_report.render.review.native import native_versions

MAX_BYTES = 256 * 1024 * 1024  # the whole cache; beyond it the least recently used entries go
_MAX_FILE_BYTES = 64 * 1024 * 1024  # an entry larger than this is not read (not something we wrote)
ANYWHERE = "any"  # the first page of a part whose bytes do not depend on it


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def _files_digest(roots: Iterable[Path], files: Iterable[Path]) -> str:
    """SHA-256 over the names (relative to their folder: a moved project keeps its cache) and contents of
    every file the renderer may fetch."""
    digest = hashlib.sha256()
    named: list[tuple[str, Path]] = []
    for number, root in enumerate(roots):
        if root.is_dir():
            named.extend(
                (f"{number}/{p.relative_to(root).as_posix()}", p)
                for p in sorted(root.rglob("*"))
                if p.is_file()
            )
    named.extend((f"file/{Path(f).name}", Path(f)) for f in files)
    for name, path in named:
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        try:
            digest.update(bytes.fromhex(file_sha256(path)))
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


@dataclass
class PartCache:
    """The review's part cache in ``folder``; ``environment`` is the digest of all a part depends on besides
    its HTML (see :meth:`configure`)."""

    folder: Path
    environment: str = ""  # set by :meth:`configure` before use
    hits: list[str] = field(default_factory=list)  # part keys taken from the cache in this render
    misses: list[str] = field(default_factory=list)  # part keys rendered

    def configure(
        self, stylesheets: Iterable[str], base_url: str, roots: Iterable[Path], files: Iterable[Path]
    ) -> None:
        """Key the cache by the stylesheets, every fetchable file, the versions (the tool's, WeasyPrint's,
        pydyf's and the system libraries', native.py) and the renderer's own code (not by where the project is:
        the base URL only locates those files, whose names and contents are in the key)."""
        digest = hashlib.sha256()
        for text in (
            __version__,
            _version("weasyprint"),
            _version("pydyf"),
            native_versions(),  # system libraries: Pango lays the text out, HarfBuzz shapes it, zlib compresses
            *stylesheets,
            _files_digest(roots, files),
            _files_digest([], sorted(Path(__file__).parent.glob("*.py"))),  # the renderer's own code
        ):
            digest.update(text.encode("utf-8", "surrogateescape") + b"\0\x01")
        self.environment = digest.hexdigest()

    def part_key(self, html: str) -> str:
        """The key of a part with this HTML."""
        return hashlib.sha256(
            self.environment.encode() + b"\0" + html.encode("utf-8", "surrogatepass")
        ).hexdigest()

    def _read(self, path: Path) -> bytes | None:
        try:
            if not path.is_file() or path.is_symlink() or path.stat().st_size > _MAX_FILE_BYTES:
                return None
            data = path.read_bytes()
            os.utime(path)  # recently used: pruned last
            return data
        except OSError:
            return None

    def layout(self, key: str) -> tuple[int, dict[str, int], dict[str, str]] | None:
        """(pages, anchors, {first page: pdf sha256}) of a cached part, or None."""
        data = self._read(self.folder / f"{key}.json")
        if data is None:
            return None
        try:
            record = json.loads(data)
            pages, anchors, pdfs = record["pages"], record["anchors"], record["pdfs"]
            if record["key"] != key or not isinstance(pages, int) or pages < 1:
                return None
            if not all(isinstance(k, str) and isinstance(v, int) for k, v in anchors.items()):
                return None
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in pdfs.items()):
                return None
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return pages, anchors, pdfs

    def pdf(self, key: str, first_page: int) -> bytes | None:
        """The cached PDF of a part starting at ``first_page`` (or of one that may start anywhere), if present
        and intact."""
        found = self.layout(key)
        start = next((s for s in (ANYWHERE, str(first_page)) if found is not None and s in found[2]), None)
        if found is None or start is None:
            return None
        data = self._read(self.folder / f"{key}-p{start}.pdf")
        if data is None or hashlib.sha256(data).hexdigest() != found[2][start]:
            return None
        return data

    def store(
        self, key: str, pages: int, anchors: dict[str, int], first_page: int | None, pdf: bytes
    ) -> None:
        """Keep a rendered part (``first_page`` None: its bytes are the same wherever it starts); a cache that
        cannot be written is simply not used (never an error)."""
        start = ANYWHERE if first_page is None else str(first_page)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            found = self.layout(key)
            pdfs = dict(found[2]) if found is not None and found[0] == pages else {}
            pdfs[start] = hashlib.sha256(pdf).hexdigest()
            _write(self.folder / f"{key}-p{start}.pdf", pdf)
            record = {"key": key, "pages": pages, "anchors": anchors, "pdfs": pdfs}
            _write(self.folder / f"{key}.json", json.dumps(record, sort_keys=True).encode())
        except OSError:
            return

    def prune(self, limit: int = MAX_BYTES) -> None:
        """Remove the least recently used entries until the cache holds at most ``limit`` bytes."""
        DiskCache(self.folder, limit).prune()


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    note_written(path.parent, len(data))
