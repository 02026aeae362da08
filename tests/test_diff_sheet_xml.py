"""The diff's fast worksheet (compare/output.py _FastSheet): put cells read back as xlsxwriter's own would."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText

from kpi_report.compare.output import _FastSheet
from kpi_report.core.files import new_xlsx


def _workbook() -> bytes:
    buffer = io.BytesIO()
    wb = new_xlsx(buffer)
    ws = wb.add_worksheet("新一覧", worksheet_class=_FastSheet)
    bold, red = wb.add_format({"bold": True, "border": 1}), wb.add_format({"font_color": "#C00000"})
    ws.merge_range(0, 0, 0, 3, "", bold)
    ws.put(0, 0, '基本目標1 <&> "x"', bold)  # over merge_range's first cell
    ws.put(2, 3, 1.25, bold)
    ws.put(2, 1, "=SUM(A1)", bold)  # literal text, never a formula
    ws.write_rich_string(2, 2, red, "赤", "黒", bold)  # xlsxwriter's cell between put ones
    ws.put(2, 0, None, bold)  # a blank with its format
    ws.put(3, 0, "長" * 20_000, bold)  # over half the limit: through write_string
    ws.set_row(5, 30)  # a row with a height only
    ws.write_comment(2, 3, "変更前: 1.0")
    ws.put(4, 4, 7, None)  # without a format: through write_number
    wb.close()
    return buffer.getvalue()


def test_put_cells_read_back_in_place_with_their_formats() -> None:
    data = _workbook()
    assert data == _workbook()
    ws = load_workbook(io.BytesIO(data), rich_text=True)["新一覧"]
    assert ws.dimensions == "A1:E5"
    assert ws["A1"].value == '基本目標1 <&> "x"' and ws["A1"].font.b
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:D1"]
    assert ws["A3"].value is None and ws["A3"].border.left.style == "thin"
    assert ws["B3"].value == "=SUM(A1)" and ws["B3"].data_type == "s"
    assert isinstance(ws["C3"].value, CellRichText) and str(ws["C3"].value) == "赤黒"
    assert ws["D3"].value == 1.25 and ws["D3"].comment is not None
    assert ws["A4"].value == "長" * 20_000
    assert ws["E5"].value == 7
    assert ws.row_dimensions[6].height == 30


def test_line_count_is_cellmetrics_line_count() -> None:
    """The diff's row heights measure text with one regular expression; the count is cellmetrics' own."""
    import random

    from kpi_report.compare.output import _line_count
    from kpi_report.core.cellmetrics import line_capacity, line_count

    rng = random.Random(15)
    alphabet = (
        "abc XYZ 019,.-\n\t"
        "あいうえおアイウｱｲｳ漢字取組、。（）「」ー・【】①②Ⅲ±×÷§¨°ΩАЯ─│★○※〒〜"
        "\u00a0\u00ad\u0301\u200b\u3000\ufeff\uff01\uff5e\uff61\uffe5\ud7a3\ue000\U0001f600\U00020000\U000e0100"
    )
    texts = ["", "\n", "短い", "a" * 200, "全" * 200, "全角と半角abc" * 30 + "\n" + "x" * 90]
    for _ in range(3000):
        texts.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 160))))
    texts += ["".join(chr(rng.randrange(0x20, 0x10000)) for _ in range(120)) for _ in range(300)]
    for width in (6, 10, 14, 22, 24, 40, 66, 200):
        capacity = line_capacity(width)
        for text in texts:
            assert _line_count(text, capacity) == line_count(text, width), (text, width)


def test_put_texts_is_put_for_each_text() -> None:
    def book(together: bool) -> bytes:
        buffer = io.BytesIO()
        wb = new_xlsx(buffer)
        ws = wb.add_worksheet("変更一覧", worksheet_class=_FastSheet)
        fmt = wb.add_format({"text_wrap": True})
        texts = ("種類", "", "A&B <c>", "長" * 20_000, "種類", "x")
        for row in (1, 2):
            if together:
                ws.put_texts(row, 1, texts, fmt)
            else:
                for k, text in enumerate(texts, start=1):
                    if text:
                        ws.put(row, k, text, fmt)
        wb.close()
        return buffer.getvalue()

    assert book(True) == book(False)


def test_shared_strings_are_xlsxwriters() -> None:
    """sharedStrings.xml written a run at a time: the same text as xlsxwriter's own writer, whatever the strings
    hold (control characters, NUL, _xHHHH_, non-characters, white space at either end, rich text, markup)."""
    import random
    from io import StringIO

    from xlsxwriter.sharedstrings import SharedStrings, SharedStringTable

    from kpi_report.core.xlsxstrings import FastStrings

    def written(writer: SharedStrings, strings: list[str]) -> str:
        table = SharedStringTable()
        for string in strings:
            table._get_shared_string_index(string)
        table._sort_string_data()
        writer.string_table = table
        out = StringIO()
        writer._set_filehandle(out)
        writer._assemble_xml_file()
        return out.getvalue()

    rng = random.Random(15)
    pieces = [
        "a",
        "あ",
        " ",
        "\u3000",
        "\n",
        "\t",
        "&",
        "<",
        ">",
        '"',
        "_x0041_",
        "_x00",
        "41_",
        "\x00",
        "\x01",
        "\x1f",
        "\ufffe",
        "\uffff",
        "<r>",
        "</r>",
        "<r><t>x</t></r>",
        "\U0001f600",
        "\x7f",
        "\r",
    ]
    cases = [
        [],
        [""],
        ["", ""],
        ["plain"],
        ["<r><t>x</t></r>"],
        [" lead", "trail ", "\x00", "a\x00b", "_x0041_"],
    ]
    for _ in range(400):
        cases.append(
            [
                "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 6)))
                for _ in range(rng.randrange(1, 12))
            ]
        )
    for strings in cases:
        assert written(FastStrings(), strings) == written(SharedStrings(), strings), strings
