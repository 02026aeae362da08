"""Load and check the master measure list (inputs/master.xlsx): sheets 取組, KPI and 設定."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpi_report.core import columns
from kpi_report.core.codec import encode
from kpi_report.core.columns import MASTER_KPIS, MASTER_MEASURES, Column
from kpi_report.core.diskcache import DiskCache, cache_folder, cache_key
from kpi_report.core.errors import FiscalYearError, MasterError
from kpi_report.core.files import load_openpyxl
from kpi_report.core.findings import Code, make_finding
from kpi_report.core.fiscal import DATE_HELP, parse_date, parse_fy
from kpi_report.core.fiscal import HELP as FY_HELP
from kpi_report.core.model import (
    CATEGORIES,
    DIRECTIONS,
    Area,
    Finding,
    Goal,
    GradeThresholds,
    Kpi,
    Measure,
    Plan,
    PolicyArea,
    Settings,
)
from kpi_report.core.values import (
    EXCEL_CELL_LIMIT,
    cell_ref,
    cell_text,
    clean_text,
    normalize_choice,
    parse_master_number,
    parse_number,
    split_list,
    unescape,
)
from kpi_report.core.version import library_version
from kpi_report.plan.committee import MEMBERS_SHEET, read_committee_settings, read_members
from kpi_report.plan.evaluation import POLICY_SHEET, kpi_method, read_evaluation_settings, read_policy_areas

MEASURE_SHEET, KPI_SHEET, SETTINGS_SHEET = "取組", "KPI", "設定"
MEASURE_REQUIRED = columns.required(MASTER_MEASURES)
KPI_REQUIRED = columns.required(MASTER_KPIS)
_WHOLE_NUMBER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+")  # 2000 or 2,000 (ASCII digits after NFKC)
MAX_NAME_CHARS = (
    100  # 計画名, 自治体名, 発行日: the review's page header lays out slower than linearly in length
)


@dataclass(frozen=True)
class _Row:
    number: int
    values: dict[str, str]
    raw: dict[str, Any]
    columns: dict[str, int]

    def ref(self, column: str) -> str:
        return cell_ref(self.number, self.columns[column])


class _SheetReader:
    """Rows of one sheet as dicts keyed by header name; collects findings about the sheet."""

    def __init__(self, ws: Any, sheet: str, id_column: str, file: str, findings: list[Finding]) -> None:
        self.sheet, self.id_column, self.file, self.findings = sheet, id_column, file, findings
        rows = ws.iter_rows(values_only=True)
        header = next(rows, ())
        self.columns: dict[str, int] = {}
        for index, name in enumerate(header, start=1):
            key = cell_text(name).strip()
            if key and key not in self.columns:
                self.columns[key] = index
        self._rows = rows

    def require(self, required: tuple[str, ...]) -> bool:
        missing = [c for c in required if c not in self.columns]
        for column in missing:
            self.findings.append(
                make_finding(
                    "master-missing-column", file=self.file, sheet=self.sheet, cell="1行目", column=column
                )
            )
        return not missing

    def __iter__(self) -> Iterator[_Row]:
        for number, values in enumerate(self._rows, start=2):
            raw = {c: values[i - 1] if i - 1 < len(values) else None for c, i in self.columns.items()}
            if all(v is None or cell_text(v).strip() == "" for v in raw.values()):
                continue
            texts: dict[str, str] = {}
            for column, value in raw.items():
                # openpyxl leaves Excel's escapes (_x000D_ for CR, _x0000_) as written: undone, then cleaned
                text, changed = clean_text(unescape(cell_text(value)))
                if changed:
                    self.findings.append(
                        make_finding(
                            "master-text-cleaned",
                            file=self.file,
                            sheet=self.sheet,
                            cell=cell_ref(number, self.columns[column]),
                            value=cell_text(value),
                        )
                    )
                texts[column] = text.strip()
            yield _Row(number, texts, raw, self.columns)

    def missing_values(self, row: _Row, required: tuple[str, ...]) -> bool:
        missing = [c for c in required if not row.values.get(c)]
        for column in missing:
            self.report(row, "master-missing-value", column)
        return bool(missing)

    def report(self, row: _Row, code: Code, column: str, **params: Any) -> None:
        """A finding at the cell of ``column`` in ``row``, for the row's ID, quoting the cell's text."""
        self.findings.append(
            make_finding(
                code,
                file=self.file,
                sheet=self.sheet,
                cell=row.ref(column),
                item_id=row.values.get(self.id_column, ""),
                value=row.values.get(column, ""),
                column=column,
                **params,
            )
        )


PLAN_CACHE_BYTES = 32 * 1024 * 1024  # bound of outputs/.cache/plan/ (a 1,000-measure plan is about 0.6 MB)


def plan_cache(root: Path) -> DiskCache:
    """The cache of loaded plans of the project at ``root``: outputs/.cache/plan/ (see :func:`load_plan`)."""
    return DiskCache(cache_folder(root, "plan"), PLAN_CACHE_BYTES)


def load_plan(path: Path, cache: DiskCache | None = None) -> Plan:
    """Load and check the master workbook.

    ``cache``: where plans loaded earlier are kept (:func:`plan_cache`); a master whose bytes were loaded
    before is not read again (see :func:`load_plan_and_warnings`). None: always read.

    Raises:
        MasterError: the file is missing or unreadable, or has problems; every finding is attached.
    """
    return load_plan_and_warnings(path, cache)[0]


def load_plan_and_warnings(path: Path, cache: DiskCache | None = None) -> tuple[Plan, tuple[Finding, ...]]:
    """Load and check the master workbook; the plan and the master's warnings.

    With ``cache``, the plan and its warnings are kept as JSON under the SHA-256 of the master's bytes, its
    file name (the findings name it), the tool's, openpyxl's and Unicode's versions: the same master gives
    the same plan and warnings without being parsed. An entry that is damaged or does not decode is a miss;
    a master with errors is never kept (it raises every time, as without a cache).

    Raises:
        MasterError: the file is missing or unreadable, or has errors; every finding (warnings too) is attached.
    """
    data = _read_master(path)
    key = _plan_key(path, data) if cache is not None else ""
    if cache is not None:
        kept = _cached_plan(cache, key, data)
        if kept is not None:
            return kept
    plan, findings = _check_master_bytes(path, data)
    errors = tuple(f for f in findings if f.severity == "error")
    if plan is None or errors:
        others = tuple(f for f in findings if f.severity != "error")  # warnings too: each may be a cause
        warned = f"・警告 {len(others)} 件" if others else ""
        raise MasterError(f"マスター {path} にエラー {len(errors)} 件{warned}があります。", errors + others)
    if cache is not None:
        # the goals are the measures grouped (see check_master): kept once, as the measures
        cache.put_json(key, encode(_CachedPlan(dataclasses.replace(plan, goals=()), tuple(findings))))
        cache.prune()
    return plan, tuple(findings)


@dataclass(frozen=True)
class _CachedPlan:
    """A cache entry: the plan without its goals (rebuilt from the measures) and the master's warnings."""

    plan: Plan
    warnings: tuple[Finding, ...]


