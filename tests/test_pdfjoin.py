"""The review's parts joined by concatenation: a valid PDF whatever the parts, found again by a PDF reader.

Parts are rendered by WeasyPrint into records (their objects with slots for object numbers, structure keys,
header IDs and links to other parts' pages); join fills the slots. These tests read the joined file back
with pypdf and check the cross-reference table against the bytes, the links between parts, one structure
tree with unique header IDs, and that a damaged record is refused.
"""

from __future__ import annotations

import io
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from kpi_report.render.review import partrender, partspec, pdfjoin, weasy
from kpi_report.render.review.pdfjoin import Bookmark, RecordError, join, load_record, record_bytes

TABLE = (
    "<table><thead><tr><th>番号</th><th>名称</th></tr></thead>"
    "<tbody><tr><td>1</td><td>{name}</td></tr></tbody></table>"
)


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Three body parts (each a table with header cells, one a page long and more) and a contents page."""
    templates = tmp_path_factory.mktemp("templates")
    renderer = partrender.PartRenderer(partspec.RenderConfig(("",), templates.as_uri() + "/", (templates,)))
    bodies = {
        "a": f'<h1 id="a">Part A</h1>{TABLE.format(name="alpha")}',
        "b": f'<h1 id="b">Part B</h1>{TABLE.format(name="beta")}' + "<p>line (1) 2 0 R 100%</p>" * 80,
        "c": f'<h1 id="c">Part C</h1>{TABLE.format(name="gamma")}<a href="https://example.org/">x</a>'
        '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><title>chart\nstream\n7 0 R (x</title>'
        '<path d="M0 0H5"/></svg>',
    }
    front = '<h1>Contents</h1><a href="toc:a">A</a> <a href="toc:b">B</a> <a href="toc:c">C</a>'
    made = {}
    for number, (key, html) in enumerate([*bodies.items(), (weasy.FRONT, front)], start=1):
        renderer.layout(key, f'<html lang="en"><body>{html}</body></html>')
        made[key] = renderer.finish(key, number)
    return made


def _joined(records: dict[str, bytes]) -> tuple[bytes, dict[str, int]]:
    parts = [load_record(records[k]) for k in (weasy.FRONT, "a", "b", "c")]
    first, pages = {}, 0
    for key, part in zip((weasy.FRONT, "a", "b", "c"), parts, strict=True):
        first[key] = pages
        pages += part.pages
    links = {f"toc:{k}": first[k] for k in "abc"}
    marks = [Bookmark("A", first["a"]), Bookmark("B", first["b"]), Bookmark("B.1", first["b"] + 1, 1)]
    return join(parts, marks, {"/Title": "タイトル"}, links, parts[0].pages), first


def _cross_references(data: bytes) -> tuple[dict[str, Any], list[tuple[int, int, int]]]:
    """The cross-reference stream's dictionary and its rows (type, field 2, field 3), read by hand."""
    start = int(data[data.rindex(b"startxref") + 10 :].split()[0])
    head, rest = data[start:].split(b"\nstream\n", 1)
    fields = dict(re.findall(rb"/(\w+) ((?:\[[^\]]*\])|(?:\d+ 0 R)|(?:/?\w+))", head))
    assert fields[b"Type"] == b"/XRef" and fields[b"W"] == b"[1 4 2]"
    table = zlib.decompress(rest[: int(fields[b"Length"])])
    rows = [
        (table[i], int.from_bytes(table[i + 1 : i + 5], "big"), int.from_bytes(table[i + 5 : i + 7], "big"))
        for i in range(0, len(table), 7)
    ]
    assert len(rows) == int(fields[b"Size"])
    return {k.decode(): v.decode() for k, v in fields.items()}, rows


def test_every_cross_reference_points_at_its_object(records: dict[str, bytes]) -> None:
    data, _ = _joined(records)
    _, rows = _cross_references(data)
    assert rows[0] == (0, 0, 0xFFFF)
    packed = 0
    for number, (kind, where, index) in enumerate(rows[1:], start=1):
        if kind == 1:  # written directly, at this offset
            assert data[where:].startswith(b"%d 0 obj\n" % number), number
        else:  # packed into object stream ``where``, which is written directly
            assert kind == 2 and rows[where][0] == 1 and index < 500, number
            packed += 1
    assert packed > len(rows) / 2  # the structure elements and other dictionaries are packed
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == sum(load_record(r).pages for r in records.values())
    assert reader.metadata is not None and reader.metadata.title == "タイトル"


