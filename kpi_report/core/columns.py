"""The columns of every sheet a person fills in, declared once.

One table per sheet: the master's 取組, KPI and 設定 (inputs/master.xlsx) and the department form's 進捗 and KPI.
``init`` writes its blank master from these tables, the master loader finds and requires columns by them, the
form writer lays out its sheets by them, ``check`` finds the input columns by their headers, and the docs and the
test fixtures are made from them. A new column is one line here (and a field on the model it fills).

Columns are always found by header, never by position; the order here is only the order in which our own
workbooks are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kpi_report.core.model import (
    DEFAULT_COMMITTEE_SCALE,
    DEFAULT_DIRECTIONS,
    DEFAULT_NOT_EVALUABLE,
    DEFAULT_STATUSES,
    Settings,
)

ColumnKind = Literal["text", "lines", "number", "fiscal-year", "choice", "computed"]
Feature = Literal["", "evaluation", "budgets"]
"""When a column is part of a sheet: always (""), when the plan uses 効果検証, or when 事業費 are collected."""
"""How a cell is read: text as written; lines (several values, one per line or 、-separated); a number;
a fiscal year (2019, R1, 令和元年度 …); one of a fixed set of choices; computed by the writer (never read)."""


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header and what the tool does with it.

    ``field`` names the attribute the column fills or is filled from (``Measure``, ``Kpi``, ``MeasureEntry``,
    ``KpiEntry``); "" for a column the form writer computes. The master loader reads ``text`` and ``lines``
    columns with a field by itself; the others it interprets by name.
    """

    header: str
    field: str
    required: bool = False  # master: the column must exist and every row needs a value; form: check needs it
    example: str = ""  # the example row of `init`, and the docs
    width: float = 14  # Excel column width (characters)
    input: bool = False  # form: typed by the department (unlocked); master columns are all typed
    kind: ColumnKind = "text"
    help: str = ""  # what the column means, for the docs and the instructions
    compared: bool = False  # form, read-only: check warns when the department edited the master's text
    feature: Feature = ""  # only in plans that use it (効果検証, 事業費)


@dataclass(frozen=True)
class SettingKey:
    """One key of the master's 設定 sheet (key in column A, value in column B)."""

    key: str
    field: str  # the attribute of ``Settings``
    example: str  # the value `init` writes
    default: str  # what applies when the key is absent ("" = none), as text
    help: str


# headers that are fixed points of the contract (programs fill forms by them)
MEASURE_ID_COLUMN = "取組ID"
KPI_ID_COLUMN = "KPI_ID"
STATUS_COLUMN = "進捗状況"
NOTES_COLUMN = "実施状況"
SHARED_COLUMN = "共同所管"
PREVIOUS_NOTES_COLUMN = "前年度の実施状況"
ACTUAL_COLUMN = "実績値"
REMARKS_COLUMN = "備考"
PREVIOUS_ACTUAL_COLUMN = "前年度実績"
PREVIOUS_REMARKS_COLUMN = "前年度備考"
AREA_ID_COLUMN = "施策ID"
DIRECTION_COLUMN = "今後の方向性"
ISSUES_COLUMN = "課題・今後の取組"
BUDGET_COLUMN = "予算額（千円）"
SETTLEMENT_COLUMN = "決算額（千円）"
NOT_EVALUABLE_COLUMN = "評価不能の理由"
FACTORS_COLUMN = "要因分析"
AREA_ISSUES_COLUMN = "課題"
RESPONSE_COLUMN = "前年度の方針への対応"
PREVIOUS_DIRECTION_COLUMN = "前年度の方向性"
PREVIOUS_AREA_ISSUES_COLUMN = "前年度の課題"
AREA_KPIS_COLUMN = "KPIの状況（前年度）"  # 施策評価: made before this year's actuals are known
AREA_STATUSES_COLUMN = "取組の進捗（前年度）"

_GOAL_EXAMPLE = "基本目標1「住み続けたいまちの空間をつくる」"
_AREA_EXAMPLE = "① 農のあるまちづくりの推進"