# the plan last taken from a cache entry in this process, by the entry's decoded value (DiskCache.get_decoded
# decodes the same payload once): the same plan object again, so what is computed once per plan object (the
# check's plan digest) is not redone at every build of a watching process
_LOADED: dict[int, tuple[_CachedPlan, tuple[Plan, tuple[Finding, ...]]]] = {}


def _plan_key(path: Path, data: bytes) -> str:
    return cache_key("plan", path.name, library_version("openpyxl"), unicodedata.unidata_version, data)


def _cached_plan(cache: DiskCache, key: str, data: bytes) -> tuple[Plan, tuple[Finding, ...]] | None:
    """The plan and warnings kept under ``key``; None when absent, damaged or not of the master's bytes."""
    kept = cache.get_decoded(key, _CachedPlan)
    if kept is None or kept.plan.sha256 != hashlib.sha256(data).hexdigest() or kept.plan.goals:
        return None
    known = _LOADED.get(id(kept))
    if known is not None and known[0] is kept:
        return known[1]
    loaded = dataclasses.replace(kept.plan, goals=_group(list(kept.plan.measures))), kept.warnings
    _LOADED.clear()  # the last one only
    _LOADED[id(kept)] = (kept, loaded)
    return loaded


def _read_master(path: Path) -> bytes:
    if not path.is_file():
        raise MasterError(
            f"マスター {path} がありません。`kpi-report init` で作成するか、inputs/master.xlsx を置いてください。"
        )
    return path.read_bytes()


