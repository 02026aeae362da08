"""Normalising what people type into cells: text cleaning, tolerant number parsing, cell text, A1 references."""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from dataclasses import dataclass

# control characters other than tab and line breaks, zero-width characters, BOM
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff]")
_NBSP = re.compile("[\u00a0\u202f]")
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # Excel's escape _xD83D_ alone: no character, unwritable
_MISSING = {"－", "-", "―", "ー", "—", "‐", "−", "–", "─", ""}
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_LEADING_NUMBER = re.compile(r"\s*(約|およそ)?\s*([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*")
EXCEL_CELL_LIMIT = 32_767  # characters Excel keeps in one cell
# Excel keeps 15 significant digits: a value this large is a typing accident, and it would print as a run of
# digits over the table and overflow a chart's arithmetic (1e308 - -1e308 is inf)
VALUE_LIMIT = 1e15


def in_range(value: float) -> bool:
    """Whether a value is finite and below :data:`VALUE_LIMIT` in size (NaN, inf and 1e308 are not)."""
    return math.isfinite(value) and abs(value) < VALUE_LIMIT


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape(text: str) -> str:
    """Undo OOXML's ``_xHHHH_`` escapes (how Excel stores control characters and CR in strings; a typed
    ``_x0041_`` is stored as ``_x005F_x0041_`` and comes back as typed)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def clean_text(text: str) -> tuple[str, bool]:
    """Remove control and zero-width characters and lone surrogates, turn non-breaking spaces into spaces.

    A surrogate pair written as two escapes (``_xD83D__xDE00_``) becomes its one character.

    Returns:
        The cleaned text and whether anything was changed.
    """
    cleaned = _NBSP.sub(" ", _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    if _LONE_SURROGATE.search(cleaned):
        cleaned = _LONE_SURROGATE.sub("", _SURROGATE_PAIR.sub(_join_pair, cleaned))
    return cleaned, cleaned != text.replace("\r\n", "\n").replace("\r", "\n")


def _join_pair(pair: re.Match[str]) -> str:
    return pair.group().encode("utf-16-le", "surrogatepass").decode("utf-16-le")


def normalize_choice(text: str) -> str:
    """NFKC, then drop every space: how a drop-down value, a department or a header is compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def is_missing_mark(text: str) -> bool:
    """True for blank and the dash marks that mean 'not reported' (－)."""
    return text.strip() in _MISSING or unicodedata.normalize("NFKC", text).strip() in _MISSING


@dataclass(frozen=True)
class ParsedNumber:
    """A number read from a cell: the value, or None; ok False when the text is not a number."""

    value: float | None
    ok: bool
    approximate: bool = False  # a leading 約 or およそ (master values): a rough figure, not a number


def parse_number(raw: object, unit: str = "") -> ParsedNumber:
    """Parse a value cell strictly: `1,234`, `１２３`, `73.2%`, `45人` (the KPI's unit), `－` = missing.

    Text that is not a number (約50, 集計中, None) gives ok=False; it is never coerced. Nor is a value that is
    not finite (NaN, inf, or 400 digits that overflow to inf).
    """
    if raw is None:
        return ParsedNumber(None, True)
    if isinstance(raw, bool):
        return ParsedNumber(None, False)
    if isinstance(raw, int | float):
        return ParsedNumber(float(raw), True) if math.isfinite(raw) else ParsedNumber(None, False)
    s = unicodedata.normalize("NFKC", str(raw)).strip()
    if is_missing_mark(s):
        return ParsedNumber(None, True)
    s = s.replace(" ", "")
    u = unicodedata.normalize("NFKC", unit).strip()
    for suffix in (u, "%"):
        if suffix and s.endswith(suffix):
            s = s[: -len(suffix)]
            break
    if _NUMBER.fullmatch(s):
        value = float(s.replace(",", ""))
        return ParsedNumber(value, True) if math.isfinite(value) else ParsedNumber(None, False)
    return ParsedNumber(None, False)


def parse_master_number(raw: object) -> ParsedNumber:
    """Parse a master 基準値/目標値: a leading number with any unit and note after it (`55% ※平成32年世論調査`).

    A leading 約 or およそ (approximately) is not a number either (``ok`` False, ``approximate`` True): a rough
    figure would be evaluated as if it were exact, so the master's reader reports it (master-approximate-number).
    A value out of range (:func:`in_range`: NaN, inf, 1e308) is not a number here.
    """
    if raw is None:
        return ParsedNumber(None, True)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return ParsedNumber(float(raw), True) if in_range(raw) else ParsedNumber(None, False)
    if isinstance(raw, datetime.date | datetime.time | datetime.timedelta):
        return ParsedNumber(None, False)  # a date typed (or auto-formatted) into a value cell is not its year
    s = unicodedata.normalize("NFKC", str(raw)).strip()
    if is_missing_mark(s):
        return ParsedNumber(None, True)
    m = _LEADING_NUMBER.match(s)
    if not m:
        return ParsedNumber(None, False)
    if m.group(1):
        return ParsedNumber(None, False, approximate=True)
    value = float(m.group(2).replace(",", ""))
    return ParsedNumber(value, True) if in_range(value) else ParsedNumber(None, False)


def excel_date(serial: float) -> str:
    """An Excel date serial as the date (and time) it shows: 43892 → '2020-03-02' (1900 date system)."""
    if not 0 <= serial < 2_958_466:  # 9999-12-31 is Excel's last date
        return cell_text(serial)
    moment = datetime.datetime(1899, 12, 30) + datetime.timedelta(days=serial)
    return moment.date().isoformat() if moment.time() == datetime.time() else moment.isoformat(sep=" ")


def split_list(text: str) -> tuple[str, ...]:
    """Split a multi-value cell (departments, budget codes) on line breaks, 、 and commas."""
    parts = re.split(r"[\n、,，]", text or "")
    return tuple(p.strip() for p in parts if p.strip())


def split_notes(text: str) -> tuple[str, ...]:
    """実施状況 to points: one per line, a leading ・ or - bullet mark removed, blank lines dropped."""
    points = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        s = line.strip()
        s = re.sub(r"^[・\-－‐•●]\s*", "", s)
        if s:
            points.append(s)
    return tuple(points)


def cell_text(value: object) -> str:
    """A cell value as text: integers without '.0', line breaks as \\n, TRUE/FALSE, dates in ISO form, blank as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value if "\r" not in value else value.replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def column_number(letters: str) -> int:
    """'A' → 1, 'L' → 12, 'XFD' → 16384."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def column_letters(col: int) -> str:
    """12 → 'L' (1-based)."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """(4, 12) → 'L4' (1-based)."""
    return f"{column_letters(col)}{row}"


def parse_ref(ref: str) -> tuple[int, int]:
    """'L4' or '$L$4' → (4, 12)."""
    m = _REF.fullmatch(ref.strip())
    if not m:
        raise ValueError(ref)
    return int(m.group(2)), column_number(m.group(1))
