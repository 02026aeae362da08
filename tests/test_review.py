"""The annual review PDF: content, contents page, page numbers, fonts, safe fetching, reproducibility."""

from __future__ import annotations

import gc
import io
import re
import resource
import shutil
import socket
import subprocess
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import NullObject

from benchmarks.synth_report import report_from_plan
from kpi_report.core.achievement import format_rate
from kpi_report.core.model import Plan, ProgressReport, YearNotes
from kpi_report.core.project import PACKAGED_TEMPLATES
from kpi_report.present.table import present, value_text
from kpi_report.render.review import partrender, weasy
from kpi_report.render.review.partrender import PartRenderer, SafeURLFetcher
from kpi_report.render.review.partspec import RenderConfig
from kpi_report.render.review.review import pdf_date, render_review, wrap_class
from kpi_report.render.review.weasy import css_string

HOSTILE = (
    '<img src="file:///etc/passwd">',
    '<link rel=attachment href="file:///etc/passwd">',
    "http://169.254.169.254/latest/meta-data/",
    "<script>alert(1)</script>",
)


def _flat(text: str) -> str:
    """Text without any whitespace: table cells wrap lines anywhere."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def report(sample_plan: Plan) -> ProgressReport:
    return report_from_plan(sample_plan, fy=2019, missing_submissions=("郷土博物館",))


@pytest.fixture(scope="module")
def pdf(report: ProgressReport) -> bytes:
    return render_review(present(report), [PACKAGED_TEMPLATES], workers=2)


@pytest.fixture(scope="module")
def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _fonts(reader: PdfReader) -> list[Any]:
    """Every font dictionary used by the pages."""
    fonts: list[Any] = []
    for page in reader.pages:
        resources: Any = page["/Resources"]
        fonts.extend(font.get_object() for font in resources["/Font"].values())
    return [font for font in fonts if font is not None and not isinstance(font, NullObject)]


def _front_pages(pdf: bytes) -> int:
    return sum(1 for label in PdfReader(io.BytesIO(pdf)).page_labels if not label.isdigit())


def test_cover_shows_plan_city_era_year_and_issue_date(pages: list[str], report: ProgressReport) -> None:
    cover = pages[0]
    assert report.plan_name in cover
    assert "令和元年度 実績" in cover
    assert "年次報告書" in _flat(cover)
    assert report.city in cover
    assert report.issue_date == "令和2年6月" and report.issue_date in cover


def test_contents_page_numbers_are_where_the_sections_start(
    pdf: bytes, pages: list[str], report: ProgressReport
) -> None:
    front = _front_pages(pdf)
    toc = pages[1]
    assert "目次" in toc
    titles = ["概要", *(g.title for g in report.goals), *(a.title for g in report.goals for a in g.areas)]
    for title in titles:
        match = re.search(re.escape(title) + r"\s+(\d+)\n", toc)
        assert match, f"{title} missing from the contents"
        page = int(match.group(1))
        body = pages[front + page - 1]
        assert title in body, f"{title}: the contents say page {page}, which does not show it"
        assert f"- {page} -" in body
    appendix = re.search(r"進捗状況一覧表\s+(\d+)\n", toc)
    assert appendix and "進捗状況一覧表" in pages[front + int(appendix.group(1)) - 1]


def test_body_pages_are_numbered_continuously_with_the_plan_name_on_top(
    pdf: bytes, pages: list[str], report: ProgressReport
) -> None:
    front = _front_pages(pdf)
    assert front == 2  # cover and one contents page, unnumbered
    for number, text in enumerate(pages[front:], start=1):
        assert text.rstrip().endswith(f"- {number} -")
        assert report.plan_name in text
    assert all("- 1 -" not in text for text in pages[:front])


def test_every_measure_name_and_this_years_notes_are_printed(
    pages: list[str], report: ProgressReport
) -> None:
    text = _flat("".join(pages))
    for goal in report.goals:
        for area in goal.areas:
            for row in area.rows:
                assert _flat(row.measure.name) in text
                for year in row.history:
                    assert _flat(year.heading) in text
                    for point in year.points:
                        assert _flat(point) in text


def test_every_kpi_is_printed_with_its_rate_and_grade_counts(
    pages: list[str], report: ProgressReport
) -> None:
    body = _flat("".join(pages))
    rows = [k for g in report.goals for k in (*g.indicators, *(k for a in g.areas for k in a.kpis))]
    assert rows
    for row in rows:
        name = _flat(row.kpi.name)
        assert name in body
        start = body.index(name)
        assert format_rate(row.rate) in body[start : start + 400]
    summary = _flat(pages[2] + pages[3])
    assert "提出のなかった所管課" in summary and "郷土博物館" in summary


def test_progress_table_repeats_its_header_on_every_page(
    pdf: bytes, pages: list[str], report: ProgressReport
) -> None:
    front = _front_pages(pdf)
    toc = pages[1]
    start = int(re.search(r"進捗状況一覧表\s+(\d+)\n", toc).group(1))  # type: ignore[union-attr]
    appendix = pages[front + start - 1 :]
    assert len(appendix) > 3
    for text in appendix:
        flat = _flat(text)
        assert "施策番号名称内容所管課(関連課)進捗状況" in flat
        assert _flat(report.notes_header) in flat


def test_fonts_are_embedded_japanese_subsets(pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "review.pdf"
    path.write_bytes(pdf)
    if shutil.which("pdffonts"):
        lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        fonts = lines.splitlines()[2:]
        assert fonts
        for line in fonts:
            emb, sub, uni = line.split()[-5:-2]
            assert (emb, sub, uni) == ("yes", "yes", "yes"), line
            assert "IPAex" in line or "Noto" in line, line
    kinds = set()
    for font in _fonts(PdfReader(io.BytesIO(pdf))):
        kinds.add(str(font["/Subtype"]))
        # the text's Type0 fonts, and the page numbers' simple TrueType font (folio.py)
        described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = described["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
        assert "/ToUnicode" in font
    assert kinds == {"/Type0", "/TrueType"}


def test_every_part_shares_one_program_of_the_packaged_font(
    monkeypatch: pytest.MonkeyPatch, report: ProgressReport
) -> None:
    """The parts' subsets of the packaged font are replaced by one holding all their glyphs (fontshare.py):
    every IPAexGothic descriptor points at the same program, and the text still reads."""
    monkeypatch.setattr(weasy, "_installed_family", lambda family: False)
    weasy.find_japanese_font.cache_clear()
    try:
        pdf = render_review(present(report), [PACKAGED_TEMPLATES], workers=2)
    finally:
        weasy.find_japanese_font.cache_clear()
    reader = PdfReader(io.BytesIO(pdf))
    programs = set()
    for font in _fonts(reader):
        if "/DescendantFonts" in font:
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            programs.add(descriptor.raw_get("/FontFile2").idnum)
    assert len(programs) == 1
    assert sum(1 for font in _fonts(reader) if "/DescendantFonts" in font) > 5  # many parts, one program
    assert report.goals[-1].title in "".join(page.extract_text() for page in reader.pages)


def test_pages_are_numbered_by_a_margin_box_without_the_packaged_font(
    monkeypatch: pytest.MonkeyPatch, report: ProgressReport
) -> None:
    """Without the packaged font file (a broken install) the joiner cannot draw the page numbers: each part
    numbers its own pages in a margin box instead, the same `- n -`, still an artifact."""
    from kpi_report.render.review import review

    monkeypatch.setattr(review, "packaged_font_file", lambda: None)
    small = replace(report, goals=report.goals[:1])
    pdf = render_review(present(small), [PACKAGED_TEMPLATES], workers=1)
    reader = PdfReader(io.BytesIO(pdf))
    front = _front_pages(pdf)
    assert len(reader.pages) > front
    for number, page in enumerate(reader.pages[front:], start=1):
        assert page.extract_text().rstrip().endswith(f"- {number} -")
    assert all(not str(font["/BaseFont"]).startswith("/KPIFOL+") for font in _fonts(reader))


def test_packaged_font_is_used_when_none_is_installed(
    monkeypatch: pytest.MonkeyPatch, report: ProgressReport
) -> None:
    monkeypatch.setattr(weasy, "_installed_family", lambda family: False)
    weasy.find_japanese_font.cache_clear()
    try:
        font = weasy.find_japanese_font()
        assert font.file is not None and font.file.name == "ipaexg.ttf"
        small = replace(report, goals=report.goals[:1])
        reader = PdfReader(io.BytesIO(render_review(present(small), [PACKAGED_TEMPLATES], workers=1)))
        names = {str(font["/BaseFont"]) for font in _fonts(reader)}
        assert names and all(name.endswith("IPAexGothic") for name in names)
        assert small.goals[0].title in reader.pages[2].extract_text() + reader.pages[3].extract_text()
    finally:
        weasy.find_japanese_font.cache_clear()


def test_two_renders_give_identical_bytes_whatever_the_worker_count(
    pdf: bytes, report: ProgressReport
) -> None:
    assert render_review(present(report), [PACKAGED_TEMPLATES], workers=1) == pdf
    metadata: Any = PdfReader(io.BytesIO(pdf)).metadata
    assert str(metadata["/CreationDate"]) == "D:20200601000000"  # the issue date, not the clock


def test_progress_is_reported_part_by_part(report: ProgressReport) -> None:
    calls: list[tuple[str, int, int]] = []
    small = replace(report, goals=report.goals[:2])
    render_review(present(small), [PACKAGED_TEMPLATES], progress=lambda *a: calls.append(a), workers=2)
    assert [done for _, done, _ in calls] == list(range(1, len(calls) + 1))
    assert calls[-1][1] == calls[-1][2] > 2


def _hostile_report(report: ProgressReport) -> ProgressReport:
    goal = report.goals[0]
    area = goal.areas[0]
    row = area.rows[0]
    notes = (*row.history[:-1], YearNotes(report.fy, row.history[-1].heading, HOSTILE))
    measure = replace(row.measure, name='取組<img src="http://169.254.169.254/">')
    area = replace(area, rows=(replace(row, history=notes, measure=measure), *area.rows[1:3]))
    return replace(
        report,
        goals=(replace(goal, areas=(area,)),),
        plan_name='計画<link rel="stylesheet" href="http://x/">',
    )


class _Recorder:
    """Records every URL given to the fetcher and fails on any connection attempt."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fetched: list[str] = []
        self.connections: list[Any] = []
        original = SafeURLFetcher.fetch

        def fetch(fetcher: SafeURLFetcher, url: str, headers: Any = None) -> Any:
            self.fetched.append(url)
            return original(fetcher, url, headers)

        def connect(*args: Any, **kwargs: Any) -> None:
            self.connections.append(args)
            raise OSError("network disabled in tests")

        def urlopen(*args: Any, **kwargs: Any) -> None:
            self.connections.append(args)
            raise OSError("urlopen disabled in tests")

        monkeypatch.setattr(SafeURLFetcher, "fetch", fetch)
        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket, "create_connection", connect)
        monkeypatch.setattr(urllib.request.OpenerDirector, "open", urlopen)


