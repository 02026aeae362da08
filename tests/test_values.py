"""Cell value normalisation: numbers as clerks type them, notes as points, text cleaning."""

from __future__ import annotations

import pytest

from kpi_report.core.values import clean_text, parse_master_number, parse_number, split_list, split_notes


@pytest.mark.parametrize(
    ("raw", "unit", "value"),
    [
        ("1,234", "", 1234.0),
        ("１２３", "", 123.0),
        ("73.2%", "%", 73.2),
        ("73.2%", "", 73.2),
        ("45人", "人", 45.0),
        ("45 人", "人", 45.0),
        ("007", "", 7.0),
        (12, "", 12.0),
        (1.5, "", 1.5),
    ],
)
def test_numbers_parse(raw: object, unit: str, value: float) -> None:
    assert parse_number(raw, unit).value == value
    assert parse_number(raw, unit).ok


@pytest.mark.parametrize("raw", ["－", "-", "", None, "  "])
def test_dash_and_blank_mean_not_reported(raw: object) -> None:
    parsed = parse_number(raw)
    assert parsed.ok and parsed.value is None


@pytest.mark.parametrize(
    ("raw", "unit"), [("約50", ""), ("集計中", ""), ("None", ""), ("45件", "人"), (True, "")]
)
def test_text_is_never_coerced(raw: object, unit: str) -> None:
    parsed = parse_number(raw, unit)
    assert not parsed.ok and parsed.value is None


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("55% ※平成32年世論調査", 55.0),
        ("18,167 人", 18167.0),
        ("45 人", 45.0),
        ("1.16", 1.16),
        ("－", None),
        ("-13人", -13.0),
    ],
)
def test_master_numbers_accept_units_and_notes(raw: str, value: float | None) -> None:
    parsed = parse_master_number(raw)
    assert parsed.ok and parsed.value == value


def test_master_number_rejects_text() -> None:
    assert not parse_master_number("増やす").ok


def test_notes_split_into_points_without_bullet_marks() -> None:
    assert split_notes("・一つ目\n- 二つ目\r\n\n三つ目 ") == ("一つ目", "二つ目", "三つ目")


def test_departments_split_on_line_breaks_and_commas() -> None:
    assert split_list("産業振興課\n学務課、都市計画課") == ("産業振興課", "学務課", "都市計画課")


def test_control_and_zero_width_characters_are_cleaned() -> None:
    assert clean_text("実施\u200b中\x00\u00a0です") == ("実施中 です", True)
    assert clean_text("改行\nと\tタブ") == ("改行\nと\tタブ", False)