def test_contents_links_go_to_the_first_page_of_each_part(records: dict[str, bytes]) -> None:
    data, first = _joined(records)
    reader = PdfReader(io.BytesIO(data))
    numbers = {
        page.indirect_reference.idnum: i for i, page in enumerate(reader.pages) if page.indirect_reference
    }
    targets = []
    annotations: Any = reader.pages[0]["/Annots"]
    for ref in annotations:
        annotation = ref.get_object()
        assert "/A" not in annotation  # the URI action became an internal link
        targets.append(numbers[annotation["/Dest"][0].idnum])
    assert targets == [first["a"], first["b"], first["c"]]
    outline = reader.outline
    assert [item.title for item in outline if not isinstance(item, list)] == ["A", "B"]


def test_one_structure_tree_with_unique_header_ids_and_keys(records: dict[str, bytes]) -> None:
    data, _ = _joined(records)
    reader = PdfReader(io.BytesIO(data))
    catalog: Any = reader.trailer["/Root"]
    root = catalog["/StructTreeRoot"].get_object()
    document = root["/K"][0].get_object()
    assert document["/S"] == "/Document" and len(document["/K"]) >= 4
    ids = [str(name) for name in root["/IDTree"].get_object()["/Names"][0::2]]
    assert len(ids) == len(set(ids)) >= 6  # two header cells per part, prefixed per part
    keys = [int(str(page["/StructParents"])) for page in reader.pages]
    assert keys == list(range(len(reader.pages)))
    nums = root["/ParentTree"].get_object()["/Nums"][0::2]
    assert list(nums) == sorted(nums) and len(nums) == len(set(nums))
    # text that looks like a reference or a format marker is left as it was
    assert "line (1) 2 0 R 100%" in reader.pages[-2].extract_text() + reader.pages[-3].extract_text()


