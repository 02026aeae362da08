"""The review's parts joined into one tagged PDF by concatenation: no part is parsed again at join time.

A part is rendered by WeasyPrint into a :class:`pydyf.PDF` (objects in memory). Before anything is written,
:func:`part_record` turns it into a **part record**: every object the joined file keeps (pages, their
contents and resources, annotations, structure elements), each as a byte template in which whatever depends
on the part's place in the joined file is a slot — the object numbers it refers to, the pages'
/StructParents keys, the table-header IDs (made unique per part), the contents page's links to other parts'
pages, the page numbers the joiner draws (folio.py) and the font program shared by every part (fontshare.py:
the record lists the glyphs it uses instead). What the joined file makes anew is left out: the part's catalog,
page tree, structure root, its Document element, ParentTree, outlines, named destinations (kept as a list) and
Info.

:func:`join` fills the slots of every part (numbers offset by the part's place) and appends one catalog,
page tree, structure tree (one Document element whose kids are the parts' top elements; ParentTree; IDTree),
named destinations, bookmarks, page labels, Info, the page numbers and the shared font programs; the objects
that are not streams are packed into compressed object streams (each part's into its own), and a
cross-reference stream ends the file. Filling a slot is formatting a number: joining a 1,000-measure review is
a fraction of a second, and a part taken from the cache (:mod:`kpi_report.render.review.cache` keeps records)
is never read with a PDF parser. A part placed exactly as in an earlier join (the same record, the same
numbers, pages and links) is taken as it was placed then (:class:`Placed`: its written streams and compressed
object streams), from this process's last join or from the memo on disk: a correction's rebuild fills and
compresses only the parts that changed or moved.

The record is bytes (:func:`record_bytes`: a JSON header and a blob; never pickle) and is checked when read
back (:func:`load_record`): a damaged record is refused with :class:`RecordError`.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import sys
import zlib
from array import array
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

from kpi_report.core.diskcache import DiskCache, cache_key
from kpi_report.core.files import file_sha256
from kpi_report.render.review.folio import OBJECTS as FOLIO_OBJECTS
from kpi_report.render.review.folio import FolioFont

# slot kinds (a slot is kind + 16 * argument)
_OBJ = 0  # "N 0 R" of the part's object with dense index argument
_PAGES = 1  # "N 0 R" of the joined page tree
_DOCUMENT = 2  # "N 0 R" of the joined Document element
_KEY = 3  # a /StructParent(s) key: the part's local key argument
_ID = 4  # a table-header ID: literal string of the part's ID argument, with the part's prefix
_LINK = 5  # "N 0 R" of the page a link of the part (argument: index into links) goes to
_SELF = 6  # the object's own number (its "N 0 obj" line); argument: its dense index
_FOLIO = 7  # page numbers drawn when joining (folio.py): 0 the font, 1 the opening stream, 2 + i page i's end
_SHARED = 8  # "N 0 R" of a font program shared by every part (fontshare.py); argument: index into ``shared``
_KINDS = 16  # slot = kind + _KINDS * argument

_PAGES_NUMBER = 2
_DOCUMENT_NUMBER = 4
_MAGIC = b"KPIPART5\n"

# A literal string (pydyf escapes every parenthesis and backslash in it), a hex string, a reference, or one
# of the markers part_record puts into values: \0k<n>\0 (a key), \0i<n>\0 (an ID), \0l<n>\0 (a link target),
# \0f<n>\0 (a folio object), \0s<n>\0 (a shared font program). References and markers become slots.
_TOKENS = re.compile(rb"(\((?:[^\\()]|\\.)*\)|<[0-9A-Fa-f]*>|(?<![\w.])\d+ 0 R|\x00[kilfs]\d+\x00)", re.S)
_SLOT = re.compile(rb"\d+ 0 R|\x00[kilfs]\d+\x00")  # a value that is a reference or a marker
_MARK_KIND = {b"k": _KEY, b"i": _ID, b"l": _LINK, b"f": _FOLIO, b"s": _SHARED}
_FOLIO_FONT = b"/KpiFolio"  # the folio font's name in a part's font resources


class RecordError(ValueError):
    """A part record that cannot be used (damaged, or not made by this module)."""


@dataclass(frozen=True)
class PartRecord:
    """One part, ready to be placed into the joined file (see the module docstring)."""

    pages: int  # page count
    blob: bytes  # the kept objects one after another, each "%b 0 obj\n…\nendobj\n" with %b slots (% as %%)
    statics: tuple[int, ...]  # per object: its length once written, without what its slots add
    counts: tuple[int, ...]  # per object: how many slots it has
    slots: tuple[int, ...]  # every slot in blob order
    page_objects: tuple[int, ...]  # dense index of each page object, in page order
    kids: tuple[int, ...]  # dense indices of the part's top structure elements, in order
    parents: tuple[tuple[int, int], ...]  # ParentTree: (local key, dense index of the array or element)
    ids: tuple[str, ...]  # table-header IDs, by ID slot argument
    id_elements: tuple[tuple[int, int], ...]  # (ID index, dense index of the element that has it)
    dests: tuple[tuple[bytes, int, bytes], ...]  # named destinations: (name token, page index, rest of array)
    links: tuple[str, ...]  # link targets (``toc:…`` URIs) by link slot argument
    streams: tuple[int, ...] = ()  # dense indices of the objects that are streams (the others may be packed)
    folios: bool = False  # the joiner draws its pages' numbers (its pages have folio slots)
    shared: tuple[
        tuple[str, tuple[int, ...]], ...
    ] = ()  # fonts whose program the joiner embeds: family, glyphs
    boxes: tuple[tuple[float, float, float, float], ...] = ()  # each page's MediaBox (with folios)
    # SHA-256 of the record's bytes (load_record): keys the join's memo of placed parts; b"": not memoized
    digest: bytes = field(default=b"", compare=False, repr=False)


def _template(value: Any, stream: bool = False) -> tuple[bytes, list[bytes]]:
    """A pydyf object's bytes as a template (% as %%, each reference and marker outside its strings as a %b
    slot; a stream's data is never looked into) and the references and markers the slots stand for, in order.

    The writer (_writer) puts a NUL in place of each value that is a reference or a marker, and these are
    the slots :data:`_TOKENS` would find as long as the object has no other NUL, no other reference (say
    one written by pydyf inside a value of another type) and no literal string, which could hold either:
    then the template is made by two replacements, without a pass of the pattern (about 10 µs an object).
    Otherwise (a figure's alternative text, say: a few objects in a thousand) the object is written again
    and :func:`_scan` decides."""
    write = _writer()
    found: list[bytes] = []
    text = write(value, found)
    head, content = text.split(b"\nstream\n", 1) if stream else (text, b"")
    if b"(" in head or b" 0 R" in head or head.count(b"\x00") != len(found):
        data = write(value)
        head, content = data.split(b"\nstream\n", 1) if stream else (data, b"")
        text, found = _scan(head)
    else:
        text = head.replace(b"%", b"%%").replace(b"\x00", b"%b")
    if stream:
        text = b"".join((text, b"\nstream\n", content.replace(b"%", b"%%")))
    return text, found


def _scan(data: bytes) -> tuple[bytes, list[bytes]]:
    """``data`` as a template (% as %%, each reference and marker that :data:`_TOKENS` finds as a %b slot)
    and the references and markers, in order."""
    pieces = _TOKENS.split(data.replace(b"%", b"%%"))  # text, token, text, token, …, text
    texts, found = [pieces[0]], []
    for token, text in zip(pieces[1::2], pieces[2::2], strict=True):
        if token[:1] in b"(<":  # a string: kept as it is
            texts[-1] += token + text
        else:
            texts.append(text)
            found.append(token)
    return b"%b".join(texts), found


def _references(found: list[bytes]) -> list[int]:
    """The object numbers of the references among ``found`` (references and markers), in order."""
    return [int(token[:-4]) for token in found if token[0]]


@lru_cache(maxsize=1)
def _writer() -> Callable[..., bytes]:
    """``write(value)``: a pydyf value's bytes as pydyf writes them (its ``_to_bytes``, the objects' ``.data``),
    byte for byte; ``write(value, found)`` writes each bytes value that is a reference or a marker as a NUL,
    appended to ``found`` (see :func:`_template`).

    A part's few hundred objects and the ~10,000 items of its content streams go through it once each; it
    tells the types that make up nearly all of them (bytes, str, int, Dictionary, Array, WeasyPrint's
    streams) by their class and calls itself, where pydyf calls ``_to_bytes`` and ``isinstance`` per value and
    item. Anything else (floats, strings, other objects) is left to pydyf. tests/test_pdfjoin.py holds it to
    pydyf's bytes."""
    import pydyf

    dictionary, array, stream_type, to_bytes = pydyf.Dictionary, pydyf.Array, pydyf.Stream, pydyf._to_bytes
    is_slot = _SLOT.fullmatch

    def items(values: Mapping[Any, Any], found: list[bytes] | None) -> bytes:
        return b"<<" + b"".join([b"/" + write(k) + b" " + write(v, found) for k, v in values.items()]) + b">>"

    def write(value: Any, found: list[bytes] | None = None) -> bytes:
        kind = value.__class__
        if kind is bytes:
            leaf: bytes = value
            if found is not None and is_slot(leaf):
                found.append(leaf)
                return b"\x00"
            return leaf
        if kind is str:
            name: str = value
            return name.encode("ascii")
        if kind is int:
            return b"%d" % value
        if kind is dictionary:
            return items(value, found)
        if kind is array:
            return b"[" + b" ".join([write(v, found) for v in value]) + b"]"
        if isinstance(value, stream_type) and kind.data is stream_type.data:  # pydyf's Stream.data
            data = b"\n".join([v if v.__class__ is bytes else write(v) for v in value.stream])
            extra = dict(value.extra)
            if value.compress:
                extra["Filter"] = "/FlateDecode"
                compressor = zlib.compressobj(level=9)
                data = compressor.compress(data) + compressor.flush()
            extra["Length"] = len(data)
            return b"\n".join((items(extra, found), b"stream", data, b"endstream"))
        return bytes(to_bytes(value))

    return write


