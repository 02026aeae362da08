"""A small content-addressed cache on disk, shared by every stage that keeps work between builds.

An entry is one file ``<key>`` in the cache's folder: the SHA-256 of the payload (64 hex digits), a newline,
then the payload. Reads check the digest: a damaged, truncated or foreign file is a miss, never trusted.
Payloads are bytes or JSON: nothing is executed or unpickled. Keys are SHA-256 digests made by
:func:`cache_key` over everything that decides the cached value (callers include the tool's version).
A cache that cannot be read or written is simply not used: no method raises on an I/O problem. The cache
is bounded: :meth:`DiskCache.prune` removes the least recently used entries beyond a size.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from kpi_report.core.codec import CodecError, decode
from kpi_report.core.version import __version__

T = TypeVar("T")

MAX_BYTES = 128 * 1024 * 1024  # default bound of one cache folder
_MAX_ENTRY_BYTES = 64 * 1024 * 1024  # an entry larger than this is not read (not something we wrote)
_HEX = frozenset("0123456789abcdef")


class _Decoded:
    """Values decoded in this process, by (their payload's digest, type): the value decoding that payload again
    would give (the model's classes are frozen). A long-running process (build --watch) decodes an entry once
    instead of at every build. Bounded by the size of their payloads (a decoded value takes about three times
    as much memory): the least recently used go first, so that the entries of masters and submissions
    corrected long ago do not pile up."""

    def __init__(self, limit: int) -> None:
        self.limit = limit  # payload bytes (each entry counted with _ENTRY_COST more)
        self.size = 0
        self.values: dict[tuple[bytes, type], tuple[Any, int]] = {}  # least recently used first
        self.lock = threading.Lock()

    def get(self, memo: tuple[bytes, type]) -> Any | None:
        with self.lock:
            found = self.values.pop(memo, None)
            if found is None:
                return None
            self.values[memo] = found  # the most recently used
            return found[0]

    def put(self, memo: tuple[bytes, type], value: Any, payload: int) -> None:
        cost = payload + _ENTRY_COST
        with self.lock:
            if memo in self.values or cost > self.limit:
                return
            while self.values and self.size + cost > self.limit:
                self.size -= self.values.pop(next(iter(self.values)))[1]
            self.values[memo] = (value, cost)
            self.size += cost


_ENTRY_COST = 512  # what a memo entry costs besides its payload (its key, the dict's slot)
_DECODED = _Decoded(32 * 1024 * 1024)  # a 1,000-measure plan and its 200 forms: ~2 MB

# Pruning reads the size and time of every entry: a folder of thousands of entries (every correction round
# adds some) cost ~0.03 s a prune, three prunes a build. So the folder's size is recorded in LEDGER when it is
# scanned, and a prune adds what this process wrote into it since (note_written) instead of scanning again,
# until the record says the bound is passed. A scan that finds the bound passed removes entries down to
# 7/8 of it, so the next builds find room without scanning; every RESCAN-th prune that wrote something scans
# anyway (another process's writes, and two processes updating the record at once, are then counted).
LEDGER = ".size"
RESCAN = 64
_WRITTEN: dict[str, int] = {}  # folder -> bytes this process wrote into it since its last prune
_PRUNING = threading.Lock()  # a build prunes the check cache from two threads


def note_written(folder: Path, size: int) -> None:
    """Count ``size`` bytes written into the cache ``folder`` by this process (for :meth:`DiskCache.prune`)."""
    with _PRUNING:
        _WRITTEN[str(folder)] = _WRITTEN.get(str(folder), 0) + size


def _ledger(folder: Path) -> tuple[int, int] | None:
    """(the folder's size in bytes, prunes since it was scanned) as recorded, or None (none or damaged)."""
    try:
        size, since = (folder / LEDGER).read_bytes().split()
        return int(size), int(since)
    except (OSError, ValueError):
        return None


def _record(folder: Path, size: int, since: int) -> None:
    with suppress(OSError):
        temporary = folder / f"{LEDGER}.{os.getpid()}.tmp"
        temporary.write_bytes(b"%d %d\n" % (size, since))
        os.replace(temporary, folder / LEDGER)


def cache_folder(root: Path, stage: str) -> Path:
    """Where ``stage`` keeps its rebuild cache in the project at ``root``: ``outputs/.cache/<stage>/``."""
    return root / "outputs" / ".cache" / stage


def cache_key(*parts: str | bytes) -> str:
    """A SHA-256 key over ``parts`` (each length-prefixed, so no two lists of parts collide) and the version."""
    digest = hashlib.sha256(__version__.encode() + b"\0")
    for part in parts:
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


@dataclass
class DiskCache:
    """Entries in ``folder`` (created on first store)."""

    folder: Path
    limit: int = MAX_BYTES
    hits: int = 0  # reads that found an intact entry (what a caller reports as reused)
    misses: int = 0  # reads that found none

    def _path(self, key: str) -> Path | None:
        if len(key) != 64 or not set(key) <= _HEX:
            return None
        return self.folder / key

    def get(self, key: str) -> bytes | None:
        """The payload stored under ``key``, if present and intact."""
        entry = self._read(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        return entry[1]

    def _read(self, key: str) -> tuple[bytes, bytes] | None:
        """The entry under ``key`` as (its payload's digest, the payload), if present and intact."""
        path = self._path(key)
        if path is None:
            return None
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_ENTRY_BYTES:
                return None
            data = path.read_bytes()
        except OSError:
            return None
        digest, newline, payload = data[:64], data[64:65], data[65:]
        if newline != b"\n" or hashlib.sha256(payload).hexdigest().encode() != digest:
            return None
        with suppress(OSError):
            os.utime(path)  # recently used: pruned last
        return digest, payload

    def put(self, key: str, payload: bytes) -> None:
        """Store ``payload`` under ``key`` (atomically: a reader never sees half an entry)."""
        path = self._path(key)
        if path is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_bytes(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
            os.replace(temporary, path)
        except OSError:
            return
        note_written(self.folder, 65 + len(payload))

    def get_json(self, key: str) -> Any | None:
        """The JSON value stored under ``key`` (None when absent, damaged or not JSON)."""
        payload = self.get(key)
        if payload is None:
            return None
        try:
            return json.loads(payload)
        except ValueError:
            return None

    def get_decoded(self, key: str, kind: type[T]) -> T | None:
        """The JSON value stored under ``key`` decoded as ``kind`` (:mod:`kpi_report.core.codec`), None when
        absent, damaged or not of that shape. The entry is read and its digest checked every time; the same
        payload is decoded once per process (the value is frozen: shared)."""
        entry = self._read(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        memo = (entry[0], kind)
        found = _DECODED.get(memo)
        if found is not None:
            return found  # type: ignore[no-any-return]
        try:
            decoded = decode(kind, json.loads(entry[1]))
        except (ValueError, CodecError):  # not JSON, or not of that shape
            return None
        _DECODED.put(memo, decoded, len(entry[1]))
        return decoded

    def put_json(self, key: str, value: Any) -> None:
        self.put(key, json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())

    def prune(self, limit: int | None = None) -> None:
        """Remove the least recently used entries when the folder holds more than ``limit`` bytes (down to 7/8
        of it). The folder is scanned only when its recorded size and what this process wrote since may pass
        the bound (see :data:`LEDGER`)."""
        bound = self.limit if limit is None else limit
        with _PRUNING:
            written = _WRITTEN.pop(str(self.folder), 0)
            recorded = _ledger(self.folder)
            if recorded is not None and written == 0:
                return  # nothing written since the record: nothing to count
            if recorded is not None and recorded[0] + written <= bound and recorded[1] + 1 < RESCAN:
                _record(self.folder, recorded[0] + written, recorded[1] + 1)
                return
            self._scan_and_prune(bound)

    def _scan_and_prune(self, bound: int) -> None:
        try:
            with os.scandir(self.folder) as found:  # one directory read; sizes and times from its entries
                entries = [
                    (stat.st_mtime, stat.st_size, entry.path)
                    for entry in found
                    if entry.name != LEDGER
                    and entry.is_file(follow_symlinks=False)
                    and (stat := entry.stat(follow_symlinks=False))
                ]
        except OSError:
            return
        total = sum(size for _, size, _ in entries)
        if total > bound:
            low = bound - bound // 8
            for _, size, name in sorted(entries):
                if total <= low:
                    break
                try:
                    os.unlink(name)
                    total -= size
                except OSError:
                    continue
        _record(self.folder, total, 0)
