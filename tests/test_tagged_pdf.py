"""The annual review is a tagged PDF with one structure tree in page order, though rendered in parallel parts.

Read back with pikepdf (the tree) and poppler's pdfinfo (Tagged: yes): language, title shown, headings that
match the bookmarks, tables with header cells, figures whose alternative text gives the chart's values.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from kpi_report.core.project import Project, template_dirs
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.present.table import present
from kpi_report.publish.build import years_to_check
from kpi_report.render.review.review import render_review
from kpi_report.validate.check import check_year

pikepdf = pytest.importorskip("pikepdf", reason="pikepdf: scripts/setup.sh --dev installs it")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tagged") / "project"
    shutil.copytree(REPO / "inputs", root / "inputs")
    project = Project(root)
    plan = load_plan(project.master)
    reports = {y: check_year(project, plan, y, past=y < 2019) for y in years_to_check(project, plan, 2019)}
    path = root / "annual-review.pdf"
    path.write_bytes(render_review(present(merge(plan, 2019, reports).report), template_dirs(project)))
    return path


def elements(element: Any, depth: int = 0) -> Iterator[tuple[int, Any]]:
    """Every structure element under ``element``, depth first (the reading order)."""
    yield depth, element
    kids = element.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else []:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield from elements(kid, depth + 1)


@pytest.fixture(scope="module")
def tree(review: Path) -> Iterator[tuple[Any, list[tuple[str, int | None, Any]]]]:
    with pikepdf.open(review) as pdf:
        pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
        documents = list(pdf.Root.StructTreeRoot.K)
        flat = [
            (str(e.S), pages.get(e.Pg.objgen) if "/Pg" in e else None, e)
            for document in documents
            for _, e in elements(document)
        ]
        yield pdf, flat


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils: scripts/setup.sh --dev")
def test_pdfinfo_says_tagged(review: Path) -> None:
    info = subprocess.run(["pdfinfo", str(review)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)


def test_language_title_shown_and_one_document(tree: tuple[Any, list[Any]]) -> None:
    pdf, flat = tree
    assert str(pdf.Root.Lang) == "ja"
    assert bool(pdf.Root.MarkInfo.Marked) and bool(pdf.Root.ViewerPreferences.DisplayDocTitle)
    assert "年次報告書" in str(pdf.docinfo["/Title"])
    assert [s for s, _, _ in flat if s == "/Document"] == ["/Document"]


def test_reading_order_follows_the_pages(tree: tuple[Any, list[Any]]) -> None:
    pdf, flat = tree
    pages = [page for _, page, _ in flat if page is not None]
    assert pages == sorted(pages) and pages[0] == 0 and pages[-1] == len(pdf.pages) - 1


def test_headings_match_the_bookmarks(review: Path, tree: tuple[Any, list[Any]]) -> None:
    _, flat = tree
    headings = [(s, page) for s, page, _ in flat if s in ("/H1", "/H2", "/H3")]
    reader = PdfReader(review)

    def walk(items: list[Any], level: int) -> Iterator[tuple[str, int | None, str]]:
        for item in items:
            if isinstance(item, list):
                yield from walk(item, level + 1)
            else:
                yield f"/H{level}", reader.get_destination_page_number(item), str(item.title)

    bookmarks = list(walk(reader.outline, 1))
    # the appendix's goals are bookmarked rows of the progress table (header cells), not headings
    appendix = next(i for i, (_, _, title) in enumerate(bookmarks) if title.startswith("資料"))
    body = [(level, page) for level, page, _ in bookmarks[: appendix + 1]]
    assert len(body) > 10 and all(b in headings for b in body)  # each a heading of that level on its page
    assert {s for s, _ in headings} <= {"/H1", "/H2", "/H3"}


def test_tables_have_header_cells_that_the_cells_name(tree: tuple[Any, list[Any]]) -> None:
    pdf, flat = tree
    ids = set(map(str, pdf.Root.StructTreeRoot.IDTree.Names[::2]))
    headers = {str(e.ID) for s, _, e in flat if s == "/TH" and "/ID" in e}
    named = {str(h) for s, _, e in flat if s == "/TD" for h in e.get("/A", {}).get("/Headers", [])}
    assert headers and named and named <= headers <= ids


def test_figures_say_their_values(tree: tuple[Any, list[Any]]) -> None:
    _, flat = tree
    figures = [str(e.get("/Alt", "")) for s, _, e in flat if s == "/Figure"]
    assert len(figures) > 10
    assert all(re.search(r"\d", alt) for alt in figures), [a for a in figures if not re.search(r"\d", a)]
    assert any(alt.startswith("合計特殊出生率の推移。基準値 1.16（H26）") for alt in figures)


def test_every_marked_content_maps_back_to_its_element(tree: tuple[Any, list[Any]]) -> None:
    pdf, flat = tree
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for index, page in enumerate(pdf.pages):
        assert int(page.StructParents) == index
        mapped = parents[index]
        for _, at, e in flat:
            if at == index:
                for kid in e.K:
                    if isinstance(kid, int):
                        assert mapped[kid].objgen == e.objgen


def test_page_numbers_and_running_headers_are_pagination_artifacts(review: Path) -> None:
    """Each body page's number (drawn when the parts are joined) and its running header (the plan's name) are
    artifacts, so a screen reader skips them; the front pages have neither; every marked content sequence
    with an MCID belongs to the structure tree; marked content and graphics state stay balanced."""
    labels = PdfReader(review).page_labels
    with pikepdf.open(review) as pdf:
        parent_tree = pdf.Root.StructTreeRoot.ParentTree.Nums
        parents = {int(parent_tree[i]): parent_tree[i + 1] for i in range(0, len(parent_tree), 2)}
        for index, page in enumerate(pdf.pages):
            marks: list[Any] = []
            saved, folios, headers, mcids = 0, [], 0, []
            for operands, operator in pikepdf.parse_content_stream(page):
                name = str(operator)
                if name in ("BDC", "BMC"):
                    marks.append(operands)
                    if name == "BDC" and "/MCID" in operands[1]:
                        mcids.append(int(operands[1].MCID))
                elif name == "EMC":
                    marks.pop()
                elif name in ("q", "Q"):
                    saved += 1 if name == "q" else -1
                elif name in ("Tj", "TJ") and marks and str(marks[-1][0]) == "/Artifact":
                    kind = marks[-1][1]
                    assert str(kind.Type) == "/Pagination"
                    if str(kind.Subtype) == "/Footer":
                        folios.append(bytes(operands[0]).decode())
                    else:
                        headers += str(kind.Subtype) == "/Header"
            where = f"page {index + 1}"
            assert marks == [] and saved == 0, where
            assert folios == ([f"- {labels[index]} -"] if labels[index].isdigit() else []), where
            assert (headers > 0) == labels[index].isdigit(), where
            owners = parents[int(page.StructParents)] if mcids else []
            assert all(mcid < len(owners) and owners[mcid] is not None for mcid in mcids), where
