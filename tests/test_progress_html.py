"""The progress-list web page: structure, accessibility, escaping, no external requests, and a real browser."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import kodaira
import pytest

from kpi_report.core.errors import UsageError
from kpi_report.core.model import Plan, ProgressReport
from kpi_report.core.project import Project
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.present.table import present
from kpi_report.render.progress_html import render_progress_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
VOID = {"meta", "br", "col", "img", "link", "input", "hr", "source", "wbr", "area", "base", "embed"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def find_all(self, tag: str) -> list[Node]:
        found = [self] if self.tag == tag else []
        for child in self.children:
            found.extend(child.find_all(tag))
        return found

    def find(self, tag: str) -> Node:
        return self.find_all(tag)[0]

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)


class TreeBuilder(HTMLParser):
    """A small DOM from the stdlib parser (lxml is not a dependency)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        while len(self.stack) > 1:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(Node("#text", {}, text=data))


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return load_plan(kodaira.write_master(tmp_path_factory.mktemp("kodaira") / "master.xlsx"))


@pytest.fixture(scope="module")
def report(plan: Plan) -> ProgressReport:
    return merge(plan, 2019, kodaira.check_reports()).report


@pytest.fixture(scope="module")
def html(report: ProgressReport) -> str:
    return render_progress_html(present(report)).decode("utf-8")


def test_page_is_japanese_and_self_contained(html: str) -> None:
    doc = parse(html)
    assert doc.find("html").attrs["lang"] == "ja"
    assert doc.find("meta").attrs.get("charset") == "utf-8"
    assert len(doc.find_all("style")) == 1
    for tag in ("script", "link", "img", "iframe", "object", "embed", "base", "svg"):
        assert doc.find_all(tag) == [], tag
    for node in doc.find_all("#document")[0].children:
        for element in _elements(node):
            assert not {"src", "href", "srcset", "action", "data", "poster"} & set(element.attrs), element.tag
    css = doc.find("style").all_text()
    assert "url(" not in css and "@import" not in css and "http" not in css
    csp = [m for m in doc.find_all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0].attrs["content"]


def _elements(node: Node) -> list[Node]:
    result = [node] if not node.tag.startswith("#") else []
    for child in node.children:
        result.extend(_elements(child))
    return result


def test_table_structure_and_header_scopes(html: str) -> None:
    table = next(t for t in parse(html).find_all("table") if "progress-list" in t.attrs.get("class", ""))
    head = table.find("thead").find_all("th")
    assert [th.all_text() for th in head] == [
        "施策番号",
        "名称",
        "内容",
        "所管課(関連課)",
        "進捗状況",
        "令和元年度までの実施等状況",
    ]
    assert all(th.attrs.get("scope") == "col" for th in head)
    groups = [
        th
        for tbody in table.find_all("tbody")
        for th in tbody.find_all("th")
        if th.attrs.get("scope") == "rowgroup"
    ]
    assert all(th.attrs["colspan"] == "6" for th in groups)
    titles = [th.all_text() for th in groups]
    assert titles[:3] == [kodaira.G1, "① 農のあるまちづくりの推進", "② 魅力ある都市空間の形成"]
    measures = [tr for tr in table.find_all("tr") if "measure" in tr.attrs.get("class", "")]
    assert [tr.attrs["id"] for tr in measures] == [f"m-{m[0]}" for m in kodaira.MEASURES]
    for tr in measures:
        cells = [c for c in tr.children if c.tag in ("td", "th")]
        assert len(cells) == 6
        assert all(c.attrs.get("data-label") for c in cells)
        assert cells[1].tag == "th" and cells[1].attrs["scope"] == "row"


