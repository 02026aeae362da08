"""The review's parts laid out and written by WeasyPrint, in a rendering process (weasy.py starts them).

Everything here loads WeasyPrint (about a second): the safe URL fetcher, the deferred margin boxes (a part's
page numbers are known only once the parts before it are laid out), margin boxes drawn as artifacts, the user
agent stylesheet of the review, and :class:`PartRenderer`. weasy.py imports this module only where a part is
rendered, so a build that takes every part from the cache (or is refused for the submissions' errors) never
loads WeasyPrint.
"""

from __future__ import annotations

import copy
import gc
import mimetypes
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache, partial
from pathlib import Path
from types import FunctionType
from typing import Any, TypeVar
from urllib.parse import urlsplit
from urllib.request import url2pathname
from xml.etree import ElementTree

import cssselect2
import pydyf
import tinyhtml5
import weasyprint.draw as weasy_draw
import weasyprint.layout as weasy_layout
import weasyprint.layout.page as weasy_page
import weasyprint.pdf.tags as weasy_tags
from weasyprint import CSS, DEFAULT_OPTIONS, HTML
from weasyprint.formatting_structure.boxes import MarginBox
from weasyprint.layout.background import layout_box_backgrounds
from weasyprint.pdf import generate_pdf
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from kpi_report.render.review.partspec import PartLayout, RenderConfig
from kpi_report.render.review.pdfjoin import part_record, record_bytes
from kpi_report.render.review.weasyfast import shortcuts


class RefusedURLError(ValueError):
    """A document asked for a URL outside the packaged assets; it was not fetched."""