def test_a_record_survives_its_bytes_and_a_damaged_one_is_refused(records: dict[str, bytes]) -> None:
    data = records["b"]
    record = load_record(data)
    assert record_bytes(record) == data
    with pytest.raises(RecordError):
        load_record(data[: len(data) // 2])
    with pytest.raises(RecordError):
        load_record(b"%PDF-1.7\n" + data)
    header_end = data.index(b"}") + 1
    with pytest.raises(RecordError):
        load_record(data[:header_end] + b"\xff" * 8 + data[header_end + 8 :])


def test_the_same_parts_give_the_same_bytes(records: dict[str, bytes], tmp_path: Path) -> None:
    first, _ = _joined(records)
    again, _ = _joined(dict(records))
    assert first == again
    catalog: Any = PdfReader(io.BytesIO(first)).trailer["/Root"]
    assert catalog["/Lang"] == "ja" and bool(catalog["/MarkInfo"]["/Marked"])


def test_a_figures_text_that_looks_like_pdf_syntax_is_kept_as_text(records: dict[str, bytes]) -> None:
    data, _ = _joined(records)
    reader = PdfReader(io.BytesIO(data), strict=True)
    catalog: Any = reader.trailer["/Root"]
    alts = []
    stack = [catalog["/StructTreeRoot"].get_object()["/K"][0].get_object()]
    while stack:
        element = stack.pop()
        if "/Alt" in element:
            alts.append(str(element["/Alt"]))
        kids = element.get("/K", [])
        for kid in kids if isinstance(kids, list) else [kids]:
            target = kid.get_object()
            if isinstance(target, DictionaryObject) and target.get("/Type") == "/StructElem":
                stack.append(target)
    assert "chart\nstream\n7 0 R (x" in alts


def test_a_second_join_reuses_the_parts_placed_as_before(
    records: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """build --watch joins again after each correction: a part placed as before (same record, same numbers,
    pages and links) is not filled again, and the file is the one a first join in a new process makes."""
    first, _ = _joined(records)
    calls: list[int] = []
    real = pdfjoin._fill

    def counted(part: Any, fill: Any, base: int) -> Any:
        calls.append(base)
        return real(part, fill, base)

    monkeypatch.setattr(pdfjoin, "_fill", counted)
    assert _joined(dict(records))[0] == first
    assert calls == []  # every part placed as before
    monkeypatch.setattr(pdfjoin, "_PLACED", {})  # a new process
    assert _joined(dict(records))[0] == first
    assert len(calls) == 4
    calls.clear()
    swapped = {**records, "a": records["c"], "c": records["a"]}  # other records in the first places
    other, _ = _joined(swapped)
    assert other != first and len(calls) >= 2
    monkeypatch.setattr(pdfjoin, "_PLACED", {})
    assert _joined(swapped)[0] == other  # the same bytes as a first join of those parts


def test_a_part_reused_from_the_last_join_has_every_slot_value_of_this_one(
    records: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a part's slots are filled with is in the memo's key. The folio values are keyed for a part
    numbered when joining: a record not marked so whose pages have folio slots anyway (not one part_record
    makes) is refused, never placed with the opening and ends of another join (they move when a later part
    has more objects)."""
    import dataclasses

    unmarked = dataclasses.replace(load_record(records["a"]), folios=False)  # its folio slots are kept
    assert any(s % 16 == 7 for s in unmarked.slots)
    assert load_record(records["a"]).pages == load_record(records["c"]).pages
    assert len(load_record(records["a"]).statics) != len(load_record(records["c"]).statics)

    def joined(last: str) -> bytes:
        parts = [load_record(records[weasy.FRONT]), unmarked, load_record(records[last])]
        return join(parts, [], {}, {}, parts[0].pages)

    monkeypatch.setattr(pdfjoin, "_PLACED", {})
    with pytest.raises(RecordError):
        joined("a")
    with pytest.raises(RecordError):
        joined("c")  # the same pages after it, but more objects: the folios' objects after them move


def _joined_with(records: dict[str, bytes], memo: Any) -> bytes:
    parts = [load_record(records[k]) for k in (weasy.FRONT, "a", "b", "c")]
    return join(parts, [], {"/Title": "タイトル"}, {}, parts[0].pages, memo=memo)


def _placements(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The bases of the parts placed anew (filled and compressed), from now on."""
    calls: list[int] = []
    real = pdfjoin._place

    def counted(part: Any, fill: Any, base: int) -> Any:
        calls.append(base)
        return real(part, fill, base)

    monkeypatch.setattr(pdfjoin, "_place", counted)
    return calls


def test_a_build_in_a_new_process_takes_the_parts_placed_by_an_earlier_one_from_the_disk_memo(
    records: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A correction built by a new `kpi-report build` joins again: the parts whose records and places are
    unchanged are read from the memo on disk (outputs/.cache/review/), not filled and compressed again, and
    the file is byte for byte the one a join without the memo makes."""
    from kpi_report.core.diskcache import DiskCache

    monkeypatch.setattr(pdfjoin, "_PLACED", {})
    plain = _joined_with(records, None)
    memo = DiskCache(tmp_path / "memo")
    calls = _placements(monkeypatch)
    monkeypatch.setattr(pdfjoin, "_PLACED", {})
    assert _joined_with(records, memo) == plain
    assert len(calls) == 4 and len(list((tmp_path / "memo").iterdir())) == 4
    calls.clear()
    monkeypatch.setattr(pdfjoin, "_PLACED", {})  # a new process
    assert _joined_with(records, memo) == plain
    assert calls == []
    # another record in a part's place: that part and the ones after it (their numbers moved) are placed anew
    changed = {**records, "b": records["c"], "c": records["b"]}
    monkeypatch.setattr(pdfjoin, "_PLACED", {})
    other = _joined_with(changed, memo)
    assert len(calls) == 2
    monkeypatch.setattr(pdfjoin, "_PLACED", {})
    assert _joined_with(changed, None) == other  # the same bytes as a join without the memo


def test_a_memo_entry_that_does_not_place_the_part_exactly_is_not_used(
    records: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An intact entry (its digest checks out) whose objects are not exactly the part's numbers, or whose
    offsets or lengths do not add up, is a miss: the part is placed anew and the file is still right."""
    from kpi_report.core.diskcache import DiskCache

    monkeypatch.setattr(pdfjoin, "_PLACED", {})
    plain = _joined_with(records, None)
    memo = DiskCache(tmp_path / "memo")
    monkeypatch.setattr(pdfjoin, "_PLACED", {})
    _joined_with(records, memo)
    keys = sorted(p.name for p in (tmp_path / "memo").iterdir())
    for key in keys:
        payload = memo.get(key)
        assert payload is not None
        placed = pdfjoin.load_placed(payload, *_numbers_of(payload))
        assert placed is not None
        wrong = [
            pdfjoin.Placed(placed.chunk, placed.written, placed.packs[:-1]),  # objects missing
            pdfjoin.Placed(placed.chunk + b" ", placed.written, placed.packs),  # a chunk too long
            pdfjoin.Placed(
                placed.chunk,
                tuple((n + 1, o) for n, o in placed.written),
                tuple((tuple(n + 1 for n in ns), f, d) for ns, f, d in placed.packs),
            ),  # numbered from another base
        ]
        memo.put(key, pdfjoin.placed_bytes(wrong[keys.index(key) % 3]))
    truncated = memo.get(keys[0])
    assert truncated is not None
    memo.put(keys[0], truncated[:-3])
    calls = _placements(monkeypatch)
    monkeypatch.setattr(pdfjoin, "_PLACED", {})
    assert _joined_with(records, memo) == plain
    assert len(calls) == 4


def _numbers_of(payload: bytes) -> tuple[int, int]:
    """(base, count) of the objects a placed part's bytes number (read from its header)."""
    import json

    at = len(b"KPIPLACED1\n")
    size = int.from_bytes(payload[at : at + 8], "little")
    header = json.loads(payload[at + 8 : at + 8 + size])
    numbers = [n for n, _ in header["written"]] + [n for ns, _, _ in header["packs"] for n in ns]
    return min(numbers), len(numbers)


def test_an_intact_memo_entry_whose_objects_are_laid_out_otherwise_is_not_used(
    records: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry with the part's numbers, framed right and with a good digest, whose object streams say other
    than it (another entry's object stream, a /First that misses the objects) or that packs one of the part's
    streams into an object stream (no PDF reader would find it): a miss, and the file is still the right one."""
    from kpi_report.core.diskcache import DiskCache

    monkeypatch.setattr(pdfjoin, "_PLACED", {})
    plain = _joined_with(records, None)
    memo = DiskCache(tmp_path / "memo")
    monkeypatch.setattr(pdfjoin, "_PLACED", {})
    _joined_with(records, memo)
    keys = sorted(p.name for p in (tmp_path / "memo").iterdir())
    entries = {}
    for key in keys:
        payload = memo.get(key)
        assert payload is not None
        placed = pdfjoin.load_placed(payload, *_numbers_of(payload))
        assert placed is not None and placed.packs and placed.written
        entries[key] = placed
    for index, key in enumerate(keys):
        placed = entries[key]
        numbers, first, data = placed.packs[0]
        other = entries[keys[index - 1]].packs[0][2]  # another part's object stream, under these numbers
        number, start = placed.written[-1]  # the last stream, packed instead of written
        body = placed.chunk[start + len(b"%d 0 obj\n" % number) : -len(b"\nendobj\n")]
        hostile = [
            pdfjoin.Placed(placed.chunk, placed.written, ((numbers, first, other), *placed.packs[1:])),
            pdfjoin.Placed(placed.chunk, placed.written, ((numbers, first + 1, data), *placed.packs[1:])),
            pdfjoin.Placed(
                placed.chunk[:start],
                placed.written[:-1],
                (*placed.packs, *pdfjoin._packs([(number, body)])),
            ),
        ]
        memo.put(key, pdfjoin.placed_bytes(hostile[index % len(hostile)]))
    calls = _placements(monkeypatch)
    monkeypatch.setattr(pdfjoin, "_PLACED", {})
    assert _joined_with(records, memo) == plain
    assert len(calls) == 4


def _pydyf_values() -> list[Any]:
    """Values of every kind WeasyPrint puts into a part's objects, and some it does not."""
    import pydyf

    class Content(pydyf.Stream):  # type: ignore[misc]  # like WeasyPrint's: a subclass that keeps pydyf's data
        pass

    class Custom(pydyf.Dictionary):  # type: ignore[misc]  # a subclass that writes itself otherwise
        @property
        def data(self) -> bytes:
            return b"<<custom 9 0 R>>"

    strings = ["ascii", "a (b) c\\d", "括弧（）", "", "x)(", "\\", "1 0 R", "\x00i1\x00"]
    numbers = [0, 7, -3, 10**30, 0.1, 1e-7, -0.0, 2.5, 1e20, -1.25, 3.0, float("inf"), True, False, None]
    leaves: list[Any] = [
        *(s for s in strings if s.isascii()),  # pydyf writes a str as ASCII (a name, say) or fails
        *(pydyf.String(s) for s in strings),
        pydyf.String(b"by(tes)"),
        *numbers,
        b"12 0 R",
        b"012 0 R",
        b"\x00k3\x00",
        b"\x00s0\x00",
        b"[1 0 R 2 0 R]",
        b"x5 0 R",
        b"0 R",
        b"<FEFF0041>",
        b"",
        b"100%",
        "/Name",
        "5 0 R",
        "a\nstream\nb",
    ]
    nested = pydyf.Array([1, pydyf.Array([b"3 0 R", pydyf.Array([])]), pydyf.Dictionary({"K": b"4 0 R"})])
    values: list[Any] = [
        *leaves,
        *(pydyf.Array([leaf]) for leaf in leaves),
        *(pydyf.Dictionary({"Key": leaf, "Type": "/StructElem"}) for leaf in leaves),
        pydyf.Array(leaves),
        pydyf.Array([5, 0, "R"]),
        pydyf.Array([5, b"0 R"]),
        pydyf.Array([b"(", b"1 0 R", b")"]),
        pydyf.Dictionary({"12 0 R": 1, "\x00k1\x00": 2, "X": pydyf.Dictionary(), "Y": nested}),
        pydyf.Dictionary({"A": pydyf.Dictionary({"Headers": pydyf.Array([b"\x00i0\x00", b"\x00i1\x00"])})}),
        nested,
        Custom({"K": b"1 0 R"}),
        pydyf.Array([Custom(), b"2 0 R"]),
        {"plain": "dict"},
        (1, 2),
    ]
    for compress in (False, True):
        items = [
            b"q",
            "/P",
            pydyf.Dictionary({"MCID": 0}),
            b"BDC",
            b"1 0 0 1 0 0 cm",
            3,
            0.5,
            b"(x) Tj",
            b"Q",
        ]
        values.append(pydyf.Stream(list(items), {"Type": "/XObject", "Res": b"8 0 R"}, compress=compress))
        values.append(
            Content(list(items), pydyf.Dictionary({"Filter": "/X", "Y": b"9 0 R"}), compress=compress)
        )
        values.append(pydyf.Stream([b"\x00k1\x00 5 0 R (\nstream\n)"], {"A": "a\nstream\nb", "B": b"2 0 R"}))
        values.append(pydyf.Stream([], {"C": pydyf.String("(7 0 R)")}, compress=compress))
    return values


def test_the_writer_writes_what_pydyf_writes() -> None:
    """part_record writes the objects itself (pdfjoin._writer); the record holds pydyf's bytes all the same."""
    import pydyf

    write = pdfjoin._writer()
    for value in _pydyf_values():
        expected = pydyf._to_bytes(value)
        assert write(value) == expected, value
        found: list[bytes] = []
        text = write(value, found)  # each reference and marker value as a NUL
        if text.count(b"\x00") == len(found):  # (else a NUL of its own: _template writes it again)
            assert text.replace(b"%", b"%%").replace(b"\x00", b"%b") % tuple(found) == expected, value
    with pytest.raises(UnicodeEncodeError):
        write(pydyf.Array(["括弧"]))


def test_an_objects_slots_are_the_references_and_markers_the_pattern_finds() -> None:
    """The writer's stand-ins become slots only where _TOKENS finds exactly them (not a reference in a string,
    nor one written by pydyf, nor a number, 0 and R apart in an array); a stream's data is never a slot."""
    import pydyf

    for value in _pydyf_values():
        stream = isinstance(value, pydyf.Stream)
        data = pydyf._to_bytes(value)
        head, content = data.split(b"\nstream\n", 1) if stream else (data, b"")
        text, found = pdfjoin._scan(head)
        if stream:
            text += b"\nstream\n" + content.replace(b"%", b"%%")
        assert pdfjoin._template(value, stream) == (text, found), value
        assert text % tuple(found) == data.replace(b"%", b"%%") % ()
    text, found = pdfjoin._template(pydyf.Dictionary({"A": b"1 0 R", "B": pydyf.String("2 0 R (x)")}))
    assert (text, found) == (b"<</A %b/B (2 0 R \\(x\\))>>", [b"1 0 R"])
    text, found = pdfjoin._template(pydyf.Array([5, 0, "R", b"\x00l2\x00"]))
    assert (text, found) == (b"[%b %b]", [b"5 0 R", b"\x00l2\x00"])
