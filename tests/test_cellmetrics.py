"""core.cellmetrics.wrap: the line-at-a-time implementation gives exactly the lines of the rule it implements,
filling each line token by token and character by character (the reference below, the implementation before
issue 15), for mixed Japanese and Latin text, long words, spaces, kinsoku characters and narrow columns."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from kpi_report.core import cellmetrics
from kpi_report.core.cellmetrics import NO_LINE_START, line_capacity, text_width, wrap, wrapped_lines


def _tokens(paragraph: str) -> Iterator[str]:
    word = ""
    for char in paragraph:
        if char.isascii() and (char.isalnum() or char in ".,:;%-_/()'\"!?"):
            word += char
            continue
        if word:
            yield word
            word = ""
        if char == " ":
            word = " "
        else:
            yield char
    if word:
        yield word


def _wrap_reference(text: str, width: float, font_size: float = 10) -> list[str]:
    """The rule: each token is added while the line holds it; one that does not fit begins the next line whole
    (its leading space dropped, a 。、）… taking the character before it along); a token longer than a line
    breaks between characters."""
    capacity = line_capacity(width, font_size)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0
        for token in _tokens(paragraph):
            size = text_width(token)
            if used + size <= capacity:
                line, used = line + token, used + size
                continue
            if size <= capacity and line:
                carried = ""
                if token[0] in NO_LINE_START and len(line) > 1 and line[-1] not in NO_LINE_START:
                    line, carried = line[:-1], line[-1]
                lines.append(line)
                token = carried + token.lstrip(" ")
                line, used = token, text_width(token)
                continue
            for char in token:
                w = text_width(char)
                if used + w > capacity and line:
                    lines.append(line)
                    line, used = "", 0
                line, used = line + char, used + w
        lines.append(line)
    return lines


_ALPHABET = (
    list("あいうえおかきくけこ漢字施策取組事業推進、。）」ー・々ぁっャ（「　ｱｲ＃ＡＢ１２")
    + list("abcXYZ019 .,:;%-_/()'\"!?\t\n")
    + sorted(NO_LINE_START)
)


@pytest.mark.parametrize("seed", range(4))
def test_wrap_gives_the_reference_lines(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(1500):
        pool = rnd.sample(_ALPHABET, rnd.randint(2, 14))
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, rnd.choice([3, 30, 120, 400]))))
        width = rnd.choice([0.5, 1, 2, 3, 5, 8, 9, 10, 16, 20, 34, 44, 66])
        font_size = rnd.choice([10, 11])
        assert wrap(text, width, font_size) == _wrap_reference(text, width, font_size), (text, width)


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("あ" * 34 + "。" + "い" * 40, 66),  # 「あ。」 goes down together
        ("あ" * 33 + "。。" + "い" * 3, 66),  # a second closing mark stays
        ("see https://example.jp/a/very/long/path/that/never/fits/one/line と書きました", 12),
        ("x" * 500, 20),  # one word longer than many lines
        ("abc " * 60 + "終わり", 16),  # words moving down, their spaces dropped
        ("漢字" * 50 + "  " + "ab" * 30, 9),  # spaces before a word
        ("1,234,567人（2019年度）、前年度比+3.5%。" * 8, 34),
        ("", 10),
        ("\n\n", 10),
        ("一行目\n" + "二" * 200 + "\n", 8),
    ],
)
def test_wrap_cases(text: str, width: float) -> None:
    assert wrap(text, width) == _wrap_reference(text, width)
    assert wrap(text, width) == wrap(text, width)  # the second time from the cache, the same (and a copy)
    lines = wrap(text, width)
    lines.append("x")
    assert wrap(text, width) == _wrap_reference(text, width)


# column widths whose line capacity is a hair below or above a whole number (2.0000000000000004, 10.999999999999998)
_NEAR_WHOLE = [
    2.047619047619048,
    3.9523809523809526,
    10.619047619047619,
    13.476190476190476,
    29.666666666666664,
]

_PIECES = [
    *"あいうえおかきくけこ漢字施策取組、。）」ー・々ぁっャ（「ｱｲ＃\t①※○◎■…“”éΩ😀",
    *sorted(NO_LINE_START),
    *[
        "2019",
        "120",
        "1,234",
        "(仮)",
        ".5",
        "abc",
        "ID-123",
        "x",
        "ABCDEFGHIJ",
        " ",
        "https://example.jp/a",
        "\n",
    ],
]


@pytest.mark.parametrize("seed", range(4))
def test_wrapped_lines_counts_the_reference_lines(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(1500):
        pool = rnd.sample(_PIECES, rnd.randint(2, 16))
        if rnd.random() < 0.7:
            pool = [p for p in pool if p != " "] or ["あ"]  # most without spaces: the counted paragraphs
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, rnd.choice([10, 40, 100, 300]))))
        width = rnd.choice([0.5, 1, 2, 3, 5, 8, 9, 10, 16, 20, 34, 44, 66, *_NEAR_WHOLE])
        font_size = rnd.choice([10, 11])
        cellmetrics._COUNTED.clear()
        assert wrapped_lines(text, width, font_size) == len(_wrap_reference(text, width, font_size)), (
            text,
            width,
        )


def test_a_plain_paragraph_is_counted_without_wrapping(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> list[str]:
        raise AssertionError("wrapped")

    text = "令和元年度は2019件の相談に対応し、前年度比120%となった。" * 3
    expected = len(_wrap_reference(text, 66))
    monkeypatch.setattr(cellmetrics, "_greedy_lines", refuse)
    cellmetrics._COUNTED.clear()
    assert wrapped_lines(text, 66) == expected == 3


def test_near_whole_capacities_are_not_whole() -> None:
    capacities = [line_capacity(width, 10) for width in _NEAR_WHOLE]
    assert all(c != round(c) and abs(c - round(c)) < 1e-9 for c in capacities), capacities


def test_the_characters_measured_by_counting_are_two_wide() -> None:
    """A paragraph of ASCII and _SURELY_WIDE characters only is measured as 2 a character, 1 for ASCII: every
    character of the class must be one that char_width counts 2 (a newer Unicode may change one)."""
    pattern = cellmetrics._NOT_SURELY_WIDE
    for code in range(0x110000):
        char = chr(code)
        if pattern.match(char) is None:
            assert cellmetrics.char_width(char) == (1 if code < 0x80 else 2), hex(code)


def test_a_paragraph_of_other_characters_is_measured_one_by_one() -> None:
    cellmetrics._COUNTED.clear()
    text = "ｱ" * 60 + "漢字" * 20  # half-width katakana: 1 wide, outside the counted class
    assert cellmetrics._NOT_SURELY_WIDE.search(text) is not None
    assert wrapped_lines(text, 20) == len(_wrap_reference(text, 20)) == 7


def test_counts_are_forgotten_by_characters() -> None:
    counts = cellmetrics._Counts(100)
    counts.keep(("a" * 60, 10.0), 3, 60)
    counts.keep(("b" * 30, 10.0), 2, 30)
    assert len(counts) == 2 and counts.held == 90
    counts.keep(("c" * 20, 10.0), 1, 20)  # 110 > 100: the others forgotten
    assert list(counts) == [("c" * 20, 10.0)] and counts.held == 20