def check_master(path: Path) -> tuple[Plan | None, list[Finding]]:
    """Load the master and return the plan (None when unusable) with every finding."""
    return _check_master_bytes(path, _read_master(path))


def _check_master_bytes(path: Path, data: bytes) -> tuple[Plan | None, list[Finding]]:
    """:func:`check_master` on the master's bytes as read once (its sha256 is of what was parsed)."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise MasterError(
            f"マスター {path} は .xlsx として読めません。Excel で .xlsx 形式で保存し直してください。"
        )
    load_openpyxl()  # ~0.2 s: only when the master is parsed, not taken from the cache
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on broken files
        raise MasterError(
            f"マスター {path} を読めません（{type(exc).__name__}）。Excel で開いて保存し直してください。"
        ) from exc
    file = path.name
    findings: list[Finding] = []
    try:
        settings = _read_settings(wb, file, findings)
        if MEASURE_SHEET not in wb.sheetnames:
            findings.append(make_finding("master-missing-sheet", file=file, sheet=MEASURE_SHEET))
            return None, findings
        measures, areas_by_goal = _read_measures(wb[MEASURE_SHEET], file, findings)
        kpis: list[Kpi] = []
        if KPI_SHEET in wb.sheetnames:
            kpis = _read_kpis(wb[KPI_SHEET], file, findings, areas_by_goal)
        policy_areas: list[PolicyArea] = []
        if POLICY_SHEET in wb.sheetnames:  # 効果検証: who writes each 施策's evaluation
            reader = _SheetReader(wb[POLICY_SHEET], POLICY_SHEET, "施策ID", file, findings)
            policy_areas = read_policy_areas(reader, measures)
            settings = dataclasses.replace(settings, evaluation=True)
        members = []
        if MEMBERS_SHEET in wb.sheetnames:  # 外部評価: the committee's members
            members = read_members(_SheetReader(wb[MEMBERS_SHEET], MEMBERS_SHEET, "委員ID", file, findings))
    finally:
        wb.close()
    if not measures and not any(f.code == "master-missing-column" for f in findings):
        findings.append(make_finding("master-no-measures", file=file, sheet=MEASURE_SHEET))
    findings.extend(_department_variants(measures, kpis, policy_areas, file))
    plan = Plan(
        settings=settings,
        goals=_group(measures),
        measures=tuple(measures),
        kpis=tuple(kpis),
        sha256=hashlib.sha256(data).hexdigest(),
        policy_areas=tuple(policy_areas),
        members=tuple(members),
    )
    return plan, findings


def _read_measures(
    ws: Any, file: str, findings: list[Finding]
) -> tuple[list[Measure], dict[str, set[str]] | None]:
    """The measures, and the areas of each goal for the KPI sheet (None when the sheet lacks the titles).

    A missing required column gives no measures, but every other row problem is still reported."""
    reader = _SheetReader(ws, MEASURE_SHEET, "取組ID", file, findings)
    complete = reader.require(MEASURE_REQUIRED)
    present = tuple(c for c in MEASURE_REQUIRED if c in reader.columns)
    titled = "基本目標" in reader.columns and "施策" in reader.columns
    areas_by_goal: dict[str, set[str]] = {}
    measures: list[Measure] = []
    seen: dict[str, str] = {}
    counters: dict[tuple[str, str], int] = {}
    for row in reader:
        v = row.values
        if titled and v.get("基本目標"):
            areas_by_goal.setdefault(v["基本目標"], set()).add(v.get("施策", ""))
        if reader.missing_values(row, present):
            continue
        if "取組ID" in reader.columns:
            if v["取組ID"] in seen:
                reader.report(row, "master-duplicate-id", "取組ID", other=seen[v["取組ID"]])
                continue
            seen[v["取組ID"]] = row.ref("取組ID")
        category = normalize_choice(v.get("区分", "")).strip("【】[]")
        if category and category not in CATEGORIES:
            reader.report(row, "master-unknown-category", "区分")
        if isinstance(row.raw.get("予算事業コード"), int | float):
            reader.report(row, "master-code-as-number", "予算事業コード")
        if not complete:
            continue
        key = (v["基本目標"], v["施策"])
        counters[key] = counters.get(key, 0) + 1
        fields = _plain_fields(MASTER_MEASURES, v)
        fields.update(number=v.get("番号") or str(counters[key]), category=category, row=row.number)
        measures.append(Measure(**fields))
    return measures, areas_by_goal if titled else None


def _department_variants(
    measures: list[Measure], kpis: list[Kpi], policy_areas: list[PolicyArea], file: str
) -> Iterator[Finding]:
    """Departments spelled two ways that NFKC makes one (ＩＴ推進課 / IT推進課, 福 U+FA1B / U+798F): an error at
    each later spelling, naming the first. Counted as two, each would get a form the other's check refuses."""
    places: list[tuple[str, str, int]] = [
        (d, MEASURE_SHEET, m.row) for m in measures for d in (*m.owners, *m.related)
    ]
    places += [(k.owner, KPI_SHEET, k.row) for k in kpis]
    places += [(p.lead, POLICY_SHEET, p.row) for p in policy_areas]
    first: dict[str, tuple[str, str, int]] = {}
    reported: set[str] = set()
    for name, sheet, row in places:
        key = normalize_choice(name)
        seen = first.setdefault(key, (name, sheet, row))
        if seen[0] != name and name not in reported:
            reported.add(name)
            yield make_finding(
                "master-department-variants",
                file=file,
                sheet=sheet,
                cell=f"{row}行目",
                value=name,
                other=seen[0],
                where=f"シート『{seen[1]}』{seen[2]}行目",
            )


