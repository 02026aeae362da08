"""The file-safety layer: what a file is by its content, archive limits, hardened XML, the bounded sheet reader."""

from __future__ import annotations

import io
import os
import struct
import threading
import tracemalloc
import zipfile
from pathlib import Path

import defects
import pytest
from openpyxl.utils import column_index_from_string

from kpi_report.core.model import Plan
from kpi_report.intake import workbook as intake
from kpi_report.intake.workbook import DEFAULT_LIMITS, Cell, Limits, take_in

WANTED = {"進捗", "KPI", "_meta"}


@pytest.fixture(scope="module")
def clean_form(tmp_path_factory: pytest.TempPathFactory, plain_plan: Plan) -> Path:
    return defects.clean_filled_form(plain_plan, 2019, tmp_path_factory.mktemp("clean"))


def codes(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    return [f.code for f in take_in(path, WANTED, limits).findings]


def test_clean_form_is_read(clean_form: Path) -> None:
    intake = take_in(clean_form, WANTED)
    assert (intake.kind, intake.findings) == ("xlsx", ())
    assert intake.sheet_states == (
        ("記入方法", "visible"),
        ("進捗", "visible"),
        ("KPI", "visible"),
        ("_meta", "veryHidden"),
    )
    assert set(intake.sheets) == WANTED
    assert intake.sheets["進捗"].cells[(4, 12)] == Cell("実施中")
    assert intake.sheets["KPI"].cells[(6, column_index_from_string(defects.ACTUAL_COL))] == Cell(45.0)
    assert intake.data == clean_form.read_bytes()


def test_zip_bomb_is_rejected_from_the_directory_without_extracting(
    clean_form: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = defects.zip_bomb(clean_form, tmp_path / "zip_bomb.xlsx")
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: str | zipfile.ZipInfo, *args: object, **kwargs: object) -> object:
        opened.append(name if isinstance(name, str) else name.filename)
        return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    intake = take_in(bomb, WANTED)
    assert intake.kind == "rejected"
    assert [(f.code, f.value) for f in intake.findings] == [("archive-ratio", "xl/media/image1.png")]
    assert opened == []  # not one part was decompressed
    assert intake.sheets == {} and intake.data == b""


def test_total_size_and_part_count_limits(clean_form: Path) -> None:
    assert codes(clean_form, Limits(max_total_bytes=10_000)) == ["archive-too-large"]
    assert codes(clean_form, Limits(max_parts=5)) == ["archive-too-many-parts"]


def test_declared_sizes_are_never_exceeded(clean_form: Path, tmp_path: Path) -> None:
    """A directory that lies about a part's size: reading stops at the declared size and the file is rejected."""
    part = defects.sheet_part(clean_form, "進捗")
    data = bytearray(clean_form.read_bytes())
    info = zipfile.ZipFile(clean_form).getinfo(part)
    struct.pack_into("<I", data, info.header_offset + 22, 100)  # local header: uncompressed size
    name = part.encode()
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, 100)  # central directory: uncompressed size
    lying = tmp_path / "lying_sizes.xlsx"
    lying.write_bytes(bytes(data))
    assert codes(lying) == ["unreadable-file"]


def test_billion_laughs_is_rejected_with_flat_memory(clean_form: Path, tmp_path: Path) -> None:
    path = defects.billion_laughs(clean_form, tmp_path / "billion_laughs.xlsx")
    tracemalloc.start()
    intake = take_in(path, WANTED)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [(f.code, f.value) for f in intake.findings] == [
        ("xml-doctype", defects.sheet_part(clean_form, "進捗"))
    ]
    assert peak < 20 * 2**20


def test_external_entity_is_rejected(clean_form: Path, tmp_path: Path) -> None:
    assert codes(defects.external_entity(clean_form, tmp_path / "x.xlsx")) == ["xml-doctype"]


@pytest.mark.parametrize(
    ("streams", "code"),
    [
        ({"EncryptionInfo": b"\x04\x00", "EncryptedPackage": b"\x01" * 5000}, "encrypted-workbook"),
        ({"Workbook": b"\x09\x08"}, "legacy-format"),
        ({"Book": b"\x09\x08"}, "legacy-format"),
        ({"WordDocument": b"\xec\xa5"}, "unreadable-file"),
    ],
)
def test_ole_files_are_told_apart_by_their_streams(
    tmp_path: Path, streams: dict[str, bytes], code: str
) -> None:
    path = tmp_path / "file.xlsx"
    path.write_bytes(defects.ole_file(streams))
    assert codes(path) == [code]


