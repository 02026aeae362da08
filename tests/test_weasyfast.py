"""The rendering process's shortcuts in WeasyPrint (render/review/weasyfast.py) give the bytes WeasyPrint gives
without them: a part written with them equals the part written by plain WeasyPrint, for documents that take every
branch (Japanese text in the review's own style, spacing and justification, lengths in every unit, decorations,
ellipsis, SVG text, header rows repeated over pages), with the Japanese font's program shared or embedded."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
import weasyprint.pdf.fonts as weasy_fonts
from weasyprint.text.ffi import pango

from kpi_report.core.project import PACKAGED_TEMPLATES
from kpi_report.render.review import partrender, weasyfast
from kpi_report.render.review.partspec import RenderConfig
from kpi_report.render.review.review import render_config

_ROWS = "".join(
    f'<tr><td class="no">{i}</td><td>施策{i}の名称<br/>（関連課）</td><td class="lines">・令和元年度\n'
    f"　子育て支援の相談を{i * 37}件受け付け、https://example.org/{'a' * 40}/{i} に掲載した。\n・{i}回</td></tr>"
    for i in range(1, 70)
)
BODIES = {
    "review": (
        '<h1 id="g1">基本目標１　子育てしやすいまち</h1><p class="lead">令和元年度の進捗状況を取りまとめました。'
        "ＫＰＩ・数値目標３００件。</p>"
        '<table class="progress"><colgroup><col class="p-no"/><col class="p-name"/><col class="p-notes"/>'
        '</colgroup><thead><tr><th scope="col">番号</th><th scope="col">名称</th><th scope="col">実施等状況'
        f"</th></tr></thead><tbody>{_ROWS}</tbody></table>"
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 200 62" width="200" height="62" '
        'font-family="IPAexGothic"><title>指標1の推移</title><path d="M8 46H192" stroke="#bbbbbb"/>'
        '<text x="8" y="57" font-size="7.5">H27</text><text x="192" y="57" text-anchor="end">R1 実績</text></svg>'
    ),
    "spacing": (
        "<style>.ls { letter-spacing: 0.2em } .ws { word-spacing: 6px } .j { text-align: justify; width: 60mm }"
        " pre { tab-size: 3 } .sp { letter-spacing: 1px; word-spacing: 2px; text-align: justify }</style>"
        '<p class="ls">字間を空けた見出し letter spacing</p><p class="ws">words with wide spacing between them '
        'again and again</p><p class="j">' + "justified text with spaces 両端揃えの文章 " * 12 + "</p>"
        "<pre>a\tb\tc\n\tインデント</pre>"
        '<p class="sp">' + "mixed spacing words " * 20 + "</p>"
    ),
    "lengths": (
        "<style>@page { margin: 3% 4% 5% 2% } div.a { width: 50%; margin: 2% 5%; padding: 1% 3mm; min-width: 10%; max-width: 90% }"
        " div.b { width: calc(40mm + 10%); padding-left: calc(1em + 2%); margin-top: 1em }"
        " div.c { height: 30mm } div.c div { height: 50%; min-height: 10%; max-height: 80%;"
        " box-sizing: border-box; padding: 5%; border: 1pt solid #333 }"
        " div.d { position: relative; left: 5%; top: 2mm; width: auto; min-width: auto }"
        " table.t { width: 80%; border-collapse: separate; border-spacing: 2pt }"
        " table.t td { padding: 2%; width: 30% }</style>"
        '<div class="a">半分の幅 half width</div><div class="b">calc の幅</div>'
        '<div class="c"><div>高さ 50%</div></div><div class="d">相対位置</div>'
        '<table class="t"><tr><td>一</td><td>二</td></tr></table>'
    ),
    "decorations": (
        "<style>.u { text-decoration: underline } .s { text-decoration: line-through }"
        " .e { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; width: 30mm }"
        " .w { overflow-wrap: anywhere; width: 20mm }</style>"
        '<p class="u">下線を引いた文 underlined</p><p class="s">取消線 struck</p>'
        '<p class="e">とても長い一行の文章は省略記号で終わる very long line that ends with an ellipsis</p>'
        '<p class="w">https://example.org/' + "x" * 80 + "</p>"
    ),
}


@pytest.fixture(scope="module")
def configs() -> dict[str, RenderConfig]:
    """The review's own render configuration (its stylesheet and Japanese font), the font's program shared by the
    parts or embedded in each."""
    shared = render_config("計画", [PACKAGED_TEMPLATES])
    assert shared is not None and shared.shared_fonts
    return {"shared": shared, "embedded": dataclasses.replace(shared, shared_fonts=())}


def _record(config: RenderConfig, body: str) -> bytes:
    renderer = partrender.PartRenderer(config)
    renderer.layout("p", f'<html lang="ja"><head><title>t</title></head><body>{body}</body></html>')
    return renderer.finish("p", 3)


@contextlib.contextmanager
def _no_shortcuts(*_args: Any) -> Iterator[None]:
    yield


@pytest.mark.parametrize("font", ["shared", "embedded"])
@pytest.mark.parametrize("name", sorted(BODIES))
def test_a_part_is_the_same_with_the_shortcuts(
    configs: dict[str, RenderConfig], name: str, font: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _record(configs[font], BODIES[name])
    monkeypatch.setattr(partrender, "shortcuts", _no_shortcuts)
    plain = _record(configs[font], BODIES[name])
    assert fast == plain


def test_the_comparison_sees_a_layout_drawn_with_the_wrong_attributes(
    configs: dict[str, RenderConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept layouts whose spacing attributes a new layout would set otherwise (justified text: its added word
    spacing) must be made again: the test above fails when they are not."""
    plain_react = weasyfast._REACTIVATE

    def always_reuse(layout: Any, style: Any) -> None:
        if layout.__dict__.get("_kept") and style is layout.style:
            pango.pango_layout_set_width(layout.layout, -1)
            return
        plain_react(layout, style)

    monkeypatch.setattr(weasyfast, "_reuse", always_reuse)
    careless = _record(configs["embedded"], BODIES["spacing"])
    monkeypatch.setattr(partrender, "shortcuts", _no_shortcuts)
    assert careless != _record(configs["embedded"], BODIES["spacing"])


def test_the_shared_program_is_not_subset_in_a_part_and_an_embedded_one_is(
    configs: dict[str, RenderConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    subset: list[str] = []
    plain = weasy_fonts.Font.subset

    def counted(font: Any, *args: Any) -> None:
        subset.append(font.family)
        plain(font, *args)

    monkeypatch.setattr(weasy_fonts.Font, "subset", counted)
    _record(configs["shared"], BODIES["review"])
    assert configs["shared"].shared_fonts[0] not in subset
    _record(configs["embedded"], BODIES["review"])
    assert configs["shared"].shared_fonts[0] in subset


def test_weasyprint_is_as_it_was_outside_the_shortcuts() -> None:
    import weasyprint.layout.block as block
    import weasyprint.text.line_break as line_break

    with weasyfast.shortcuts(("IPAexGothic",)):
        assert block.resolve_percentages is weasyfast._resolve_percentages
    assert block.resolve_percentages is weasyfast._RESOLVE
    assert line_break.Layout.reactivate is weasyfast._REACTIVATE
    assert weasy_fonts.Font.clean is weasyfast._CLEAN
