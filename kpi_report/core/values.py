"""Normalising what people type into cells: text cleaning, tolerant number parsing, cell text, A1 references."""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass

# control characters other than tab and line breaks, zero-width characters, BOM
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff]")
_NBSP = re.compile("[\u00a0\u202f]")
_MISSING = {"－", "-", "―", "ー", "—", "‐", "−", "–", "─", ""}
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_LEADING_NUMBER = re.compile(r"\s*(約|およそ)?\s*([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*")
EXCEL_CELL_LIMIT = 32_767  # characters Excel keeps in one cell


def clean_text(text: str) -> tuple[str, bool]:
    """Remove control and zero-width characters, turn non-breaking spaces into spaces.

    Returns:
        The cleaned text and whether anything was changed.
    """
    cleaned = _NBSP.sub(" ", _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    return cleaned, cleaned != text.replace("\r\n", "\n").replace("\r", "\n")


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


def parse_number(raw: object, unit: str = "") -> ParsedNumber:
    """Parse a value cell strictly: `1,234`, `１２３`, `73.2%`, `45人` (the KPI's unit), `－` = missing.

    Text that is not a number (約50, 集計中, None) gives ok=False; it is never coerced.
    """
    if raw is None:
        return ParsedNumber(None, True)
    if isinstance(raw, bool):
        return ParsedNumber(None, False)
    if isinstance(raw, int | float):
        return ParsedNumber(float(raw), True)
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
        return ParsedNumber(float(s.replace(",", "")), True)
    return ParsedNumber(None, False)


def parse_master_number(raw: object) -> ParsedNumber:
    """Parse a master 基準値/目標値: a leading number with any unit and note after it (`55% ※平成32年世論調査`).

    A leading 約 (approximately) is accepted in the master, where the planning section writes it by hand.
    """
    if raw is None:
        return ParsedNumber(None, True)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return ParsedNumber(float(raw), True)
    if isinstance(raw, datetime.date | datetime.time | datetime.timedelta):
        return ParsedNumber(None, False)  # a date typed (or auto-formatted) into a value cell is not its year
    s = unicodedata.normalize("NFKC", str(raw)).strip()
    if is_missing_mark(s):
        return ParsedNumber(None, True)
    m = _LEADING_NUMBER.match(s)
    if not m:
        return ParsedNumber(None, False)
    return ParsedNumber(float(m.group(2).replace(",", "")), True)


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
