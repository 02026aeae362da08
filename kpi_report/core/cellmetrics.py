"""Excel cell metrics: how wide a text is, how many lines it wraps to in a column, how tall its row must be.

Every workbook the tool writes (forms, the progress list, the check's findings and feedback copies, the diff)
sets its row heights from these, because neither Excel nor LibreOffice re-measures wrapped rows when a file is
opened. The model is deliberately simple: a column ``width`` (Excel's character units) is ``width * 7 + 5``
pixels as Excel draws it, a half-width character at 10 pt about 6.7 pixels and a full-width or wide (CJK)
character twice that; a wrapped line at 10 pt is :data:`LINE_PT` high; a row is never taller than Excel's limit
of 409 pt. A character that may not begin a line (。、）」 …) takes the one before it to the next line.

Calibrated against LibreOffice 7.4 printing progress-list.xlsx to PDF (ＭＳ Ｐゴシック drawn with IPAGothic, the
default font Calibri with Carlito): a 10 pt line is 11.7 pt apart and a column of width 66 holds 36 full-width
characters (34 by Excel's pixel metrics, which the model uses, so that no row is short in either program).
The earlier model (13.5 pt lines, ``width - 1`` half-width characters) made rows about 40 % too tall.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator

MAX_ROW_PT = 409.0  # Excel refuses a taller row
LINE_PT = 12.0  # one wrapped line at 10 pt (LibreOffice: 11.7 pt; Excel ＭＳ Ｐゴシック: 12 pt)
PADDING_PT = 3.5  # above and below the text (one line: 15.5 pt, not the 15 pt default xlsxwriter leaves out)
_WIDE = frozenset({"W", "F", "A"})
# characters that may not begin a line (kinsoku shori): the character before them moves down with them
NO_LINE_START = frozenset(
    "、。，．,.）)］]｝}」』】〕〉》’”：；:;！？!?%％ー…‥・々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ"
)


def char_width(char: str) -> int:
    """Width of a character in column units: full-width and wide (CJK, ambiguous) count 2, others 1."""
    return 2 if unicodedata.east_asian_width(char) in _WIDE else 1


class _Widths(dict[str, int]):
    """Each character's width, filled as characters are met (bounded by the characters Unicode has)."""

    def __missing__(self, char: str) -> int:
        width = self[char] = char_width(char)
        return width


_WIDTHS = _Widths()


def text_width(text: str) -> int:
    """Display width of one line of text in column units (half-width characters)."""
    if text.isascii():
        return len(text)
    return sum(map(_WIDTHS.__getitem__, text))


def line_capacity(width: float, font_size: float = 10) -> float:
    """Half-width characters one line of a column ``width`` units wide holds at ``font_size`` pt (Excel's pixel
    metrics, :func:`pixel_line_capacity`; LibreOffice fits a few percent more)."""
    return max(pixel_line_capacity(width, font_size), 2.0)


def pixel_line_capacity(width: float, font_size: float = 10) -> float:
    """Half-width characters per line by Excel's pixel metrics: a column is ``width * 7 + 5`` px, a half-width
    character ``font_size * 2/3`` px wide. :func:`line_capacity` and so every workbook's rows use it.
    """
    return max(1.0, (width * 7 + 5 - 6) / (font_size * 2 / 3))


def line_count(text: str, width: float, font_size: float = 10, capacity: float | None = None) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` wide; characters break anywhere.

    Each paragraph (line break) takes at least one line. Faster than :func:`wrap` and as exact for CJK text;
    use :func:`wrap` where Latin words must not be cut. ``capacity`` (half-width characters a line) overrides
    the one :func:`line_capacity` gives for ``width``.
    """
    if capacity is None:
        capacity = line_capacity(width, font_size)
    if 2 * len(text) <= capacity:
        return text.count("\n") + 1  # every line fits: the common case, without measuring
    return sum(max(1, math.ceil(text_width(p) / capacity)) for p in text.split("\n"))


def wrap(text: str, width: float, font_size: float = 10) -> list[str]:
    """Split ``text`` into the lines a cell ``width`` units wide shows (line breaks kept).

    A simple model of Excel/LibreOffice wrapping: CJK text breaks anywhere, a run of Latin letters or digits
    moves to the next line as a whole when it fits on one line, and a character that may not begin a line
    (:data:`NO_LINE_START`: 。、）」 …) takes the character before it to the next line.
    """
    capacity = line_capacity(width, font_size)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0
        for token in _tokens(paragraph):
            size = text_width(token)
            if used + size <= capacity:
                line, used = line + token, used + size
                continue
            if size <= capacity and line:
                carried = ""
                if token[0] in NO_LINE_START and len(line) > 1 and line[-1] not in NO_LINE_START:
                    line, carried = line[:-1], line[-1]  # 「…に努める」「。」: 「る。」 goes down together
                lines.append(line)
                token = carried + token.lstrip(" ")
                line, used = token, text_width(token)
                continue
            for char in token:  # a token longer than a line breaks anywhere
                w = _WIDTHS[char]
                if used + w > capacity and line:
                    lines.append(line)
                    line, used = "", 0
                line, used = line + char, used + w
        lines.append(line)
    return lines


def _tokens(paragraph: str) -> Iterator[str]:
    """Words of ASCII letters/digits (with a leading space) and single other characters."""
    word = ""
    for char in paragraph:
        if char.isascii() and (char.isalnum() or char in ".,:;%-_/()'\"!?"):
            word += char
            continue
        if word:
            yield word
            word = ""
        if char == " ":
            word = " "
        else:
            yield char
    if word:
        yield word


def max_lines(line_pt: float = LINE_PT, padding_pt: float = PADDING_PT) -> int:
    """The most wrapped lines one row can show within Excel's 409 pt."""
    return int((MAX_ROW_PT - padding_pt) // line_pt)


def row_height(lines: int, line_pt: float = LINE_PT, padding_pt: float = PADDING_PT) -> float:
    """Row height in points for ``lines`` wrapped lines (at least one), capped at Excel's 409 pt."""
    return min(MAX_ROW_PT, round(max(lines, 1) * line_pt + padding_pt, 1))