def _ref_number(value: Any) -> int:
    """The object number of a pydyf reference (b"12 0 R" or "12 0 R")."""
    text = value.decode() if isinstance(value, bytes) else str(value)
    return int(text.split()[0])


def part_record(
    pdf: Any, links: frozenset[str] | None = None, folios: bool = False, shared: Sequence[str] = ()
) -> PartRecord:
    """The record of a part WeasyPrint generated as ``pdf`` (a pydyf.PDF, tagged, not yet written).

    ``links``: URIs that are links to pages of other parts (``toc:…``); each such URI link annotation
    becomes an internal link whose page is filled in when joining. ``None``: every ``toc:`` URI.
    ``folios``: the joiner is to draw the pages' numbers (folio.py): each page's contents become
    [opening stream, its own contents, its end], and the part's font resources get the folio font.
    ``shared``: font families (TrueType, subset by WeasyPrint with their glyph IDs retained) whose program is
    left out: the record lists the glyphs each font uses and the joiner embeds one program for every part.
    """
    import pydyf

    objects = pdf.objects
    page_numbers = [int(n) for n in pdf.pages["Kids"][0::3]]  # pydyf keeps the kids as number, 0, "R"
    struct_root = objects[_ref_number(pdf.catalog["StructTreeRoot"])]
    document_number = _ref_number(struct_root["K"][0])
    document = objects[document_number]
    parent_tree = objects[_ref_number(struct_root["ParentTree"])]
    dropped = {
        pdf.catalog.number,
        pdf.pages.number,
        struct_root.number,
        parent_tree.number,
        document_number,
    }
    special = {pdf.pages.number: _PAGES, document_number: _DOCUMENT}
    shared_fonts = _leave_out_programs(objects, shared, dropped) if shared else []

    # the contents page's links to other parts: internal links whose page is known only when joining
    link_targets: list[str] = []
    for number in page_numbers:
        for ref in objects[number].get("Annots", ()):
            annotation = objects[_ref_number(ref)]
            action = annotation.get("A")
            uri = action.get("URI") if isinstance(action, dict) else None
            target = str(uri.string) if isinstance(uri, pydyf.String) else None
            if target is None or not (target in links if links is not None else target.startswith("toc:")):
                continue
            del annotation["A"]
            annotation.pop("BS", None)
            annotation["Dest"] = pydyf.Array([b"\x00l%d\x00" % len(link_targets), "/Fit"])
            annotation["Border"] = pydyf.Array([0, 0, 0])
            link_targets.append(target)
        objects[number]["StructParents"] = b"\x00k%d\x00" % int(objects[number]["StructParents"])

    boxes: list[tuple[float, float, float, float]] = []
    if folios:
        fonts_done: set[int] = set()
        for index, number in enumerate(page_numbers):
            page = objects[number]
            box = [float(v) for v in page["MediaBox"]]
            boxes.append((box[0], box[1], box[2], box[3]))
            page["Contents"] = pydyf.Array([b"\x00f1\x00", page["Contents"], b"\x00f%d\x00" % (2 + index)])
            resources = objects[_ref_number(page["Resources"])]
            fonts = resources.get("Font")
            if fonts is None:
                fonts = resources["Font"] = pydyf.Dictionary()
            elif not isinstance(fonts, dict):
                fonts = objects[_ref_number(fonts)]
            if id(fonts) not in fonts_done:
                fonts_done.add(id(fonts))
                fonts[_FOLIO_FONT[1:].decode()] = b"\x00f0\x00"

    # table-header IDs: made unique per part when joining (WeasyPrint numbers them by object number)
    ids: list[str] = []
    id_owners: list[tuple[int, int]] = []  # (ID index, element object number)

    def id_mark(value: Any) -> bytes:
        ids.append(str(value.string if isinstance(value, pydyf.String) else value))
        return b"\x00i%d\x00" % (len(ids) - 1)

    # ParentTree: its per-page arrays become objects of the part; annotation keys point at an element
    nums = list(parent_tree["Nums"])
    parent_entries: list[tuple[int, int | tuple[bytes, list[bytes]]]] = []  # (key, number or a new array)
    for index in range(0, len(nums) - 1, 2):
        key, value = int(nums[index]), nums[index + 1]
        if isinstance(value, pydyf.Array):
            parent_entries.append((key, _template(value)))
        else:
            parent_entries.append((key, _ref_number(value)))

    # what the joined file keeps: everything reachable from the pages, the top elements and the ParentTree;
    # each object written once (_template), in the order the walk reaches it (the order of the IDs)
    scanned: dict[int, tuple[bytes, list[bytes]]] = {}  # object number -> its template, its slots' values
    streams: set[int] = set()

    def keep(number: int) -> list[bytes]:
        obj = objects[number]
        if isinstance(obj, pydyf.Dictionary):
            kind = obj.get("Type")
            if kind == "/StructElem":
                if "ID" in obj:
                    obj["ID"] = id_mark(obj["ID"])
                    id_owners.append((len(ids) - 1, number))
                attributes = obj.get("A")
                if isinstance(attributes, pydyf.Dictionary) and "Headers" in attributes:
                    attributes["Headers"] = pydyf.Array([id_mark(h) for h in attributes["Headers"]])
            elif kind == "/Annot" and "StructParent" in obj:
                obj["StructParent"] = b"\x00k%d\x00" % int(obj["StructParent"])
        if isinstance(obj, pydyf.Stream):  # its dictionary, then "\nstream\n" and the data (never parsed)
            streams.add(number)
        text, found = _template(obj, number in streams)
        scanned[number] = b"%b 0 obj\n" + text + b"\nendobj\n", found
        return found

    roots = [*page_numbers, *(_ref_number(k) for k in document["K"])]
    roots += [n for _, n in parent_entries if isinstance(n, int)]
    roots += [n for _, value in parent_entries if isinstance(value, tuple) for n in _references(value[1])]
    stack = list(reversed(roots))
    while stack:
        number = stack.pop()
        if number in scanned or number in dropped:
            continue
        stack.extend(reversed(_references(keep(number))))
    order = sorted(scanned)
    dense = {number: index for index, number in enumerate(order)}
    # the slot of a reference, by the number it refers to
    slot_of = {number: _OBJ + _KINDS * index for number, index in dense.items()}
    slot_of.update(special)

    def slots_of(found: list[bytes], own: int) -> tuple[int, ...]:
        slots = [_SELF + _KINDS * own]
        for token in found:
            if not token[0]:  # a marker
                slots.append(_MARK_KIND[token[1:2]] + _KINDS * int(token[2:-1]))
                continue
            slot = slot_of.get(int(token[:-4]))
            if slot is None:
                raise RecordError(f"a reference to an object the part does not keep ({int(token[:-4])})")
            slots.append(slot)
        return tuple(slots)

    templates: list[bytes] = []
    slots: list[tuple[int, ...]] = []
    for index, number in enumerate(order):
        text, found = scanned[number]
        templates.append(text)
        slots.append(slots_of(found, index))
    parents: list[tuple[int, int]] = []
    for key, value in parent_entries:
        if isinstance(value, tuple):  # a page's MCID array: a new object of the part
            text, found = value
            parents.append((key, len(templates)))
            slots.append(slots_of(found, len(templates)))
            templates.append(b"%b 0 obj\n" + text + b"\nendobj\n")
        elif value in dense:
            parents.append((key, dense[value]))

    dests: list[tuple[bytes, int, bytes]] = []
    write = _writer()
    names = pdf.catalog.get("Names")
    found_dests = names.get("Dests") if isinstance(names, dict) else None
    if isinstance(found_dests, dict):
        entries = list(found_dests["Names"])
        page_index = {number: i for i, number in enumerate(page_numbers)}
        for index in range(0, len(entries) - 1, 2):
            name, target = entries[index], entries[index + 1]
            token = write(name if isinstance(name, pydyf.String) else pydyf.String(name))
            page = page_index.get(_ref_number(target[0]))
            if page is None:
                continue
            rest = write(pydyf.Array(target[1:]))[1:-1]
            dests.append((token, page, rest))
    return PartRecord(
        pages=len(page_numbers),
        blob=b"".join(templates),
        statics=tuple(len(t % ((b"",) * len(own))) for t, own in zip(templates, slots, strict=True)),
        counts=tuple(len(own) for own in slots),
        slots=tuple(slot for own in slots for slot in own),
        page_objects=tuple(dense[n] for n in page_numbers),
        kids=tuple(dense[_ref_number(k)] for k in document["K"] if _ref_number(k) in dense),
        parents=tuple(parents),
        ids=tuple(ids),
        id_elements=tuple((i, dense[n]) for i, n in id_owners if n in dense),
        dests=tuple(dests),
        links=tuple(link_targets),
        streams=tuple(dense[n] for n in order if n in streams),
        folios=folios,
        boxes=tuple(boxes),
        shared=tuple(shared_fonts),
    )


