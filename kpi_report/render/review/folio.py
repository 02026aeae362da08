"""The review's page numbers (folios, ``- n -``), drawn when the parts are joined rather than in each part.

A part's pages would otherwise carry their numbers, so a correction that adds a page to one section would
change every later part and have it rendered again. Drawn by :func:`kpi_report.render.review.pdfjoin.join`,
they make a part's bytes independent of where it starts: only the parts whose content changed are rendered.

Each folio is an artifact (``/Artifact <</Type /Pagination /Subtype /Footer>>``: assistive technology skips
it) in 9 pt, #333, centred at the foot of the page, set in a subset of the packaged IPAexGothic holding
only the characters it needs (space, hyphen, digits), embedded as a simple TrueType font with
WinAnsiEncoding, so that copying or extracting the text gives the digits. A project whose annual-review.css
numbers its pages itself (a margin box with ``counter(page)``) keeps them: its parts get no folio.
"""

from __future__ import annotations

import io
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

from kpi_report.core.diskcache import DiskCache, cache_key
from kpi_report.core.files import file_sha256

CHARACTERS = " -0123456789"
SIZE = 9.0  # pt, as the body text
COLOUR = b"0.2 0.2 0.2"  # #333
BASELINE = 28.93  # pt above the page's lower edge: where the margin box drew it in the 13 mm bottom margin
_FIRST, _LAST = 32, 57  # WinAnsi codes of space … "9"
_TAG = "KPIFOL"  # the subset's tag (six capitals, as PDF wants for a subset font)


@dataclass(frozen=True)
class FolioFont:
    """The subset font: its program (TrueType bytes), units per em, advance widths and vertical metrics."""

    program: bytes
    name: str  # the font's PostScript name
    units: int  # units per em
    advances: dict[str, int]  # character → advance in font units
    ascent: int
    descent: int
    cap_height: int
    box: tuple[int, int, int, int]

    def width(self, text: str) -> float:
        """The width of ``text`` in points at :data:`SIZE`."""
        return sum(self.advances[c] for c in text) * SIZE / self.units

    def objects(self, font: int) -> list[tuple[int, bytes]]:
        """The font's objects, numbered from ``font`` (the font dictionary), as (number, body): the
        dictionary, its descriptor, the font program and its ToUnicode map (:data:`OBJECTS` of them)."""
        scale = 1000 / self.units
        widths = b" ".join(
            b"%d" % round(self.advances.get(chr(code), 0) * scale) for code in range(_FIRST, _LAST + 1)
        )
        name = f"{_TAG}+{self.name}".encode("ascii", "replace")
        program = zlib.compress(self.program, 9)
        return [
            (
                font,
                b"<</Type /Font/Subtype /TrueType/BaseFont /%b/FirstChar %d/LastChar %d/Widths [%b]"
                b"/Encoding /WinAnsiEncoding/FontDescriptor %d 0 R/ToUnicode %d 0 R>>"
                % (name, _FIRST, _LAST, widths, font + 1, font + 3),
            ),
            (
                font + 1,
                b"<</Type /FontDescriptor/FontName /%b/Flags 32/FontBBox [%b]/ItalicAngle 0/Ascent %d"
                b"/Descent %d/CapHeight %d/StemV 80/FontFile2 %d 0 R>>"
                % (
                    name,
                    b" ".join(b"%d" % round(v * scale) for v in self.box),
                    round(self.ascent * scale),
                    round(self.descent * scale),
                    round(self.cap_height * scale),
                    font + 2,
                ),
            ),
            (
                font + 2,
                b"<</Filter /FlateDecode/Length %d/Length1 %d>>\nstream\n%b\nendstream"
                % (len(program), len(self.program), program),
            ),
            (font + 3, b"<</Length %d>>\nstream\n%b\nendstream" % (len(_TO_UNICODE), _TO_UNICODE)),
        ]

    def draw(self, number: int, box: tuple[float, float, float, float], resource: bytes) -> bytes:
        """The content drawing ``- number -`` centred at the foot of a page with MediaBox ``box``, as an
        artifact; ``resource``: the font's name in the page's resources (e.g. ``/KpiFolio``)."""
        text = f"- {number} -"
        x = (box[0] + box[2]) / 2 - self.width(text) / 2
        y = min(box[1], box[3]) + BASELINE
        return (
            b"/Artifact <</Type /Pagination/Subtype /Footer>> BDC\nq %b rg BT %b %s Tf %s %s Td (%b) Tj ET Q\nEMC\n"
            % (COLOUR, resource, _number(SIZE), _number(x), _number(y), text.encode("ascii"))
        )