MASTER_MEASURES: tuple[Column, ...] = (  # sheet 取組: one row per measure
    Column(MEASURE_ID_COLUMN, "id", True, "1-1-01", 9, help="一度決めたら変えない一意のID（文字列）"),
    Column("基本目標", "goal", True, _GOAL_EXAMPLE, 36, help="基本目標の題名（全文）"),
    Column("施策", "area", True, _AREA_EXAMPLE, 40, help="施策の題名（全文）"),
    Column("番号", "number", False, "1", 6, help="施策内の表示番号（空欄なら 1, 2, 3 … の順）"),
    Column("名称", "name", True, "市内農家の収入増に向けた取組の支援", 40, help="取組の名称"),
    Column(
        "内容", "content", True, "認定農業者を拡充し、農業経営基盤の強化を図ります。", 70, help="取組の内容"
    ),
    Column("所管課", "owners", True, "産業振興課", 18, kind="lines", help="所管課（複数可、先頭が主担当）"),
    Column("関連課", "related", False, "学務課", 14, kind="lines", help="関連課（複数可）"),
    Column("区分", "category", False, "継続", 6, kind="choice", help="継続・新規・拡充・検討"),
    Column(
        "予算事業コード",
        "budget_codes",
        False,
        "0104010242",
        14,
        kind="lines",
        help="予算事業コード（文字列、複数可）",
    ),
    Column("総合計画施策", "policy_no", False, "施策311", 12, help="長期総合計画の施策番号"),
)

MASTER_KPIS: tuple[Column, ...] = (  # sheet KPI: one row per indicator (optional sheet)
    Column(KPI_ID_COLUMN, "id", True, "K1-1-01", 9, help="一度決めたら変えない一意のID"),
    Column("基本目標", "goal", True, _GOAL_EXAMPLE, 36, help="基本目標の題名（取組と同じ）"),
    Column("施策", "area", False, _AREA_EXAMPLE, 40, help="施策の題名（空欄なら基本目標の数値目標）"),
    Column("指標名", "name", True, "認定農業者数", 44, help="指標の名称"),
    Column("単位", "unit", False, "経営体", 6, help="人、%、件 など"),
    Column(
        "基準値", "baseline", False, "10", 12, kind="number", help="基準値（「45人」「－」のようにも書ける）"
    ),
    Column("基準年度", "baseline_fy", False, "2015", 9, kind="fiscal-year", help="基準値の年度"),
    Column("目標値", "target", True, "30", 22, kind="number", help="目標値（注記も書ける）"),
    Column("目標年度", "target_fy", True, "2019", 9, kind="fiscal-year", help="目標値の年度"),
    Column("方向", "direction", True, "増加", 6, kind="choice", help="増加・減少・維持"),
    Column("出典", "source", False, "産業振興課調べ", 34, help="出典"),
    Column("所管課", "owner", True, "産業振興課", 18, help="実績値を報告する課（1つ）"),
    Column(
        "評価方式",
        "method",
        False,
        "",
        10,
        kind="choice",
        help="このKPIだけ評価方式を変える: 目標比・経過按分（空欄なら設定の評価方式）",
    ),
)

MASTER_POLICY_AREAS: tuple[Column, ...] = (  # sheet 施策 (optional, 効果検証): one row per 施策
    Column(AREA_ID_COLUMN, "id", True, "1-1", 8, help="一度決めたら変えない施策のID（文字列）"),
    Column("基本目標", "goal", True, _GOAL_EXAMPLE, 36, help="基本目標の題名（取組と同じ）"),
    Column("施策", "title", True, _AREA_EXAMPLE, 40, help="施策の題名（取組と同じ）"),
    Column(
        "主管課", "lead", True, "産業振興課", 18, help="施策の評価（要因分析・課題・方向性）を書く課（1つ）"
    ),
)

