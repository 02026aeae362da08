"""Build the bundled sample master workbook (``inputs/master.xlsx``) from the seed texts.

Usage::

    python tools/build_sample_master.py SEEDS_DIR [--out inputs/master.xlsx]

The seeds are plain-text extractions of public documents of 清瀬市 (Kiyose City):

* ``001_*.txt`` — 清瀬市まち・ひと・しごと創生総合戦略 (March 2016): goals, 施策, 取組 with 【…】 tags, KPI tables,
  数値目標 tables and an appendix mapping each 取組 to budget businesses with 10-digit codes.
* ``000_*.txt`` — a later revision of the 取組 list: budget code, owning department (所管課), long-term-plan
  policy number (施策311 …) and an updated description (取組内容) for each 取組.

The script parses both and writes the sheets of the master (取組, KPI, 施策, 委員, 設定; docs/master-format.md). The
output is byte-deterministic: the same seeds always give the same bytes.

Choices
-------
Where the two seeds disagree, this script decides as follows.

* **Which 取組 exist**: exactly the 60 取組 of seed 001 (the adopted plan), in its order, under its 4 基本目標 and
  10 施策. 000's extra 取組 コミュニティ・スクール (基本目標Ⅳ) is not in the plan and is left out.
* **Goal and area titles**: from the headings of 001's body (``基本目標Ⅰ 結婚・出産・子育ての希望実現戦略``,
  ``① 妊娠・出産・子育ての切れ目のないサポート体制の整備``). 001's appendix shortens goal Ⅰ ("…希望実現") and
  000 repeats ``①地域課題に対応した新たな事業創出`` under goals Ⅲ and Ⅳ by mistake; both are ignored.
* **名称**: 001's wording (the name of record in the plan, its appendix and its KPIs), with the 【…】 tags removed.
  000 renamed seven 取組; they are matched through ``RENAMED_IN_000`` (e.g. 生活体験学校 → 体験型講座,
  イングリッシュキャンプ → 体験型英語学習活動, 農業振興計画の策定 → 農業振興計画の推進) and keep 001's name.
* **区分**: 001's tag (the standing in the plan as adopted; 000 re-tags many 新規 as 継続 a few years on). Three
  001 lines carry two tags (保育園運営事業, 学童クラブ運営管理事業, メール配信サービス…Wi-Fi); the measure takes the
  strongest by 新規 > 拡充 > 継続 > 検討 (a measure with a new part being carried out counts as 新規).
* **内容**: 000's updated 取組内容 when the 取組 is found there (two budget lines with different texts: both, one per
  line), else 001's description. Exception: 000 gives 歩道整備事業 the text of 子育て環境整備事業 (a copy slip),
  so that measure keeps 001's text.
* **所管課**: 000's department(s), in the order of its budget lines, duplicates removed (地域子育て支援拠点事業 has
  two: 子ども家庭支援センター and 子育て支援課). 001 names no departments; for the four 取組 missing from 000 a
  plausible owner is chosen in ``OWNER_NOT_IN_000``.
* **予算事業コード**: 000's codes (the later budget numbering: 001 and 000 differ for 妊婦健康診査, 乳児家庭全戸訪問,
  保育園運営, 婚活支援, 両親学級, 不妊・不育症, 神山公園/柳瀬川回廊, イングリッシュキャンプ, 女性の就労支援 and
  健幸ポイント). 000's ``-`` means "no budget business" and gives no code; an empty code cell in 000 is a missing
  value and falls back to 001's appendix (体験型講座 → 0110050104). 取組 missing from 000 take 001's codes.
* **総合計画施策**: from 000 (``施策311``); blank where 000 gives ``-`` or lacks the 取組.
* **関連課**: neither seed gives one. ``RELATED_SAMPLE`` puts a realistic one on three measures as sample data so
  that the feature is exercised.
* **KPI**: every 数値目標 (goal level, 施策 blank, ``G1-01``) and every KPI (``K1-1-01``) of 001. Values are written as
  in the seed with PDF spacing removed (``45 人`` → ``45人``; a note keeps its space: ``55% ※平成32年世論調査``); a
  missing baseline (``－``, ``—`` or ``-``) is written ``－``. 目標年度 is 2019 (H31) for all. The seed gives no
  baseline year per indicator; the plan was drafted in FY2015 on the latest figures then available and the two
  it dates are 平成26年 (合計特殊出生率, 市政世論調査), so 基準年度 is 2014 wherever there is a baseline.
  方向 follows the numbers (target below baseline → 減少, e.g. 保育園待機児童数 45人 → 20人), else 増加.
  所管課 is chosen in ``KPI_OWNER`` and checked to be an owner of a measure of the same 施策 (or goal).
* **施策** (効果検証): one row per 施策 with the ID ``<goal>-<area>`` (``1-1``) and, as 主管課, the lead owner of the
  施策's first measure (the seeds name no lead). Having the sheet turns evaluation on; the 設定 keys of evaluation
  are left at their defaults (評価区分 A–D, 今後の方向性 拡充 … 終了).
* **委員** (外部評価): five invented members, **sample data** — no real committee of the city is named. The names
  use the surname 見本 ("sample") so that nobody mistakes them for real people; 委員名の公表 stays at its default
  しない, so the review writes 委員A … 委員E.
* **発行日**: one line per report year (2018: 令和元年6月, 2019: 令和2年6月), as a city would keep them.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from kpi_report.core.columns import MASTER_KPIS, MASTER_MEASURES, MASTER_MEMBERS, MASTER_POLICY_AREAS

PLAN_NAME = "清瀬市まち・ひと・しごと創生総合戦略"
TARGET_FY = 2019  # 数値目標等（H31）
BASELINE_FY = 2014  # see "Choices": the plan dates its baselines 平成26年
MISSING = "－"

TAG_RE = re.compile(r"【(継続|新規|拡充|検討)】")
TAG_PRIORITY = ("新規", "拡充", "継続", "検討")
NUMERALS = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨ"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
CODE_RE = re.compile(r"(?<!\d)\d{10}(?!\d)")
SOURCE_RE = re.compile(r"【出典：(.+?)】")
DASHES = {"－", "—", "-", "―", "‐", "ー"}
NUMBER_RE = re.compile(r"^-?\d[\d,]*(?:\.\d+)?")

# --- fix-up tables for irregular seed lines -------------------------------------------------------------------

# 001 names whose tags sat between two items: removing the tag glued the items together.
NAME_FIXES = {
    "学童クラブ運営管理事業（高学年受け入れ放課後子ども教室との連携事業）": (
        "学童クラブ運営管理事業（高学年受け入れ・放課後子ども教室との連携事業）"
    ),
    "メール配信サービス・公式Facebook・twitterの活用Wi-Fiスポットの整備": (
        "メール配信サービス・公式Facebook・twitterの活用、Wi-Fiスポットの整備"
    ),
}

# 001 name → 000 name, for 取組 that 000 renamed (matched by goal, position and budget business).
RENAMED_IN_000 = {
    "総合相談支援センターの検討": "総合相談支援センター設置の検討",
    "神山公園芝生化・柳瀬川回廊事業": "花のある公園芝生化・柳瀬川回廊事業",
    "生活体験学校": "体験型講座",  # both under 文化活動振興事業
    "イングリッシュキャンプ": "体験型英語学習活動",
    "農業振興計画の策定": "農業振興計画の推進",
    "商工業振興計画の策定": "商工業振興計画の推進",
    "市民協働推進連絡会（市民活動団体等との協議会）": "協働のきっかけづくりの支援",  # 市民協働推進事業, 企画課
}

# 取組 of 001 that 000 no longer lists: owner chosen from the department owning the same budget business in 000.
OWNER_NOT_IN_000 = {
    "放課後補習事業": "指導課",  # 学力向上推進事業 (0110010313), as イングリッシュキャンプ → 指導課
    "事業者交流会の開催": "産業振興課",  # the other 事業者 support measures of 基本目標Ⅱ①
    "シティプロモーション推進計画の策定": "秘書広報課",  # シティプロモーション推進事業 (0102010409)
    "魅力発信サポーター": "秘書広報課",  # the city's PR section
}

# 000's 取組内容 is wrong for these (歩道整備事業 carries 子育て環境整備事業's text): keep 001's description.
CONTENT_FROM_001 = {"歩道整備事業"}

# Sample data, not from the seeds: a related department (関連課) on three measures.
RELATED_SAMPLE = {
    "学校における地産地消推進事業": "産業振興課",  # 市内農家との連携
    "子どもの学習支援事業": "指導課",
    "清瀬駅南口地域児童館整備": "子育て支援課",
}

# KPI name fixes: 001 has a doubled 者 and a name that only makes sense under the row above it.
KPI_NAME_FIXES = {"（内）女性従業者者比率": "市内従業者のうち女性従業者比率"}

# Units the values do not show.
KPI_UNIT_FIXES = {"市民活動センター登録団体数": "団体"}

# The department that reports each indicator's actual value (one of the owners of the 施策's / goal's measures).
KPI_OWNER = {
    "合計特殊出生率": "健康推進課",
    "子育てしやすいと回答する市民（就学前の保護者の割合）": "子ども家庭支援センター",
    "保育園待機児童数": "子育て支援課",
    "不妊・不育症治療費助成数": "健康推進課",
    "婚活事業のカップリング数": "企画課",
    "身近な生活環境に満足している人の割合": "水と緑の環境課",
    "学校教育に関する保護者の満足度": "指導課",
    "市内従業者数": "産業振興課",
    "市内従業者のうち女性従業者比率": "男女共同参画センター",
    "創業支援件数": "産業振興課",
    "農のある風景を生かしたイベント参加者数": "産業振興課",
    "活気ある商店街を育むイベント参加者数": "産業振興課",
    "20～30代の転入出の差分": "企画課",
    "清瀬への愛着度": "秘書広報課",
    "市ホームページアクセス件数": "秘書広報課",
    "公式フェイスブックの登録者数": "秘書広報課",
    "地域のつながりや交流ができていると感じている人の割合": "企画課",
    "市民活動センター登録団体数": "企画課",
    "円卓会議実施数": "企画課",
    "自治組織への加入率": "企画課",
    "学校支援地域組織の設置校数": "生涯学習スポーツ課",
    "公共施設の稼働率": "企画課",
    "公開しているオープンデータ数": "情報政策課",
}

# Sample data, not from the seeds: the external committee (委員ID, 氏名, 区分). Invented names, see "Choices".
MEMBERS_SAMPLE: tuple[tuple[str, str, str], ...] = (
    ("M01", "見本 一郎", "学識経験者"),
    ("M02", "見本 花子", "産業界"),
    ("M03", "見本 次郎", "金融機関"),
    ("M04", "見本 和子", "子育て当事者"),
    ("M05", "見本 三郎", "公募市民"),
)

SETTINGS: tuple[tuple[str, str | int], ...] = (
    ("計画名", PLAN_NAME),
    ("自治体名", "清瀬市"),
    ("計画開始年度", 2015),
    ("計画終了年度", 2019),
    ("進捗状況", "実施中、完了、一部実施、検討中、未着手、休止・中止"),
    ("和暦", "令和元年度"),
    ("発行日", "2018: 令和元年6月\n2019: 令和2年6月"),
)

AREA_COLUMNS = tuple((c.header, c.width) for c in MASTER_POLICY_AREAS)
MEMBER_COLUMNS = tuple((c.header, c.width) for c in MASTER_MEMBERS)
MEASURE_COLUMNS = tuple(
    (c.header, c.width) for c in MASTER_MEASURES
)  # headers and widths of the master format
KPI_COLUMNS = tuple((c.header, c.width) for c in MASTER_KPIS)


class SeedError(Exception):
    """The seeds do not look as this script expects."""


# --- text helpers ---------------------------------------------------------------------------------------------


def tidy(text: str) -> str:
    """Collapse whitespace and drop the spaces PDF extraction puts around Japanese text (keep one before ※)."""
    text = re.sub(r"\s+", " ", text).strip()
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch == " ":
            prev, nxt = text[i - 1], text[i + 1]
            if nxt != "※" and (not prev.isascii() or not nxt.isascii()):
                continue
        out.append(ch)
    return "".join(out)


def key(name: str) -> str:
    """A loose matching key for a 取組 name: NFKC, no tags, no spaces or separators."""
    name = TAG_RE.sub("", unicodedata.normalize("NFKC", name))
    return re.sub(r"[\s・/、,-]", "", name)


def base_key(name: str) -> str:
    """The matching key of a name without its parenthesised part."""
    k = key(name)
    return k.split("(", 1)[0]


def unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.append(item)
    return seen


# --- seed 001 ---------------------------------------------------------------------------------------------------


@dataclass
class Measure:
    goal_no: int
    area_no: int
    name: str
    tags: list[str]
    description: str = ""
    codes_001: list[str] = field(default_factory=list)
    found_in_appendix: bool = False


@dataclass
class Indicator:
    goal_no: int
    area_no: int  # 0 = goal level
    name: str
    source: str
    baseline: str
    target: str


@dataclass
class Plan001:
    goals: dict[int, str] = field(default_factory=dict)
    areas: dict[tuple[int, int], str] = field(default_factory=dict)
    measures: list[Measure] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)


GOAL_HEADING_RE = re.compile(r"^\(\d+\) 基本目標([ⅠⅡⅢⅣⅤⅥⅦⅧⅨ])\.\s*(.+)$")
AREA_HEADING_RE = re.compile(rf"^([{CIRCLED}])\s*(.+)$")


def parse_001(text: str) -> Plan001:
    plan = Plan001()
    lines = text.splitlines()
    appendix_at = next((i for i, line in enumerate(lines) if line.startswith("【資料】")), None)
    if appendix_at is None:
        raise SeedError("seed 001: appendix 【資料】 not found")
    goal = area = 0
    mode = ""  # "measures" | "table" | ""
    table_goal_level = False
    current: Measure | None = None
    for raw in lines[:appendix_at]:
        line = raw.strip()
        if not line:
            if mode == "table":
                mode = ""
            continue
        if "\t" not in line and (m := GOAL_HEADING_RE.match(line)):
            goal, area, mode, current = NUMERALS.index(m.group(1)) + 1, 0, "", None
            plan.goals[goal] = f"基本目標{m.group(1)} {tidy(m.group(2))}"
            continue
        if goal and "\t" not in line and (m := AREA_HEADING_RE.match(line)):
            area, mode, current = CIRCLED.index(m.group(1)) + 1, "", None
            plan.areas[(goal, area)] = f"{m.group(1)} {tidy(m.group(2))}"
            continue
        if not goal:
            continue
        if line.startswith("◆取り組み内容"):
            mode, current = "measures", None
            continue
        if line.startswith("◆"):
            mode, current = "", None
            continue
        if line.startswith(("重要業績評価指標（KPI）\t", "戦略指標\t")):
            mode, table_goal_level = "table", line.startswith("戦略指標")
            continue
        if mode == "measures":
            tags = TAG_RE.findall(line)
            if tags:
                name = tidy(TAG_RE.sub("", line))
                current = Measure(goal, area, NAME_FIXES.get(name, name), tags)
                plan.measures.append(current)
            elif current is not None:
                current.description += tidy(line)
            else:
                raise SeedError(f"seed 001: description without a measure: {line!r}")
        elif mode == "table":
            cells = [c.strip() for c in line.split("\t")]
            if len(cells) < 3:
                raise SeedError(f"seed 001: short indicator row: {line!r}")
            source_m = SOURCE_RE.search(cells[0])
            name = tidy(SOURCE_RE.sub("", cells[0]))
            plan.indicators.append(
                Indicator(
                    goal_no=goal,
                    area_no=0 if table_goal_level else area,
                    name=KPI_NAME_FIXES.get(name, name),
                    source=tidy(source_m.group(1)) if source_m else "",
                    baseline=clean_value(cells[1]),
                    target=clean_value(cells[2]),
                )
            )
    parse_001_appendix(lines[appendix_at:], plan)
    return plan


def parse_001_appendix(lines: Sequence[str], plan: Plan001) -> None:
    """Map each 取組 to its budget codes. Columns shift and cells wrap, so cells are matched by content."""
    goal = 0
    current: Measure | None = None
    for line in lines:
        if "\t" not in line:
            continue
        cells = [c.strip() for c in line.split("\t")]
        for cell in cells:
            if m := re.match(r"^基本目標([ⅠⅡⅢⅣⅤⅥⅦⅧⅨ])", cell):
                goal, current = NUMERALS.index(m.group(1)) + 1, None
        if not goal:
            continue
        found = None
        for cell in cells:
            k = key(cell)
            if not k:
                continue
            found = next(
                (ms for ms in plan.measures if ms.goal_no == goal and k in (key(ms.name), base_key(ms.name))),
                None,
            )
            if found:
                break
        codes = CODE_RE.findall(line)
        if found is not None:
            current = found
            current.found_in_appendix = True
        elif not codes:
            continue
        elif current is None:
            raise SeedError(f"seed 001 appendix: code without a measure: {line!r}")
        current.codes_001.extend(c for c in codes if c not in current.codes_001)
    missing = [ms.name for ms in plan.measures if not ms.found_in_appendix]
    if missing:
        raise SeedError(f"seed 001 appendix: measures not found: {missing}")


def clean_value(cell: str) -> str:
    value = tidy(cell)
    return MISSING if value in DASHES or not value else value


# --- seed 000 ---------------------------------------------------------------------------------------------------


@dataclass
class Revised:
    goal_no: int
    name: str
    tags: list[str]
    policy: str  # "施策311" or ""
    budget: list[tuple[str, str, str]] = field(default_factory=list)  # (code cell, business, department)
    contents: list[str] = field(default_factory=list)


def parse_000(text: str) -> list[Revised]:
    revised: list[Revised] = []
    goal = 0
    current: Revised | None = None
    for raw in text.splitlines():
        cells = [c.strip() for c in raw.split("\t")]
        head = cells[0]
        if m := re.match(r"^基本目標([ⅠⅡⅢⅣⅤⅥⅦⅧⅨ])", head):
            goal, current = NUMERALS.index(m.group(1)) + 1, None
        elif head.startswith("◇"):
            policy = re.search(r"施策\d+", raw)
            name = re.sub(r"\s*(施策\d+|-)\s*$", "", head[1:])
            current = Revised(
                goal, tidy(TAG_RE.sub("", name)), TAG_RE.findall(name), policy[0] if policy else ""
            )
            revised.append(current)
        elif head == "予算事務事業":
            if current is None:
                raise SeedError(f"seed 000: budget line without a measure: {raw!r}")
            cells += [""] * 4
            current.budget.append((cells[1], tidy(cells[2]), tidy(cells[3])))
        elif head == "取組内容":
            if current is None:
                raise SeedError(f"seed 000: content line without a measure: {raw!r}")
            current.contents.append(tidy(cells[1]))
    return revised


def match_000(measures: Sequence[Measure], revised: Sequence[Revised]) -> dict[int, Revised]:
    """Index of a 001 measure → its 000 entry (same goal; full name, base name, then the rename table)."""
    matches: dict[int, Revised] = {}
    used: set[int] = set()
    for i, ms in enumerate(measures):
        pool = [(j, r) for j, r in enumerate(revised) if r.goal_no == ms.goal_no and j not in used]
        wanted = RENAMED_IN_000.get(ms.name)
        hit = None
        if wanted is not None:
            hit = next(((j, r) for j, r in pool if key(r.name) == key(wanted)), None)
            if hit is None:
                raise SeedError(f"seed 000: renamed measure {wanted!r} not found")
        else:
            hit = next(((j, r) for j, r in pool if key(r.name) == key(ms.name)), None)
            if hit is None:
                hit = next(((j, r) for j, r in pool if base_key(r.name) == base_key(ms.name)), None)
        if hit is not None:
            used.add(hit[0])
            matches[i] = hit[1]
        elif ms.name not in OWNER_NOT_IN_000:
            raise SeedError(f"seed 000 lacks {ms.name!r} and OWNER_NOT_IN_000 has no owner for it")
    return matches


# --- rows -------------------------------------------------------------------------------------------------------


def measure_rows(plan: Plan001, revised: Sequence[Revised]) -> list[dict[str, Any]]:
    matches = match_000(plan.measures, revised)
    rows: list[dict[str, Any]] = []
    counters: dict[tuple[int, int], int] = {}
    for i, ms in enumerate(plan.measures):
        number = counters[(ms.goal_no, ms.area_no)] = counters.get((ms.goal_no, ms.area_no), 0) + 1
        rev = matches.get(i)
        if rev is None:
            owners = [OWNER_NOT_IN_000[ms.name]]
            codes = list(ms.codes_001)
            content = ms.description
            policy = ""
        else:
            owners = unique(dept for _, _, dept in rev.budget)
            codes = unique(code for code, _, _ in rev.budget if CODE_RE.fullmatch(code))
            if not codes and any(code == "" for code, _, _ in rev.budget):
                codes = list(ms.codes_001)  # an empty cell is a missing value, "-" means none
            content = ms.description if ms.name in CONTENT_FROM_001 else "\n".join(unique(rev.contents))
            policy = rev.policy
        if not owners:
            raise SeedError(f"no department for {ms.name!r}")
        rows.append(
            {
                "取組ID": f"{ms.goal_no}-{ms.area_no}-{number:02d}",
                "基本目標": plan.goals[ms.goal_no],
                "施策": plan.areas[(ms.goal_no, ms.area_no)],
                "番号": number,
                "名称": ms.name,
                "内容": content or ms.description,
                "所管課": "\n".join(owners),
                "関連課": RELATED_SAMPLE.get(ms.name, ""),
                "区分": min(ms.tags, key=TAG_PRIORITY.index),
                "予算事業コード": "\n".join(codes),
                "総合計画施策": policy,
            }
        )
    return rows


def first_number(value: str) -> float | None:
    m = NUMBER_RE.match(value)
    return float(m.group(0).replace(",", "")) if m else None


def unit_of(indicator: Indicator) -> str:
    if indicator.name in KPI_UNIT_FIXES:
        return KPI_UNIT_FIXES[indicator.name]
    for value in (indicator.target, indicator.baseline):
        m = NUMBER_RE.match(value)
        unit = re.match(r"\s*([^\s\d※]+)", value[m.end() :]) if m else None
        if unit:
            return unit.group(1)
    return ""


def direction_of(indicator: Indicator) -> str:
    base, target = first_number(indicator.baseline), first_number(indicator.target)
    if base is None or target is None or target > base:
        return "増加"
    return "減少" if target < base else "維持"


def kpi_rows(plan: Plan001, measures: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    counters: dict[tuple[int, int], int] = {}
    for ind in plan.indicators:
        n = counters[(ind.goal_no, ind.area_no)] = counters.get((ind.goal_no, ind.area_no), 0) + 1
        goal_title = plan.goals[ind.goal_no]
        area_title = plan.areas[(ind.goal_no, ind.area_no)] if ind.area_no else ""
        owner = KPI_OWNER.get(ind.name)
        owners = {
            dept
            for row in measures
            if row["基本目標"] == goal_title and (not area_title or row["施策"] == area_title)
            for dept in row["所管課"].split("\n")
        }
        if owner not in owners:
            raise SeedError(f"KPI {ind.name!r}: owner {owner!r} owns no measure of its 施策/goal")
        kpi_id = f"K{ind.goal_no}-{ind.area_no}-{n:02d}" if ind.area_no else f"G{ind.goal_no}-{n:02d}"
        rows.append(
            {
                "KPI_ID": kpi_id,
                "基本目標": goal_title,
                "施策": area_title,
                "指標名": ind.name,
                "単位": unit_of(ind),
                "基準値": ind.baseline,
                "基準年度": BASELINE_FY if ind.baseline != MISSING else None,
                "目標値": ind.target,
                "目標年度": TARGET_FY,
                "方向": direction_of(ind),
                "出典": ind.source,
                "所管課": owner,
            }
        )
    return rows


def area_rows(measures: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sheet 施策: one row per 施策 in plan order, led by the first owner of its first measure."""
    rows: dict[str, dict[str, Any]] = {}
    for row in measures:
        area_id = row["取組ID"].rsplit("-", 1)[0]
        if area_id not in rows:
            rows[area_id] = {
                "施策ID": area_id,
                "基本目標": row["基本目標"],
                "施策": row["施策"],
                "主管課": row["所管課"].split("\n")[0],
            }
    return list(rows.values())