def test_measure_cells_owners_related_and_notes(html: str) -> None:
    rows = {
        tr.attrs["id"]: tr for tr in parse(html).find_all("tr") if tr.attrs.get("id", "").startswith("m-")
    }

    def cells(measure_id: str) -> list[Node]:
        return [c for c in rows[f"m-{measure_id}"].children if c.tag in ("td", "th")]

    first = cells("1-1-01")
    assert [c.all_text().strip() for c in first[:2]] == ["1", "市内農家の収入増に向けた取組の支援"]
    assert first[4].all_text().strip() == "実施中"
    owners = [li.all_text() for li in cells("1-2-02")[3].find_all("li")]
    assert owners == ["都市計画課", "(地域整備支援課)", "(水と緑と公園課)"]
    assert [li.all_text() for li in cells("1-2-01")[3].find_all("li")] == [
        "都市開発課",
        "都市計画課",
        "産業振興課",
    ]
    assert len(cells("2-1-01")[3].find_all("li")) == 5
    notes = cells("1-1-02")[5]
    assert [p.all_text() for p in notes.find_all("p")] == [
        "【平成28年度】",
        "【平成29年度】",
        "【平成30年度】",
        "【令和元年度】",
    ]
    lists = notes.find_all("ul")
    assert len(lists) == 4 and [li.all_text() for li in lists[0].find_all("li")] == ["未着手"]
    sub = cells("1-2-01")[5].find_all("li")[0]
    assert sub.all_text() == "《小川駅西口地区》" and sub.attrs.get("class") == "sub"