MASTER_MEMBERS: tuple[Column, ...] = (  # sheet 委員 (optional, 外部評価): one row per committee member
    Column("委員ID", "id", True, "M01", 8, help="一度決めたら変えない委員のID（文字列）"),
    Column(
        "氏名", "name", True, "山田 太郎", 16, help="委員の氏名（委員ごとの記入様式のファイル名にもなる）"
    ),
    Column("区分", "group", False, "学識経験者", 16, help="学識経験者・産業界・住民代表 など（任意）"),
)

MASTER_SETTINGS: tuple[SettingKey, ...] = (  # sheet 設定 (optional)
    SettingKey(
        "計画名", "plan_name", "○○市まち・ひと・しごと創生総合戦略", "総合戦略", "計画の名称（100文字まで）"
    ),
    SettingKey("自治体名", "city", "○○市", "", "自治体の名称（100文字まで）"),
    SettingKey("計画開始年度", "start_fy", "2015", "", "計画の最初の年度"),
    SettingKey("計画終了年度", "end_fy", "2019", "", "計画の最後の年度"),
    SettingKey(
        "進捗状況",
        "statuses",
        "、".join(DEFAULT_STATUSES),
        "、".join(DEFAULT_STATUSES),
        "選べる進捗状況（「、」区切り）",
    ),
    SettingKey(
        "和暦", "reiwa_for_2019", "令和元年度", "令和元年度", "2019年度の表記: 令和元年度 または 平成31年度"
    ),
    SettingKey(
        "発行日",
        "issue_dates",
        "2019: 令和2年6月",
        "",
        "年次報告書の表紙に印刷する発行日。報告年度ごとに1行「2019: 令和2年6月」（年度のない1行はどの年度にも使う）",
    ),
    SettingKey(
        "実施状況の最大文字数", "notes_max_chars", "2000", "2000", "実施状況に書ける文字数（1〜32,767）"
    ),
    SettingKey("評価A", "grades", "100%", "100%", "評価Aとなる達成率の下限"),
    SettingKey("評価B", "grades", "50%", "50%", "評価Bとなる達成率の下限"),
    SettingKey("評価C", "grades", "0%", "0%", "評価Cとなる達成率（これを超えるとC、以下はD）"),
    SettingKey("提出先", "submit_to", "企画課", "企画課", "記入様式の提出先（記入方法とメッセージに表示）"),
    SettingKey(
        "提出期限",
        "deadline",
        "2020-05-29",
        "",
        "記入様式の提出期限（日付。記入方法に表示。forms --deadline で上書き）",
    ),
    SettingKey(
        "ライセンス",
        "license",
        "CC BY 4.0",
        "CC BY 4.0",
        "オープンデータ（opendata/）の利用条件。CC BY 4.0、CC0 1.0、公共データ利用規約 第1.0版 など",
    ),
    SettingKey(
        "委員評価",
        "committee_scale",
        "、".join(DEFAULT_COMMITTEE_SCALE),
        "、".join(DEFAULT_COMMITTEE_SCALE),
        "外部評価の委員が施策ごとに選ぶ評価（よい順に「、」区切り。シート『委員』があるときに使う）",
    ),
    SettingKey(
        "委員名の公表",
        "member_names",
        "しない",
        "しない",
        "年次報告書の外部評価に委員の氏名を載せるか: する（氏名）・しない（委員A、委員B …）",
    ),
)

EVALUATION_SETTINGS: tuple[SettingKey, ...] = (  # 設定 keys of 効果検証 (any of them turns it on; docs only)
    SettingKey(
        "今後の方向性",
        "directions",
        "、".join(DEFAULT_DIRECTIONS),
        "、".join(DEFAULT_DIRECTIONS),
        "取組と施策の今後の方向性の選択肢（「、」区切り）",
    ),
    SettingKey(
        "評価区分",
        "grade_scheme",
        "A:100%、B:50%、C:0%、D",
        "評価A・評価B・評価C による A〜D",
        "KPIの評価の記号と達成率の下限（よい順に「、」区切り。最後の記号は下限なし）。◎:100%、○:80%、△:50%、× なども可",
    ),
    SettingKey(
        "評価不能の理由",
        "not_evaluable_reasons",
        "、".join(DEFAULT_NOT_EVALUABLE),
        "、".join(DEFAULT_NOT_EVALUABLE),
        "実績値を書けない年に選ぶ理由（「、」区切り）。理由のあるKPIは「評価不能」でDにならない",
    ),
    SettingKey(
        "評価方式",
        "method",
        "目標比",
        "目標比",
        "目標比（基準値から目標値までの達成率）または経過按分（計画期間の経過に応じた期待値との比）",
    ),
    SettingKey(
        "維持の許容幅",
        "maintain_tolerance",
        "5%",
        "0%",
        "方向が維持のKPIで、基準値を下回っても維持とみなす幅",
    ),
    SettingKey(
        "事業費", "budgets", "記入する", "記入しない", "記入する: 記入様式で予算額・決算額（千円）を尋ねる"
    ),
)

