"""The auditors' comparison of two progress lists (進捗状況一覧表): match by ID, diff by character.

Rows are matched by 取組ID (the hidden column of the progress sheet) and KPI_ID, never by position; without the ID
column (a list edited by hand) by 基本目標 + 施策 + 名称. Text is compared character by character (Japanese has no
spaces), numbers by value (`73.2` = `73.20`, `1,234` = `1234`). The notes cell is split into its 【年度】 blocks so a
new year's block (normal growth) is told apart from an edit of a year already published.
:mod:`kpi_report.compare.read` reads the lists, :mod:`kpi_report.compare.output` writes the result.
"""

from __future__ import annotations

import gc
import math
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any, Literal

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from kpi_report.compare.read import (
    HEADING_LINE,
    Item,
    ListSheet,
    ProgressList,
    YearBlock,
    _heading_fy,
    cell_str,
    read_progress_lists,
    split_year_blocks,
)
from kpi_report.core.findings import make_finding
from kpi_report.core.model import Finding, Progress
from kpi_report.core.values import cell_text, is_missing_mark, normalize_choice, parse_number

# kind slug -> Japanese label, in the order the summary lists them
KINDS: dict[str, str] = {
    "column-added": "列の追加",
    "column-removed": "列の削除",
    "column-renamed": "列名の変更",
    "heading-changed": "基本目標・施策名の変更",
    "measure-added": "取組の追加",
    "measure-removed": "取組の削除",
    "measure-moved": "取組の移動",
    "name-changed": "名称の変更",
    "content-changed": "内容の変更",
    "owners-changed": "所管課の変更",
    "other-changed": "その他の列の変更",
    "status-changed": "進捗状況の変化",
    "direction-changed": "今後の方向性の変化",
    "budget-changed": "事業費の変更",
    "new-year-notes": "新年度の実施状況の追加",
    "past-notes-edited": "過去年度の実施状況の修正",
    "kpi-added": "KPIの追加",
    "kpi-removed": "KPIの削除",
    "kpi-moved": "KPIの移動",
    "kpi-definition-changed": "KPIの定義の変更",
    "kpi-target-changed": "目標値の変更",
    "kpi-new-actual": "新年度の実績値",
    "kpi-actual-changed": "実績値の修正",
    "kpi-rate-changed": "達成率の変化",
    "kpi-grade-changed": "評価の変化",
    "kpi-not-evaluable-changed": "評価不能の理由の変化",
    "kpi-remarks-changed": "備考の変更",
    "area-evaluation-added": "施策評価の追加",
    "area-evaluation-removed": "施策評価の削除",
    "area-direction-changed": "施策の今後の方向性の変化",
    "area-evaluation-changed": "施策評価の記載の変更",
    "committee-opinion-added": "外部評価の意見の追加",
    "committee-opinion-removed": "外部評価の意見の削除",
    "committee-rating-changed": "委員の評価の変化",
    "committee-opinion-changed": "外部評価の意見の変更",
    "committee-response-changed": "市の対応の変更",
}
# 効果検証 kinds: counted in the summary only when found, so lists without evaluation compare as before
EVALUATION_KINDS = frozenset(
    {
        "direction-changed",
        "budget-changed",
        "kpi-not-evaluable-changed",
        "area-evaluation-added",
        "area-evaluation-removed",
        "area-direction-changed",
        "area-evaluation-changed",
    }
)
# kinds of parts a list may lack (備考, the sheet 外部評価): likewise counted only when found
OPTIONAL_KINDS = EVALUATION_KINDS | {
    "kpi-remarks-changed",
    "committee-opinion-added",
    "committee-opinion-removed",
    "committee-rating-changed",
    "committee-opinion-changed",
    "committee-response-changed",
}
COMMITTEE_TEXTS = {"rating": "committee-rating-changed", "opinion": "committee-opinion-changed"}
EVALUATION_TEXTS = {"factors": "要因分析", "issues": "課題", "response": "前年度の方針への対応"}
MATCHING_LABELS = {
    "id": "取組ID",
    "name": "基本目標＋施策＋名称",
    "kpi-id": "KPI_ID",
    "kpi-name": "基本目標＋施策＋指標名",
}
MIN_EQUAL_RUN = 3  # equal runs shorter than this between two changes are folded into the change
_DIGITS = frozenset("0123456789０１２３４５６７８９")
_NUMBER_CHARS = "0123456789０１２３４５６７８９,.，．"


@dataclass(frozen=True)
class Span:
    """A run of a character diff: ``equal`` text kept, ``delete`` text only in OLD, ``insert`` only in NEW."""

    op: Literal["equal", "insert", "delete"]
    text: str


_column_name = cache(xl_col_to_name)  # a column's letters (the columns of a list's sheets)