def test_hostile_text_is_escaped(html: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html and "<img" not in html
    doc = parse(html)
    texts = [li.all_text() for li in doc.find_all("li")]
    assert "<script>alert(1)</script>" in texts
    assert '<img src="file:///etc/passwd">' in texts
    assert any(th.all_text() == kodaira.HOSTILE_NAME for th in doc.find_all("th"))


def test_flagged_rows_are_marked(report: ProgressReport) -> None:
    goal = report.goals[0]
    area = goal.areas[0]
    patched = replace(
        report,
        goals=(replace(goal, areas=(replace(area, rows=(replace(area.rows[0], flagged=True),)),)),),
        flagged_departments=("産業振興課",),
    )
    doc = parse(render_progress_html(present(patched)).decode())
    row = next(tr for tr in doc.find_all("tr") if tr.attrs.get("id") == "m-1-1-01")
    assert "flagged" in row.attrs["class"]
    assert "要確認" in row.all_text()
    assert any("産業振興課" in p.all_text() for p in doc.find_all("p") if p.attrs.get("class") == "legend")


def test_kpi_and_summary_tables(html: str) -> None:
    tables = {t.attrs.get("class"): t for t in parse(html).find_all("table")}
    kpi = tables["kpi"]
    header = [th.all_text() for th in kpi.find("thead").find_all("th")]
    assert "令和元年度実績" in header and "平成28年度実績" in header and header[-2:] == ["達成率", "評価"]
    rows = kpi.find("tbody").find_all("tr")
    assert [r.find("td").all_text() for r in rows] == ["G1", "K1-1", "K2-1", "K2-2"]
    assert "45.0%" in rows[1].all_text()
    summary = tables["summary"]
    assert [th.all_text() for th in summary.find("tbody").find_all("th")] == [
        kodaira.G1,
        kodaira.G2,
        kodaira.G3,
    ]


def test_city_templates_override_the_packaged_ones(report: ProgressReport, tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "progress-list.css").write_text("body { color: #123456; }", encoding="utf-8")
    html = render_progress_html(present(report), Project(tmp_path)).decode()
    assert "#123456" in html and "progress-list" in html  # the packaged page and macro still used


def test_same_report_same_bytes(report: ProgressReport, html: str) -> None:
    assert render_progress_html(present(report)).decode() == html


class Browser:
    """A headless Chromium driven over the DevTools protocol on a pipe (no network port, no extra package)."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_pipes() -> None:  # fds 3 and 4 in the child, inheritable even if the pipes already were 3/4
            read_end, write_end = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_pipes,
            close_fds=False,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e.get("method") == method for e in self.events):
                return next(e for e in self.events if e.get("method") == method)
            self._receive(deadline - time.monotonic())
        raise TimeoutError(method)

    def _receive(self, timeout: float = 30) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_browser], [], [], max(timeout, 0.1))
            if not ready:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        if "method" in message:
            self.events.append(message)
        return message

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


def open_page(
    browser: Browser, url: str, width: int, height: int, screenshot: Path, media: str = ""
) -> dict[str, Any]:
    """Load ``url`` at the given viewport (and CSS media), save a screenshot; return layout figures and requests."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    browser.events.clear()
    browser.send("Network.enable", session=session)
    browser.send("Page.enable", session=session)
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        session=session,
    )
    if media:
        browser.send("Emulation.setEmulatedMedia", {"media": media}, session=session)
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_for("Page.loadEventFired")
    figures = browser.send(
        "Runtime.evaluate",
        {
            "expression": """JSON.stringify({
                scrollWidth: document.documentElement.scrollWidth,
                bodyWidth: document.body.scrollWidth,
                innerWidth: window.innerWidth,
                rows: document.querySelectorAll('table.progress-list tr.measure').length,
                rowDisplay: getComputedStyle(document.querySelector('tr.measure')).display,
                tableHeight: document.querySelector('table.progress-list').getBoundingClientRect().height,
                widest: Math.max(...[...document.querySelectorAll('main *')]
                    .filter(e => !e.parentElement.closest('.scroll'))
                    .map(e => e.getBoundingClientRect().right))
            })""",
            "returnByValue": True,
        },
        session=session,
    )
    shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    result: dict[str, Any] = json.loads(figures["result"]["value"])
    result["requests"] = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    browser.send("Target.closeTarget", {"targetId": target})
    return result


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/setup.sh --dev installs it)")
def test_real_browser_phone_and_desktop(report: ProgressReport, tmp_path: Path) -> None:
    page = tmp_path / "progress-list.html"
    page.write_bytes(render_progress_html(present(report)))
    url = page.as_uri()
    browser = Browser(tmp_path / "profile")
    try:
        phone = open_page(browser, url, 390, 844, tmp_path / "phone.png")
        desktop = open_page(browser, url, 1280, 900, tmp_path / "desktop.png")
        printed = open_page(browser, url, 700, 500, tmp_path / "print.png", media="print")
    finally:
        browser.close()
    for figures in (phone, desktop):
        assert figures["rows"] == len(kodaira.MEASURES)
        assert figures["requests"] == [url], "the page must make no request besides itself"
        assert figures["scrollWidth"] <= figures["innerWidth"]
        assert figures["bodyWidth"] <= figures["innerWidth"]
        assert figures["widest"] <= figures["innerWidth"] + 1
    assert phone["innerWidth"] == 390 and desktop["innerWidth"] == 1280
    assert phone["rowDisplay"] == "block" and desktop["rowDisplay"] == "table-row"
    assert phone["tableHeight"] > desktop["tableHeight"]  # stacked cells on the phone
    assert printed["rowDisplay"] == "table-row" and printed["requests"] == [url]  # print keeps the table
    for name in ("phone.png", "desktop.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_broken_city_template_is_a_clear_error(report: ProgressReport, tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "progress-list.html.j2").write_text(
        "{{ report.no_such_field }", encoding="utf-8"
    )
    with pytest.raises(UsageError, match="templates/"):
        render_progress_html(present(report), Project(tmp_path))
    (tmp_path / "templates" / "progress-list.html.j2").write_text("{{ no_such_variable }}", encoding="utf-8")
    with pytest.raises(UsageError, match="UndefinedError"):
        render_progress_html(present(report), Project(tmp_path))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("progress-list.html.j2", "{{ 1 / 0 }}"),  # any Python error raised while rendering
        ("progress-list.html.j2", "{{ report.title + 1 }}"),
        ("progress-list.html.j2", "{% include 'progress-list.html.j2' %}"),  # endless recursion
        ("progress-list.html.j2", b"\xff\xfe\x00binary"),  # not UTF-8
        ("progress-list.css", b"\x89PNG\r\n\x1a\n\xa4\xff"),  # a binary file saved as the CSS
    ],
)
def test_any_error_in_a_city_template_is_a_clear_error(
    report: ProgressReport, tmp_path: Path, name: str, content: str | bytes
) -> None:
    (tmp_path / "templates").mkdir()
    data = content.encode() if isinstance(content, str) else content
    (tmp_path / "templates" / name).write_bytes(data)
    with pytest.raises(UsageError, match="templates/ フォルダーの変更を確認"):
        render_progress_html(present(report), Project(tmp_path))