FORM_PROGRESS: tuple[Column, ...] = (  # the form's sheet 進捗: one row per measure of the department
    Column(MEASURE_ID_COLUMN, "id", True, "1-1-01", 9),
    Column("基本目標", "goal", width=14),
    Column("施策", "area", width=16),
    Column("番号", "number", width=5),
    Column("名称", "name", width=20, compared=True),
    Column("内容", "content", width=36, compared=True),
    Column("区分", "category", width=6),
    Column("所管課", "owners", width=12, kind="lines"),
    Column("関連課", "related", width=12, kind="lines"),
    Column(SHARED_COLUMN, "", width=16, kind="computed", help="共同所管のとき、所管課と主担当"),
    Column(PREVIOUS_NOTES_COLUMN, "", width=36, kind="computed", help="前年度に報告した内容（参考）"),
    Column(STATUS_COLUMN, "status", True, "実施中", 11, input=True, kind="choice", help="進捗状況を選ぶ"),
    Column(
        NOTES_COLUMN,
        "notes",
        True,
        "地産地消フェアを2回開催しました。",
        50,
        input=True,
        kind="lines",
        help="今年度の実施内容（1行に1項目）",
    ),
)

FORM_PROGRESS_OPTIONAL: tuple[
    Column, ...
] = (  # 進捗, after the always-present columns, when the plan uses them
    Column(
        PREVIOUS_DIRECTION_COLUMN,
        "",
        width=10,
        kind="computed",
        help="前年度に決めた今後の方向性（参考）",
        feature="evaluation",
    ),
    Column(
        DIRECTION_COLUMN,
        "direction",
        True,
        "継続",
        10,
        input=True,
        kind="choice",
        help="今後の方向性を選ぶ",
        feature="evaluation",
    ),
    Column(
        ISSUES_COLUMN,
        "issues",
        False,
        "参加者の固定化。新たな周知方法を検討します。",
        36,
        input=True,
        kind="lines",
        help="課題と今後の取組（任意）",
        feature="evaluation",
    ),
    Column(
        BUDGET_COLUMN,
        "budget",
        True,
        "1200",
        11,
        input=True,
        kind="number",
        help="予算額（千円）",
        feature="budgets",
    ),
    Column(
        SETTLEMENT_COLUMN,
        "settlement",
        True,
        "1150",
        11,
        input=True,
        kind="number",
        help="決算額（千円）",
        feature="budgets",
    ),
)


FORM_KPIS: tuple[Column, ...] = (  # the form's sheet KPI: one row per KPI the department reports
    Column(KPI_ID_COLUMN, "id", True, "K1-1-01", 9),
    Column("基本目標", "goal", width=16),
    Column("施策", "area", width=18),
    Column("指標名", "name", width=26, compared=True),
    Column("単位", "unit", width=7),
    Column("基準値", "baseline_text", width=14),
    Column("目標値", "target_text", width=16),
    Column("目標年度", "target_fy", width=10, kind="fiscal-year"),
    Column(PREVIOUS_ACTUAL_COLUMN, "", width=10, kind="computed", help="前年度に報告した実績値（参考）"),
    Column(PREVIOUS_REMARKS_COLUMN, "", width=20, kind="computed", help="前年度に報告した備考（参考）"),
    Column(
        ACTUAL_COLUMN,
        "actual",
        True,
        "25",
        12,
        input=True,
        kind="number",
        help="実績値（数値のみ、未集計は空欄）",
    ),
    Column(REMARKS_COLUMN, "remarks", False, "速報値", 30, input=True, help="補足（任意）"),
)

