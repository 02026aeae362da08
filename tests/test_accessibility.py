"""The progress-list page meets WCAG 2.1 AA: axe-core run in a real browser (Playwright driving the system Chromium).

axe-core comes bundled in the ``axe-playwright-python`` wheel (axe.min.js); Chromium is the system's
(scripts/setup.sh --dev installs both). Each page is checked at a desktop width and a phone width: zero
violations of the WCAG 2.0/2.1 A and AA rules and of axe's best practices.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kodaira
import pytest

from kpi_report.core.model import ProgressReport
from kpi_report.core.project import Project
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.present.table import present
from kpi_report.publish.build import years_to_check
from kpi_report.render.progress_html import render_progress_html
from kpi_report.validate.check import check_year

playwright = pytest.importorskip(
    "playwright.sync_api", reason="playwright: scripts/setup.sh --dev installs it"
)
axe = pytest.importorskip(
    "axe_playwright_python.base", reason="axe-playwright-python: scripts/setup.sh --dev"
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REPO = Path(__file__).resolve().parents[1]
WIDTHS = (1280, 390)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium: scripts/setup.sh --dev installs it")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


def sample_report(tmp_path: Path) -> ProgressReport:
    root = tmp_path / "project"
    shutil.copytree(REPO / "inputs", root / "inputs")
    project = Project(root)
    plan = load_plan(project.master)
    reports = {y: check_year(project, plan, y, past=y < 2019) for y in years_to_check(project, plan, 2019)}
    return merge(plan, 2019, reports).report


def kodaira_report(tmp_path: Path) -> ProgressReport:
    """Flagged rows, a 《sub-heading》, related departments, hostile text."""
    plan = load_plan(kodaira.write_master(tmp_path / "master.xlsx"))
    return merge(plan, 2019, kodaira.check_reports(), allow_errors=True).report


@pytest.fixture(scope="module", params=["sample", "kodaira"])
def page_file(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp(request.param)
    report = sample_report(tmp) if request.param == "sample" else kodaira_report(tmp)
    path = tmp / "progress-list.html"
    path.write_bytes(render_progress_html(present(report)))
    return path


def open_page(browser: Any, path: Path, width: int) -> Any:
    # The page's own Content-Security-Policy forbids every script; axe is injected by the test, so bypass it.
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(path.as_uri())
    return page


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_violation(browser: Any, page_file: Path, width: int) -> None:
    page = open_page(browser, page_file, width)
    page.add_script_tag(content=axe.AXE_FILE_PATH.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    page.context.close()
    found = [
        (v["id"], v["impact"], [" ".join(n["target"]) for n in v["nodes"][:3]]) for v in result["violations"]
    ]
    assert found == []
    assert result["testEngine"]["version"].startswith("4.")


def test_the_kpi_table_is_usable_on_a_phone(browser: Any, page_file: Path) -> None:
    page = open_page(browser, page_file, 390)
    figures = page.evaluate(
        """() => {
            const cells = [...document.querySelectorAll('table.kpi tbody tr > *')];
            const names = [...document.querySelectorAll('table.kpi tbody th.name')];
            return {
                innerWidth: window.innerWidth,
                rightmost: Math.max(...cells.map(c => c.getBoundingClientRect().right)),
                narrowestName: Math.min(...names.map(c => c.getBoundingClientRect().width)),
                grades: [...document.querySelectorAll('table.kpi td.grade')].map(c => c.getBoundingClientRect().width),
                labels: [...document.querySelectorAll('table.kpi td.grade')].map(
                    c => getComputedStyle(c, '::before').content),
            };
        }"""
    )
    page.context.close()
    assert figures["rightmost"] <= figures["innerWidth"]  # nothing cut off or scrolled away
    assert figures["narrowestName"] > 300  # the name reads across the card, not one character per line
    assert min(figures["grades"]) > 300
    assert set(figures["labels"]) == {'"評価"'}  # every value says which column it is


def test_status_and_grade_are_text_and_tables_have_captions_and_scopes(browser: Any, page_file: Path) -> None:
    page = open_page(browser, page_file, 1280)
    facts = page.evaluate(
        """() => ({
            lang: document.documentElement.lang,
            headings: [...document.querySelectorAll('h1, h2, h3, h4')].map(h => Number(h.tagName[1])),
            uncaptioned: [...document.querySelectorAll('table')].filter(t => !t.caption).length,
            unscoped: [...document.querySelectorAll('th')].filter(th => !th.scope).length,
            grades: [...document.querySelectorAll('table.kpi td.grade')].map(c => c.textContent.trim()),
            statuses: [...document.querySelectorAll('td.status')].map(c => c.textContent.trim()),
            regions: [...document.querySelectorAll('.scroll')].map(r => r.tabIndex),
        })"""
    )
    page.context.close()
    assert facts["lang"] == "ja"
    assert facts["headings"][0] == 1
    assert all(b - a <= 1 for a, b in zip(facts["headings"], facts["headings"][1:], strict=False))
    assert facts["uncaptioned"] == 0 and facts["unscoped"] == 0
    assert facts["grades"] and all(facts["grades"]) and all(facts["statuses"])
    assert all(index == 0 for index in facts["regions"])  # scrollable tables are reachable by keyboard
