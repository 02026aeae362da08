"""The rebuild caches' JSON codec: a model object survives the round trip exactly; a wrong shape is refused."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from kpi_report.core.codec import CodecError, decode, encode
from kpi_report.core.model import Finding, KpiEntry, Measure, Plan, Settings
from kpi_report.plan.master import load_plan

SAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "master.xlsx"


def _round_trip(value: object) -> object:
    return decode(type(value), json.loads(json.dumps(encode(value), ensure_ascii=False)))


def test_the_sample_plan_survives_a_round_trip_through_json() -> None:
    plan = load_plan(SAMPLE)
    assert _round_trip(plan) == plan
    assert isinstance(_round_trip(plan), Plan)


def test_dates_infinities_and_optional_values_come_back_as_they_were() -> None:
    settings = Settings(deadline=date(2020, 5, 31), start_fy=None, end_fy=2024)
    assert _round_trip(settings) == settings
    entry = KpiEntry(2019, "企画課", "K1", math.inf, "inf")
    back = _round_trip(entry)
    assert isinstance(back, KpiEntry) and back.actual == math.inf
    nan = _round_trip(KpiEntry(2019, "企画課", "K1", math.nan, "nan"))
    assert isinstance(nan, KpiEntry) and nan.actual is not None and math.isnan(nan.actual)


@pytest.mark.parametrize(
    "data",
    [
        {
            "code": "x",
            "severity": "fatal",
            "message": "m",
            "file": "",
            "sheet": "",
            "cell": "",
            "item_id": "",
            "value": "",
            "department": "",
        },  # severity outside its Literal
        {"code": "x", "severity": "error", "message": "m"},  # fields missing
        ["not", "an", "object"],
        {
            "code": 1,
            "severity": "error",
            "message": "m",
            "file": "",
            "sheet": "",
            "cell": "",
            "item_id": "",
            "value": "",
            "department": "",
        },  # a number where a text belongs
    ],
)
def test_a_value_of_the_wrong_shape_is_refused(data: object) -> None:
    with pytest.raises(CodecError):
        decode(Finding, data)


def test_a_wrong_item_in_a_tuple_of_texts_and_a_bool_for_a_number_are_refused() -> None:
    measure = encode(Measure("M1", "目標", "施策", "1", "名称", "内容", ("企画課",)))
    assert decode(Measure, measure) == Measure("M1", "目標", "施策", "1", "名称", "内容", ("企画課",))
    with pytest.raises(CodecError):
        decode(Measure, {**measure, "owners": ["企画課", 1]})
    with pytest.raises(CodecError):
        decode(Measure, {**measure, "row": True})
    with pytest.raises(CodecError):
        decode(Measure, {**measure, "related": "企画課"})


@dataclass(frozen=True)
class _Checked:
    text: str

    def __post_init__(self) -> None:
        if not self.text:
            raise CodecError("empty")


def test_a_dataclass_with_post_init_is_built_through_its_init() -> None:
    assert decode(_Checked, {"text": "a"}) == _Checked("a")
    with pytest.raises(CodecError):
        decode(_Checked, {"text": ""})


def test_fields_are_set_in_declaration_order() -> None:
    entry = KpiEntry(2019, "企画課", "K1", 1.5, "1.5")
    back = decode(KpiEntry, json.loads(json.dumps(encode(entry), sort_keys=True)))
    assert list(vars(back)) == list(vars(entry))