def font_name_suffix(family: str) -> bytes:
    """How the PDF name of a font of ``family`` ends (b"+IPAexGothic"): what ties a part's font to a shared
    program (WeasyPrint names a font ``/<hash>+<family, blanks as dashes>``)."""
    return ("+" + family.replace(" ", "-")).encode()


def _leave_out_programs(
    objects: Sequence[Any], families: Sequence[str], dropped: set[int]
) -> list[tuple[str, tuple[int, ...]]]:
    """Replace the FontFile2 of each CID font of ``families`` by a shared-program slot (its stream goes into
    ``dropped``); the glyph IDs each uses (the keys of its /W widths, and .notdef), in slot order."""
    import pydyf

    suffixes = {font_name_suffix(family): family for family in families}
    found: list[tuple[str, tuple[int, ...]]] = []
    for obj in objects:
        if not isinstance(obj, pydyf.Dictionary) or obj.get("Subtype") != "/CIDFontType2":
            continue
        descriptor = objects[_ref_number(obj["FontDescriptor"])]
        name = descriptor.get("FontName")
        name = name.encode() if isinstance(name, str) else bytes(name or b"")
        family = next((f for suffix, f in suffixes.items() if name.endswith(suffix)), None)
        if family is None or "FontFile2" not in descriptor:
            continue
        glyphs, widths = {0}, list(obj.get("W", ()))
        for start, run in zip(widths[0::2], widths[1::2], strict=False):
            glyphs.update(range(int(start), int(start) + len(run)))
        dropped.add(_ref_number(descriptor["FontFile2"]))
        descriptor["FontFile2"] = b"\x00s%d\x00" % len(found)
        found.append((family, tuple(sorted(glyphs))))
    return found