FORM_KPIS_OPTIONAL: tuple[Column, ...] = (  # KPI, after the always-present columns, when the plan uses them
    Column(
        NOT_EVALUABLE_COLUMN,
        "not_evaluable",
        False,
        "",
        14,
        input=True,
        kind="choice",
        help="実績値を書けない年に理由を選ぶ（実績値が空欄なら必須）",
        feature="evaluation",
    ),
)

FORM_AREA_EVALUATION: tuple[Column, ...] = (  # the 主管課's sheet 施策評価: one row per 施策 it leads
    Column(AREA_ID_COLUMN, "id", True, "1-1", 8),
    Column("基本目標", "goal", width=16),
    Column("施策", "title", width=20),
    Column(
        AREA_KPIS_COLUMN,
        "",
        width=34,
        kind="computed",
        help="施策のKPIの前年度の実績値・達成率・評価（参考。記入様式を作る時点で今年度の実績はまだない）",
    ),
    Column(
        AREA_STATUSES_COLUMN, "", width=20, kind="computed", help="施策の取組の前年度の進捗状況の内訳（参考）"
    ),
    Column(
        PREVIOUS_DIRECTION_COLUMN, "", width=10, kind="computed", help="前年度に決めた施策の方向性（参考）"
    ),
    Column(PREVIOUS_AREA_ISSUES_COLUMN, "", width=28, kind="computed", help="前年度に挙げた課題（参考）"),
    Column(
        FACTORS_COLUMN,
        "factors",
        True,
        "待機児童は減ったが目標に届かず。保育需要の伸びが想定を上回った。",
        40,
        input=True,
        kind="lines",
        help="KPIが動いた理由の分析",
    ),
    Column(AREA_ISSUES_COLUMN, "issues", True, "保育士の確保", 30, input=True, kind="lines", help="課題"),
    Column(
        DIRECTION_COLUMN, "direction", True, "拡充", 10, input=True, kind="choice", help="施策の今後の方向性"
    ),
    Column(
        RESPONSE_COLUMN,
        "response",
        False,
        "前年度の「拡充」を受け、定員を30人増やした。",
        36,
        input=True,
        kind="lines",
        help="前年度の方針（方向性・課題）に対して行ったこと（前年度の評価があれば必須）",
    ),
)


COMMITTEE_MEMBER_ID_COLUMN = "委員ID"
RATING_COLUMN = "評価"
OPINION_COLUMN = "意見"
OVERALL_COLUMN = "全体意見"
CITY_RESPONSE_COLUMN = "市の対応"

FORM_COMMITTEE: tuple[Column, ...] = (  # a committee member's sheet 意見: one row per 施策
    Column(AREA_ID_COLUMN, "area_id", True, "1-1", 8),
    Column("基本目標", "goal", width=16),
    Column("施策", "title", width=20),
    Column(
        "KPIの状況", "", width=34, kind="computed", help="施策のKPIの今年度の実績値・達成率・評価（参考）"
    ),
    Column(
        "主管課の評価",
        "",
        width=40,
        kind="computed",
        help="主管課の要因分析・課題・今後の方向性（参考）",
    ),
    Column("取組の進捗", "", width=18, kind="computed", help="施策の取組の進捗状況の内訳（参考）"),
    Column(RATING_COLUMN, "rating", True, "概ね順調", 12, input=True, kind="choice", help="施策の評価を選ぶ"),
    Column(
        OPINION_COLUMN,
        "opinion",
        False,
        "保育士確保の取組を近隣市と連携して進めるべき。",
        48,
        input=True,
        kind="lines",
        help="施策への意見（評価を選んだら書く）",
    ),
)