def test_hostile_notes_are_printed_as_text_and_fetch_nothing(
    monkeypatch: pytest.MonkeyPatch, report: ProgressReport
) -> None:
    recorder = _Recorder(monkeypatch)
    hostile = _hostile_report(report)
    data = render_review(present(hostile), [PACKAGED_TEMPLATES], workers=1)
    font = weasy.find_japanese_font()
    allowed = {font.file.as_uri()} if font.file else set()
    assert set(recorder.fetched) <= allowed
    assert recorder.connections == []
    text = _flat("".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))
    for snippet in HOSTILE:
        assert _flat(snippet) in text
    assert _flat('取組<img src="http://169.254.169.254/">') in text
    assert b"/EmbeddedFile" not in data and b"root:x:0" not in data and b"/URI (http" not in data


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="file:///etc/passwd">',
        '<link rel="attachment" href="file:///etc/passwd">',
        '<img src="http://169.254.169.254/latest/meta-data/">',
        '<style>@import url("http://169.254.169.254/x.css");</style>',
        '<p style="background: url(file:///etc/hostname)">x</p>',
        '<img src="../../../../../../etc/passwd">',
    ],
)
def test_fetcher_refuses_what_markup_could_ask_for(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, markup: str
) -> None:
    """Second layer: even raw markup (a template, not escaped data) fetches nothing outside the templates."""
    recorder = _Recorder(monkeypatch)
    templates = tmp_path / "templates"
    templates.mkdir()
    renderer = PartRenderer(RenderConfig(("",), templates.as_uri() + "/", (templates,)))
    renderer.layout("p", f"<html><body><p>本文</p>{markup}</body></html>")
    data = renderer.finish("p", 1)
    assert recorder.fetched and renderer.fetcher.refused == recorder.fetched
    assert recorder.connections == []
    assert b"/EmbeddedFile" not in data and b"root:" not in data


