"""progress-list.xlsx's faster paths (issue 15) give what the plain ones gave: the same bytes as xlsxwriter's
own cell writing, the same cuts of long texts with their line counts, the same cleaned text."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import kodaira
import pytest
from xlsxwriter.worksheet import Worksheet

from kpi_report.core.cellmetrics import wrap
from kpi_report.core.model import ProgressReport
from kpi_report.core.values import clean_text
from kpi_report.merge.merge import merge
from kpi_report.plan.master import load_plan
from kpi_report.present.table import present
from kpi_report.render import progress_xlsx
from kpi_report.render.progress_xlsx import MAX_LINES, _chunks, _clean, render_progress_xlsx


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ProgressReport:
    plan = load_plan(kodaira.write_master(tmp_path_factory.mktemp("kodaira") / "master.xlsx"))
    report = merge(plan, 2019, kodaira.check_reports()).report
    goal = report.goals[0]
    area = goal.areas[0]
    odd = replace(  # flagged, over-long text in several columns, numbers, an unclean character
        area.rows[0],
        flagged=True,
        measure=replace(area.rows[0].measure, content="内容\r\nの説明\u00a0" * 400, name="x" * 900),
    )
    return replace(
        report,
        goals=(
            replace(goal, areas=(replace(area, rows=(odd, *area.rows[1:])), *goal.areas[1:])),
            *report.goals[1:],
        ),
    )


class _PlainSheet(Worksheet):  # type: ignore[misc]
    """xlsxwriter's worksheet with put() as write_string / write_number: what the sheets were before."""

    def put(self, row: int, col: int, value: Any, fmt: Any) -> None:
        if isinstance(value, str):
            self.write_string(row, col, value, fmt)
        else:
            self.write_number(row, col, value, fmt)


def test_the_fast_cells_give_xlsxwriters_bytes(
    report: ProgressReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = present(report)
    fast = render_progress_xlsx(view)
    monkeypatch.setattr(progress_xlsx, "_Sheet", _PlainSheet)
    assert render_progress_xlsx(view) == fast


def _chunks_reference(text: str, width: float) -> list[str]:
    """The cut before issue 15 (pieces only; each piece's line count was wrapped again)."""
    pieces: list[list[str]] = [[]]
    used = 0
    for line in text.split("\n"):
        wrapped = wrap(line, width)
        if used + len(wrapped) <= MAX_LINES:
            pieces[-1].append(line)
            used += len(wrapped)
            continue
        if len(wrapped) <= MAX_LINES:
            pieces.append([line])
            used = len(wrapped)
            continue
        for start in range(0, len(wrapped), MAX_LINES):
            part = wrapped[start : start + MAX_LINES]
            if pieces[-1]:
                pieces.append([])
            pieces[-1].append("".join(part))
            used = len(part)
    return ["\n".join(p) for p in pieces if p] or [""]


@pytest.mark.parametrize("seed", range(3))
def test_chunks_and_their_line_counts(seed: int) -> None:
    rnd = random.Random(seed)
    words = [
        "施策の推進",
        "、",
        "。",
        "（継続）",
        "abc ",
        "https://example.jp/long/path ",
        "1,234人",
        "\n",
        "\n\n",
        "・",
    ]
    for _ in range(300):
        text = "".join(rnd.choice(words) for _ in range(rnd.choice([0, 5, 60, 400, 1500])))
        if rnd.random() < 0.2:
            text += "長" * rnd.randint(100, 3000)  # one line longer than a row
        width = rnd.choice([8.0, 20.0, 34.0, 66.0])
        pieces = _chunks(text, width)
        assert [p for p, _ in pieces] == _chunks_reference(text, width)
        assert [n for _, n in pieces] == [len(wrap(p, width)) for p, _ in pieces]


def test_clean_returns_only_clean_text_unchanged() -> None:
    for code in range(0x10000):  # every character of the BMP (surrogates included)
        char = chr(code)
        assert _clean(f"a{char}b") == clean_text(f"a{char}b")[0], hex(code)
    pair = "\ud83d\ude00"
    assert _clean(pair) == clean_text(pair)[0] == "😀"
    assert _clean("一\r\n二\r三") == "一\n二\n三"
