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
import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate

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
    capacity = _capacity(width, font_size)
    if "\n" not in text:
        return _wrap_paragraph(text, capacity)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += _wrap_paragraph(paragraph, capacity)
    return lines


def wrapped_lines(text: str, width: float, font_size: float = 10) -> int:
    """``len(wrap(text, width, font_size))``, without making the lines where they can be counted."""
    capacity = _capacity(width, font_size)
    if 2 * len(text) <= capacity:
        return text.count("\n") + 1
    key = (text, capacity)
    lines = _COUNTED.get(key)
    if lines is None:
        if "\n" not in text:
            lines = _paragraph_lines(text, capacity)
        else:
            lines = sum(_paragraph_lines(paragraph, capacity) for paragraph in text.split("\n"))
        if len(text) <= _COUNTED_LENGTH:
            _COUNTED.keep(key, lines, len(text))
    return lines


_LATIN_WORD = re.compile(r"[A-Za-z0-9.,:;%\-_/()'\"!?]+")  # in a paragraph without spaces: its words


def _paragraph_lines(paragraph: str, capacity: float) -> int:
    """How many lines :func:`wrap` makes of one paragraph; counted without wrapping where the count is sure.

    In a paragraph without spaces whose widest token (a character, or a Latin word) is ``reach`` wide, every
    line but the last breaks only when the next token does not fit, so it is more than ``capacity - reach``
    wide, and more than ``capacity - reach - 2`` after a 。、）… took the character before it down: at least
    ``least = floor(capacity - reach - 2) + 1``, widths being whole. With ``capacity`` >= ``reach + 4`` no
    line is wider than ``whole = floor(capacity)``, so a paragraph ``total`` wide takes at least
    k = ceil(total / whole) lines, and exactly k when ``total <= whole + (k - 1) * least``: after k - 1 lines
    what remains fits one. ``reach`` is first bounded by the paragraph's ASCII characters together (a word is
    ASCII), and found only when that bound is not enough. Otherwise (spaces, long words, narrow columns,
    uneven breaks) its lines are made and counted.
    """
    n = len(paragraph)
    if 2 * n <= capacity or (n <= capacity and paragraph.isascii()):
        return 1
    narrow = len(paragraph.encode("ascii", "ignore"))  # its ASCII characters, each 1 wide
    codes = None
    if _NOT_SURELY_WIDE.search(paragraph) is None:  # the others all 2 wide: measured without a look-up each
        total = 2 * n - narrow
    else:
        codes = paragraph.translate(_WIDTH_CODES)
        total = 2 * n - codes.count("\x01")
    lines = 0
    if total <= capacity:
        lines = 1
    elif " " not in paragraph:
        whole = math.floor(capacity)
        fewest = -(-total // whole)
        for reach in (max(2, narrow), -1):
            if reach < 0:
                if narrow <= 2:
                    break  # the bound was the widest token's width itself
                reach = max(2, max(map(len, _LATIN_WORD.findall(paragraph)), default=0))
            least = math.floor(capacity - reach - 2) + 1
            if capacity >= reach + 4 and total <= whole + (fewest - 1) * least:
                lines = fewest
                break
    if not lines:
        if codes is None:
            codes = paragraph.translate(_WIDTH_CODES)
        lines = len(_greedy_lines(paragraph, codes, capacity))
    return lines


# ASCII and a few blocks of characters char_width counts 2 wide (CJK punctuation, kana, ideographs, full-width
# forms, circled numbers and the marks Japanese text uses: ‐ ‘’“” ‥… ※ ■□▲△▼▽◆◇○◎●), checked by
# tests/test_cellmetrics.py against char_width; a paragraph of only these is measured by counting its ASCII
_SURELY_WIDE = (
    "\u3000-\u303e\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60\uffe0-\uffe6\u2460-\u24e9"
    "\u2010\u2018\u2019\u201c\u201d\u2025\u2026\u203b\u25a0\u25a1\u25b2\u25b3\u25bc\u25bd\u25c6\u25c7"
    "\u25cb\u25ce\u25cf"
)
_NOT_SURELY_WIDE = re.compile(f"[^\x00-\x7f{_SURELY_WIDE}]")


_CAPACITIES: dict[tuple[float, float], float] = {}


def _capacity(width: float, font_size: float) -> float:
    """:func:`line_capacity`, remembered (a workbook has a few column widths and wraps many texts in them)."""
    capacity = _CAPACITIES.get((width, font_size))
    if capacity is None:
        capacity = line_capacity(width, font_size)
        if len(_CAPACITIES) < 1024:
            _CAPACITIES[(width, font_size)] = capacity
    return capacity


# One line's greedy filling, character by character, is the rule (see _wrap_reference in the tests); these
# compute the same lines a line at a time: a paragraph's characters as a string of their widths (\x01 or \x02,
# counted with str.count) and its runs of Latin letters and digits (the words that move to the next line whole).
_WORD = re.compile(r" ?[A-Za-z0-9.,:;%\-_/()'\"!?]{1,}")


class _WidthCodes(dict[int, str]):
    """A str.translate table: each character's code point -> its width as one character (\x01 or \x02)."""

    def __missing__(self, code: int) -> str:
        width = self[code] = chr(_WIDTHS[chr(code)])
        return width


_WIDTH_CODES = _WidthCodes()
# the last paragraphs wrapped (a row's over-long texts are wrapped twice; notes repeat 'as last year')
_WRAPPED: dict[tuple[str, float], list[str]] = {}
_REMEMBERED, _REMEMBERED_LENGTH = 2048, 1000  # paragraphs, and characters of one (at most ~2 M characters)
# the texts counted (wrapped_lines): up to this many characters together, each of at most _COUNTED_LENGTH
_COUNTED_CHARACTERS, _COUNTED_LENGTH = 2_000_000, 20_000


class _Counts(dict[tuple[str, float], int]):
    """Texts' line counts, forgotten all at once when their characters would exceed a bound.

    Bounded by characters, not texts: a 1,000-measure list measures ~9,000 texts, the same again in every
    build, and a process that builds again and again (``build --watch``) then counts only the texts that
    changed; in one build a text shown twice (a department's lines, 実施中, 前年度と同じ) is counted once."""

    def __init__(self, characters: int) -> None:
        super().__init__()
        self.characters = characters
        self.held = 0

    def keep(self, key: tuple[str, float], lines: int, length: int) -> None:
        """Remember ``lines`` for ``key``, a paragraph of ``length`` characters."""
        if self.held + length > self.characters:
            self.clear()
        self.held += length
        self[key] = lines

    def clear(self) -> None:
        super().clear()
        self.held = 0


_COUNTED = _Counts(_COUNTED_CHARACTERS)


def _wrap_paragraph(paragraph: str, capacity: float) -> list[str]:
    """The lines of one paragraph (no line break in it) in lines of ``capacity`` half-width characters."""
    n = len(paragraph)
    if 2 * n <= capacity or (n <= capacity and paragraph.isascii()):
        return [paragraph]  # fits on one line: the common case, without measuring
    key = (paragraph, capacity)
    cached = _WRAPPED.get(key)
    if cached is not None:
        return list(cached)
    codes = paragraph.translate(_WIDTH_CODES)
    if 2 * n - codes.count("\x01") <= capacity:
        lines = [paragraph]
    else:
        lines = _greedy_lines(paragraph, codes, capacity)
    if n <= _REMEMBERED_LENGTH:
        if len(_WRAPPED) >= _REMEMBERED:
            _WRAPPED.clear()
        _WRAPPED[key] = lines
    return list(lines)


def _greedy_lines(p: str, codes: str, capacity: float) -> list[str]:
    """Lines of ``p`` (widths ``codes``): whole tokens while they fit, then the rules of :func:`wrap`."""
    n = len(p)
    starts: list[int] = []  # words of two or more characters (a lone character is a token of its own)
    ends: list[int] = []
    for match in _WORD.finditer(p):
        a, b = match.span()
        if b - a > 1:
            starts.append(a)
            ends.append(b)
    # widths[i]: the width of p[:i], rising with i (every character is 1 or 2 wide), so the longest piece from
    # a that fits a line ends where bisect finds width(a) + capacity (in whole columns: widths are whole)
    widths = list(accumulate(codes.encode("ascii"), initial=0))
    total = widths[n]
    whole = math.floor(capacity)

    def fits_to(a: int, start: int) -> int:
        """The largest q >= start such that p[a:q] fits a line (start itself when p[a:start] is too wide)."""
        room = widths[a] + whole
        if total <= room:
            return n  # the rest fits: the paragraph's last line
        q = bisect_right(widths, room, start) - 1
        return q if q > start else start

    lines: list[str] = []
    ls = pos = 0  # the line so far is p[ls:pos]; pos is where the next token begins
    while pos < n:
        q = fits_to(ls, pos)
        if q >= n:
            pos = n
            break
        if q > pos:  # the tokens up to q fit; a word that q cuts does not
            i = bisect_right(starts, q) - 1
            pos = starts[i] if i >= 0 and starts[i] < q < ends[i] else q
        i = bisect_right(starts, pos) - 1
        token_end = ends[i] if i >= 0 and starts[i] == pos else pos + 1
        if widths[token_end] - widths[pos] <= capacity and pos > ls:  # the token goes to the next line whole
            first = p[pos]
            if first in NO_LINE_START and pos - ls > 1 and p[pos - 1] not in NO_LINE_START:
                lines.append(p[ls : pos - 1])  # the character before goes down with it
                ls = pos - 1
            else:
                lines.append(p[ls:pos])
                ls = pos + 1 if first == " " else pos  # a word's leading space is dropped at a line's start
            pos = token_end
            continue
        k = pos  # a token longer than a line breaks anywhere
        while True:
            k = max(fits_to(ls, ls), k)
            if k >= token_end:
                break
            lines.append(p[ls:k])
            ls = k
        pos = token_end
    lines.append(p[ls:pos])
    return lines


def max_lines(line_pt: float = LINE_PT, padding_pt: float = PADDING_PT) -> int:
    """The most wrapped lines one row can show within Excel's 409 pt."""
    return int((MAX_ROW_PT - padding_pt) // line_pt)


def row_height(lines: int, line_pt: float = LINE_PT, padding_pt: float = PADDING_PT) -> float:
    """Row height in points for ``lines`` wrapped lines (at least one), capped at Excel's 409 pt."""
    return min(MAX_ROW_PT, round(max(lines, 1) * line_pt + padding_pt, 1))