def _plain_fields(spec: tuple[Column, ...], values: dict[str, str]) -> dict[str, Any]:
    """The model fields of the spec's text and lines columns, as read (lines split); a blank cell gives ""."""
    fields: dict[str, Any] = {}
    for c in spec:
        if c.kind == "text":
            fields[c.field] = values.get(c.header, "")
        elif c.kind == "lines":
            fields[c.field] = split_list(values.get(c.header, ""))
    return fields


def _read_kpis(
    ws: Any, file: str, findings: list[Finding], areas_by_goal: dict[str, set[str]] | None
) -> list[Kpi]:
    """The KPIs; goals and areas are checked against ``areas_by_goal`` (None: the 取組 sheet lacks them)."""
    reader = _SheetReader(ws, KPI_SHEET, "KPI_ID", file, findings)
    complete = reader.require(KPI_REQUIRED)
    present = tuple(c for c in KPI_REQUIRED if c in reader.columns)
    kpis: list[Kpi] = []
    seen: dict[str, str] = {}
    for row in reader:
        v = row.values
        if reader.missing_values(row, present):
            continue
        kpi_id = v.get("KPI_ID", "")
        if kpi_id in seen:
            reader.report(row, "master-duplicate-id", "KPI_ID", other=seen[kpi_id])
            continue
        if kpi_id:
            seen[kpi_id] = row.ref("KPI_ID")
        direction = normalize_choice(v.get("方向", ""))
        if "方向" in reader.columns and direction not in DIRECTIONS:
            reader.report(row, "master-unknown-direction", "方向")
        numbers: dict[str, float | None] = {}
        for column in ("基準値", "目標値"):
            parsed = parse_master_number(row.raw.get(column))
            numbers[column] = parsed.value
            if column in reader.columns and not parsed.ok:
                code: Code = "master-approximate-number" if parsed.approximate else "master-not-a-number"
                reader.report(row, code, column)
        years: dict[str, int | None] = {}
        for column in ("基準年度", "目標年度"):
            years[column] = None
            if v.get(column):
                try:
                    years[column] = parse_fy(v[column])
                except FiscalYearError:
                    reader.report(row, "master-bad-fiscal-year", column, help=FY_HELP)
        area = v.get("施策", "")
        if areas_by_goal is None or "基本目標" not in reader.columns:
            pass  # a missing column is reported once; no consequential findings
        elif v["基本目標"] not in areas_by_goal:
            reader.report(row, "master-kpi-unknown-goal", "基本目標")
        elif area and area not in areas_by_goal[v["基本目標"]]:
            reader.report(row, "master-kpi-unknown-area", "施策")
        if not complete:
            continue
        method = kpi_method(v.get("評価方式", ""))
        if method == "":
            reader.report(row, "master-unknown-method", "評価方式")
        fields = _plain_fields(MASTER_KPIS, v)
        fields.update(
            method=method or None,
            baseline=numbers["基準値"],
            baseline_text=v.get("基準値", ""),
            baseline_fy=years["基準年度"],
            target=numbers["目標値"],
            target_text=v["目標値"],
            target_fy=years["目標年度"],
            direction=direction,
            owner=split_list(v["所管課"])[0] if split_list(v["所管課"]) else v["所管課"],
            row=row.number,
        )
        kpis.append(Kpi(**fields))
    return kpis