def _array(values: Sequence[int]) -> bytes:
    data = array("q", values)
    if sys.byteorder != "little":
        data.byteswap()
    return data.tobytes()


def _unarray(data: bytes | memoryview) -> list[int]:
    values = array("q")
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return values.tolist()


def record_bytes(record: PartRecord) -> bytes:
    """The record as bytes: magic; the JSON header's length and the header; the objects' template lengths,
    slot counts and slots as 64-bit little-endian integers (each array preceded by its length); the blob."""
    header = json.dumps(
        {
            "pages": record.pages,
            "blob": len(record.blob),
            "page_objects": list(record.page_objects),
            "kids": list(record.kids),
            "parents": [list(p) for p in record.parents],
            "ids": list(record.ids),
            "id_elements": [list(p) for p in record.id_elements],
            "dests": [[d[0].decode("latin-1"), d[1], d[2].decode("latin-1")] for d in record.dests],
            "links": list(record.links),
            "streams": list(record.streams),
            "folios": record.folios,
            "shared": [[family, list(glyphs)] for family, glyphs in record.shared],
            "boxes": [list(b) for b in record.boxes],
        },
        separators=(",", ":"),
        ensure_ascii=True,
    ).encode()
    chunks = [_MAGIC, len(header).to_bytes(8, "little"), header]
    for values in (
        record.statics,
        record.counts,
        record.slots,
    ):
        chunks += [len(values).to_bytes(8, "little"), _array(values)]
    return b"".join(chunks) + record.blob


def load_record(data: bytes) -> PartRecord:
    """A record from :func:`record_bytes`'s output, checked for consistency (not for every slot: a slot out
    of range fails :func:`join` with a RecordError).

    Raises:
        RecordError: the bytes are not a whole record.
    """
    view = memoryview(data)
    if not data.startswith(_MAGIC):
        raise RecordError("not a part record")
    try:
        at = len(_MAGIC)
        size = int.from_bytes(view[at : at + 8], "little")
        header = json.loads(bytes(view[at + 8 : at + 8 + size]))
        at += 8 + size
        arrays = []
        for _ in range(3):
            count = int.from_bytes(view[at : at + 8], "little")
            if at + 8 + 8 * count > len(data):
                raise RecordError("a truncated part record")
            arrays.append(_unarray(view[at + 8 : at + 8 + 8 * count]))
            at += 8 + 8 * count
        statics, counts, flat = arrays
        if len(statics) != len(counts) or sum(counts) != len(flat):
            raise RecordError("the record's objects do not add up")
        if header["blob"] != len(data) - at or min(statics, default=0) < 0 or min(counts, default=0) < 0:
            raise RecordError("a damaged part record")
        objects = len(statics)
        record = PartRecord(
            pages=int(header["pages"]),
            blob=data[at:],
            statics=tuple(statics),
            counts=tuple(counts),
            slots=tuple(flat),
            page_objects=_ints(header["page_objects"]),
            kids=_ints(header["kids"]),
            parents=tuple((int(k), int(d)) for k, d in header["parents"]),
            ids=tuple(str(i) for i in header["ids"]),
            id_elements=tuple((int(i), int(d)) for i, d in header["id_elements"]),
            dests=tuple(
                (str(n).encode("latin-1"), int(p), str(r).encode("latin-1")) for n, p, r in header["dests"]
            ),
            links=tuple(str(u) for u in header["links"]),
            streams=_ints(header["streams"]),
            folios=header["folios"] is True,
            shared=tuple((str(f), _ints(g)) for f, g in header["shared"]),
            boxes=tuple(_box(b) for b in header["boxes"]),
            digest=hashlib.sha256(data).digest(),
        )
    except RecordError:
        raise
    except (ValueError, KeyError, TypeError, UnicodeError, OverflowError) as error:
        raise RecordError(f"a damaged part record ({type(error).__name__})") from error
    if len(record.page_objects) != record.pages or not all(
        0 <= d < objects
        for d in (
            *record.page_objects,
            *record.kids,
            *(p[1] for p in record.parents),
            *(e[1] for e in record.id_elements),
            *record.streams,
        )
    ):
        raise RecordError("the record points outside its objects")
    if record.folios and len(record.boxes) != record.pages:
        raise RecordError("the record's page boxes do not add up")
    if not all(0 <= i < len(record.ids) for i, _ in record.id_elements) or not all(
        0 <= p < record.pages for _, p, _ in record.dests
    ):
        raise RecordError("the record points outside its objects")
    return record


def record_has_folios(data: bytes) -> bool:
    """Whether the record ``data`` has its page numbers drawn when joining (so its bytes do not depend on
    where it starts); reads only the header (False for bytes that are not a record)."""
    if not data.startswith(_MAGIC):
        return False
    at = len(_MAGIC)
    try:
        size = int.from_bytes(data[at : at + 8], "little")
        return json.loads(data[at + 8 : at + 8 + size]).get("folios") is True
    except (ValueError, AttributeError):
        return False


