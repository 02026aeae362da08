"""One structure tree for the joined review: the tagged parts' trees merged in page order (PDF/UA-style tagging).

WeasyPrint (``pdf_tags=True``) tags each part it writes: a StructTreeRoot with one Document element whose
kids follow the part's pages (headings H1–H3, tables with TH/TD and their Headers, figures with the SVG
<title> as alternative text), a ParentTree mapping each page's marked-content IDs (MCIDs) and each link
annotation back to its element. pypdf joins the parts' pages but not their trees. :func:`join_structure`
copies every part's elements under one Document element, in the order the parts appear in the joined
file (front matter first), and rebuilds what points across: each element's page (/Pg), the pages'
/StructParents and the annotations' /StructParent keys, the ParentTree, and the table-header IDs (made
unique per part, with an IDTree). MCIDs stay as they are: they are local to a page and pages are copied
whole. The catalog says the document is tagged (MarkInfo), its language and that viewers show its title.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

_SKIP = frozenset({"/P", "/Pg", "/K", "/ID", "/A"})  # rebuilt by the copier; every other key copied as is


class _PartCopier:
    """Copies one part's structure elements into the joined writer."""

    def __init__(self, writer: PdfWriter, reader: PdfReader, offset: int, prefix: str) -> None:
        self.writer = writer
        self.prefix = prefix
        self.pages = {
            page.indirect_reference.idnum: writer.pages[offset + i].indirect_reference
            for i, page in enumerate(reader.pages)
            if page.indirect_reference is not None
        }
        self.copied: dict[int, IndirectObject] = {}  # the part's element object number -> its copy
        self.annotations: dict[int, IndirectObject] = {}  # the part's annotation number -> the joined one
        for i, page in enumerate(reader.pages):
            joined = writer.pages[offset + i].get("/Annots") or ArrayObject()
            own = page.get("/Annots") or ArrayObject()
            for theirs, ours in zip(own, joined, strict=False):
                if isinstance(theirs, IndirectObject) and isinstance(ours, IndirectObject):
                    self.annotations[theirs.idnum] = ours
        self.ids: list[tuple[str, IndirectObject]] = []

    def of(self, ref: IndirectObject, parent: IndirectObject) -> IndirectObject:
        """The copy of an element; one outside the tree (a running header's text) is copied on its own."""
        return self.copied.get(ref.idnum) or self.element(ref, parent)

    def _id(self, value: Any) -> TextStringObject:
        return TextStringObject(f"{self.prefix}{value}")

    def element(self, ref: IndirectObject, parent: IndirectObject) -> IndirectObject:
        source: Any = ref.get_object()
        copy = DictionaryObject()
        new_ref = self.writer._add_object(copy)
        self.copied[ref.idnum] = new_ref
        for key, value in source.items():
            if key not in _SKIP:
                copy[NameObject(key)] = (
                    value.clone(self.writer) if not isinstance(value, IndirectObject) else value
                )
        copy[NameObject("/P")] = parent
        if "/Pg" in source:
            copy[NameObject("/Pg")] = self.pages[source.raw_get("/Pg").idnum]
        if "/ID" in source:
            copy[NameObject("/ID")] = self._id(source["/ID"])
            self.ids.append((str(copy["/ID"]), new_ref))
        if "/A" in source:
            copy[NameObject("/A")] = self._attributes(source["/A"])
        kids = source.get("/K", ArrayObject())
        copy[NameObject("/K")] = ArrayObject(
            self._kid(kid, new_ref) for kid in (kids if isinstance(kids, ArrayObject) else [kids])
        )
        return new_ref

    def _attributes(self, attributes: DictionaryObject) -> DictionaryObject:
        copy = DictionaryObject()
        items: Any = attributes.get_object()
        for key, value in items.items():
            if key == "/Headers":
                copy[NameObject(key)] = ArrayObject(self._id(h) for h in value)
            else:
                copy[NameObject(key)] = value.clone(self.writer)
        return copy

    def _kid(self, kid: Any, parent: IndirectObject) -> Any:
        if not isinstance(kid, IndirectObject):
            return NumberObject(int(kid))  # a marked-content ID on the element's page
        target: Any = kid.get_object()
        kind = target.get("/Type")
        if kind == "/OBJR":  # a link annotation
            objr = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/OBJR"),
                    NameObject("/Obj"): self.annotations[target.raw_get("/Obj").idnum],
                    NameObject("/Pg"): self.pages[target.raw_get("/Pg").idnum],
                }
            )
            return self.writer._add_object(objr)
        if kind == "/MCR":
            mcr = DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/MCR"),
                    NameObject("/MCID"): NumberObject(int(target["/MCID"])),
                    NameObject("/Pg"): self.pages[target.raw_get("/Pg").idnum],
                }
            )
            return self.writer._add_object(mcr)
        return self.element(kid, parent)


