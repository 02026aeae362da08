"""The rebuild caches' store: what is put is got back; a damaged, foreign or linked entry is a miss; bounded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kpi_report.core.diskcache import DiskCache, cache_key


def test_what_is_put_is_got_back_and_keys_differ_by_every_part(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "c")
    key = cache_key("plan", b"\x00bytes")
    assert cache.get(key) is None  # nothing yet, and no folder made by reading
    cache.put_json(key, {"年度": 2019, "items": [1, 2]})
    assert cache.get_json(key) == {"年度": 2019, "items": [1, 2]}
    assert len({cache_key("ab", "c"), cache_key("a", "bc"), cache_key("abc"), key}) == 4


def test_a_damaged_foreign_or_linked_entry_is_a_miss(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "c")
    key = cache_key("x")
    cache.put(key, b"payload")
    entry = tmp_path / "c" / key
    data = bytearray(entry.read_bytes())
    data[-1] ^= 1
    entry.write_bytes(bytes(data))
    assert cache.get(key) is None
    (tmp_path / "elsewhere").write_bytes(b"0" * 64 + b"\npayload")
    entry.unlink()
    entry.symlink_to(tmp_path / "elsewhere")
    assert cache.get(key) is None
    assert cache.get("../elsewhere") is None and cache.get("A" * 64) is None  # not a key this cache makes
    cache.put("../escape", b"x")
    assert not (tmp_path / "escape").exists()


def test_prune_removes_the_least_recently_used_beyond_the_bound(tmp_path: Path) -> None:
    """Beyond the bound, the least recently used entries go, down to 7/8 of it (room for the next builds)."""
    cache = DiskCache(tmp_path / "c", limit=3 * (65 + 1000))
    keys = [cache_key(str(i)) for i in range(5)]
    for age, key in enumerate(keys):
        cache.put(key, b"x" * 1000)
        os.utime(tmp_path / "c" / key, (1_000_000 + age, 1_000_000 + age))
    assert cache.get(keys[0]) is not None  # read: now the most recently used
    cache.prune()
    kept = [k for k in keys if (tmp_path / "c" / k).exists()]
    assert kept == [keys[0], keys[4]]


def _scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import kpi_report.core.diskcache as diskcache

    scanned: list[str] = []
    original = diskcache.DiskCache._scan_and_prune

    def counted(self: DiskCache, bound: int) -> None:
        scanned.append(self.folder.name)
        original(self, bound)

    monkeypatch.setattr(diskcache.DiskCache, "_scan_and_prune", counted)
    return scanned


def test_a_prune_with_room_left_does_not_read_the_whole_folder_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A correction round's build stores a few entries in folders of thousands: its prunes count what it wrote
    against the size recorded at the last scan instead of reading every entry's size and time again."""
    scanned = _scans(monkeypatch)
    cache = DiskCache(tmp_path / "c", limit=10 * (65 + 1000))
    for i in range(3):
        cache.put(cache_key(str(i)), b"x" * 1000)
    cache.prune()
    assert scanned == ["c"]  # no record yet: scanned
    cache.put(cache_key("3"), b"x" * 1000)
    cache.prune()
    cache.prune()  # nothing written since
    assert scanned == ["c"]
    assert (tmp_path / "c" / ".size").read_text().split() == [str(4 * 1065), "1"]
    for i in range(4, 11):  # passes the bound: scanned, pruned, and the record is the folder's size again
        cache.put(cache_key(str(i)), b"x" * 1000)
    cache.prune()
    assert scanned == ["c", "c"]
    left = sum(p.stat().st_size for p in (tmp_path / "c").iterdir() if p.name != ".size")
    assert left <= 10 * 1065 * 7 // 8 + 1 and (tmp_path / "c" / ".size").read_text().split() == [
        str(left),
        "0",
    ]


def test_what_another_process_wrote_is_counted_at_the_latest_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries this process did not write (another build, a damaged record) are not in the record: a missing
    or damaged record means a scan, and every RESCAN-th prune scans anyway, so the bound holds."""
    import kpi_report.core.diskcache as diskcache

    scanned = _scans(monkeypatch)
    folder = tmp_path / "c"
    cache = DiskCache(folder, limit=5 * 1065)
    cache.put(cache_key("mine"), b"x" * 1000)
    cache.prune()
    for i in range(8):  # written by someone else: not counted by this process
        (folder / cache_key(f"other{i}")).write_bytes(b"y" * 1065)
    for i in range(diskcache.RESCAN):
        cache.put(cache_key(f"small{i}"), b"")
        cache.prune()
    assert len(scanned) == 2  # the first prune, then the RESCAN-th since
    assert sum(p.stat().st_size for p in folder.iterdir() if p.name != ".size") <= 5 * 1065
    (folder / ".size").write_bytes(b"not a size")
    cache.put(cache_key("again"), b"z")
    cache.prune()
    assert len(scanned) == 3


def test_an_entry_is_decoded_once_per_process_yet_checked_at_every_read(tmp_path: Path) -> None:
    """build --watch reads the same entries at every build: the same payload is decoded once, but a damaged
    or replaced entry is still a miss (the digest is checked every time)."""
    from kpi_report.core.codec import encode
    from kpi_report.core.model import Finding

    cache = DiskCache(tmp_path / "c")
    key = cache_key("finding")
    finding = Finding(severity="error", code="c", message="m", file="f.xlsx")
    cache.put_json(key, encode(finding))
    first = cache.get_decoded(key, Finding)
    assert first == finding
    assert cache.get_decoded(key, Finding) is first  # not decoded again
    assert DiskCache(tmp_path / "c").get_decoded(key, Finding) is first  # a later build's cache object too
    other = Finding(severity="warning", code="c", message="m", file="f.xlsx")
    cache.put_json(key, encode(other))  # replaced: another payload
    assert cache.get_decoded(key, Finding) == other
    entry = tmp_path / "c" / key
    entry.write_bytes(entry.read_bytes()[:-1] + b"!")  # damaged
    assert cache.get_decoded(key, Finding) is None
    cache.put_json(key, {"not": "a finding"})
    assert cache.get_decoded(key, Finding) is None


def test_the_values_decoded_once_are_bounded_by_size_least_recently_used_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A watching process reads the entries of every correction: a master or a form corrected long ago gives
    entries no build reads again, and their decoded values (a large plan: several MB) must not pile up."""
    from kpi_report.core import diskcache
    from kpi_report.core.codec import encode
    from kpi_report.core.model import Finding

    memo = diskcache._Decoded(3 * (1000 + 200 + diskcache._ENTRY_COST))  # room for three such values
    monkeypatch.setattr(diskcache, "_DECODED", memo)
    cache = DiskCache(tmp_path / "c")
    keys = [cache_key(str(n)) for n in range(5)]
    for n, key in enumerate(keys):
        cache.put_json(key, encode(Finding(code=f"c{n}", severity="info", message="x" * 1000)))
    first = [cache.get_decoded(key, Finding) for key in keys[:3]]
    assert cache.get_decoded(keys[0], Finding) is first[0]  # kept, and now the most recently used
    cache.get_decoded(keys[3], Finding)  # a fourth: the least recently used one goes
    assert cache.get_decoded(keys[1], Finding) is not first[1]  # gone: decoded again
    assert cache.get_decoded(keys[0], Finding) is first[0]
    assert memo.size <= memo.limit and len(memo.values) <= 3
    big = cache_key("big")
    cache.put_json(big, encode(Finding(code="big", severity="info", message="x" * 10_000)))
    assert cache.get_decoded(big, Finding) is not cache.get_decoded(big, Finding)  # larger than all: not kept
    assert memo.size <= memo.limit
