"""Three shortcuts in WeasyPrint 70.0 (pinned) while a part is laid out and written: the same bytes, less work.

A clean build of a 1,000-measure review spends ~30 CPU-seconds in WeasyPrint; profiled, three pieces of it
are work whose result is thrown away or made twice:

- **The shared font program subset in every part.** Each part's PDF embeds a subset of the Japanese font,
  which :func:`pdfjoin.part_record` then drops: the joiner embeds one program for all parts (fontshare.py).
  HarfBuzz subset it twice per part (~8 ms). For a family the record will drop — the same test as
  ``pdfjoin._leave_out_programs``: a TrueType program (FontFile2) whose name ends with ``font_name_suffix`` —
  the program is left whole; nothing else in the part depends on it (its widths and Unicode map come from
  the glyphs used, not from the program).
- **Each text box's Pango layout made twice.** WeasyPrint frees a text box's layout once the box is laid
  out (``Layout.deactivate``) and makes a new one from the box's style and text to draw it
  (``Layout.reactivate``: a Pango context, font description, attributes, text). Here the layout is kept and
  drawn again after removing the wrapping width, which is all that tells it from a new one; only where the
  new one would differ otherwise — word or letter spacing or justification, whose attributes ``set_text``
  adds for each text it is given, or another style — is it made again as before. Kept layouts live as long
  as their part's document (a few MB per part).
- **Used lengths resolved one call per property.** ``resolve_percentages`` runs for every box at every
  layout pass (~1 million property look-ups a review) through two function calls per property; here the
  plain lengths (``px``, ``%``) are resolved inline and everything else (``auto``, ``calc()``) as before.

Each is switched on only inside :func:`shortcuts` (a part's layout and writing in a rendering process), and
tests/test_weasyfast.py renders documents that use every branch both ways and compares the bytes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from math import inf
from typing import Any

import weasyprint.layout  # noqa: F401  (every layout module, before their imported names are looked up)
import weasyprint.layout.percent as weasy_percent
import weasyprint.pdf.fonts as weasy_fonts
import weasyprint.text.line_break as weasy_line_break
from weasyprint.css.functions import check_math
from weasyprint.formatting_structure import boxes
from weasyprint.text.ffi import pango

from kpi_report.render.review.pdfjoin import font_name_suffix

_CLEAN = weasy_fonts.Font.clean
_DEACTIVATE = weasy_line_break.Layout.deactivate
_REACTIVATE = weasy_line_break.Layout.reactivate
_RESOLVE = weasy_percent.resolve_percentages
_percentage = weasy_percent.percentage
_resolve_one = weasy_percent.resolve_one_percentage
_adjust = weasy_percent.adjust_box_sizing


def _users_of_resolve() -> list[Any]:
    """WeasyPrint's modules that imported ``resolve_percentages`` by name (layout.block, .inline, .table …)."""
    return [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("weasyprint.") and getattr(module, "resolve_percentages", None) is _RESOLVE
    ]


_RESOLVE_USERS: list[Any] = []  # found at the first use, once WeasyPrint's layout modules are all loaded


@contextmanager
def shortcuts(shared_families: Sequence[str] = ()) -> Iterator[None]:
    """The shortcuts on for the block; ``shared_families``: the fonts whose program the part record drops."""
    suffixes = tuple(font_name_suffix(family) for family in shared_families)

    def clean(font: Any, to_unicode: Any, hinting: Any) -> None:
        if suffixes and _dropped_by_record(font, suffixes):
            return
        _CLEAN(font, to_unicode, hinting)

    if not _RESOLVE_USERS:
        _RESOLVE_USERS.extend(_users_of_resolve())
    weasy_fonts.Font.clean = clean
    weasy_line_break.Layout.deactivate, weasy_line_break.Layout.reactivate = _keep, _reuse
    for module in _RESOLVE_USERS:
        module.resolve_percentages = _resolve_percentages
    try:
        yield
    finally:
        weasy_fonts.Font.clean = _CLEAN
        weasy_line_break.Layout.deactivate, weasy_line_break.Layout.reactivate = _DEACTIVATE, _REACTIVATE
        for module in _RESOLVE_USERS:
            module.resolve_percentages = _RESOLVE


def _dropped_by_record(font: Any, suffixes: tuple[bytes, ...]) -> bool:
    """Whether ``pdfjoin.part_record`` drops this font's program: a TrueType program of a shared family, and
    nothing ``Font.clean`` does besides subsetting (a variable font's instance, colour or bitmap glyphs)."""
    return (
        font.name.endswith(suffixes)
        and font.file_content[:4] != b"OTTO"
        and "fvar" not in font.tables
        and not (font.png or font.svg or font.colr)
    )


def _keep(layout: Any) -> None:
    """``Layout.deactivate``: keep the Pango layout for drawing."""
    layout._kept = True


def _reuse(layout: Any, style: Any) -> None:
    """``Layout.reactivate``: the kept layout without its wrapping width — what a new layout for the same style
    and text is — unless spacing attributes or another style make a new one differ."""
    if (
        layout.__dict__.get("_kept")
        and style is layout.style
        and not layout.justification_spacing
        and not style["word_spacing"]
        and style["letter_spacing"] in ("normal", 0)
    ):
        pango.pango_layout_set_width(layout.layout, -1)
        return
    _REACTIVATE(layout, style)


_SIDES = (
    ("margin_left", 0),
    ("margin_right", 0),
    ("margin_top", 1),
    ("margin_bottom", 1),
    ("padding_left", 0),
    ("padding_right", 0),
    ("padding_top", 1),
    ("padding_bottom", 1),
    ("width", 0),
    ("min_width", 0),
    ("max_width", 0),
)  # property, and whether its percentage refers to the "maybe height" (0: the containing block's width)
_BORDERS = ("border_top_width", "border_right_width", "border_bottom_width", "border_left_width")


def _resolve_percentages(box: Any, containing_block: Any) -> None:
    """WeasyPrint 70.0's ``layout.percent.resolve_percentages``, with ``resolve_one_percentage`` inlined for
    the widths and margins (a ``px`` or ``%`` length; any other value through ``percentage`` as before)."""
    if isinstance(containing_block, boxes.Box):
        cb_width = containing_block.width
        cb_height = containing_block.height
    else:
        cb_width, cb_height = containing_block
    refer = (cb_width, cb_height if isinstance(box, boxes.PageBox) else cb_width)
    style = box.style
    for name, which in _SIDES:
        value = style[name]
        unit = getattr(value, "unit", None)
        if unit == "px":
            value = value.value
        elif unit == "%":
            value = refer[which] * value.value / 100
        elif value is not None and value != "auto":
            value = _percentage(value, style, refer[which])
        if value == "auto" and name == "min_width":
            value = 0
        setattr(box, name, value)

    if cb_height == "auto":
        height = style["height"]
        if height == "auto" or check_math(height) or height.unit == "%":
            box.height = "auto"
        else:
            assert height.unit.lower() == "px"
            box.height = height.value
        _resolve_one(box, "min_height", 0)
        _resolve_one(box, "max_height", inf)
    else:
        _resolve_one(box, "height", cb_height)
        _resolve_one(box, "min_height", cb_height)
        _resolve_one(box, "max_height", cb_height)

    collapse = style["border_collapse"] == "collapse"
    for prop in _BORDERS:
        if not (collapse and hasattr(box, prop)):
            setattr(box, prop, style[prop])

    _adjust(box, "width")
    _adjust(box, "height")