def _pairs(nums: ArrayObject) -> list[tuple[int, Any]]:
    return [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums) - 1, 2)]


def join_structure(writer: PdfWriter, parts: Sequence[bytes | PdfReader], lang: str = "ja") -> int:
    """Give ``writer`` (the parts' pages joined, in the order of ``parts``) one structure tree.

    Returns:
        How many parts had a structure tree (a part without one, e.g. rendered untagged, is left out).
    """
    document = DictionaryObject(
        {NameObject("/Type"): NameObject("/StructElem"), NameObject("/S"): NameObject("/Document")}
    )
    document_ref = writer._add_object(document)
    kids = ArrayObject()
    page_entries: list[tuple[int, ArrayObject]] = []
    annotation_entries: list[tuple[DictionaryObject, IndirectObject]] = []
    ids: list[tuple[str, IndirectObject]] = []
    offset = tagged = 0
    for number, data in enumerate(parts):
        reader = data if isinstance(data, PdfReader) else PdfReader(io.BytesIO(data))
        count = len(reader.pages)
        catalog: Any = reader.trailer["/Root"]
        root: Any = catalog.get("/StructTreeRoot")
        if root is not None:
            tagged += 1
            copier = _PartCopier(writer, reader, offset, f"p{number}-")
            part_document = root.get_object()["/K"]
            part_document = part_document[0] if isinstance(part_document, ArrayObject) else part_document
            for kid in part_document.get_object().get("/K", ArrayObject()):
                kids.append(copier.element(kid, document_ref))
            ids.extend(copier.ids)
            parents = root.get_object()["/ParentTree"].get_object().get("/Nums", ArrayObject())
            by_key = dict(_pairs(parents))
            for index in range(count):
                refs = by_key.get(index, ArrayObject())
                page_entries.append(
                    (offset + index, ArrayObject(copier.of(r, document_ref) for r in refs.get_object()))
                )
                page = writer.pages[offset + index]
                for annot in page.get("/Annots") or ArrayObject():
                    annotation = annot.get_object()
                    key = annotation.get("/StructParent")
                    if key is not None and int(key) in by_key:
                        annotation_entries.append((annotation, copier.of(by_key[int(key)], document_ref)))
        offset += count
    document[NameObject("/K")] = kids
    nums = ArrayObject()
    for index, refs in page_entries:
        writer.pages[index][NameObject("/StructParents")] = NumberObject(index)
        nums.extend([NumberObject(index), writer._add_object(refs)])
    for key, (annotation, element) in enumerate(annotation_entries, start=len(writer.pages)):
        annotation[NameObject("/StructParent")] = NumberObject(key)
        nums.extend([NumberObject(key), element])
    parent_tree = writer._add_object(DictionaryObject({NameObject("/Nums"): nums}))
    tree = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/StructTreeRoot"),
            NameObject("/K"): ArrayObject([document_ref]),
            NameObject("/ParentTree"): parent_tree,
            NameObject("/ParentTreeNextKey"): NumberObject(len(writer.pages) + len(annotation_entries)),
        }
    )
    if ids:
        names = ArrayObject()
        for name, ref in sorted(ids):
            names.extend([TextStringObject(name), ref])
        tree[NameObject("/IDTree")] = writer._add_object(DictionaryObject({NameObject("/Names"): names}))
    tree_ref = writer._add_object(tree)
    document[NameObject("/P")] = tree_ref
    catalog = writer._root_object
    catalog[NameObject("/StructTreeRoot")] = tree_ref
    catalog[NameObject("/MarkInfo")] = DictionaryObject({NameObject("/Marked"): BooleanObject(True)})
    catalog[NameObject("/Lang")] = TextStringObject(lang)
    catalog[NameObject("/ViewerPreferences")] = DictionaryObject(
        {NameObject("/DisplayDocTitle"): BooleanObject(True)}
    )
    return tagged
