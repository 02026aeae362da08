"""Fiscal years (年度) and Japanese eras: parse what users type, render era labels.

A small module of our own: the era libraries on PyPI reject the 平成32年度-style years that plans
written before 2019 use for later years, and do not know the FY2019 convention (令和元年度 vs 平成31年度).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from kpi_report.core.errors import FiscalYearError

# era name -> (first Gregorian year, romaji initial)
ERAS: dict[str, tuple[int, str]] = {"昭和": (1926, "S"), "平成": (1989, "H"), "令和": (2019, "R")}
_INITIALS = {initial: name for name, (_, initial) in ERAS.items()}
_MIN_FY, _MAX_FY = 1926, 2200

_WESTERN = re.compile(r"(\d{4})(?:年度?)?")
_ERA = re.compile(r"(昭和|平成|令和|[SHR])\s*(元|\d{1,2})\s*(?:年度?)?", re.IGNORECASE)

HELP = "2019、R1、令和元年度、H31、平成31年度 のように入力してください。"


def parse_fy(text: str | int) -> int:
    """Parse a fiscal year in any accepted form (2019, ２０１９, R1, R元, 令和元年度, H31 …) to an int.

    Raises:
        FiscalYearError: the text is empty, unknown, or names year 0 of an era.
    """
    raw = str(text) if isinstance(text, int) else text
    s = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
    if not s:
        raise FiscalYearError(f"年度が空です。{HELP}")
    m = _WESTERN.fullmatch(s)
    if m:
        fy = int(m.group(1))
        if not _MIN_FY <= fy <= _MAX_FY:
            raise FiscalYearError(f"年度「{raw}」は範囲外です。{HELP}")
        return fy
    m = _ERA.fullmatch(s)
    if not m:
        raise FiscalYearError(f"年度「{raw}」を読み取れません。{HELP}")
    era = m.group(1)
    era = _INITIALS.get(era.upper(), era)
    n = 1 if m.group(2) == "元" else int(m.group(2))
    if n == 0:
        raise FiscalYearError(f"年度「{raw}」: 元号の0年はありません。{HELP}")
    return ERAS[era][0] + n - 1


def era_of(fy: int, reiwa_for_2019: bool = True) -> tuple[str, int]:
    """The era name and year number used to label fiscal year ``fy``."""
    if fy == 2019 and not reiwa_for_2019:
        return "平成", 31
    for name, (start, _) in sorted(ERAS.items(), key=lambda e: -e[1][0]):
        if fy >= start:
            return name, fy - start + 1
    raise FiscalYearError(f"{fy}年度は昭和より前で、和暦で表せません。")


def fy_label(fy: int, reiwa_for_2019: bool = True) -> str:
    """'令和元年度', '平成28年度' … for fiscal year ``fy``."""
    name, n = era_of(fy, reiwa_for_2019)
    return f"{name}{'元' if n == 1 else n}年度"


def fy_heading(fy: int, reiwa_for_2019: bool = True) -> str:
    """The notes heading of a year: '【平成28年度】'."""
    return f"【{fy_label(fy, reiwa_for_2019)}】"


_DATE_WESTERN = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_DATE_ERA = re.compile(
    r"(昭和|平成|令和|[SHR])\.?(元|\d{1,2})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", re.IGNORECASE
)
DATE_HELP = "2024-05-31、2024/5/31、令和6年5月31日、R6.5.31 のように入力してください。"
_WEEKDAYS = "月火水木金土日"


def parse_date(value: object) -> date:
    """A date as a cell holds it (a date) or as typed (2024-05-31, 2024/5/31, 令和6年5月31日, R6.5.31).

    Raises:
        FiscalYearError: the value is not a date.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = unicodedata.normalize("NFKC", str(value or "")).strip().replace(" ", "")
    try:
        m = _DATE_WESTERN.fullmatch(s)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _DATE_ERA.fullmatch(s)
        if m:
            era = _INITIALS.get(m.group(1).upper(), m.group(1))
            n = 1 if m.group(2) == "元" else int(m.group(2))
            if n > 0:
                return date(ERAS[era][0] + n - 1, int(m.group(3)), int(m.group(4)))
    except ValueError:  # 2月30日
        pass
    raise FiscalYearError(f"日付「{value}」を読み取れません。{DATE_HELP}")


def date_label(day: date) -> str:
    """'令和6年5月31日（金）': a date as printed for clerks (the era by the calendar day: 令和 from 2019-05-01)."""
    name, n = ("平成", 31) if date(2019, 1, 1) <= day < date(2019, 5, 1) else era_of(day.year)
    return f"{name}{'元' if n == 1 else n}年{day.month}月{day.day}日（{_WEEKDAYS[day.weekday()]}）"