def _box(value: Any) -> tuple[float, float, float, float]:
    if not isinstance(value, list) or len(value) != 4 or not all(type(v) in (int, float) for v in value):
        raise RecordError("a page box of four numbers expected")
    return (float(value[0]), float(value[1]), float(value[2]), float(value[3]))


def _ints(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(type(v) is int for v in value):
        raise RecordError("a list of integers expected")
    return tuple(value)


# ---------------------------------------------------------------------------------------------- joining


@dataclass(frozen=True)
class Bookmark:
    """A PDF bookmark: title, page index in the joined file, parent bookmark index (or None)."""

    title: str
    page_index: int
    parent: int | None = None


def pdf_string(text: str) -> bytes:
    """A PDF text string: literal for ASCII (parentheses and backslashes escaped), else UTF-16BE hex."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        return b"<feff" + text.encode("utf-16-be").hex().encode() + b">"
    if _PLAIN.fullmatch(raw):  # the usual case (IDs, dates): nothing to escape
        return b"(" + raw + b")"
    return b"(" + re.sub(rb"([\\()])", rb"\\\1", raw).replace(b"\r", b"\\r").replace(b"\n", b"\\n") + b")"


_PLAIN = re.compile(rb"[^\\()\r\n]*")


class _Out:
    """The joined file as it is written: chunks and the offset of every object written directly; the objects
    that are not streams are packed into compressed object streams: a part's own as it is placed (:func:`_place`),
    the joined file's own ones (catalog, trees, bookmarks …) in :meth:`finish`."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = [b"%PDF-1.7\n%\xf0\x9f\x96\xa4\n"]
        self.size = len(self.chunks[0])
        self.offsets: dict[int, int] = {}
        self.packed: list[tuple[int, bytes | memoryview]] = []  # (number, body) of the objects to pack
        self.packs: list[Pack] = []  # the parts' object streams, made already

    def put(self, number: int, data: bytes) -> None:
        """An object already written out ("N 0 obj … endobj")."""
        self.offsets[number] = self.size
        self.chunks.append(data)
        self.size += len(data)

    def add(self, number: int, body: bytes) -> None:
        """Object ``number`` with ``body``: a stream is written now, anything else packed later."""
        if body.endswith(b"endstream"):
            self.put(number, b"%d 0 obj\n" % number + body + b"\nendobj\n")
        else:
            self.packed.append((number, body))

    def place(self, placed: Placed) -> None:
        """A part's objects: its streams written now, its object streams numbered in :meth:`finish`."""
        for number, offset in placed.written:
            self.offsets[number] = self.size + offset
        if placed.chunk:
            self.chunks.append(placed.chunk)
            self.size += len(placed.chunk)
        self.packs.extend(placed.packs)

    def finish(self, size: int, root: int, info: int) -> bytes:
        """The file: the object streams (numbered from ``size``: the parts', then the joined file's own), then
        the cross-reference stream. Most of a tagged review is small dictionaries (structure elements): packed
        and compressed they take about a fifth of their plain size."""
        where: dict[int, tuple[int, int]] = {}  # packed object -> (its object stream, index in it)
        number = size
        for numbers, first, data in (*self.packs, *_packs(self.packed)):
            where.update((packed, (number, index)) for index, packed in enumerate(numbers))
            self.put(
                number,
                b"%d 0 obj\n<</Type /ObjStm/N %d/First %d/Filter /FlateDecode/Length %d>>\nstream\n"
                % (number, len(numbers), first, len(data))
                + data
                + b"\nendstream\nendobj\n",
            )
            number += 1
        xref, total = number, number + 1
        if sorted([*self.offsets, *where, xref]) != list(range(1, total)):
            raise RecordError("the joined file's objects are not numbered 1 to N")
        self.offsets[xref] = self.size
        row = struct.Struct(">BIH").pack  # the /W [1 4 2] of each row: type, offset or stream, index
        rows = [row(0, 0, 0xFFFF)]  # object 0: the head of the free list
        for n in range(1, total):
            found = where.get(n)
            rows.append(row(1, self.offsets[n], 0) if found is None else row(2, found[0], found[1]))
        table = zlib.compress(b"".join(rows), _LEVEL)
        self.chunks.append(
            b"%d 0 obj\n<</Type /XRef/Size %d/W [1 4 2]/Root %d 0 R/Info %d 0 R/Filter /FlateDecode/Length %d>>"
            b"\nstream\n"
            % (xref, total, root, info, len(table))
            + table
            + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % self.size
        )
        return b"".join(self.chunks)


Pack = tuple[tuple[int, ...], int, bytes]  # an object stream: its objects' numbers, /First, compressed data


def _packs(objects: Sequence[tuple[int, bytes | memoryview]]) -> list[Pack]:
    """``objects`` ((number, body), in order) packed into object streams of at most :data:`_PACK` objects."""
    made: list[Pack] = []
    for start in range(0, len(objects), _PACK):
        batch = objects[start : start + _PACK]
        numbers = tuple(packed for packed, _ in batch)
        bodies = [body for _, body in batch]
        starts = accumulate((len(body) + 1 for body in bodies), initial=0)
        head = b" ".join(b"%d %d" % pair for pair in zip(numbers, starts, strict=False)) + b"\n"
        made.append((numbers, len(head), zlib.compress(head + b"\n".join(bodies) + b"\n", _LEVEL)))
    return made


@dataclass(frozen=True)
class Placed:
    """A part's objects as the joined file holds them at one place (numbers from its base): its streams
    written out one after another (``chunk``; ``written``: each one's number and offset in it) and its other
    objects packed into its own object streams (``packs``). What :func:`join` keeps of a part between joins
    (in this process, and on disk: :func:`placed_bytes`)."""

    chunk: bytes
    written: tuple[tuple[int, int], ...]
    packs: tuple[Pack, ...]


def _place(part: PartRecord, fill: Callable[[int], bytes], base: int) -> Placed:
    """``part`` placed with its objects numbered from ``base`` (its slots filled by ``fill``)."""
    chunk: list[bytes] = []
    written: list[tuple[int, int]] = []
    packed: list[tuple[int, bytes | memoryview]] = []
    at = 0
    for number, data, stream in _fill(part, fill, base):
        if stream:
            written.append((number, at))
            chunk.append(bytes(data))
            at += len(data)
        else:
            packed.append((number, data))
    return Placed(b"".join(chunk), tuple(written), tuple(_packs(packed)))


_PLACED_MAGIC = b"KPIPLACED1\n"


def placed_bytes(placed: Placed) -> bytes:
    """``placed`` as bytes (never pickle): magic; the JSON header's length and the header (the written
    objects' numbers and offsets, each object stream's numbers, /First and length); the chunk; the object
    streams' data."""
    header = json.dumps(
        {
            "written": [list(w) for w in placed.written],
            "chunk": len(placed.chunk),
            "packs": [[list(numbers), first, len(data)] for numbers, first, data in placed.packs],
        },
        separators=(",", ":"),
    ).encode()
    return b"".join(
        [
            _PLACED_MAGIC,
            len(header).to_bytes(8, "little"),
            header,
            placed.chunk,
            *(d for _, _, d in placed.packs),
        ]
    )


def load_placed(data: bytes, base: int, count: int, streams: Collection[int] | None = None) -> Placed | None:
    """:func:`placed_bytes`'s part back, if it is one whole and numbers exactly the objects ``base`` to
    ``base + count - 1`` (each once; the written ones framed one after another in the chunk; with ``streams``,
    the part's streams by their index in it, exactly those written), and each object stream's own header
    lists its numbers, in order, ending at its /First; else None."""
    if not data.startswith(_PLACED_MAGIC):
        return None
    try:
        at = len(_PLACED_MAGIC)
        size = int.from_bytes(data[at : at + 8], "little")
        header = json.loads(data[at + 8 : at + 8 + size])
        at += 8 + size
        written = tuple((int(n), int(o)) for n, o in header["written"])
        chunk_size = int(header["chunk"])
        chunk = data[at : at + chunk_size]
        at += chunk_size
        packs: list[Pack] = []
        for numbers, first, length in header["packs"]:
            if type(first) is not int or type(length) is not int or first < 0 or length <= 0:
                return None
            packs.append((_ints(numbers), first, data[at : at + length]))
            at += length
    except (ValueError, KeyError, TypeError, RecordError):
        return None
    offsets = [o for _, o in written]
    numbers = [n for n, _ in written] + [n for found, _, _ in packs for n in found]
    if (
        at != len(data)
        or len(chunk) != chunk_size
        or offsets != sorted(set(offsets))
        or (offsets and (offsets[0] != 0 or offsets[-1] >= chunk_size))
        or (not offsets and chunk_size)
        or any(not 0 < len(found) <= _PACK for found, _, _ in packs)
        or sorted(numbers) != list(range(base, base + count))
        or (streams is not None and sorted(n for n, _ in written) != sorted(base + s for s in streams))
        or not all(_pack_head_fits(found, first, packed) for found, first, packed in packs)
    ):
        return None
    ends = [*offsets[1:], chunk_size]  # each written object framed as "N 0 obj\n … endobj\n", end to end
    if not all(
        chunk.startswith(b"%d 0 obj\n" % number, start) and chunk.endswith(b"\nendobj\n", start, end)
        for (number, start), end in zip(written, ends, strict=True)
    ):
        return None
    return Placed(chunk, written, tuple(packs))


def _pack_head_fits(numbers: Sequence[int], first: int, data: bytes) -> bool:
    """Whether the object stream ``data`` begins with a header that lists ``numbers`` in order (the first at
    offset 0) and is exactly ``first`` bytes long: where a PDF reader finds each object by the cross-reference
    stream. Only the header is decompressed (~10 ms for every part of a 1,000-measure review)."""
    try:
        head = zlib.decompressobj().decompress(data, first + 1)
    except zlib.error:
        return False
    fields = head[: first - 1].split(b" ")
    return (
        len(head) > first
        and head[first - 1 : first] == b"\n"
        and len(fields) == 2 * len(numbers)
        and fields[1] == b"0"
        and fields[0::2] == [b"%d" % n for n in numbers]
    )


@lru_cache(maxsize=1)
def _own_code() -> str:
    """SHA-256 of this module's source: how a part is placed (a memo made by other code is not used)."""
    try:
        return file_sha256(Path(__file__))
    except OSError:
        return "unreadable"


_PACK = 500  # objects per object stream
_LEVEL = 3  # zlib level of the object and cross-reference streams (6: 0.06 s more per build for 3 % less)


Filled = list[tuple[int, bytes | memoryview, bool]]  # a part's objects: (number, bytes, written as they are)


def _fill(part: PartRecord, fill: Callable[[int], bytes], base: int) -> Filled:
    """``part``'s objects (numbers from ``base``) with their slots filled (``fill(slot)``: its bytes): a stream
    as its whole "N 0 obj … endobj", any other object as its body (to be packed into an object stream)."""
    table: dict[int, bytes] = {}
    for slot in set(part.slots):  # object numbers inline: most slots are references
        kind = slot % _KINDS
        if kind == _OBJ:
            table[slot] = b"%d 0 R" % (base + slot // _KINDS)
        elif kind == _SELF:
            table[slot] = b"%d" % (base + slot // _KINDS)
        else:
            table[slot] = fill(slot)
    values = list(map(table.__getitem__, part.slots))
    data = part.blob % tuple(values)
    if len(values) != len(part.slots):
        raise RecordError("a part record whose slots do not fit")
    added = list(accumulate(map(len, values), initial=0))
    bounds = list(accumulate(part.counts, initial=0))
    lengths = [
        static + added[end] - added[start]
        for static, start, end in zip(part.statics, bounds, bounds[1:], strict=False)
    ]
    if sum(lengths) != len(data):
        raise RecordError("a part record whose objects do not add up")
    streams = set(part.streams)
    view = memoryview(data)  # slices of it are not copies
    filled: Filled = []
    add = filled.append
    at = 0
    for index, length in enumerate(lengths):
        number = base + index
        if index in streams:
            add((number, data[at : at + length], True))
        else:  # "N 0 obj\n" + body + "\nendobj\n": the body is packed
            add((number, view[at + len(str(number)) + 7 : at + length - 8], False))
        at += length
    return filled


# The parts placed by the last join in this process, by everything that decides them (the record and each value
# its slots take): a watching build joins again after a correction, and the parts before and after it are
# placed with the same numbers when the corrected part keeps its object count. Replaced at each join.
_PLACED: dict[tuple[Any, ...], Placed] = {}


def join(
    parts: Sequence[PartRecord],
    bookmarks: Sequence[Bookmark],
    metadata: Mapping[str, str],
    links: Mapping[str, int],
    front_pages: int,
    lang: str = "ja",
    folio: FolioFont | None = None,
    fonts: Mapping[str, Callable[[Sequence[int]], bytes]] | None = None,
    memo: DiskCache | None = None,
) -> bytes:
    """The joined PDF of ``parts`` (in file order, the front matter first).

    ``links`` maps each link target URI (``toc:…``) to the page index it goes to; ``front_pages``: the pages
    labelled 表紙・目次 (the body pages are labelled 1, 2, …). ``metadata``: Info entries ("/Title" …).
    ``folio``: the font the body pages' numbers are drawn in (on the pages of parts made with folios;
    ``None``: no numbers drawn). ``fonts``: by family, what makes the shared font program (a stream object's
    body) holding the given glyphs, for the parts made with ``shared`` fonts. Object numbers: 1 catalog, 2 page tree, 3 structure root, 4 Document
    element, then each part's objects in part order, then the folios' font and streams, the ParentTree,
    IDTree, destinations, bookmarks and Info.
    """
    total_pages = sum(p.pages for p in parts)
    bases: list[int] = []
    first_pages: list[int] = []
    annotation_keys: list[int] = []
    number, page, annotations = _DOCUMENT_NUMBER + 1, 0, total_pages
    for part in parts:
        bases.append(number)
        first_pages.append(page)
        annotation_keys.append(annotations)
        number += len(part.statics)
        page += part.pages
        annotations += sum(1 for key, _ in part.parents if key >= part.pages)
    page_refs = [
        b"%d 0 R" % (base + d) for part, base in zip(parts, bases, strict=True) for d in part.page_objects
    ]
    # the folios' objects: the font (FOLIO_OBJECTS), the stream opening every page, the end of a page without
    # a number, then each numbered page's end (its folio)
    # one program per shared font family, holding every part's glyphs
    glyphs: dict[str, set[int]] = {}
    for part in parts:
        for family, used in part.shared:
            glyphs.setdefault(family, set()).update(used)
    programs: dict[str, int] = {}
    for family in sorted(glyphs):
        if fonts is None or family not in fonts:
            raise RecordError(f"a part leaves out the program of {family}, and none is given")
        programs[family] = number
        number += 1
    uses_folios = any(part.folios for part in parts)
    font_objects = FOLIO_OBJECTS if uses_folios and folio is not None else 0
    folio_font, opening, plain = number, number + font_objects, number + font_objects + 1
    number += font_objects + 2 if uses_folios else 0
    ends: dict[int, int] = {}  # page index -> its end stream's number
    drawn: list[tuple[int, tuple[float, float, float, float]]] = []
    for part, first in zip(parts, first_pages, strict=True):
        if folio is not None and part.folios:
            for local, box in enumerate(part.boxes):
                if first + local >= front_pages:
                    ends[first + local] = number
                    drawn.append((first + local, box))
                    number += 1
    out = _Out()
    kids: list[bytes] = []
    nums: list[tuple[int, bytes]] = []
    id_tree: list[tuple[bytes, bytes]] = []
    dests: dict[bytes, bytes] = {}
    fixed = {_PAGES: b"%d 0 R" % _PAGES_NUMBER, _DOCUMENT: b"%d 0 R" % _DOCUMENT_NUMBER}
    placed_now: dict[tuple[Any, ...], Placed] = {}
    for index, (part, base) in enumerate(zip(parts, bases, strict=True)):
        prefix = (b"p%d-" % index).decode()
        first, annotation_start = first_pages[index], annotation_keys[index]

        def key_of(
            local: int, part: PartRecord = part, first: int = first, start: int = annotation_start
        ) -> int:
            return first + local if local < part.pages else start + local - part.pages

        ids = _Ids(prefix, part.ids)
        shared_refs = [b"%d 0 R" % programs[family] for family, _ in part.shared]
        link_values = [page_refs[links[u]] if u in links else b"null" for u in part.links]

        def fill(
            slot: int,
            base: int = base,
            key_of: Any = key_of,
            ids: _Ids = ids,
            link_values: list[bytes] = link_values,
            first: int = first,
            shared_refs: list[bytes] = shared_refs,
            pages: int = part.pages,
            folios: bool = part.folios,
        ) -> bytes:
            kind, argument = divmod(slot, _KINDS)[::-1]
            if kind == _OBJ:
                return b"%d 0 R" % (base + argument)
            if kind == _SELF:
                return b"%d" % (base + argument)
            if kind == _KEY:
                return b"%d" % key_of(argument)
            if kind == _ID:
                return ids[argument]
            if kind == _LINK:
                return link_values[argument]
            if kind == _SHARED:
                return shared_refs[argument]
            if kind == _FOLIO:
                if not folios:  # the memo keys on the folio values of parts numbered when joining only
                    raise ValueError("a folio slot in a part not numbered when joining")
                if argument == 0:  # null: no numbers drawn, the entry is as good as absent
                    return b"%d 0 R" % folio_font if folio is not None else b"null"
                if argument == 1:
                    return b"%d 0 R" % opening
                if not 0 <= argument - 2 < pages:  # only its own pages' ends (the memo keys on them)
                    raise ValueError("a folio slot beyond the part's pages")
                return b"%d 0 R" % ends.get(first + argument - 2, plain)
            return fixed[kind]

        folio_values = (
            (
                folio_font if folio is not None else None,
                opening,
                plain,
                *(ends.get(first + i) for i in range(part.pages)),
            )
            if part.folios
            else ()
        )
        memo_key = (
            part,
            index,
            base,
            first,
            annotation_start,
            tuple(link_values),
            tuple(shared_refs),
            folio_values,
        )
        placed = _PLACED.get(memo_key)
        stored = None  # the disk memo's key, while the part is still to be stored there
        if placed is None and memo is not None and part.digest:
            stored = _stored_key(memo_key)
            found = memo.get(stored)
            placed = load_placed(found, base, len(part.statics), part.streams) if found is not None else None
            stored = None if placed is not None else stored
        if placed is None:
            try:
                placed = _place(part, fill, base)
            except (
                IndexError,
                KeyError,
                TypeError,
                ValueError,
            ) as error:  # a slot out of range, a count wrong
                raise RecordError(f"a part record that does not fit ({type(error).__name__})") from error
            if stored is not None:
                assert memo is not None
                memo.put(stored, placed_bytes(placed))
        placed_now[memo_key] = placed
        out.place(placed)
        kids.extend(b"%d 0 R" % (base + d) for d in part.kids)
        nums.extend((key_of(key), b"%d 0 R" % (base + d)) for key, d in part.parents)
        id_tree.extend((ids[i], b"%d 0 R" % (base + d)) for i, d in part.id_elements)
        for name, page_index, rest in part.dests:
            dests.setdefault(name, b"[" + page_refs[first + page_index] + b" " + rest + b"]")

    for family, at in programs.items():
        assert fonts is not None
        out.add(at, fonts[family](sorted(glyphs[family])))
    if uses_folios:
        if folio is not None:
            for at, body in folio.objects(folio_font):
                out.add(at, body)
        out.add(opening, _stream(b"q\n"))
        out.add(plain, _stream(b"\nQ\n"))
        for page_index, box in drawn:
            assert folio is not None
            folio_text = folio.draw(page_index - front_pages + 1, box, _FOLIO_FONT)
            out.add(ends[page_index], _stream(b"\nQ\n" + folio_text))
    parent_tree, number = number, number + 1
    out.add(parent_tree, b"<</Nums [" + b" ".join(b"%d %b" % pair for pair in sorted(nums)) + b"]>>")
    root = b"<</Type /StructTreeRoot/K [%d 0 R]/ParentTree %d 0 R/ParentTreeNextKey %d" % (
        _DOCUMENT_NUMBER,
        parent_tree,
        annotations,
    )
    if id_tree:
        out.add(number, b"<</Names [" + b" ".join(b"%b %b" % pair for pair in sorted(id_tree)) + b"]>>")
        root += b"/IDTree %d 0 R" % number
        number += 1
    out.add(3, root + b">>")
    out.add(
        _DOCUMENT_NUMBER,
        b"<</Type /StructElem/S /Document/P 3 0 R/K [" + b" ".join(kids) + b"]>>",
    )
    out.add(_PAGES_NUMBER, b"<</Type /Pages/Kids [" + b" ".join(page_refs) + b"]/Count %d>>" % total_pages)
    catalog = b"<</Type /Catalog/Pages %d 0 R" % _PAGES_NUMBER
    if dests:
        names = b" ".join(name + b" " + dests[name] for name in sorted(dests, key=_string_key))
        out.add(number, b"<</Dests <</Names [" + names + b"]>>>>")
        catalog += b"/Names %d 0 R" % number
        number += 1
    if bookmarks:
        number = _outline(out, number, bookmarks, page_refs)
        catalog += b"/Outlines %d 0 R" % (number - 1)
    labels = []
    if front_pages:
        labels.append(b"0 <</P " + pdf_string("表紙・目次") + b">>")
    if total_pages > front_pages:
        labels.append(b"%d <</S /D/St 1>>" % front_pages)
    if labels:
        catalog += b"/PageLabels <</Nums [" + b" ".join(labels) + b"]>>"
    catalog += b"/StructTreeRoot 3 0 R/MarkInfo <</Marked true>>/Lang " + pdf_string(lang)
    catalog += b"/ViewerPreferences <</DisplayDocTitle true>>>>"
    out.add(1, catalog)
    info = number
    out.add(info, b"<<" + b"".join(_name(k) + b" " + pdf_string(v) for k, v in metadata.items()) + b">>")
    joined = out.finish(info + 1, 1, info)
    _PLACED.clear()
    _PLACED.update(placed_now)
    return joined


class _Ids:
    """A part's element IDs as PDF strings (``p<index>-`` + the ID), each made when first asked for: a part
    taken from the memo needs only those of its elements in the IDTree (3,000 of 17,600 in a 1,000-measure
    review)."""

    def __init__(self, prefix: str, ids: Sequence[str]) -> None:
        self.prefix, self.ids = prefix, ids
        self.made: dict[int, bytes] = {}

    def __getitem__(self, index: int) -> bytes:
        made = self.made.get(index)
        if made is None:
            made = self.made[index] = pdf_string(self.prefix + self.ids[index])
        return made


def _stored_key(memo_key: tuple[Any, ...]) -> str:
    """The disk memo's key of a placed part: its record's digest, every value its slots take, this code, the
    packing settings and zlib's version (the compressed bytes are zlib's)."""
    part = memo_key[0]
    return cache_key(
        "placed-part",
        _own_code(),
        zlib.ZLIB_RUNTIME_VERSION,
        f"{_PACK}/{_LEVEL}",
        part.digest,
        repr(memo_key[1:]),
    )


def _stream(data: bytes) -> bytes:
    return b"<</Length %d>>\nstream\n%b\nendstream" % (len(data), data)


def _string_key(token: bytes) -> bytes:
    """Sort key of a name-tree key written as a PDF string token: its bytes (hex strings decoded)."""
    if token.startswith(b"<"):
        return bytes.fromhex(token[1:-1].decode())
    return re.sub(rb"\\(.)", rb"\1", token[1:-1], flags=re.S)


def _name(key: str) -> bytes:
    return ("/" + key.lstrip("/")).encode("ascii")


def _outline(out: _Out, number: int, bookmarks: Sequence[Bookmark], page_refs: Sequence[bytes]) -> int:
    """Write the bookmarks (numbers ``number`` …) and their root (the last number); returns the next number."""
    items = list(bookmarks)
    numbers = [number + i for i in range(len(items))]
    root = number + len(items)
    children: dict[int | None, list[int]] = {}
    for i, item in enumerate(items):
        children.setdefault(item.parent, []).append(i)
    for i, item in enumerate(items):
        siblings = children[item.parent]
        at = siblings.index(i)
        parent = root if item.parent is None else numbers[item.parent]
        body = b"<</Title " + pdf_string(item.title) + b"/Parent %d 0 R" % parent
        if at > 0:
            body += b"/Prev %d 0 R" % numbers[siblings[at - 1]]
        if at + 1 < len(siblings):
            body += b"/Next %d 0 R" % numbers[siblings[at + 1]]
        own = children.get(i, [])
        if own:
            body += b"/First %d 0 R/Last %d 0 R/Count %d" % (numbers[own[0]], numbers[own[-1]], len(own))
        target = page_refs[item.page_index] if 0 <= item.page_index < len(page_refs) else b"null"
        body += b"/Dest [" + target + b" /Fit]>>"
        out.add(numbers[i], body)
    top = children.get(None, [])
    out.add(
        root,
        b"<</Type /Outlines/First %d 0 R/Last %d 0 R/Count %d>>"
        % (numbers[top[0]], numbers[top[-1]], len(items))
        if top
        else b"<</Type /Outlines/Count 0>>",
    )
    return root + 1