@dataclass(frozen=True)
class Change:
    """One reported difference. ``row``/``col`` locate it on NEW's sheet (0-based; -1 = not there / whole row)."""

    kind: str  # a key of KINDS
    sheet: str  # the sheet of the list it concerns
    item_id: str = ""  # 取組ID or KPI_ID
    goal: str = ""
    area: str = ""
    name: str = ""  # 名称 or 指標名
    department: str = ""  # lead owner: first line of 所管課
    column: str = ""  # header of the changed column
    old: str = ""
    new: str = ""
    detail: str = ""  # short Japanese description, e.g. 「実施中 → 完了」
    spans: tuple[Span, ...] = ()  # character diff of old → new (text changes only)
    row: int = -1
    col: int = -1

    @property
    def label(self) -> str:
        """The kind in Japanese."""
        return KINDS[self.kind]

    @property
    def cell(self) -> str:
        """A1 reference of the changed cell on NEW's sheet ("" when it is not there)."""
        if self.row < 0:
            return ""
        return (
            f"{_column_name(max(self.col, 0))}{self.row + 1}"  # xl_rowcol_to_cell(row, col), the letters kept
        )


@dataclass(frozen=True)
class DiffResult:
    """Everything the comparison found, in report order."""

    old: ProgressList
    new: ProgressList
    measure_matching: str  # "id" or "name"
    kpi_matching: str  # "kpi-id", "kpi-name", or "" when KPIs were not compared
    changes: tuple[Change, ...]
    findings: tuple[Finding, ...] = ()

    def count_by_kind(self) -> list[tuple[str, int]]:
        """(kind, count) for every kind, in KINDS order (zeros included; 効果検証, 備考 and 外部評価 kinds only
        when found)."""
        counts = Counter(c.kind for c in self.changes)
        return [(kind, counts.get(kind, 0)) for kind in KINDS if kind not in OPTIONAL_KINDS or counts[kind]]

    def count_by_goal(self) -> list[tuple[str, Counter[str]]]:
        """(goal, counts by kind) in NEW's goal order, then goals only OLD had; "" = list-wide changes."""
        return _grouped(self.changes, attrgetter("goal"), self._goal_order())

    def count_by_department(self) -> list[tuple[str, Counter[str]]]:
        """(lead department, counts by kind), most changes first."""
        groups = _grouped(self.changes, attrgetter("department"), [])
        return sorted(groups, key=lambda g: (-g[1].total(), g[0]))

    def _goal_order(self) -> list[str]:
        order: dict[str, None] = {}
        for doc in (self.new, self.old):
            for g in doc.measures.groups:
                if g.level == "goal":
                    order.setdefault(g.title, None)
            for i in doc.measures.items:
                order.setdefault(i.goal, None)
        return list(order)


def _grouped(
    changes: Sequence[Change], key: Callable[[Change], str], order: Sequence[str]
) -> list[tuple[str, Counter[str]]]:
    groups: dict[str, Counter[str]] = {name: Counter() for name in order}
    # (key, kind) pairs counted at once: in the order each pair first occurs, so each group and each kind in it
    # comes in the order the changes first bring it, as when counted one change at a time
    pairs = Counter(zip(map(key, changes), map(attrgetter("kind"), changes), strict=True))
    for (name, kind), count in pairs.items():
        groups.setdefault(name, Counter())[kind] += count
    return [(name, counts) for name, counts in groups.items() if counts]


def whole_spans(old: str, new: str) -> tuple[Span, ...]:
    """``old`` → ``new`` as one deleted and one inserted run: for values (a status), never a character diff."""
    return tuple(span for span in (Span("delete", old), Span("insert", new)) if span.text)


