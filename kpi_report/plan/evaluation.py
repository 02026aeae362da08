"""The master's 効果検証 parts: the optional sheet 施策 (who writes each 施策's evaluation) and the evaluation
settings of 設定 (今後の方向性, 評価区分, 評価不能の理由, 評価方式, 維持の許容幅, 事業費).

A plan that has neither the sheet nor any of these keys does not use evaluation and renders as before.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from typing import Any

from kpi_report.core import columns
from kpi_report.core.columns import MASTER_POLICY_AREAS
from kpi_report.core.findings import Code
from kpi_report.core.model import GradeBand, GradeScheme, Measure, PolicyArea
from kpi_report.core.values import normalize_choice, parse_number

EVALUATION_KEYS = ("今後の方向性", "評価区分", "評価不能の理由", "評価方式", "維持の許容幅", "事業費")
METHODS = ("目標比", "経過按分")
POLICY_SHEET = "施策"
POLICY_REQUIRED = columns.required(MASTER_POLICY_AREAS)
_BAND = re.compile(r"^(?P<label>[^:：]+?)\s*(?:[:：]\s*(?P<threshold>.+))?$")

Bad = Callable[[str, str, Code], None]  # (key, help, code): report a setting that cannot work


def _choices(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in re.split(r"[、,，\n]", text) if s.strip())


def _rate(text: str, raw: Any = None) -> float | None:
    parsed = parse_number(raw if raw is not None and not isinstance(raw, str) else text)
    if parsed.value is None:
        return None
    return parsed.value / 100 if "%" in text or "％" in text or parsed.value > 2 else parsed.value


def parse_grade_scheme(text: str) -> tuple[GradeScheme | None, str]:
    """``A:100%、B:50%、C:0%、D`` → a scheme, or (None, why not) in Japanese."""
    parts = _choices(text)
    if len(parts) < 2:
        return None, "「A:100%、B:50%、C:0%、D」のように、2つ以上の記号を「、」で区切って入力してください。"
    bands: list[GradeBand] = []
    for i, part in enumerate(parts):
        m = _BAND.match(part)
        label = m.group("label").strip() if m else ""
        threshold_text = (m.group("threshold") or "").strip() if m else ""
        last = i == len(parts) - 1
        if not label:
            return None, f"「{part}」に記号がありません。"
        if last:
            if threshold_text:
                return None, f"最後の記号「{label}」は残り全部を受け持つので、下限を書かないでください。"
            bands.append(GradeBand(label, None))
            continue
        threshold = _rate(threshold_text) if threshold_text else None
        if threshold is None:
            return None, f"「{part}」の下限を「{label}:50%」のように入力してください。"
        bands.append(GradeBand(label, threshold))
    labels = [normalize_choice(b.label) for b in bands]
    if len(set(labels)) != len(labels):
        return None, "同じ記号が2回以上あります。"
    limits = [b.threshold for b in bands if b.threshold is not None]
    if any(a <= b for a, b in itertools.pairwise(limits)):
        return None, "下限は左から順に小さくしてください（例: A:100%、B:50%、C:0%、D）。"
    return GradeScheme(tuple(bands)), ""


def read_evaluation_settings(
    values: Mapping[str, tuple[str, int]], raw: Mapping[str, Any], bad: Bad
) -> dict[str, Any]:
    """The Settings fields of the evaluation keys present in 設定 (``values``: key → (text, row))."""
    kwargs: dict[str, Any] = {}
    present = [k for k in EVALUATION_KEYS if values.get(k, ("", 0))[0]]
    if present:
        kwargs["evaluation"] = True
    for key, attr in (("今後の方向性", "directions"), ("評価不能の理由", "not_evaluable_reasons")):
        text = values.get(key, ("", 0))[0]
        if not text:
            continue
        choices = _choices(text)
        keys = [normalize_choice(c) for c in choices]
        if not choices:
            bad(key, "選択肢を「、」で区切って入力してください。", "master-bad-setting")
        elif len(set(keys)) != len(keys):
            bad(key, "同じ選択肢が2回以上あります。1回ずつにしてください。", "master-setting-conflict")
        elif any('"' in c for c in choices):
            bad(key, '選択肢に「"」は使えません。', "master-bad-setting")
        else:
            kwargs[attr] = choices
    if values.get("評価区分", ("", 0))[0]:
        scheme, why = parse_grade_scheme(values["評価区分"][0])
        if scheme is None:
            bad("評価区分", why, "master-bad-setting")
        else:
            kwargs["grade_scheme"] = scheme
    method = normalize_choice(values.get("評価方式", ("", 0))[0])
    if method:
        if method in METHODS:
            kwargs["method"] = method
        else:
            bad("評価方式", "「目標比」または「経過按分」と入力してください。", "master-bad-setting")
    if values.get("維持の許容幅", ("", 0))[0]:
        tolerance = _rate(values["維持の許容幅"][0], raw.get("維持の許容幅"))
        if tolerance is None or not 0 <= tolerance < 1:
            bad(
                "維持の許容幅", "0%以上100%未満の割合を「5%」のように入力してください。", "master-bad-setting"
            )
        else:
            kwargs["maintain_tolerance"] = tolerance
    budgets = normalize_choice(values.get("事業費", ("", 0))[0])
    if budgets:
        if budgets in ("記入する", "する"):
            kwargs["budgets"] = True
        elif budgets not in ("記入しない", "しない"):
            bad("事業費", "「記入する」または「記入しない」と入力してください。", "master-bad-setting")
    return kwargs


def read_policy_areas(reader: Any, measures: list[Measure]) -> list[PolicyArea]:
    """The rows of sheet 施策: each names a 施策 of the 取組 sheet, its stable ID and its 主管課."""
    if not reader.require(POLICY_REQUIRED):
        return []
    known = {(m.goal, m.area) for m in measures}
    goals = {m.goal for m in measures}
    areas: list[PolicyArea] = []
    ids: dict[str, str] = {}
    titles: dict[tuple[str, str], str] = {}
    for row in reader:
        v = row.values
        if reader.missing_values(row, POLICY_REQUIRED):
            continue
        if v["施策ID"] in ids:
            reader.report(row, "master-duplicate-id", "施策ID", other=ids[v["施策ID"]])
            continue
        ids[v["施策ID"]] = row.ref("施策ID")
        key = (v["基本目標"], v["施策"])
        if v["基本目標"] not in goals:
            reader.report(row, "master-area-unknown", "基本目標")
            continue
        if key not in known:
            reader.report(row, "master-area-unknown", "施策")
            continue
        if key in titles:
            reader.report(row, "master-area-repeated", "施策", other=titles[key])
            continue
        titles[key] = row.ref("施策")
        lead = v["主管課"].replace("\n", "、").split("、")[0].strip()
        areas.append(PolicyArea(id=v["施策ID"], goal=key[0], title=key[1], lead=lead, row=row.number))
    return areas


def kpi_method(text: str) -> str | None:
    """A KPI's own 評価方式: None when blank; the method; or "" when it is not one (a finding)."""
    method = normalize_choice(text)
    if not method:
        return None
    return method if method in METHODS else ""