OBJECTS = 4  # objects of the font (see FolioFont.objects)

# each character code is its own Unicode (the codes are ASCII)
_TO_UNICODE = (
    b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
    b"/CIDSystemInfo <</Registry (Adobe)/Ordering (UCS)/Supplement 0>> def\n"
    b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
    b"1 begincodespacerange\n<00> <FF>\nendcodespacerange\n"
    + b"%d beginbfchar\n" % len(CHARACTERS)
    + b"".join(b"<%02X> <%04X>\n" % (ord(c), ord(c)) for c in CHARACTERS)
    + b"endbfchar\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
)


def _number(value: float) -> bytes:
    return (b"%.3f" % value).rstrip(b"0").rstrip(b".")


_made: dict[tuple[str, int, int], FolioFont] = {}  # by the font file's path, size and time: once per process


def folio_font(file: Path, cache: DiskCache | None = None) -> FolioFont:
    """The folio font subset from the TrueType ``file`` (made in 0.2 s; kept in ``cache`` by the file's
    SHA-256, and in this process). The same file gives the same bytes (no timestamp is written)."""
    stat = file.stat()
    seen = (str(file), stat.st_size, stat.st_mtime_ns)
    found = _made.get(seen)
    if found is not None:
        return found
    import fontTools  # WeasyPrint's own dependency

    digest = file_sha256(file)

    key = cache_key("folio-font", digest, CHARACTERS, fontTools.version)
    stored = cache.get(key) if cache is not None else None
    made = _load(stored) if stored is not None else None
    if made is None:
        made = _subset(file.read_bytes())
        if cache is not None:
            cache.put(key, _dump(made))
    _made[seen] = made
    return made


def _subset(data: bytes) -> FolioFont:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.drop_tables += ["BASE", "GDEF", "GPOS", "GSUB", "vhea", "vmtx", "gasp"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=CHARACTERS)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    cmap = font.getBestCmap()
    head, os2 = font["head"], font["OS/2"]
    return FolioFont(
        program=out.getvalue(),
        name="".join(c for c in str(font["name"].getDebugName(6) or "Folio") if c.isalnum() or c == "-"),
        units=int(head.unitsPerEm),
        advances={c: int(font["hmtx"][cmap[ord(c)]][0]) for c in CHARACTERS},
        ascent=int(font["hhea"].ascent),
        descent=int(font["hhea"].descent),
        cap_height=int(getattr(os2, "sCapHeight", 0) or font["hhea"].ascent),
        box=(int(head.xMin), int(head.yMin), int(head.xMax), int(head.yMax)),
    )


def _dump(font: FolioFont) -> bytes:
    header = {
        "name": font.name,
        "units": font.units,
        "advances": font.advances,
        "ascent": font.ascent,
        "descent": font.descent,
        "cap_height": font.cap_height,
        "box": list(font.box),
    }
    return json.dumps(header, sort_keys=True).encode() + b"\n" + font.program


def _load(payload: bytes) -> FolioFont | None:
    """A stored font (None: not one this code wrote)."""
    try:
        head, program = payload.split(b"\n", 1)
        header = json.loads(head)
        advances = {str(k): int(v) for k, v in header["advances"].items()}
        if set(advances) != set(CHARACTERS) or not program.startswith((b"\x00\x01\x00\x00", b"true")):
            return None
        return FolioFont(
            program=program,
            name=str(header["name"]),
            units=int(header["units"]),
            advances=advances,
            ascent=int(header["ascent"]),
            descent=int(header["descent"]),
            cap_height=int(header["cap_height"]),
            box=tuple(int(v) for v in header["box"]),  # type: ignore[arg-type]
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