def char_spans(old: str, new: str) -> tuple[Span, ...]:
    """Character diff of ``old`` → ``new`` grouped into readable runs.

    difflib on characters (no junk heuristic); a change touching a number takes the whole number (10 → 12, not
    1 kept and 0 → 2); equal runs shorter than MIN_EQUAL_RUN, or shorter than both neighbouring changes, are folded
    into the changes, so a re-worded phrase reads as one deletion and one insertion.
    """
    if old == new:
        return (Span("equal", old),) if old else ()
    # a segment is ["=", text, ""] (kept) or ["~", deleted, inserted] (changed)
    segments: list[list[str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(["=", old[i1:i2], ""])
        elif segments and segments[-1][0] == "~":
            segments[-1][1] += old[i1:i2]
            segments[-1][2] += new[j1:j2]
        else:
            segments.append(["~", old[i1:i2], new[j1:j2]])
    _widen_numbers(segments)
    spans: list[Span] = []
    for kind, a, b in _fold(segments):
        if kind == "=":
            if a:
                spans.append(Span("equal", a))
            continue
        if a:
            spans.append(Span("delete", a))
        if b:
            spans.append(Span("insert", b))
    return tuple(spans)


def _widen_numbers(segments: list[list[str]]) -> None:
    """Move the digits of a number cut by a change from the neighbouring equal runs into the change."""
    for k, (kind, a, b) in enumerate(segments):
        if kind != "~":
            continue
        if k > 0 and segments[k - 1][0] == "=":
            left = segments[k - 1][1]
            if left[-1:] in _DIGITS and (a[:1] in _DIGITS or b[:1] in _DIGITS):
                kept = left.rstrip(_NUMBER_CHARS)
                moved = left[len(kept) :]
                segments[k - 1][1] = kept
                a, b = moved + a, moved + b
        if k + 1 < len(segments) and segments[k + 1][0] == "=":
            right = segments[k + 1][1]
            if right[:1] in _DIGITS and (a[-1:] in _DIGITS or b[-1:] in _DIGITS):
                kept = right.lstrip(_NUMBER_CHARS)
                moved = right[: len(right) - len(kept)]
                segments[k + 1][1] = kept
                a, b = a + moved, b + moved
        segments[k] = ["~", a, b]


def _fold(segments: list[list[str]]) -> list[list[str]]:
    """Fold short equal runs between two changes into one change, until nothing more folds."""
    folded = True
    while folded:
        folded = False
        out: list[list[str]] = []
        for segment in segments:
            if out and segment[0] == "~" and out[-1][0] == "~":
                out[-1][1] += segment[1]
                out[-1][2] += segment[2]
                continue
            if len(out) >= 2 and segment[0] == "~" and out[-1][0] == "=" and out[-2][0] == "~":
                equal, before = out[-1][1], out[-2]
                size = min(max(len(before[1]), len(before[2])), max(len(segment[1]), len(segment[2])))
                if len(equal) < MIN_EQUAL_RUN or len(equal) < size:
                    out.pop()
                    before[1] += equal + segment[1]
                    before[2] += equal + segment[2]
                    folded = True
                    continue
            out.append(segment)
        segments = out
    return segments


def _number(value: object, unit: str, percent: bool) -> tuple[bool, float | None]:
    """(parsed ok, value); a percentage written as text (`73.2%`) is scaled like the stored 0.732."""
    parsed = parse_number(value, unit)
    if not parsed.ok:
        return False, None
    text_percent = isinstance(value, str) and unicodedata.normalize("NFKC", value).strip().endswith("%")
    if percent and parsed.value is not None and text_percent:
        return True, parsed.value / 100
    return True, parsed.value


def same_value(
    old: object, new: object, unit: str = "", percent: bool = False, old_unit: str | None = None
) -> bool:
    """True when two cells hold the same value, tolerant of representation (73.2 = 73.20, 1,234 = 1234, 45人 = 45).

    ``unit`` is the KPI's 単位 (``old_unit`` OLD's, when it differs); ``percent`` for 達成率 (0.732 = `73.2%`).
    """
    ok_a, a = _number(old, unit if old_unit is None else old_unit, percent)
    ok_b, b = _number(new, unit, percent)
    if ok_a and ok_b:
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return cell_text(old).strip() == cell_text(new).strip()


def _budget_text(value: object) -> str:
    """A budget figure as the list shows it in 千円: '12,345'; text as written."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    return cell_text(value)


def _value_text(value: object, percent: bool, digits: int = 1) -> str:
    if percent and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value * 100:.{digits}f}%"
    return cell_text(value)


@dataclass
class _Pairing:
    pairs: list[tuple[Item, Item]] = field(default_factory=list)  # in NEW order
    removed: list[Item] = field(default_factory=list)
    added: list[Item] = field(default_factory=list)


def _keys(items: Sequence[Item], by_id: bool) -> tuple[dict[str, Item], list[Item]]:
    """Items by matching key; the second list holds items whose key was already taken (duplicates)."""
    keyed: dict[str, Item] = {}
    duplicates: list[Item] = []
    for item in items:
        if by_id and item.item_id:
            key = item.item_id
        else:
            key = "\x1f".join(normalize_choice(t) for t in (item.goal, item.area, item.name))
        if key in keyed:
            duplicates.append(item)
            key = f"{key}\x1e{item.position}"
        keyed[key] = item
    return keyed, duplicates


def _pair(old: Sequence[Item], new: Sequence[Item], by_id: bool) -> tuple[_Pairing, list[Item], list[Item]]:
    old_keyed, old_dups = _keys(old, by_id)
    new_keyed, new_dups = _keys(new, by_id)
    result = _Pairing()
    for key, item in new_keyed.items():
        other = old_keyed.get(key)
        if other is None:
            result.added.append(item)
        else:
            result.pairs.append((other, item))
    matched = {id(o) for o, _ in result.pairs}
    result.removed = [o for o in old if id(o) not in matched]
    if not by_id:
        # a measure moved to another goal or area keeps its name: pair names unique among the unmatched
        old_names = Counter(normalize_choice(o.name) for o in result.removed)
        new_names = Counter(normalize_choice(n.name) for n in result.added)
        by_name = {
            normalize_choice(o.name): o for o in result.removed if old_names[normalize_choice(o.name)] == 1
        }
        still_added: list[Item] = []
        for item in result.added:
            other = by_name.get(normalize_choice(item.name))
            if other is not None and new_names[normalize_choice(item.name)] == 1 and item.name:
                result.pairs.append((other, item))
                result.removed.remove(other)
            else:
                still_added.append(item)
        result.added = still_added
        result.pairs.sort(key=lambda p: p[1].position)
    return result, old_dups, new_dups


def _heading_renames(
    pairs: Sequence[tuple[Item, Item]], level: Literal["goal", "area"], goal_map: dict[str, str]
) -> dict[str, str]:
    """Goal titles (or goal+area keys, old goals mapped by ``goal_map``) that were re-worded.

    A title is taken as re-worded when it is gone from NEW, the new one was not in OLD, and most measures under
    each are the same measures.
    """

    # each pair's old and new title: the goal, or the goal (an old one mapped by goal_map) and the area
    if level == "goal":
        old_of = [o.goal for o, _ in pairs]
        new_of = [n.goal for _, n in pairs]
    else:
        old_of = [f"{goal_map.get(o.goal, o.goal)}\x1f{o.area}" for o, _ in pairs]
        new_of = [f"{n.goal}\x1f{n.area}" for _, n in pairs]
    old_titles, new_titles = set(old_of), set(new_of)
    links = Counter(zip(old_of, new_of, strict=True))
    best_new: dict[str, tuple[int, str]] = {}
    best_old: dict[str, tuple[int, str]] = {}
    for (a, b), count in sorted(links.items()):
        if count > best_new.get(a, (0, ""))[0]:
            best_new[a] = (count, b)
        if count > best_old.get(b, (0, ""))[0]:
            best_old[b] = (count, a)
    renames: dict[str, str] = {}
    for a, (_, b) in best_new.items():
        if a != b and a not in new_titles and b not in old_titles and best_old[b][1] == a:
            renames[a] = b
    return renames


def _moved_by_order(pairs: Sequence[tuple[Item, Item]]) -> set[int]:
    """Indexes (into pairs, NEW order) of items outside the longest run kept in OLD order."""
    positions = [o.position for o, _ in pairs]
    tails: list[int] = []  # positions value of the smallest tail of each length
    tail_index: list[int] = []
    parent = [-1] * len(positions)
    for k, p in enumerate(positions):
        j = bisect_left(tails, p)
        if j == len(tails):
            tails.append(p)
            tail_index.append(k)
        else:
            tails[j] = p
            tail_index[j] = k
        parent[k] = tail_index[j - 1] if j > 0 else -1
    keep: set[int] = set()
    k = tail_index[-1] if tail_index else -1
    while k >= 0:
        keep.add(k)
        k = parent[k]
    return set(range(len(positions))) - keep


@dataclass(frozen=True)
class _Cols:
    """Columns paired between OLD and NEW: role -> (old index, new index, NEW header)."""

    pairs: dict[str, tuple[int, int, str]]
    changes: tuple[Change, ...]


def _pair_columns(old: ListSheet, new: ListSheet, kpi: bool) -> _Cols:
    old_by_role = {c.role: c for c in old.columns}
    new_by_role = {c.role: c for c in new.columns}
    pairs = {
        role: (c.index, new_by_role[role].index, new_by_role[role].header)
        for role, c in old_by_role.items()
        if role in new_by_role
    }
    old_rest = {c.index: c for c in old.columns if c.role not in new_by_role}
    new_rest = {c.index: c for c in new.columns if c.role not in old_by_role}
    changes: list[Change] = []
    sheet = new.name
    for index in sorted(set(old_rest) & set(new_rest)):
        o, n = old_rest.pop(index), new_rest.pop(index)
        renamed = (o.role.startswith("other:") or n.role.startswith("other:")) and not any(
            role == "id" or role.startswith("actual:") for role in (o.role, n.role)
        )
        if not renamed:  # two different known columns (e.g. two years' actuals) are not one renamed column
            old_rest[index], new_rest[index] = o, n
            continue
        role = o.role if not o.role.startswith("other:") else n.role
        pairs[role] = (o.index, n.index, n.header)
        changes.append(
            Change(
                "column-renamed",
                sheet,
                column=n.header,
                old=o.header,
                new=n.header,
                detail=f"「{o.header}」 → 「{n.header}」",
                spans=char_spans(o.header, n.header),
                row=new.header_row,
                col=n.index,
            )
        )
    for o in sorted(old_rest.values(), key=lambda c: c.index):
        if o.role not in ("id", "remarks"):  # a list made before 備考 was published compares without it
            changes.append(
                Change("column-removed", sheet, column=o.header, old=o.header, detail="列がなくなりました")
            )
    for n in sorted(new_rest.values(), key=lambda c: c.index):
        if n.role in ("id", "remarks") or (kpi and n.role.startswith("actual:")):
            continue  # the ID column only decides the matching; a new year's actuals are kpi-new-actual
        changes.append(
            Change(
                "column-added",
                sheet,
                column=n.header,
                new=n.header,
                detail="列が加わりました",
                row=new.header_row,
                col=n.index,
            )
        )
    return _Cols(pairs, tuple(changes))


def _where(item: Item, number: str = "") -> str:
    parts = [p for p in (item.goal, item.area, number) if p]
    return " ／ ".join(parts)


def _change_base(old: Item, new: Item, sheet: ListSheet) -> dict[str, Any]:
    """The fields every change of a matched pair shares: where it is and what it belongs to."""
    return {
        "sheet": sheet.name,
        "item_id": new.item_id or old.item_id,
        "goal": new.goal,
        "area": new.area,
        "name": new.name,
        "department": new.department,
        "row": new.row,
    }


_TEXT_KINDS = {"name": "name-changed", "content": "content-changed", "owners": "owners-changed"}


def _measure_changes(
    old: Item,
    new: Item,
    cols: _Cols,
    sheet: ListSheet,
    notes_threshold: int | None,
) -> list[Change]:
    changes: list[Change] = []
    base = _change_base(old, new, sheet)
    kinds = _TEXT_KINDS
    for role, (oi, ni, header) in cols.pairs.items():
        if role in ("id", "number"):
            continue  # the number is the display position: a move or an insertion above changes it
        raw_a = old.values[oi] if oi < len(old.values) else ""
        raw_b = new.values[ni] if ni < len(new.values) else ""
        if raw_a == raw_b:
            continue
        a, b = cell_text(raw_a), cell_text(raw_b)
        if a == b:
            continue
        if role == "notes":
            changes.extend(_notes_changes(a, b, notes_threshold, header, ni, base))
            continue
        if a.strip() == b.strip():
            continue
        if role in ("budget", "settlement"):
            if same_value(raw_a, raw_b):
                continue
            ta, tb = _budget_text(raw_a), _budget_text(raw_b)
            detail = f"{header.replace(chr(10), '')}: {ta or '（空欄）'} → {tb or '（空欄）'}"
            changes.append(
                Change("budget-changed", column=header, old=ta, new=tb, detail=detail, col=ni, **base)
            )
            continue
        if role == "direction":
            detail = f"{a or '（空欄）'} → {b or '（空欄）'}"
            spans = whole_spans(a, b)
            changes.append(
                Change(
                    "direction-changed",
                    column=header,
                    old=a,
                    new=b,
                    detail=detail,
                    spans=spans,
                    col=ni,
                    **base,
                )
            )
            continue
        kind = "status-changed" if role == "status" else kinds.get(role, "other-changed")
        detail = f"{a or '（空欄）'} → {b or '（空欄）'}" if role == "status" else ""
        spans = whole_spans(a, b) if role == "status" else char_spans(a, b)  # a status is a value, not prose
        changes.append(Change(kind, column=header, old=a, new=b, detail=detail, spans=spans, col=ni, **base))
    return changes


def _notes_changes(
    old: str, new: str, threshold: int | None, header: str, col: int, base: dict[str, Any]
) -> list[Change]:
    first = (
        HEADING_LINE.match(new, len(old) + 1)
        if old
        and len(new) > len(old)
        and new[len(old)] == "\n"
        and new.startswith(old)  # new.startswith(old + "\n"), without making that string
        else None
    )
    if first is not None:
        # the usual yearly growth: blocks appended after an unchanged text; only the new part needs splitting
        if HEADING_LINE.search(new, first.end()) is None:
            # one block (most often): split_year_blocks' one block, without its lists and counts
            text = new[len(old) + 1 :]
            heading = text.split("\n", 1)[0].strip()
            fy = _heading_fy(heading)
            if fy is not None and (threshold is None or fy > threshold) and heading not in old:
                return [_new_year_change(YearBlock(str(fy), fy, heading, text), header, col, base)]
        added = split_year_blocks(new[len(old) + 1 :])
        if all(
            b.fy is not None and (threshold is None or b.fy > threshold) and b.heading not in old
            for b in added
        ):
            return [_new_year_change(b, header, col, base) for b in added]
    old_blocks = {b.key: b for b in split_year_blocks(old)} if old else {}
    new_blocks = split_year_blocks(new) if new else []
    changes: list[Change] = []
    for block in new_blocks:
        before = old_blocks.pop(block.key, None)
        if before is not None:
            if before.text.strip() != block.text.strip():
                changes.append(
                    Change(
                        "past-notes-edited",
                        column=header,
                        old=before.text,
                        new=block.text,
                        detail=f"{block.heading or '（年度見出しの前）'}の記載を修正",
                        spans=char_spans(before.text, block.text),
                        col=col,
                        **base,
                    )
                )
            continue
        if not block.text.strip():
            continue
        growth = block.fy is not None and (threshold is None or block.fy > threshold)
        changes.append(_new_year_change(block, header, col, base, growth))
    for block in old_blocks.values():
        if block.text.strip():
            changes.append(
                Change(
                    "past-notes-edited",
                    column=header,
                    old=block.text,
                    detail=f"{block.heading or '（年度見出しの前）'}を削除",
                    spans=(Span("delete", block.text),),
                    col=col,
                    **base,
                )
            )
    return changes


def _new_year_change(
    block: YearBlock, header: str, col: int, base: dict[str, Any], growth: bool = True
) -> Change:
    """A block added to the notes: a new year's (growth) or one for a year already published (an edit)."""
    return Change(
        "new-year-notes" if growth else "past-notes-edited",
        column=header,
        new=block.text,
        detail=f"{block.heading or '（年度見出しの前）'}を追加",
        spans=(Span("insert", block.text),),
        col=col,
        **base,
    )


def _kpi_changes(old: Item, new: Item, cols: _Cols, sheet: ListSheet, old_years: set[str]) -> list[Change]:
    changes: list[Change] = []
    base = _change_base(old, new, sheet)
    unit_pair = cols.pairs.get("unit")
    unit = cell_str(new.values, unit_pair[1]) if unit_pair else ""
    old_unit = cell_str(old.values, unit_pair[0]) if unit_pair else ""
    numeric = {"baseline", "target", "rate"}
    for role, (oi, ni, header) in cols.pairs.items():
        if role in ("id", "goal", "area"):
            continue  # goal and area changes are reported as a move
        a = old.values[oi] if oi < len(old.values) else ""
        b = new.values[ni] if ni < len(new.values) else ""
        if a == b:
            continue
        percent = role == "rate"
        if role in numeric or role.startswith("actual:"):
            if same_value(a, b, unit, percent, old_unit):
                continue
        elif cell_text(a).strip() == cell_text(b).strip():
            continue
        if role.startswith("actual:"):
            kind = "kpi-actual-changed"
        elif role == "rate":
            kind = "kpi-rate-changed"
        elif role == "grade":
            kind = "kpi-grade-changed"
        elif role == "not_evaluable":
            kind = "kpi-not-evaluable-changed"
        elif role == "remarks":
            kind = "kpi-remarks-changed"
        elif role in ("target", "target_fy"):
            kind = "kpi-target-changed"
        else:
            kind = "kpi-definition-changed"
        ta, tb = _value_text(a, percent), _value_text(b, percent)
        if ta == tb:  # a rate that differs beyond the shown decimal
            ta, tb = _value_text(a, percent, 6), _value_text(b, percent, 6)
        changes.append(
            Change(
                kind,
                column=header,
                old=ta,
                new=tb,
                detail=f"{ta or '（空欄）'} → {tb or '（空欄）'}",
                spans=() if kind in ("kpi-actual-changed", "kpi-rate-changed") else char_spans(ta, tb),
                col=ni,
                **base,
            )
        )
    for column in sheet.columns:
        if (
            column.role.startswith("actual:")
            and column.role not in old_years
            and column.role not in cols.pairs
        ):
            value = new.values[column.index] if column.index < len(new.values) else ""
            text = cell_text(value).strip()
            if text and not is_missing_mark(text):
                changes.append(
                    Change(
                        "kpi-new-actual",
                        column=column.header,
                        new=cell_text(value),
                        detail=f"{column.header}: {cell_text(value)}",
                        col=column.index,
                        **base,
                    )
                )
    return changes


def _item_base(item: Item, sheet: ListSheet) -> dict[str, object]:
    return {
        "sheet": sheet.name,
        "item_id": item.item_id,
        "goal": item.goal,
        "area": item.area,
        "name": item.name,
        "department": item.department,
    }


def _compare_sheet(
    old: ListSheet,
    new: ListSheet,
    pairing: _Pairing,
    kpi: bool,
    goal_map: dict[str, str],
    area_map: dict[str, str],
    notes_threshold: int | None,
    progress: Progress | None,
) -> tuple[list[Change], list[Change]]:
    """Changes of one sheet: (column and heading changes, item changes in NEW order then removed items)."""
    cols = _pair_columns(old, new, kpi)
    head_changes = list(cols.changes)
    if not kpi:
        head_changes += _heading_changes(goal_map, area_map, new)

    def location(item: Item, mapped: bool) -> tuple[str, str]:
        if not mapped:
            return item.goal, item.area
        goal = goal_map.get(item.goal, item.goal)
        if not area_map:
            return goal, item.area
        key = f"{goal}\x1f{item.area}"
        return goal, area_map.get(key, key).split("\x1f", 1)[1]

    moved_place = [
        k
        for k, (o, n) in enumerate(pairing.pairs)
        if location(n, False) not in (location(o, False), location(o, True))
    ]
    moved_set = set(moved_place)
    in_place = [k for k in range(len(pairing.pairs)) if k not in moved_set]
    reordered = {in_place[k] for k in _moved_by_order([pairing.pairs[k] for k in in_place])}
    moved = set(moved_place) | reordered
    number_old, number_new = old.col("number"), new.col("number")
    old_years = {r for r in cols.pairs if r.startswith("actual:")}
    by_row: dict[int, list[Change]] = {}
    for n in pairing.added:
        kind = "kpi-added" if kpi else "measure-added"
        by_row.setdefault(n.row, []).append(
            Change(kind, new=n.name, detail=f"追加: {_where(n)}", row=n.row, **_item_base(n, new))  # type: ignore[arg-type]
        )
    total = len(pairing.pairs)
    for k, (o, n) in enumerate(pairing.pairs):
        row_changes: list[Change] = []
        if k in moved:
            before = _where(o, cell_str(o.values, number_old))
            after = _where(n, cell_str(n.values, number_new))
            row_changes.append(
                Change(
                    "kpi-moved" if kpi else "measure-moved",
                    column="位置",
                    old=before,
                    new=after,
                    detail="基本目標・施策が変わりました"
                    if k in set(moved_place)
                    else "並び順が変わりました",
                    row=n.row,
                    col=number_new if number_new is not None else 0,
                    **_item_base(n, new),  # type: ignore[arg-type]
                )
            )
        if kpi:
            row_changes += _kpi_changes(o, n, cols, new, old_years)
        else:
            row_changes += _measure_changes(o, n, cols, new, notes_threshold)
        if row_changes:
            by_row.setdefault(n.row, []).extend(row_changes)
        if progress is not None and (k % 2000 == 0 or k == total - 1):
            progress(f"比較（{new.name}）", k + 1, total)
    item_changes = [c for r in sorted(by_row) for c in by_row[r]]
    for o in pairing.removed:
        item_changes.append(
            Change(
                "kpi-removed" if kpi else "measure-removed",
                old=o.name,
                detail=f"削除: {_where(o)}",
                **_item_base(o, old),  # type: ignore[arg-type]
            )
        )
    return head_changes, item_changes


def _heading_changes(goal_map: dict[str, str], area_map: dict[str, str], new: ListSheet) -> list[Change]:
    changes: list[Change] = []
    group_rows = {(g.level, g.goal if g.level == "area" else "", g.title): g.row for g in new.groups}
    for a, b in goal_map.items():
        row = group_rows.get(("goal", "", b), -1)
        changes.append(
            Change(
                "heading-changed",
                new.name,
                goal=b,
                column="基本目標",
                old=a,
                new=b,
                spans=char_spans(a, b),
                row=row,
                col=0,
            )
        )
    for a, b in area_map.items():
        old_area = a.split("\x1f", 1)[1]
        new_goal, new_area = b.split("\x1f", 1)
        if old_area == new_area:
            continue
        row = group_rows.get(("area", new_goal, new_area), -1)
        changes.append(
            Change(
                "heading-changed",
                new.name,
                goal=new_goal,
                area=new_area,
                column="施策",
                old=old_area,
                new=new_area,
                spans=char_spans(old_area, new_area),
                row=row,
                col=0,
            )
        )
    return changes


def _duplicate_findings(
    doc: ProgressList, sheet: ListSheet, items: Sequence[Item], by_id: bool
) -> list[Finding]:
    findings = []
    for item in items:
        column = sheet.col("id") if by_id and item.item_id else sheet.col("name")
        cell = xl_rowcol_to_cell(item.row, column or 0)
        findings.append(
            make_finding(
                "diff-duplicate-key",
                file=doc.file,
                sheet=sheet.name,
                cell=cell,
                item_id=item.item_id,
                value=item.item_id if by_id and item.item_id else item.name,
            )
        )
    return findings


def _area_changes(old: ListSheet, new: ListSheet) -> list[Change]:
    """Changes of the sheet 施策評価 (効果検証): a 施策's direction and its evaluation texts, 施策 added or removed.

    The KPI results shown there are reported on the KPI sheet (評価の変化), last year's direction is derived.
    """
    pairing, _, _ = _pair(old.items, new.items, old.has_ids and new.has_ids)
    cols = _pair_columns(old, new, kpi=True)
    changes: list[Change] = []
    for n in pairing.added:
        changes.append(
            Change(
                "area-evaluation-added",
                new=n.name,
                detail=f"追加: {_where(n)}",
                row=n.row,
                **_item_base(n, new),  # type: ignore[arg-type]
            )
        )
    for o, n in pairing.pairs:
        base = _change_base(o, n, new)
        base["department"] = cell_str(n.values, new.col("owners"))
        for role, (oi, ni, header) in cols.pairs.items():
            if role != "direction" and role not in EVALUATION_TEXTS:
                continue
            a, b = cell_str(o.values, oi), cell_str(n.values, ni)
            if a == b:
                continue
            if role == "direction":
                changes.append(
                    Change(
                        "area-direction-changed",
                        column=header,
                        old=a,
                        new=b,
                        detail=f"{a or '（空欄）'} → {b or '（空欄）'}",
                        spans=whole_spans(a, b),
                        col=ni,
                        **base,
                    )
                )
            else:
                changes.append(
                    Change(
                        "area-evaluation-changed",
                        column=header,
                        old=a,
                        new=b,
                        spans=char_spans(a, b),
                        col=ni,
                        **base,
                    )
                )
    for o in pairing.removed:
        changes.append(
            Change("area-evaluation-removed", old=o.name, detail=f"削除: {_where(o)}", **_item_base(o, old))  # type: ignore[arg-type]
        )
    return changes


def _opinions(sheet: ListSheet | None) -> dict[tuple[str, str], Item]:
    """(施策ID or 施策, 委員) -> the row of one opinion (rows of a 施策 without opinions left out)."""
    if sheet is None:
        return {}
    member = sheet.col("member")
    found: dict[tuple[str, str], Item] = {}
    for item in sheet.items:
        who = cell_str(item.values, member)
        if who:
            found.setdefault((item.item_id or normalize_choice(item.name), who), item)
    return found


def _committee_changes(old: ListSheet | None, new: ListSheet | None) -> list[Change]:
    """Changes of the sheet 外部評価: opinions added or removed (by 施策 and member), a member's rating or
    opinion changed, the city's response changed. A list without the sheet counts as one without opinions."""
    before, after = _opinions(old), _opinions(new)
    changes: list[Change] = []

    def base(item: Item, sheet: ListSheet) -> dict[str, Any]:
        return {"sheet": sheet.name, "item_id": item.item_id, "goal": item.goal, "name": item.name}

    for key, n in after.items():
        assert new is not None
        member = key[1]
        o = before.get(key)
        if o is None:
            opinion = cell_str(n.values, new.col("opinion"))
            changes.append(
                Change(
                    "committee-opinion-added",
                    column="意見",
                    new=opinion,
                    detail=f"追加: {member}",
                    row=n.row,
                    **base(n, new),
                )
            )
            continue
        assert old is not None
        for role, kind in (*COMMITTEE_TEXTS.items(), ("response", "committee-response-changed")):
            oi, ni = old.col(role), new.col(role)
            a, b = cell_str(o.values, oi), cell_str(n.values, ni)
            if a == b:
                continue
            header = next((c.header for c in new.columns if c.role == role), role)
            changes.append(
                Change(
                    kind,
                    column=header,
                    old=a,
                    new=b,
                    detail=f"{member}: {a or '（空欄）'} → {b or '（空欄）'}" if role == "rating" else member,
                    spans=whole_spans(a, b) if role == "rating" else char_spans(a, b),
                    row=n.row,
                    col=ni if ni is not None else -1,
                    **base(n, new),
                )
            )
    for key, o in before.items():
        if key not in after:
            assert old is not None
            changes.append(
                Change(
                    "committee-opinion-removed",
                    column="意見",
                    old=cell_str(o.values, old.col("opinion")),
                    detail=f"削除: {key[1]}",
                    **base(o, old),
                )
            )
    return changes


def compare(old: ProgressList, new: ProgressList, progress: Progress | None = None) -> DiffResult:
    """Compare two progress lists already read; changes in report order (columns, headings, rows in NEW order)."""
    findings: list[Finding] = []
    if old.report_fy is not None and new.report_fy is not None and old.report_fy > new.report_fy:
        findings.append(
            make_finding(
                "diff-years-reversed",
                file=old.file,
                old=f"{old.file}: {old.year_line or old.report_fy}",
                new=f"{new.file}: {new.year_line or new.report_fy}",
            )
        )
    by_id = old.measures.has_ids and new.measures.has_ids
    if not by_id:
        for doc in (old, new):
            if not doc.measures.has_ids:
                findings.append(make_finding("diff-matched-by-name", file=doc.file, sheet=doc.measures.name))
    pairing, old_dups, new_dups = _pair(old.measures.items, new.measures.items, by_id)
    goal_map = _heading_renames(pairing.pairs, "goal", {})
    area_map = _heading_renames(pairing.pairs, "area", goal_map)
    head, items = _compare_sheet(
        old.measures, new.measures, pairing, False, goal_map, area_map, old.report_fy, progress
    )
    findings += _duplicate_findings(old, old.measures, old_dups, by_id)
    findings += _duplicate_findings(new, new.measures, new_dups, by_id)
    changes = head + items
    kpi_matching = ""
    if old.kpis is not None and new.kpis is not None:
        kpi_by_id = old.kpis.has_ids and new.kpis.has_ids
        kpi_matching = "kpi-id" if kpi_by_id else "kpi-name"
        kpi_pairing, kpi_old_dups, kpi_new_dups = _pair(old.kpis.items, new.kpis.items, kpi_by_id)
        kpi_head, kpi_items = _compare_sheet(
            old.kpis, new.kpis, kpi_pairing, True, goal_map, area_map, None, progress
        )
        changes += kpi_head + kpi_items
        findings += _duplicate_findings(old, old.kpis, kpi_old_dups, kpi_by_id)
        findings += _duplicate_findings(new, new.kpis, kpi_new_dups, kpi_by_id)
    else:
        for doc in (old, new):
            if doc.kpis is None:
                findings.append(make_finding("diff-no-kpi-sheet", file=doc.file))
    if old.areas is not None and new.areas is not None:
        changes += _area_changes(old.areas, new.areas)
    if old.committee is not None or new.committee is not None:
        changes += _committee_changes(old.committee, new.committee)
    return DiffResult(old, new, "id" if by_id else "name", kpi_matching, tuple(changes), tuple(findings))


def diff_files(old: Path, new: Path, progress: Progress | None = None) -> DiffResult:
    """Read two progress-list workbooks and compare them.

    Raises:
        DiffError: a file is not a readable .xlsx or has no progress sheet.
    """
    with collector_paused():
        docs = read_progress_lists(old, new)
        if (
            progress is not None
        ):  # reported once both are read, so an unreadable file leaves no half-drawn bar
            progress("読み込み", 2, 2)
        return compare(docs[0], docs[1], progress)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while two lists are read, compared and written, and as it was after: its
    passes free next to nothing here (the workbook's cycles become garbage only when it is thrown away, and are
    collected afterwards by the next full pass, as before) but walk again everything made so far — in the
    yearly audit of 20,000 measures 6 full and 67 middle passes, ~0.35 s of this process alone; the same peak
    memory. A forked child inherits the pause. What was made meanwhile is put in the oldest generation (frozen
    and unfrozen, unless a caller froze objects), else the first young pass afterwards would walk all of it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        gc.enable()
