"""Excel cell metrics: how wide a text is, how many lines it wraps to in a column, how tall its row must be.

Every workbook the tool writes (forms, the progress list, the check's findings and feedback copies, the diff)
sets its row heights from these, because neither Excel nor LibreOffice re-measures wrapped rows when a file is
opened. The model is deliberately simple: a column ``width`` (Excel's character units) holds about
``width - 1`` half-width characters at 10 pt; a full-width or wide (CJK) character counts as two; a row is
never taller than Excel's limit of 409 pt.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator

MAX_ROW_PT = 409.0  # Excel refuses a taller row
LINE_PT = 13.5  # one wrapped line at 10 pt, with the line spacing Excel and LibreOffice use
PADDING_PT = 4.0  # above and below the text of a cell
_WIDE = frozenset({"W", "F", "A"})


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


def line_capacity(width: float, font_size: float = 10) -> int:
    """Half-width characters one line of a column ``width`` units wide holds at ``font_size`` pt."""
    return max(int(width * 10 / font_size) - 1, 2)  # the cell's inner padding takes about one unit


def pixel_line_capacity(width: float, font_size: float = 10) -> float:
    """Half-width characters per line by Excel's pixel metrics: a column is ``width * 7 + 5`` px, a half-width
    character ``font_size * 2/3`` px wide. A little more than :func:`line_capacity`; the forms size their
    rows by it (changing them to line_capacity would change every form's row heights).
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
    moves to the next line as a whole when it fits on one line.
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
                lines.append(line)
                line, used = token.lstrip(" "), text_width(token.lstrip(" "))
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