def member_rows() -> list[dict[str, Any]]:
    return [dict(zip(("委員ID", "氏名", "区分"), member, strict=True)) for member in MEMBERS_SAMPLE]


# --- workbook ---------------------------------------------------------------------------------------------------


def write_sheet(
    workbook: Any,
    name: str,
    columns: Sequence[tuple[str, float]],
    rows: Sequence[dict[str, Any]],
    formats: dict[str, Any],
) -> None:
    ws = workbook.add_worksheet(name)
    for c, (header, width) in enumerate(columns):
        ws.set_column(c, c, width, formats["wrap"])
        ws.write_string(0, c, header, formats["header"])
    for r, row in enumerate(rows, start=1):
        for c, (header, _) in enumerate(columns):
            value = row.get(header)
            if value is None or value == "":
                continue
            if isinstance(value, int):
                ws.write_number(r, c, value, formats["wrap"])
            else:
                ws.write_string(r, c, str(value), formats["wrap"])
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(rows), len(columns) - 1)


def write_workbook(out: Path, measures: Sequence[dict[str, Any]], kpis: Sequence[dict[str, Any]]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(out))
    workbook.set_properties({"title": PLAN_NAME, "created": datetime(2020, 4, 1)})
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "valign": "top"}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
    }
    write_sheet(workbook, "取組", MEASURE_COLUMNS, measures, formats)
    write_sheet(workbook, "KPI", KPI_COLUMNS, kpis, formats)
    write_sheet(workbook, "施策", AREA_COLUMNS, area_rows(measures), formats)
    write_sheet(workbook, "委員", MEMBER_COLUMNS, member_rows(), formats)
    ws = workbook.add_worksheet("設定")
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 60)
    ws.write_string(0, 0, "項目", formats["header"])
    ws.write_string(0, 1, "値", formats["header"])
    for r, (k, v) in enumerate(SETTINGS, start=1):
        ws.write_string(r, 0, k)
        if isinstance(v, int):
            ws.write_number(r, 1, v)
        else:
            ws.write_string(r, 1, v, formats["wrap"] if "\n" in v else None)
    ws.freeze_panes(1, 0)
    workbook.close()