def _read_settings(wb: Any, file: str, findings: list[Finding]) -> Settings:
    if SETTINGS_SHEET not in wb.sheetnames:
        return Settings()
    values: dict[str, tuple[str, int]] = {}
    raw: dict[str, Any] = {}  # the cell values as read (a date stays a date)
    for number, row in enumerate(wb[SETTINGS_SHEET].iter_rows(values_only=True, max_col=2), start=1):
        if row and row[0] is not None:
            key = cell_text(row[0]).strip()
            raw[key] = row[1] if len(row) > 1 else None
            values[key] = (clean_text(unescape(cell_text(raw[key])))[0].strip(), number)
    kwargs: dict[str, Any] = {}

    def bad(key: str, help_text: str, code: Code = "master-bad-setting") -> None:
        value, number = values[key]
        value = value if len(value) <= 40 else f"{value[:40]}…"
        findings.append(
            make_finding(
                code,
                file=file,
                sheet=SETTINGS_SHEET,
                cell=f"B{number}",
                value=value,
                key=key,
                help=help_text,
            )
        )

    for key, attr in (("計画名", "plan_name"), ("自治体名", "city"), ("提出先", "submit_to")):
        if len(values.get(key, ("", 0))[0]) > MAX_NAME_CHARS:  # printed in every page header of the review
            bad(key, f"{MAX_NAME_CHARS}文字以内で入力してください（{len(values[key][0])}文字あります）。")
        elif values.get(key, ("", 0))[0]:
            kwargs[attr] = values[key][0]
    if values.get("発行日", ("", 0))[0]:
        _read_issue_dates(values["発行日"][0], kwargs, bad)
    if values.get("提出期限", ("", 0))[0]:
        try:
            kwargs["deadline"] = parse_date(raw["提出期限"])
        except FiscalYearError:
            bad("提出期限", DATE_HELP)
    for key, attr in (("計画開始年度", "start_fy"), ("計画終了年度", "end_fy")):
        if values.get(key, ("", 0))[0]:
            try:
                kwargs[attr] = parse_fy(values[key][0])
            except FiscalYearError:
                bad(key, FY_HELP)
    if kwargs.get("start_fy") and kwargs.get("end_fy") and kwargs["end_fy"] < kwargs["start_fy"]:
        bad(
            "計画終了年度",
            f"計画開始年度（{values['計画開始年度'][0]}）以降の年度を入力してください。",
            "master-setting-conflict",
        )
        del kwargs["end_fy"]
    if values.get("進捗状況", ("", 0))[0]:
        statuses = tuple(s.strip() for s in values["進捗状況"][0].split("、") if s.strip())
        keys = [normalize_choice(s) for s in statuses]  # how check compares a clerk's choice with the scale
        repeated = [s for i, s in enumerate(statuses) if keys.index(keys[i]) != i]
        if not statuses:
            bad(
                "進捗状況",
                "「未着手、検討中、実施中、完了」のように、選べる状況を「、」で区切って入力してください。",
            )
        elif repeated:
            bad(
                "進捗状況",
                f"同じ状況（全角・半角や空白の違いだけのものを含む）が2回以上あります（{'、'.join(repeated)}）。1回ずつにしてください。",
                "master-setting-conflict",
            )
        else:
            kwargs["statuses"] = statuses
    era_rule = values.get("和暦", ("", 0))[0]
    if era_rule:
        if normalize_choice(era_rule) in ("令和元年度", "令和"):
            kwargs["reiwa_for_2019"] = True
        elif normalize_choice(era_rule) in ("平成31年度", "平成"):
            kwargs["reiwa_for_2019"] = False
        else:
            bad("和暦", "「令和元年度」または「平成31年度」と入力してください。")
    if values.get("実施状況の最大文字数", ("", 0))[0]:
        limit_help = f"1〜{EXCEL_CELL_LIMIT:,} の整数で入力してください（Excel のセルには {EXCEL_CELL_LIMIT:,} 文字まで入ります）。"
        text = unicodedata.normalize("NFKC", values["実施状況の最大文字数"][0])
        limit = int(text.replace(",", "")) if _WHOLE_NUMBER.fullmatch(text) else 0
        if 1 <= limit <= EXCEL_CELL_LIMIT:
            kwargs["notes_max_chars"] = limit
        else:
            bad("実施状況の最大文字数", limit_help)
    grades: dict[str, float] = {}
    for key, attr in (("評価A", "a"), ("評価B", "b"), ("評価C", "c")):
        if values.get(key, ("", 0))[0]:
            parsed = parse_number(raw[key])  # strict: a date, a time or "1e3" is not a rate
            if parsed.value is None:
                bad(key, "達成率の下限を「100%」「0.5」のように入力してください。")
            else:
                text = values[key][0]
                grades[attr] = parsed.value / 100 if "%" in text or parsed.value > 2 else parsed.value
    if grades:
        thresholds = GradeThresholds(**grades)
        order = (("評価A", thresholds.a), ("評価B", thresholds.b), ("評価C", thresholds.c))
        if not thresholds.a > thresholds.b > thresholds.c:
            shown = "、".join(f"{key[-1]} {value:.0%}" for key, value in order)
            pair = order[:2] if not thresholds.a > thresholds.b else order[1:]
            key = next(k for k, _ in reversed(pair) if values.get(k, ("", 0))[0])  # the one the master set
            bad(
                key,
                f"評価の下限は A > B > C の順に大きくしてください（いまは {shown}）。",
                "master-setting-conflict",
            )
        else:
            kwargs["grades"] = thresholds
    if values.get("ライセンス", ("", 0))[0]:  # named in the open data's datapackage.json
        kwargs["license"] = values["ライセンス"][0]
    kwargs.update(read_evaluation_settings(values, raw, bad))
    kwargs.update(read_committee_settings(values, bad))
    return Settings(**kwargs)


