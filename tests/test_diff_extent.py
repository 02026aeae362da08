"""The size scan diff runs before the reader sees a sheet (issue 15): the fast path for plainly written sheets
(regular expressions) gives the extent the expat scan gives, and leaves every other part, the hostile ones
included, to that scan — the same extent or the same error."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from kpi_report.intake import workbook
from kpi_report.intake.workbook import sheet_extent

HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
OPEN = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
CLOSE = "</sheetData></worksheet>"
PART = "xl/worksheets/sheet1.xml"


def _archive(xml: str | bytes) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(PART, xml if isinstance(xml, bytes) else xml.encode("utf-8"))
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


def _both(xml: str | bytes) -> tuple[object, object]:
    """(sheet_extent, the expat scan alone): the extent, or the error's type and message."""

    def outcome(scan: object) -> object:
        try:
            return scan(_archive(xml), PART)  # type: ignore[operator]
        except ValueError as exc:
            return (type(exc), str(exc))

    return outcome(sheet_extent), outcome(workbook._expat_extent)


def _sheet(rows: str) -> str:
    return HEAD + OPEN + rows + CLOSE


PLAIN = _sheet(
    '<row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="C1" s="2"/></row>'
    '<row r="7"><c r="AB7"><v>1.5</v></c></row><row r="9"/>'
)


def test_a_plain_sheet_takes_the_fast_path_with_the_same_extent() -> None:
    assert workbook._plain_extent(_archive(PLAIN), PART) == (7, 28)
    assert _both(PLAIN) == ((7, 28), (7, 28))


@pytest.mark.parametrize(
    ("defect", "rows"),
    [
        ("reference-left-out", '<row r="2"><c r="B2"/><c><v>1</v></c></row>'),
        ("row-number-left-out", '<row r="2"><c r="B2"/></row><row><c r="A3"/></row><row><c/></row>'),
        ("single-quotes", "<row r='2'><c r='XFD2'/></row>"),
        ("prefixed-cell", '<row r="2" xmlns:x="urn:x"><x:c r="Z9"/><c r="B2"/></row>'),
        ("comment-hiding-a-cell", '<row r="2"><c r="B2"/><!-- <c r="XFD1048576"/> --></row>'),
        (
            "cdata-hiding-a-cell",
            '<row r="2"><c r="B2" t="inlineStr"><is><t><![CDATA[<c r="XFD9"/>]]></t></is></c></row>',
        ),
        ("instruction", '<row r="2"><?pi <c r="XFD9"/>?><c r="B2"/></row>'),
        ("lower-case-reference", '<row r="2"><c r="b2"/><c r="zz2"/></row>'),
        ("absolute-reference", '<row r="2"><c r="$B$2"/></row>'),
        ("leading-zeros", '<row r="02"><c r="B002"/></row>'),
        ("reference-outside-the-grid", '<row r="2"><c r="XFE2"/></row>'),
        ("row-outside-the-grid", '<row r="1048577"><c r="A1048577"/></row>'),
        ("row-zero", '<row r="0"><c r="A1"/></row>'),
        ("cell-row-zero", '<row r="1"><c r="A0"/></row>'),
        ("four-letters", '<row r="1"><c r="AAAA1"/></row>'),
        ("character-reference", '<row r="1"><c r="&#88;FD1"/></row>'),
        ("tab-before-the-reference", '<row r="1"><c\tr="XFD1"/></row>'),
        ("newline-after-the-reference", '<row r="1"><c r="B1"\n/></row>'),
        ("empty-cell-tag", '<row r="1"><c></c><c/></row>'),
        ("reference-not-first", '<row r="1"><c t="s" r="D1"><v>0</v></c></row>'),
        ("not-well-formed", '<row r="1"><c r="B1"></row>'),
        ("unbound-prefix", '<row r="1"><y:c r="B1"/></row>'),
        ("the-last-row-beyond-the-cells", '<row r="1"><c r="B1"/></row><row r="1048576"/>'),
        ("a-cell-beyond-its-row", '<row r="1"><c r="C1048576"/></row>'),
        ("wide-and-tall", '<row r="1"><c r="XFD1"/></row><row r="1048576"><c r="A1048576"/></row>'),
    ],
)
def test_every_other_form_gives_what_the_expat_scan_gives(defect: str, rows: str) -> None:
    fast, slow = _both(_sheet(rows))
    assert fast == slow, defect


@pytest.mark.parametrize(
    "xml",
    [
        ("<?xml version='1.0' encoding='UTF-16'?>" + OPEN + '<row r="1"><c r="D4"/></row>' + CLOSE).encode(
            "utf-16"
        ),
        (
            "<?xml version='1.0' encoding='ISO-8859-1'?>" + OPEN + '<row r="1"><c r="D4"/></row>' + CLOSE
        ).encode("latin-1"),
        b"\xef\xbb\xbf" + _sheet('<row r="1"><c r="D4"/></row>').encode(),
        (OPEN + '<row r="1"><c r="D4"/></row>' + CLOSE).encode(),  # no declaration
        b"",
        b"not xml at all",
        _sheet("").encode(),
        HEAD.encode() + b'<!DOCTYPE x [<!ENTITY a "b">]><x/>',
    ],
)
def test_encodings_and_prologs(xml: bytes) -> None:
    fast, slow = _both(xml)
    assert fast == slow


def test_random_sheets_agree() -> None:
    """Sheets mixing plain and other forms at random: the same extent or error either way."""
    rng = random.Random(15)
    pieces = [
        '<c r="{col}{row}"/>',
        '<c r="{col}{row}" t="s"><v>3</v></c>',
        "<c r='{col}{row}'/>",
        "<c><v>1</v></c>",
        '<c r="{col}{row}"><f>A1&lt;2</f><v>1</v></c>',
        '<c r="{lower}{row}"/>',
        '<!-- <c r="XFD{row}"/> -->',
    ]
    columns = ["A", "B", "Z", "AA", "XFD", "XFE"]
    for _ in range(300):
        rows = []
        for _ in range(rng.randint(0, 4)):
            number = rng.choice([1, 2, 5, 1_048_576, 1_048_577])
            tag = rng.choice([f'<row r="{number}">', "<row>", f'<row r="{number}" spans="1:3">'])
            cells = "".join(
                rng.choice(pieces[:-1] if rng.random() < 0.9 else pieces).format(
                    col=(col := rng.choice(columns)),
                    lower=col.lower(),
                    row=rng.choice([number, 3, 1_048_576]),
                )
                for _ in range(rng.randint(0, 3))
            )
            rows.append(tag + cells + "</row>")
        fast, slow = _both(_sheet("".join(rows)))
        assert fast == slow, rows
