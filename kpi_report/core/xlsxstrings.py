"""sharedStrings.xml as xlsxwriter writes it, in a fraction of the time: for every workbook with many strings
(the diff's, ~70,000; progress-list.xlsx, ~4,000 for 1,000 measures).

xlsxwriter writes each string through a few passes (control characters, ``_xHHHH_`` escapes, whitespace to
preserve, ``&<>``). Most strings need only the last: those are escaped a run at a time and joined; the others
(:func:`special`) go through xlsxwriter's own ``_write_si``. The same bytes (tests/test_diff_sheet_xml.py).
A workbook uses it with ``workbook._get_packager = StringsPackager`` (xlsxwriter's hook for its packager).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings


class FastStrings(SharedStrings):  # type: ignore[misc]
    """sharedStrings.xml as xlsxwriter writes it: the plain strings (no control character, no _xHHHH_ or
    non-character to escape, no whitespace to preserve, not rich text) escaped a run at a time, joined, instead
    of through xlsxwriter's passes per string."""

    def _write_sst_strings(self) -> None:
        strings: list[str] = self.string_table.string_array
        special = special_strings(strings)
        start = 0
        for k in [*special, len(strings)]:
            if k > start:
                run = (
                    "\x00".join(strings[start:k])
                    .replace("&", "&amp;")
                    .replace("<", "&lt;")
                    .replace(">", "&gt;")
                )
                self.fh.write("<si><t>" + run.replace("\x00", "</t></si><si><t>") + "</t></si>")
            if k < len(strings):
                self._write_si(strings[k])
            start = k + 1


class StringsPackager(Packager):  # type: ignore[misc]
    """xlsxwriter's packager with :class:`FastStrings`."""

    def _write_shared_strings_file(self) -> None:
        sst = FastStrings()
        sst.string_table = self.workbook.str_table
        if not self.workbook.str_table.count:
            return
        sst._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        sst._assemble_xml_file()


def special_strings(strings: list[str]) -> list[int]:
    """The indexes, in order, of the strings for which :func:`special` is true: found in the strings framed and
    joined by NUL with four scans, each with a literal or a character class to look for (one expression with
    every case tried at each character took ~90 ns a character)."""
    framed = "\x00" + "\x00".join(strings) + "\x00"
    if framed.count("\x00") != len(strings) + 1:  # a string holds the separator: one at a time
        return [k for k, string in enumerate(strings) if special(string)]
    separators = list(accumulate(map((1).__add__, map(len, strings)), initial=0))  # before each, and last
    inside = [m.start() for pattern in _ESCAPED_JOINED for m in pattern.finditer(framed)]
    found = {bisect_right(separators, at) - 1 for at in inside}  # a match inside a string, or a leading one
    found.update(bisect_right(separators, m.start()) - 1 for m in _LEADING_JOINED.finditer(framed))
    found.update(bisect_right(separators, m.start()) - 2 for m in _TRAILING_JOINED.finditer(framed))
    return sorted(found)


# in the strings framed and joined by NUL: what _write_si changes in a string (control characters, _xHHHH_,
# non-characters) — the match starts inside the string —, marks (whitespace at either end: the match starts at
# the NUL before or after the string) or writes as it is (rich text: the NUL before)
_ESCAPED_JOINED = (re.compile(r"[\x01-\x08\x0b-\x1f\ufffe\uffff]"), re.compile(r"_x[0-9a-fA-F]{4}_"))
_LEADING_JOINED = re.compile(r"\x00(?:\s|<r>)")
_TRAILING_JOINED = re.compile(r"\x00(?<=\s\x00)")
_ESCAPED = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")


def special(string: str) -> bool:
    """True when _write_si does more than escape ``&<>`` in ``string`` (see _ESCAPED_JOINED)."""
    return (
        _ESCAPED.search(string) is not None
        or string[:1].isspace()
        or string[-1:].isspace()
        or string.startswith("<r>")
    )