def seed_file(seeds: Path, prefix: str) -> Path:
    found = sorted(seeds.glob(f"{prefix}_*.txt"))
    if len(found) != 1:
        raise SeedError(f"expected one {prefix}_*.txt in {seeds}, found {len(found)}")
    return found[0]


def build(seeds: Path, out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    plan = parse_001(seed_file(seeds, "001").read_text(encoding="utf-8"))
    revised = parse_000(seed_file(seeds, "000").read_text(encoding="utf-8"))
    measures = measure_rows(plan, revised)
    kpis = kpi_rows(plan, measures)
    write_workbook(out, measures, kpis)
    return measures, kpis


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the sample master workbook from the seed texts.")
    parser.add_argument("seeds", type=Path, help="folder holding 000_*.txt and 001_*.txt")
    parser.add_argument("--out", type=Path, default=Path("inputs/master.xlsx"), help="output workbook")
    args = parser.parse_args(argv)
    try:
        measures, kpis = build(args.seeds, args.out)
    except (SeedError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    goals = unique(row["基本目標"] for row in measures)
    areas = unique(row["施策"] for row in measures)
    owners = unique(d for row in measures for d in row["所管課"].split("\n"))
    goal_level = sum(1 for row in kpis if not row["施策"])
    print(
        f"{args.out}: {len(goals)} goals, {len(areas)} areas, {len(measures)} measures, "
        f"{len(kpis)} KPIs ({goal_level} goal-level, {len(kpis) - goal_level} area-level), "
        f"{len(owners)} owning departments"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