_YEAR_LINE = re.compile(r"(.+?)\s*[:：]\s*(.+)")


def _read_issue_dates(text: str, kwargs: dict[str, Any], bad: Callable[[str, str], None]) -> None:
    """発行日: one line per report year (「2023: 令和6年6月1日」), or one line without a year for every year."""
    per_year: dict[int, str] = {}
    plain: list[str] = []
    how = "報告年度ごとに「2023: 令和6年6月1日」のように1行ずつ入力してください。"
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        m = _YEAR_LINE.fullmatch(line)
        try:
            fy = parse_fy(m.group(1)) if m else None
        except FiscalYearError:
            fy = None
        day = m.group(2).strip() if m and fy is not None else line
        if len(day) > MAX_NAME_CHARS:  # printed in every page header of the review
            return bad(
                "発行日", f"発行日は{MAX_NAME_CHARS}文字以内で入力してください（{len(day)}文字あります）。"
            )
        if fy is None:
            plain.append(day)
        elif fy in per_year:
            return bad("発行日", f"{fy}年度の行が2つあります。{how}")
        else:
            per_year[fy] = day
    if len(plain) > 1:
        return bad("発行日", f"年度の付いていない行が{len(plain)}行あります。{how}")
    kwargs["issue_dates"] = tuple(sorted(per_year.items()))
    if plain:
        kwargs["issue_date"] = plain[0]


def _group(measures: list[Measure]) -> tuple[Goal, ...]:
    """Goals and areas in order of first appearance."""
    tree: dict[str, dict[str, list[Measure]]] = {}
    for m in measures:
        tree.setdefault(m.goal, {}).setdefault(m.area, []).append(m)
    return tuple(
        Goal(title=goal, areas=tuple(Area(title=area, measures=tuple(ms)) for area, ms in areas.items()))
        for goal, areas in tree.items()
    )