def test_fetcher_reads_files_inside_the_template_folders_only(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    (templates / "escape.txt").symlink_to("/etc/hostname")
    fetcher = SafeURLFetcher([templates])
    assert fetcher.fetch((templates / "logo.svg").as_uri()).read().startswith(b"<svg")
    for url in (
        (templates / "escape.txt").as_uri(),
        "file:///etc/passwd",
        "https://example.org/",
        "ftp://x/",
    ):
        with pytest.raises(partrender.RefusedURLError):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"
    assert len(fetcher.refused) == 4


def test_a_project_template_overrides_the_packaged_one(tmp_path: Path, report: ProgressReport) -> None:
    custom = tmp_path / "templates"
    custom.mkdir()
    css = (PACKAGED_TEMPLATES / "annual-review.css").read_text(encoding="utf-8")
    (custom / "annual-review.css").write_text(
        css + "\n.cover-title::after { content: '（案）'; }\n", encoding="utf-8"
    )
    small = replace(report, goals=report.goals[:1])
    data = render_review(present(small), [custom, PACKAGED_TEMPLATES], workers=1)
    assert "年次報告書（案）" in _flat(PdfReader(io.BytesIO(data)).pages[0].extract_text())


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("annual-review.html.j2", "{% for x in %}"),
        ("annual-review.html.j2", "{{ 1 / 0 }}"),  # any Python error raised while rendering
        ("annual-review.html.j2", "{{ report.plan_name + 1 }}"),
        ("annual-review.html.j2", "{% include 'annual-review.html.j2' %}"),  # endless recursion
        ("annual-review.html.j2", b"\xff\xfe\x00binary"),  # not UTF-8
        ("annual-review.css", b"\x89PNG\r\n\x1a\n\xa4\xff"),  # a binary file saved as the CSS
        # a template is code a city writes: it runs sandboxed and bounded, so none of these fills the memory,
        # hangs the build or reaches Python's internals
        ("annual-review.html.j2", "{{ range(10**9) | list }}"),
        ("annual-review.html.j2", "{{ 'x' * 10**9 }}"),
        ("annual-review.html.j2", "{{ [0] * 1000000000 }}"),
        ("annual-review.html.j2", "{{ 10 ** 10 ** 10 ** 10 ** 10 }}"),
        (
            "annual-review.html.j2",
            "{% set n = namespace(x=7) %}{% for i in range(40) %}{% set n.x = n.x * n.x %}{% endfor %}",
        ),
        ("annual-review.html.j2", "{{ report.__class__.__init__.__globals__ }}"),
        ("annual-review.html.j2", "<html><body><p>目次の見出しがない</p></body></html>"),
    ],
)
def test_any_error_in_a_project_template_is_a_clear_error(
    tmp_path: Path, report: ProgressReport, name: str, content: str | bytes
) -> None:
    custom = tmp_path / "templates"
    custom.mkdir()
    (custom / name).write_bytes(content.encode() if isinstance(content, str) else content)
    small = replace(report, goals=report.goals[:1])
    with pytest.raises(weasy.ReviewRenderError, match="templates/ フォルダーの変更を確認"):
        render_review(present(small), [custom, PACKAGED_TEMPLATES], workers=1)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stylesheet_that_breaks_weasyprint_is_a_one_line_error(
    tmp_path: Path, report: ProgressReport, workers: int
) -> None:
    """font-size: 1e30px made WeasyPrint divide by zero: exit 3, or a worker's traceback as the message."""
    custom = tmp_path / "templates"
    custom.mkdir()
    css = (PACKAGED_TEMPLATES / "annual-review.css").read_text(encoding="utf-8")
    (custom / "annual-review.css").write_text(css + "\nbody { font-size: 1e30px }\n", encoding="utf-8")
    small = replace(report, goals=report.goals[:1])
    with pytest.raises(weasy.ReviewRenderError) as info:
        render_review(present(small), [custom, PACKAGED_TEMPLATES], workers=workers)
    message = str(info.value)
    assert "ZeroDivisionError" in message and "templates/" in message and "\n" not in message
    assert gc.isenabled()  # a failed render leaves the caller's garbage collector on


