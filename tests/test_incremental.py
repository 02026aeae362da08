"""Correction rounds: a rebuild re-renders only the review's parts that changed, and gives the same bytes as a
clean build of the corrected inputs (outputs/.cache/, build --no-cache)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from kpi_report.api import build
from kpi_report.core.project import Project
from kpi_report.publish.build import cache_folder

REPO = Path(__file__).resolve().parents[1]
FY = 2019
COMPARED = ("annual-review.pdf", "progress-list.xlsx", "progress-list.html", "manifest.json")


def _set_cell(path: Path, sheet: str, header: str, row_id: str, value: str | int) -> None:
    """Change one cell of a workbook found by its header and the row's ID (first column)."""
    wb = load_workbook(path)
    ws = wb[sheet]
    for header_row in ws.iter_rows(min_row=1, max_row=20):
        headers = [c.value for c in header_row]
        if header in headers:
            col, top = headers.index(header) + 1, header_row[0].row or 1
            for row in ws.iter_rows(min_row=top + 1):
                if row[0].value == row_id:
                    ws.cell(row[0].row or 1, col, value)
                    wb.save(path)
                    return
    raise AssertionError(f"{header} / {row_id} not found in {path.name}")


def _note(root: Path) -> None:
    _set_cell(
        root / "inputs/2019/子育て支援課.xlsx", "進捗", "実施状況", "1-2-01", "・訂正後の実施状況です。"
    )


def _status(root: Path) -> None:
    _set_cell(root / "inputs/2019/子育て支援課.xlsx", "進捗", "進捗状況", "1-2-01", "完了")


def _actual(root: Path) -> None:
    _set_cell(root / "inputs/2019/子育て支援課.xlsx", "KPI", "実績値", "K1-2-01", 12)


def _master_text(root: Path) -> None:
    _set_cell(root / "inputs/master.xlsx", "取組", "内容", "4-2-03", "内容を書き直しました。")


def _template(root: Path) -> None:
    css = root / "templates" / "annual-review.css"
    css.write_text(css.read_text(encoding="utf-8") + "\nh1 { letter-spacing: 0.05em; }\n", encoding="utf-8")


def _settings(root: Path) -> None:
    wb = load_workbook(root / "inputs/master.xlsx")
    ws = wb["設定"]
    for row in ws.iter_rows():
        if row[0].value == "計画名":
            row[1].value = "清瀬市総合戦略（改訂版）"
    wb.save(root / "inputs/master.xlsx")


