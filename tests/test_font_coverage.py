"""Characters the review's embedded font cannot draw are a warning naming them and where, not silent tofu."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import kodaira
import pytest

from kpi_report.core.model import Plan
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.publish.build import font_findings
from kpi_report.render.review.weasy import JapaneseFont, find_japanese_font, uncovered_characters

PACKAGED = find_japanese_font().file is not None  # an installed Noto Sans CJK JP draws 𠮷: nothing to warn


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return load_plan(kodaira.write_master(tmp_path_factory.mktemp("kodaira") / "master.xlsx"))


@pytest.mark.skipif(not PACKAGED, reason="an installed font is used")
def test_the_packaged_font_lacks_jis_x_0213_and_emoji_only() -> None:
    font = find_japanese_font()
    assert uncovered_characters("吉野家の取組（①）を実施しました。〜100%　Ⅱ", font) == ""
    assert uncovered_characters("𠮷野家で😀を配布", font) == "𠮷😀"
    assert (
        uncovered_characters("𠮷", JapaneseFont("Noto Sans CJK JP")) == ""
    )  # an installed font: not checked


@pytest.mark.skipif(not PACKAGED, reason="an installed font is used")
def test_build_warns_with_the_characters_and_the_measures(plan: Plan) -> None:
    report = merge(plan, 2019, kodaira.check_reports()).report
    assert font_findings(report) == ()
    goal = report.goals[0]
    area = goal.areas[0]
    row = area.rows[0]
    row = replace(row, measure=replace(row.measure, name=row.measure.name + "（𠮷田地区😀）"))
    report = replace(
        report,
        goals=(
            replace(goal, areas=(replace(area, rows=(row, *area.rows[1:])), *goal.areas[1:])),
            *report.goals[1:],
        ),
    )
    (finding,) = font_findings(report)
    assert finding.code == "font-missing-glyph" and finding.severity == "warning"
    assert finding.value == "𠮷😀" and row.measure.id in finding.message


@pytest.mark.skipif(not PACKAGED, reason="an installed font is used")
def test_the_fonts_coverage_is_kept_between_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kpi_report.core.diskcache import DiskCache
    from kpi_report.render.review import weasy

    font = find_japanese_font()
    assert font.file is not None
    cache = DiskCache(tmp_path / "font")
    monkeypatch.setattr(weasy, "_COVERED", {})
    first = uncovered_characters("𠮷野家", font, cache)
    monkeypatch.setattr(weasy, "_COVERED", {})  # a new process: the character map is not read again

    def unreadable(*args: object, **kwargs: object) -> None:
        raise AssertionError("the font's character map was read again")

    monkeypatch.setattr("fontTools.ttLib.TTFont", unreadable)
    assert uncovered_characters("𠮷野家", font, cache) == first == "𠮷"