def test_a_failed_layout_gives_the_garbage_collector_back(monkeypatch: pytest.MonkeyPatch) -> None:
    renderer = PartRenderer(RenderConfig(stylesheets=(), base_url="file:///nonexistent/", allowed_roots=()))

    def fail(*args: Any, **kwargs: Any) -> None:
        raise ValueError("layout failed")

    monkeypatch.setattr(partrender._ReviewHTML, "render", fail)
    with pytest.raises(ValueError, match="layout failed"):
        renderer.layout("part", "<html><body><p>x</p></body></html>")
    assert gc.isenabled()


def test_small_helpers() -> None:
    assert pdf_date("令和2年6月") == "D:20200601000000"
    assert pdf_date("令和元年5月1日") == "D:20190501000000"
    assert pdf_date("2020年6月15日") == "D:20200615000000"
    assert pdf_date("") is None and pdf_date("六月") is None
    assert value_text(1234.0, "人") == "1,234人"
    assert value_text(73.25, "%") == "73.25%"
    assert value_text(None, "人") == "－"
    assert css_string('a"b\\c') == '"a\\22 b\\5c c"'
    assert wrap_class("詳細は https://www.city.example.lg.jp/kurashi/ を参照") == "w"
    assert wrap_class("地域の関係団体と連携し、説明会を3回開催しました。事業コード0104010242") == ""


