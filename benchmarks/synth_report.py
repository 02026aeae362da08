"""Realistic ProgressReport objects built from a plan, for the review benchmark and tests.

Independent of the merge stage: statuses, notes and KPI actuals are invented deterministically
(seeded), in the volume of Kodaira's published 進捗状況一覧表 (two to three points of 40–120
characters per measure and year, a few years without an entry, a few measures not reported).
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from kpi_report.core.achievement import achievement_rate, grade
from kpi_report.core.fiscal import fy_heading, fy_label
from kpi_report.core.model import (
    Area,
    AreaSection,
    Goal,
    GoalSection,
    Kpi,
    KpiRow,
    MeasureRow,
    Plan,
    ProgressReport,
    YearNotes,
)
from kpi_report.plan.master import load_plan
from tools.synth import write_synthetic_master

SENTENCES = (
    "認定農業者の更新や新規認定の呼びかけを行い、{n}経営体が認定を受けました。",
    "経営基盤強化の補助を行う地域農業担い手支援事業を実施し、{n}経営体が事業を活用して農業経営の促進を図りました。",
    "学校給食等への地場産農産物の利用の促進に対し、補助金を交付しました。",
    "子育て世代包括支援センターにおいて妊娠届出時の全数面接を実施し、{n}件の支援プランを作成しました。",
    "関係機関と連携した説明会を{n}回開催し、参加者の意見を踏まえて次年度の実施方法を見直しました。",
    "実績なし（前年度事業の検証を踏まえ、次年度の実施手法の検討を行いました。）",
    "《駅西口地区》",
    "市報・ホームページ・SNSで事業を周知したほか、商店会と協力してイベントを{n}回開催し、延べ{n}00人が参加しました。",
    "未着手",
    "民間事業者との協定に基づき、空き店舗を活用した創業支援の相談窓口を設け、{n}件の相談に対応しました。",
    "地域包括支援センターと連携し、見守りネットワークの協力事業者を{n}事業者増やしました。",
)
STATUS_WEIGHTS = (
    ("実施中", 70),
    ("完了", 8),
    ("一部実施", 8),
    ("検討中", 6),
    ("未着手", 3),
    ("休止・中止", 2),
    ("", 3),
)


def _points(rng: random.Random) -> tuple[str, ...]:
    count = rng.choice((1, 2, 2, 2, 3))
    return tuple(rng.choice(SENTENCES).format(n=rng.randint(2, 40)) for _ in range(count))


def _kpi_row(kpi: Kpi, years: tuple[int, ...], fy: int, plan: Plan, rng: random.Random) -> KpiRow:
    actuals: list[tuple[int, float | None]] = []
    base = kpi.baseline if kpi.baseline is not None else (kpi.target or 1.0) * 0.6
    target = kpi.target if kpi.target is not None else base
    for i, year in enumerate(years):
        if rng.random() < 0.08:
            actuals.append((year, None))
            continue
        share = (i + 1) / (len(years) + 1) * rng.uniform(0.3, 1.4)
        value = base + (target - base) * share
        actuals.append((year, round(value, 1 if abs(value) < 10 else 0)))
    actual = dict(actuals).get(fy)
    rate = achievement_rate(kpi, actual)
    return KpiRow(
        kpi=kpi, actuals=tuple(actuals), actual=actual, rate=rate, grade=grade(rate, plan.settings.grades)
    )


def report_from_plan(
    plan: Plan,
    fy: int = 2019,
    history_years: int = 2,
    seed: int = 7,
    missing_submissions: tuple[str, ...] = (),
) -> ProgressReport:
    """A report for fiscal year ``fy`` with ``history_years`` years of notes (fy included)."""
    rng = random.Random(seed)
    reiwa = plan.settings.reiwa_for_2019
    start = plan.settings.start_fy if plan.settings.start_fy and plan.settings.start_fy <= fy else fy
    years = tuple(range(start, fy + 1))  # KPI actuals of every plan year so far
    note_years = years[-history_years:]
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    goals: list[GoalSection] = []
    for goal in plan.goals:
        areas: list[AreaSection] = []
        for area in goal.areas:
            rows = []
            for measure in area.measures:
                history = tuple(
                    YearNotes(fy=y, heading=fy_heading(y, reiwa), points=_points(rng))
                    for y in note_years
                    if y == fy or rng.random() > 0.1
                )
                status = rng.choices(statuses, weights)[0]
                rows.append(MeasureRow(measure=measure, status=status, history=history))
            kpis = tuple(
                _kpi_row(k, years, fy, plan, rng)
                for k in plan.kpis
                if k.goal == goal.title and k.area == area.title
            )
            areas.append(AreaSection(title=area.title, rows=tuple(rows), kpis=kpis))
        indicators = tuple(
            _kpi_row(k, years, fy, plan, rng) for k in plan.kpis if k.goal == goal.title and not k.area
        )
        goals.append(GoalSection(title=goal.title, indicators=indicators, areas=tuple(areas)))
    label = fy_label(fy, reiwa)
    return ProgressReport(
        plan_name=plan.settings.plan_name,
        city=plan.settings.city,
        fy=fy,
        fy_label=label,
        notes_header=f"{label}までの実施等状況",
        years=years,
        statuses=plan.settings.statuses,
        issue_date=plan.settings.issue_date or "令和2年6月",
        goals=tuple(goals),
        missing_submissions=missing_submissions,
        reiwa_for_2019=reiwa,
    )


def synthetic_plan(path: Path, measures: int, texts: Plan | None = None) -> Plan:
    """A generated master of ``measures`` measures (KPIs and departments scaled with it), loaded.

    With ``texts``, each measure takes the 名称 and 内容 of a measure of that plan in turn (e.g. the
    bundled Kiyose sample, 内容 of 61 characters on average), instead of the generator's 184-character 内容.
    """
    write_synthetic_master(
        path,
        measures=measures,
        departments=max(15, measures // 10),
        kpis=max(20, measures * 3 // 10),
        goals=4,
        areas_per_goal=5 if measures >= 100 else 3,
    )
    plan = load_plan(path)
    if texts is None or not texts.measures:
        return plan
    source = texts.measures
    renamed = {
        m.id: replace(m, name=source[i % len(source)].name, content=source[i % len(source)].content)
        for i, m in enumerate(plan.measures)
    }
    goals = tuple(
        Goal(g.title, tuple(Area(a.title, tuple(renamed[m.id] for m in a.measures)) for a in g.areas))
        for g in plan.goals
    )
    return replace(plan, goals=goals, measures=tuple(renamed[m.id] for m in plan.measures))