def test_broken_ole_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "broken.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 600)
    assert codes(path) == ["unreadable-file"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("~$総務課.xlsx", b"\x06tanaka", "skipped"),
        (".~lock.総務課.xlsx#", b"tanaka,PC", "skipped"),
        ("Thumbs.db", defects.ole_file({"Catalog": b"x"}), "skipped"),
        (".DS_Store", b"\x00\x00\x00\x01Bud1", "skipped"),
        ("desktop.ini", b"[.ShellClassInfo]", "skipped"),
        ("説明.pdf", b"%PDF-1.7\n", "skipped"),
        ("readme.txt", "提出してください".encode(), "skipped"),
        ("photo.png", b"\x89PNG\r\n\x1a\n", "skipped"),
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n", "rejected"),
        ("総務課.csv", "取組ID,進捗状況\n1-1-01,実施中\n".encode(), "rejected"),
        ("総務課.xlsx", b"", "rejected"),
        ("empty.txt", b"", "skipped"),
    ],
)
def test_what_is_skipped_and_what_is_rejected(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    intake = take_in(path, WANTED)
    assert intake.kind == expected
    severities = {f.severity for f in intake.findings}
    assert severities == ({"info"} if expected == "skipped" else {"error"})


def test_workbook_named_xls_is_read_with_a_warning(clean_form: Path, tmp_path: Path) -> None:
    path = tmp_path / "総務課.xls"
    path.write_bytes(clean_form.read_bytes())
    intake = take_in(path, WANTED)
    assert intake.kind == "xlsx"
    assert [(f.code, f.value) for f in intake.findings] == [("wrong-extension", ".xls")]


def test_cell_limit_stops_reading(clean_form: Path) -> None:
    intake = take_in(clean_form, WANTED, Limits(max_cells=20))
    assert intake.kind == "rejected"
    assert [(f.code, f.sheet) for f in intake.findings] == [("sheet-too-large", "進捗")]


def test_links_and_connections_are_reported_not_followed(clean_form: Path, tmp_path: Path) -> None:
    link = take_in(defects.external_link(clean_form, tmp_path / "l.xlsx"), WANTED)
    assert link.kind == "xlsx"
    assert [(f.code, f.value) for f in link.findings] == [("external-link", "file:///C:/secret/budget.xlsx")]
    assert codes(defects.dde_link(clean_form, tmp_path / "d.xlsx")) == ["dde-link"]
    assert codes(defects.data_connection(clean_form, tmp_path / "c.xlsx")) == ["data-connection"]


# -- the sheet reader on a hand-written workbook --------------------------------------------------------------

_NS = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _workbook(sheet_xml: str, strings_xml: str) -> bytes:
    """A minimal workbook written with an 'x:' namespace prefix, as some programs do."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="r1" Type="{_R}/officeDocument" Target="/xl/book.xml"/></Relationships>',
        )
        z.writestr(
            "xl/book.xml",
            f'<x:workbook {_NS} xmlns:r="{_R}"><x:sheets><x:sheet name="進捗" sheetId="1" r:id="s1"/>'
            '<x:sheet name="メモ" sheetId="2" state="hidden" r:id="s2"/></x:sheets></x:workbook>',
        )
        z.writestr(
            "xl/_rels/book.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="s1" Type="{_R}/worksheet" Target="sheets/a.xml"/>'
            f'<Relationship Id="s2" Type="{_R}/worksheet" Target="../xl/sheets/b.xml"/>'
            f'<Relationship Id="ss" Type="{_R}/sharedStrings" Target="strings.xml"/></Relationships>',
        )
        z.writestr("xl/sheets/a.xml", sheet_xml)
        z.writestr("xl/sheets/b.xml", f"<x:worksheet {_NS}><x:sheetData/></x:worksheet>")
        z.writestr("xl/strings.xml", strings_xml)
    return out.getvalue()


def test_reader_values_formulas_errors_hidden_and_merged(tmp_path: Path) -> None:
    strings = (
        f"<x:sst {_NS}>"
        "<x:si><x:t>実施中</x:t><x:rPh sb='0' eb='2'><x:t>ジッシチュウ</x:t></x:rPh></x:si>"
        "<x:si><x:r><x:t>一行目_x000D_</x:t></x:r><x:r><x:rPr><x:b/></x:rPr><x:t>\n二行目</x:t></x:r></x:si>"
        "<x:si><x:t>_x005F_x0001_ は文字</x:t></x:si>"
        "</x:sst>"
    )
    sheet = (
        f"<x:worksheet {_NS}>"
        '<x:dimension ref="A1:XFD1048576"/>'
        '<x:cols><x:col min="3" max="4" hidden="1" width="0"/></x:cols><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c><x:c t="s"><x:v>2</x:v></x:c></x:row>'
        '<x:row r="3" hidden="1"><x:c r="A3"><x:v>1234.5</x:v></x:c><x:c r="B3" t="b"><x:v>1</x:v></x:c>'
        '<x:c r="C3" t="e"><x:v>#DIV/0!</x:v></x:c><x:c r="D3" t="inlineStr"><x:is><x:t>inline</x:t></x:is></x:c></x:row>'
        '<x:row><x:c r="A4"><x:f>1+1</x:f></x:c><x:c r="B4"><x:f>1+1</x:f><x:v>2</x:v></x:c>'
        '<x:c r="C4" t="str"><x:f>""</x:f><x:v></x:v></x:c><x:c r="D4" s="3"/></x:row>'
        '</x:sheetData><x:mergeCells count="1"><x:mergeCell ref="B6:C7"/></x:mergeCells></x:worksheet>'
    )
    path = tmp_path / "handmade.xlsx"
    path.write_bytes(_workbook(sheet, strings))
    intake = take_in(path, {"進捗"})
    assert (intake.kind, intake.findings) == ("xlsx", ())
    assert intake.sheet_states == (("進捗", "visible"), ("メモ", "hidden"))
    s = intake.sheets["進捗"]
    assert s.cells == {
        (1, 1): Cell("実施中"),  # the phonetic guide (furigana) is not part of the text
        (1, 2): Cell("一行目\r\n二行目"),
        (1, 3): Cell("_x0001_ は文字"),
        (3, 1): Cell(1234.5),
        (3, 2): Cell(True),
        (3, 3): Cell("#DIV/0!", error=True),
        (3, 4): Cell("inline"),
        (4, 1): Cell(None, formula="=1+1"),
        (4, 2): Cell(2.0, formula="=1+1"),
        (4, 3): Cell("", formula='=""'),
    }
    assert s.hidden_rows == {3}
    assert s.hidden_columns == {3, 4}
    assert s.merged == ((6, 2, 7, 3),)


@pytest.mark.parametrize(
    ("original", "hostile"),
    [(b'<c r="A4"', b'<c r="A-4"'), (b'<row r="4"', b'<row r="four"'), (b'<c r="A4"', b'<c s="x" r="A4"')],
)
def test_malformed_cell_attributes_make_the_file_unreadable(
    clean_form: Path, tmp_path: Path, original: bytes, hostile: bytes
) -> None:
    part = defects.sheet_part(clean_form, "進捗")
    path = defects.rewrite(
        clean_form,
        tmp_path / "malformed.xlsx",
        {},
        lambda name, data: data.replace(original, hostile, 1) if name == part else data,
    )
    assert codes(path) == ["unreadable-file"]


def test_fifo_and_device_are_skipped_not_read(tmp_path: Path) -> None:
    """A named pipe would block the read forever and /dev/zero would fill memory: neither is opened."""
    fifo = tmp_path / "総務課.xlsx"
    os.mkfifo(fifo)
    results: list[intake.Intake] = []
    reader = threading.Thread(target=lambda: results.append(take_in(fifo, WANTED)), daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # unblock the reader so the test run can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert results, "take_in blocked on a named pipe"
    zero = tmp_path / "企画課.xlsx"
    zero.symlink_to("/dev/zero")
    results.append(take_in(zero, WANTED))
    for result in results:
        assert result.kind == "skipped"
        assert [f.code for f in result.findings] == ["skipped-file"]