class SafeURLFetcher(URLFetcher):  # type: ignore[misc]
    """Fetches only ``data:`` URLs and files inside the allowed folders or equal to an allowed file.

    Everything else — http(s), ftp, other files such as file:///etc/passwd, link-local addresses — is
    refused before any connection or file access, and recorded in :attr:`refused`.
    """

    def __init__(self, allowed_roots: Sequence[Path], allowed_files: Sequence[Path] = ()) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)
        self.allowed_roots = tuple(Path(p).resolve() for p in allowed_roots)
        self.allowed_files = frozenset(Path(p).resolve() for p in allowed_files)
        self.requests: list[str] = []  # every URL WeasyPrint asked for
        self.refused: list[str] = []  # the ones refused

    def _allowed_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            return None
        if not path.is_file():
            return None
        if path in self.allowed_files or any(path.is_relative_to(root) for root in self.allowed_roots):
            return path
        return None

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Return the resource of an allowed URL; raise :class:`RefusedURLError` for any other."""
        self.requests.append(url)
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        path = self._allowed_path(url)
        if path is None:
            self.refused.append(url)
            raise RefusedURLError(
                f"kpi-report は {url[:80]} を読み込みません（同梱の資源以外は取得しません）。"
            )
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": mime})


@contextmanager
def _deferred_margin_boxes() -> Iterator[list[tuple[Any, Any, Any]]]:
    """Lay a document out without its margin boxes, keeping what is needed to make them later.

    Relies on WeasyPrint 70.0 internals (pinned in pyproject.toml): ``layout_document`` makes each
    page's margin boxes last, after the whole document is paginated, through
    ``weasyprint.layout.make_margin_boxes(context, page, state)``.
    """
    held: list[tuple[Any, Any, Any]] = []
    original = weasy_layout.make_margin_boxes

    def hold(context: Any, page: Any, state: Any) -> tuple[()]:
        held.append((context, page, copy.deepcopy(state)))
        return ()

    weasy_layout.make_margin_boxes = hold
    try:
        yield held
    finally:
        weasy_layout.make_margin_boxes = original


def _make_margin_boxes(held: list[tuple[Any, Any, Any]], page_offset: int) -> bool:
    """Make the held pages' margin boxes with the page counter shifted by ``page_offset``; whether any of
    them shows a page number (its content has counter(page), counter(pages) or a target-counter)."""
    make = weasy_page.make_margin_boxes
    numbered = False
    for context, page, state in held:
        counters = state[1]
        counters["page"] = [value + page_offset for value in counters.get("page", [0])]
        margin_boxes = tuple(make(context, page, state))
        page.children = (*page.children, *margin_boxes)
        for box in margin_boxes:  # the rest of the page had its backgrounds laid out already
            layout_box_backgrounds(page, box, context.get_image_from_uri)
            numbered = numbered or _shows_page_number(box.style["content"])
    return numbered


@contextmanager
def _margin_boxes_as_artifacts() -> Iterator[None]:
    """Draw the page's margin boxes (the running header, a stylesheet's page numbers) as pagination artifacts
    that assistive technology skips, instead of marked content left out of the structure tree.

    Relies on WeasyPrint 70.0 internals (pinned in pyproject.toml): ``draw_stacking_context`` draws each
    margin box as a stacking context of its own, marking its text through the stream's ``_tags``;
    ``pdf.tags._build_box_tree`` then looks those marks up (a margin box's are not linked to the tree).
    """
    draw, tree = weasy_draw.draw_stacking_context, weasy_tags._build_box_tree

    def draw_as_artifact(stream: Any, context: Any) -> None:
        box = context.box
        tags = getattr(stream, "_tags", None)
        if not isinstance(box, MarginBox) or tags is None:
            draw(stream, context)
            return
        kind = {"@top": "/Header", "@bottom": "/Footer"}.get(box.at_keyword.split("-")[0])
        properties = pydyf.Dictionary({"Type": "/Pagination"} | ({"Subtype": kind} if kind else {}))
        stream.begin_marked_content("Artifact", properties)
        stream._tags = None  # nothing in it is marked as content
        try:
            draw(stream, context)
        finally:
            stream._tags = tags
        stream.end_marked_content()

    def tree_without_margin_boxes(box: Any, *args: Any) -> Iterator[Any]:
        return iter(()) if isinstance(box, MarginBox) else tree(box, *args)

    weasy_draw.draw_stacking_context = draw_as_artifact
    weasy_tags._build_box_tree = tree_without_margin_boxes
    try:
        yield
    finally:
        weasy_draw.draw_stacking_context, weasy_tags._build_box_tree = draw, tree


def _shows_page_number(content: Any) -> bool:
    """Whether a computed ``content`` value (WeasyPrint's: a tuple of (type, value)) shows a page number."""
    if not isinstance(content, tuple):
        return False
    for item in content:
        if (
            isinstance(item, tuple)
            and len(item) == 2
            and str(item[0]).startswith(("counter", "target-counter"))
        ):
            value = item[1]
            if isinstance(value, tuple) and ("page" in value or "pages" in value):
                return True
    return False


# A small user-agent stylesheet replacing WeasyPrint's full HTML5 one for the review's own documents: the
# full sheet's attribute and pseudo-class selectors ([dir], [hidden], :is(…), :link …) are matched against
# every element and cost about a fifth of the layout time of a long table. Tag selectors only; the
# review's CSS sets the rest. A city template may rely on these defaults and nothing more.
REVIEW_UA_CSS = """
head, style, script, title, meta, link, template { display: none }
html, body, div, section, article, header, footer, nav, main, figure, figcaption, address, blockquote,
p, h1, h2, h3, h4, h5, h6, ol, ul, dl, dt, dd, hr, pre { display: block }
li { display: list-item }
table { display: table }
caption { display: table-caption }
colgroup { display: table-column-group }
col { display: table-column }
thead { display: table-header-group }
tbody { display: table-row-group }
tfoot { display: table-footer-group }
tr { display: table-row }
td, th { display: table-cell }
h1, h2, h3, h4, h5, h6, b, strong, th { font-weight: bold }
i, em { font-style: italic }
small, sub, sup { font-size: smaller }
sub { vertical-align: sub }
sup { vertical-align: super }
ol, ul { padding-left: 2em }
ol { list-style-type: decimal }
ul { list-style-type: disc }
pre { white-space: pre }
br::before { content: "\\A"; white-space: pre-line }
"""


@lru_cache(maxsize=1)
def _review_ua() -> CSS:
    return CSS(string=REVIEW_UA_CSS)


class _ReviewHTML(HTML):  # type: ignore[misc]
    """An HTML document styled with :data:`REVIEW_UA_CSS` instead of the full HTML5 UA stylesheet, and
    parsed with the C XML parser when the markup is well-formed (the templates write XHTML-style void
    elements), which is several times faster than WeasyPrint's pure-Python HTML5 parser. Markup that is
    not well-formed (a city's own template) goes through the HTML5 parser as usual.
    """

    def __init__(self, html: str, base_url: str, url_fetcher: URLFetcher) -> None:
        try:
            root = ElementTree.fromstring(html)
        except ElementTree.ParseError:
            root = tinyhtml5.parse(html, namespace_html_elements=False)
        if root.tag != "html":  # XHTML namespace, or not a page: let the HTML5 parser decide
            root = tinyhtml5.parse(html, namespace_html_elements=False)
        # the attributes HTML.__init__ (WeasyPrint 70.0) sets after parsing
        self.base_url = base_url
        self.url_fetcher = url_fetcher
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [_review_ua()]


T = TypeVar("T")


def _call(fn: Callable[[], T]) -> T:
    return fn()


# CPython 3.11+ keeps Python frames on per-thread stack chunks of 16 KiB, and frees a chunk (munmap) as
# soon as the frame at its start returns. WeasyPrint's layout and drawing recurse deeply, and when a chunk
# boundary falls where its inner calls come and go, every call maps and unmaps a chunk: about 20,000
# mmap/munmap pairs and their page faults per part, a fifth of the layout time (measured with strace; how
# bad depends on where the boundaries fall). Calling the renderer through a function whose frame reserves
# a big value stack puts it at the start of one large chunk (2 MiB) with room for the whole recursion.
# Only the frame size changes, so the output is the same; on other interpreters it is a plain call.
ROOMY_STACK_SLOTS = 1 << 17
_with_roomy_stack = FunctionType(
    _call.__code__.replace(co_stacksize=_call.__code__.co_stacksize + ROOMY_STACK_SLOTS),
    _call.__globals__,
    "_with_roomy_stack",
)


def with_roomy_stack(fn: Callable[[], T]) -> T:
    """``fn()``, run with a large Python frame stack chunk (see :data:`ROOMY_STACK_SLOTS`)."""
    result: T = _with_roomy_stack(fn)
    return result


class PartRenderer:
    """Renders parts in one process: layout first, margin boxes and PDF once the first page number is known."""

    def __init__(self, config: RenderConfig) -> None:
        self.config = config
        self.fetcher = SafeURLFetcher(config.allowed_roots, config.allowed_files)
        self.font_config = FontConfiguration()
        self.stylesheets = [
            CSS(string=text, base_url=config.base_url, url_fetcher=self.fetcher, font_config=self.font_config)
            for text in config.stylesheets
        ]
        self._held: dict[str, tuple[Any, list[tuple[Any, Any, Any]]]] = {}
        self._gc_paused = False
        self._finished_since_collect = 0

    # WeasyPrint allocates millions of small objects per part and keeps them until the part is written.
    # Left on, the cyclic GC traverses them again and again while they are alive (~6% of the time); it
    # is paused while parts are held and run once when they are released (a part leaves ~10 MB of cycles).
    def _pause_gc(self) -> None:
        if not self._gc_paused and gc.isenabled():
            gc.disable()
            self._gc_paused = True

    def _collect(self) -> None:
        self._finished_since_collect += 1
        if self._held and self._finished_since_collect < 3:
            return
        gc.collect(1)  # the young generations: what was allocated since the last collection
        self._finished_since_collect = 0
        self._resume_gc()

    def _resume_gc(self) -> None:
        if not self._held and self._gc_paused:
            gc.enable()
            self._gc_paused = False

    def layout(self, key: str, html: str) -> PartLayout:
        """Lay out part ``key``; keep it until :meth:`finish`."""
        self._pause_gc()
        try:
            with _deferred_margin_boxes() as held, shortcuts(self.config.shared_fonts):
                document = with_roomy_stack(
                    lambda: _ReviewHTML(html, self.config.base_url, self.fetcher).render(
                        stylesheets=self.stylesheets, font_config=self.font_config
                    )
                )
        except BaseException:
            self._resume_gc()  # a failed layout holds nothing: the caller's process gets its GC back
            raise
        anchors: dict[str, int] = {}
        for index, page in enumerate(document.pages):
            for name in page.anchors:
                anchors.setdefault(name, index)
        self._held[key] = (document, held)
        return PartLayout(len(document.pages), anchors)

    def finish(self, key: str, first_page_number: int) -> bytes:
        """Number the pages of part ``key`` from ``first_page_number`` and return its PDF."""
        document, held = self._held.pop(key)
        self._pause_gc()
        try:
            numbered = _make_margin_boxes(held, first_page_number - 1)
            options = {**DEFAULT_OPTIONS, "pdf_tags": True}
            # the part as pydyf objects, made into a record (pdfjoin.py) instead of being written as a PDF;
            # its page numbers are drawn when joining (folio.py) unless the stylesheet draws them itself
            with _margin_boxes_as_artifacts(), shortcuts(self.config.shared_fonts):
                generated = with_roomy_stack(partial(generate_pdf, document, None, 1, **options))
            record = record_bytes(
                part_record(generated, folios=not numbered, shared=self.config.shared_fonts)
            )
        finally:
            del document, held
            self._collect()
        return record


_WARM_UP_HTML = (
    '<html lang="ja"><body><h1>年次報告書</h1><table><thead><tr><th>番号</th></tr></thead><tbody><tr><td>'
    '<p>・実施状況 123人 45.6%</p></td></tr></tbody></table><svg xmlns="http://www.w3.org/2000/svg" '
    'viewBox="0 0 10 10" width="10" height="10"><path d="M0 0H5"/><circle cx="5" cy="5" r="2"/>'
    '<text x="1" y="9">目標</text></svg></body></html>'
)