def _dive(depth: int) -> int:
    return 0 if depth == 0 else 1 + _dive(depth - 1)


def _page_faults_while(fn: Any) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    fn()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_deep_recursion_in_the_renderer_does_not_map_stack_memory_over_and_over() -> None:
    # 400 nested calls cross at least one 16 KiB frame-stack chunk boundary: called at the top level,
    # every dive maps a chunk and unmaps it on return (a page fault each time); the renderer's
    # roomy stack keeps the whole dive in one chunk.
    def dives() -> int:
        return sum(_dive(400) for _ in range(3000))

    assert partrender.with_roomy_stack(dives) == 1_200_000
    roomy = _page_faults_while(lambda: partrender.with_roomy_stack(dives))
    plain = _page_faults_while(dives)  # ~30,000 on CPython 3.11: what the renderer would pay without it
    assert roomy < 300
    assert roomy * 5 < plain or plain < 300  # an interpreter that keeps its chunks needs no help


def test_joined_bytes_do_not_depend_on_which_part_finished_first(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    renderer = PartRenderer(RenderConfig(("",), templates.as_uri() + "/", (templates,)))
    pdfs = {}
    for number, key in enumerate(("a", "b", "c", weasy.FRONT), start=1):
        renderer.layout(key, f"<html><body><p>part-{key}</p></body></html>")  # no font CSS here: ASCII
        pdfs[key] = renderer.finish(key, number)

    def joined(order: str) -> bytes:
        joiner = weasy._Joiner(["a", "b", "c"])
        for key in order.split():
            joiner.add(key, pdfs[key])
        rendered = weasy.RenderedParts(joiner.ordered(), {}, {}, 1)
        return weasy.finish_pdf(rendered, [], {"/Title": "t"})

    first = joined(f"a b c {weasy.FRONT}")
    assert joined(f"c {weasy.FRONT} b a") == first
    assert joined(f"b {weasy.FRONT} a c") == first
    assert PdfReader(io.BytesIO(first)).pages[0].extract_text() == f"part-{weasy.FRONT}"


def test_rows_published_despite_errors_say_so(report: ProgressReport) -> None:
    goal = report.goals[0]
    area = goal.areas[0]
    flagged = replace(area.rows[0], flagged=True)
    small = replace(
        report,
        goals=(replace(goal, areas=(replace(area, rows=(flagged, *area.rows[1:])),)),),
        flagged_departments=flagged.measure.owners,
    )
    text = _flat(
        "".join(
            p.extract_text()
            for p in PdfReader(
                io.BytesIO(render_review(present(small), [PACKAGED_TEMPLATES], workers=1))
            ).pages
        )
    )
    assert text.count("要確認") >= 2  # in the goal section and in the progress table
    assert "修正が必要な箇所が残っています" in text and _flat(flagged.measure.owners[0]) in text


def test_a_measure_taller_than_a_page_splits_under_the_repeated_header(report: ProgressReport) -> None:
    goal, area = report.goals[0], report.goals[0].areas[0]
    point = "説明会を開催し、参加者の意見を踏まえて実施方法を見直しました。" * 5
    history = tuple(
        YearNotes(fy, f"【{fy}年度】", tuple(f"{i}:{point}" for i in range(6))) for fy in report.years
    )
    tall = replace(area.rows[0], history=history)
    small = replace(
        report, goals=(replace(goal, indicators=(), areas=(replace(area, rows=(tall,), kpis=()),)),)
    )
    pages = [
        p.extract_text()
        for p in PdfReader(io.BytesIO(render_review(present(small), [PACKAGED_TEMPLATES], workers=1))).pages
    ]
    start = next(i for i, text in enumerate(pages) if "進捗状況一覧表" in text and "目次" not in text)
    appendix = pages[start:]
    assert len(appendix) >= 3
    for number, text in enumerate(appendix, start=1):
        assert "施策番号名称内容所管課(関連課)進捗状況" in _flat(text)
        assert number == len(appendix) or len(_flat(text)) > 800  # no page left nearly empty
    flat = _flat("".join(appendix))
    assert all(_flat(p) in flat for y in history for p in y.points)
