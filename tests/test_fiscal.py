"""Fiscal years: every accepted form parses, eras render per the FY2019 rule, bad input is a clear error."""

from __future__ import annotations

import pytest

from kpi_report.core.errors import FiscalYearError
from kpi_report.core.fiscal import fy_heading, fy_label, parse_fy


@pytest.mark.parametrize(
    "text",
    [
        "2019",
        "２０１９",
        "2019年度",
        "R1",
        "r1",
        "R元",
        "Ｒ１",
        "令和元年度",
        "令和1年度",
        "令和１年度",
        "H31",
        "平成31年度",
        " 令和 元 年度 ",
    ],
)
def test_every_listed_form_of_fy2019_parses(text: str) -> None:
    assert parse_fy(text) == 2019


def test_integer_input_is_accepted() -> None:
    assert parse_fy(2019) == 2019


@pytest.mark.parametrize(
    ("text", "fy"),
    [
        ("平成32年度", 2020),
        ("H32", 2020),
        ("平成28年度", 2016),
        ("平成元年度", 1989),
        ("昭和63年度", 1988),
        ("R7", 2025),
    ],
)
def test_pre_2019_plans_name_later_years_in_heisei(text: str, fy: int) -> None:
    assert parse_fy(text) == fy


@pytest.mark.parametrize(
    "text", ["R0", "H0", "", "   ", "来年度", "令和", "2019年度です", "19", "H", "99999"]
)
def test_invalid_text_is_a_clear_error(text: str) -> None:
    with pytest.raises(FiscalYearError, match="年度"):
        parse_fy(text)


@pytest.mark.parametrize(
    ("fy", "label"),
    [
        (1988, "昭和63年度"),
        (1989, "平成元年度"),
        (2016, "平成28年度"),
        (2018, "平成30年度"),
        (2019, "令和元年度"),
        (2020, "令和2年度"),
        (2025, "令和7年度"),
    ],
)
def test_era_labels_at_the_boundaries(fy: int, label: str) -> None:
    assert fy_label(fy) == label


def test_fy2019_can_be_written_heisei_31_by_setting() -> None:
    assert fy_label(2019, reiwa_for_2019=False) == "平成31年度"
    assert fy_label(2020, reiwa_for_2019=False) == "令和2年度"
    assert fy_heading(2019, reiwa_for_2019=False) == "【平成31年度】"


def test_label_and_parse_round_trip() -> None:
    for fy in range(1950, 2101):
        assert parse_fy(fy_label(fy)) == fy