CHANGES: dict[str, Callable[[Path], None]] = {
    "a note": _note,
    "a status": _status,
    "a KPI actual": _actual,
    "a master text": _master_text,
    "a template": _template,
    "the settings": _settings,
}


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("2020", "2021"))
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample built once for 2019 (so the cache holds every part)."""
    root = tmp_path_factory.mktemp("built") / "project"
    shutil.copytree(REPO / "inputs", root / "inputs")
    shutil.copytree(REPO / "templates", root / "templates")
    build(root, FY)
    return root


def _outputs(root: Path) -> dict[str, bytes]:
    return {name: (Project(root).outputs(FY) / name).read_bytes() for name in COMPARED}


@pytest.mark.parametrize("kind", list(CHANGES))
def test_a_rebuild_after_a_correction_equals_a_clean_build(built: Path, tmp_path: Path, kind: str) -> None:
    corrected = _copy(built, tmp_path / "corrected")
    CHANGES[kind](corrected)
    clean = _copy(corrected, tmp_path / "clean")  # the same corrected inputs (a saved workbook's bytes vary)
    shutil.rmtree(clean / "outputs")
    rebuilt = build(corrected, FY)
    fresh = build(clean, FY, use_cache=False)
    assert fresh.review_parts_reused == ()
    assert _outputs(corrected) == _outputs(clean)
    if kind in ("a note", "a status", "a KPI actual", "a master text"):  # the other goals' parts are kept
        assert "goals2" in rebuilt.review_parts_reused or "goals1" in rebuilt.review_parts_reused


def _pages(root: Path) -> int:
    return len(PdfReader(Project(root).outputs(FY) / "annual-review.pdf").pages)


def _long_note(root: Path) -> None:
    lines = "\n".join(f"・訂正後の実施状況、{i}行目です。" for i in range(1, 41))
    _set_cell(root / "inputs/2019/子育て支援課.xlsx", "進捗", "実施状況", "1-2-01", lines)


@pytest.mark.parametrize("numbered_by", ["the joiner", "the stylesheet"])
def test_a_correction_moving_the_pages_renders_only_the_changed_part(
    built: Path, tmp_path: Path, numbered_by: str
) -> None:
    """Page numbers are drawn when joining (folio.py): a section that grows by pages moves every later page
    number, yet only its own part and the contents are rendered again. A project whose stylesheet numbers
    the pages in a margin box is still right: its later parts are rendered again."""
    corrected = _copy(built, tmp_path / "corrected")
    if numbered_by == "the stylesheet":
        css = corrected / "templates" / "annual-review.css"
        numbers = '\n@page { @bottom-center { content: "p. " counter(page); } }\n'
        css.write_text(css.read_text(encoding="utf-8") + numbers, encoding="utf-8")
        build(corrected, FY)
    before = _pages(corrected)
    _long_note(corrected)
    clean = _copy(corrected, tmp_path / "clean")
    shutil.rmtree(clean / "outputs")
    rebuilt = build(corrected, FY)
    build(clean, FY, use_cache=False)
    assert _outputs(corrected) == _outputs(clean)
    assert _pages(corrected) > before
    text = PdfReader(Project(corrected).outputs(FY) / "annual-review.pdf").pages[-1].extract_text()
    last = len(PdfReader(Project(corrected).outputs(FY) / "annual-review.pdf").page_labels)
    later_goals = {k for k in (*rebuilt.review_parts_rendered, *rebuilt.review_parts_reused)} - {"goals1"}
    later_goals = {k for k in later_goals if k.startswith("goals")}
    assert later_goals  # the sections after the corrected one, whose pages all moved
    if numbered_by == "the joiner":
        # its section, the contents, and the slice of the appendix's table that prints the note: nothing else
        # (where a part ends depends on the 施策 around the cut, so the later slices keep their cuts)
        rendered = set(rebuilt.review_parts_rendered)
        assert {"goals1", "front"} <= rendered and len(rendered) == 3
        assert len([k for k in rendered if k.startswith("appendix")]) == 1
        assert later_goals <= set(rebuilt.review_parts_reused)
        assert text.rstrip().endswith(f"- {last - 2} -") and "p. " not in text
    else:
        assert later_goals <= set(rebuilt.review_parts_rendered)
        assert f"p. {last - 2}" in text and f"- {last - 2} -" not in text


def test_an_unchanged_rebuild_renders_nothing(built: Path, tmp_path: Path) -> None:
    again = build(_copy(built, tmp_path / "again"), FY)
    assert again.review_parts_rendered == ()
    assert again.review_parts_reused


def test_a_damaged_cache_entry_is_never_trusted(built: Path, tmp_path: Path) -> None:
    root = _copy(built, tmp_path / "damaged")
    expected = _outputs(root)["annual-review.pdf"]
    folder = cache_folder(Project(root))
    for pdf in folder.glob("*.pdf"):
        pdf.write_bytes(pdf.read_bytes()[:-100] + b"%%EOF tampered")
    for record in list(folder.glob("*.json"))[:3]:
        record.write_text("{not json", encoding="utf-8")
    result = build(root, FY)
    assert result.review_parts_reused == ()
    assert _outputs(root)["annual-review.pdf"] == expected


def test_no_cache_ignores_the_cache(built: Path, tmp_path: Path) -> None:
    root = _copy(built, tmp_path / "nocache")
    result = build(root, FY, use_cache=False)
    assert result.review_parts_reused == () and result.review_parts_rendered == ()
