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
def test_every_character_the_font_lacks_is_found_once_in_order_of_first_appearance() -> None:
    """The check scans with a regular expression (fast on a report's text): it finds exactly the characters
    that are not in the font's character map, not spaces, variation selectors or control characters."""
    import random

    from kpi_report.render.review.weasy import _covered

    font = find_japanese_font()
    assert font.file is not None
    covered = _covered(font.file)

    def lacking(text: str) -> str:
        found = (
            ch
            for ch in text
            if not (ord(ch) in covered or ch.isspace() or 0xFE00 <= ord(ch) <= 0xFE0F or ord(ch) < 0x20)
        )
        return "".join(dict.fromkeys(found))

    pool = [chr(c) for c in range(0, 0x30000, 7)] + [chr(c) for c in range(0x3000, 0xA000, 3)]
    pool += list("\u00a0\u2028\u3000\ufe0f\ufe00\U000e0100\ud800-]^\\ \t\n\x1c\x85𠮷😀")
    rnd = random.Random(15)
    for _ in range(300):
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 300)))
        assert uncovered_characters(text, font) == lacking(text), text
    assert lacking("".join(pool))  # the sample holds characters it lacks


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