FORM_RESPONSES: tuple[Column, ...] = (  # the planning section's 対応.xlsx, sheet 対応: one row per opinion
    Column(COMMITTEE_MEMBER_ID_COLUMN, "member_id", True, "M01", 8),
    Column("委員", "", width=14, kind="computed"),
    Column(AREA_ID_COLUMN, "area_id", True, "1-1", 8),
    Column("施策", "", width=22, kind="computed"),
    Column(RATING_COLUMN, "", width=10, kind="computed"),
    Column(OPINION_COLUMN, "opinion", width=44, kind="computed"),
    Column(
        CITY_RESPONSE_COLUMN,
        "response",
        True,
        "近隣市との合同説明会を来年度から開催します。",
        48,
        input=True,
        kind="lines",
        help="意見に対する市の対応",
    ),
)


def features_of(settings: Settings) -> frozenset[str]:
    """The optional parts a plan uses: "evaluation" (効果検証), "budgets" (事業費)."""
    used = {""}
    if settings.evaluation:
        used.add("evaluation")
        if settings.budgets:
            used.add("budgets")
    return frozenset(used)


def active(spec: Sequence[Column], features: frozenset[str] = frozenset({""})) -> tuple[Column, ...]:
    """The columns of ``spec`` a plan with ``features`` uses (see :func:`features_of`)."""
    return tuple(c for c in spec if c.feature in features)


def progress_columns(settings: Settings) -> tuple[Column, ...]:
    """The form's 進捗 columns for a plan: the fixed ones, then 効果検証 and 事業費 inputs when used."""
    return FORM_PROGRESS + active(FORM_PROGRESS_OPTIONAL, features_of(settings))


def kpi_columns(settings: Settings) -> tuple[Column, ...]:
    """The form's KPI columns for a plan: the fixed ones, then 評価不能の理由 when 効果検証 is used."""
    return FORM_KPIS + active(FORM_KPIS_OPTIONAL, features_of(settings))


def headers(spec: Sequence[Column]) -> tuple[str, ...]:
    """The headers of a sheet, in the order our workbooks write them."""
    return tuple(c.header for c in spec)


def required(spec: Sequence[Column]) -> tuple[str, ...]:
    """The headers of the required columns."""
    return tuple(c.header for c in spec if c.required)


def optional(spec: Sequence[Column]) -> tuple[str, ...]:
    """The headers of the optional columns."""
    return tuple(c.header for c in spec if not c.required)


def inputs(spec: Sequence[Column]) -> tuple[str, ...]:
    """The headers of a form's input columns (typed by the department)."""
    return tuple(c.header for c in spec if c.input)


def widths(spec: Sequence[Column]) -> tuple[float, ...]:
    """The column widths, in header order."""
    return tuple(c.width for c in spec)


def column(spec: Sequence[Column], header: str) -> Column:
    """The column of ``spec`` with this header.

    Raises:
        KeyError: no such column.
    """
    for c in spec:
        if c.header == header:
            return c
    raise KeyError(header)


def letter(spec: Sequence[Column], header: str) -> str:
    """The Excel column letter of ``header`` in a workbook written in spec order ('A', 'B', …, 'AA')."""
    index = headers(spec).index(header) + 1
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def markdown_table(spec: Sequence[Column]) -> str:
    """The spec as a Markdown table (column, required, meaning, example) for the docs."""
    lines = ["| 列 | 必須 | 意味 | 例 |", "| --- | --- | --- | --- |"]
    for c in spec:
        example = f"`{c.example}`" if c.example else ""
        lines.append(f"| {c.header} | {'はい' if c.required else ''} | {c.help} | {example} |")
    return "\n".join(lines) + "\n"


def settings_markdown_table(keys: Sequence[SettingKey] = MASTER_SETTINGS) -> str:
    """The 設定 keys as a Markdown table (key, meaning, default, example) for the docs."""
    lines = ["| 項目 | 意味 | 省略時 | 例 |", "| --- | --- | --- | --- |"]
    for k in keys:
        default = f"`{k.default}`" if k.default else ""
        lines.append(f"| {k.key} | {k.help} | {default} | `{k.example}` |")
    return "\n".join(lines) + "\n"
