"""`kpi-report check`: validate the department workbooks returned for one fiscal year (docs/security.md #1-#21).

Every file in ``inputs/<FY>/`` first goes through :mod:`kpi_report.intake.workbook` (what it is, is it safe); the cells of
its sheets 進捗 and KPI are then matched to the master by ID, never by position, and judged after normalisation.
Findings are data; entries are kept even from files with errors (``build`` decides), except where keeping them
would mean guessing: a duplicated ID, two workbooks for one department, a form made for another year or
department. Nothing in ``inputs/`` is ever modified.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from kpi_report.core.achievement import evaluate_kpi
from kpi_report.core.codec import encode
from kpi_report.core.columns import (
    AREA_ISSUES_COLUMN,
    BUDGET_COLUMN,
    DIRECTION_COLUMN,
    FACTORS_COLUMN,
    FORM_AREA_EVALUATION,
    ISSUES_COLUMN,
    NOT_EVALUABLE_COLUMN,
    PREVIOUS_DIRECTION_COLUMN,
    RESPONSE_COLUMN,
    SETTLEMENT_COLUMN,
    Column,
    kpi_columns,
    progress_columns,
)
from kpi_report.core.diskcache import DiskCache, cache_key
from kpi_report.core.findings import CATALOGUE, Code, make_finding
from kpi_report.core.fiscal import fy_label, parse_fy
from kpi_report.core.model import (
    AreaEntry,
    CheckReport,
    Finding,
    Kpi,
    KpiEntry,
    Measure,
    MeasureEntry,
    Plan,
    Progress,
    Submission,
)
from kpi_report.core.project import COMMITTEE_DIR, Project
from kpi_report.core.values import (
    EXCEL_CELL_LIMIT,
    ParsedNumber,
    cell_ref,
    cell_text,
    clean_text,
    excel_date,
    in_range,
    normalize_choice,
    parse_number,
    split_notes,
)
from kpi_report.forms.layout import (
    ACTUAL_COLUMN,
    AREA_SHEET,
    FEEDBACK_RECORD_SHEET,
    FEEDBACK_TOOL,
    FORM_VERSION,
    KPI_SHEET,
    META_AREA_IDS,
    META_CONTENT,
    META_DEPARTMENT,
    META_FORMAT,
    META_FY,
    META_KPI_IDS,
    META_MASTER,
    META_MEASURE_IDS,
    META_SHEET,
    NOTES_COLUMN,
    PROGRESS_SHEET,
    REMARKS_COLUMN,
    STATUS_COLUMN,
    content_digest,
    form_filename,
    kpi_master_values,
    measure_master_values,
    parse_content_record,
)
from kpi_report.intake.workbook import DEFAULT_LIMITS, MAX_ROW, Cell, InputReader, Intake, Sheet, take_in
from kpi_report.validate.cache import code_digest, plan_digest

__all__ = ["check_year", "department_from_name"]

CELL_FINDINGS_SHOWN = 100  # findings of one code in one sheet given one by one; the rest are counted
MAX_DUPLICATES_NAMED = 5  # other files a duplicate-submission finding names; the rest are counted
HEADER_SCAN_ROWS = 20  # the header row is looked for in the first rows, not assumed
WANTED_SHEETS = frozenset({PROGRESS_SHEET, KPI_SHEET, AREA_SHEET, META_SHEET, FEEDBACK_RECORD_SHEET})


@dataclass
class _FileResult:
    """One file's findings and entries, before the batch-level checks (duplicates, missing departments)."""

    file: str
    sha256: str
    department: str = ""
    skipped: bool = False
    usable: bool = True  # False: entries would be a guess (made for another year or department)
    findings: list[Finding] = field(default_factory=list)
    measures: list[MeasureEntry] = field(default_factory=list)
    kpis: list[KpiEntry] = field(default_factory=list)
    areas: list[AreaEntry] = field(default_factory=list)  # 施策評価 (効果検証)
    blank_factors: list[tuple[str, str]] = field(default_factory=list)  # (施策ID, cell) of a blank 要因分析
    status_cells: dict[int, str] = field(default_factory=dict)  # row -> the A1 of its 進捗状況 cell


@dataclass(frozen=True)
class _StoredResult:
    """A :class:`_FileResult` as the cache keeps it (tuples: what the codec reads back)."""

    file: str
    sha256: str
    department: str
    skipped: bool
    usable: bool
    findings: tuple[Finding, ...]
    measures: tuple[MeasureEntry, ...]
    kpis: tuple[KpiEntry, ...]
    areas: tuple[AreaEntry, ...]
    blank_factors: tuple[tuple[str, str], ...]
    status_cells: tuple[tuple[int, str], ...]

    @classmethod
    def of(cls, r: _FileResult) -> _StoredResult:
        return cls(
            r.file,
            r.sha256,
            r.department,
            r.skipped,
            r.usable,
            tuple(r.findings),
            tuple(r.measures),
            tuple(r.kpis),
            tuple(r.areas),
            tuple(r.blank_factors),
            tuple(r.status_cells.items()),
        )

    def result(self) -> _FileResult:
        """A fresh, mutable result (the checks across files add findings to it)."""
        return _FileResult(
            self.file,
            self.sha256,
            self.department,
            self.skipped,
            self.usable,
            list(self.findings),
            list(self.measures),
            list(self.kpis),
            list(self.areas),
            list(self.blank_factors),
            dict(self.status_cells),
        )


@dataclass
class _Store:
    """check_year's cache, the reader of its files, and whether this run stored an entry (then it prunes)."""

    cache: DiskCache
    reader: InputReader
    stored: bool = False


def _check_file(
    path: Path, name: str, plan: Plan, fy: int, past: bool, within: Path, store: _Store | None
) -> _FileResult:
    """One file's own result: from the cache when an entry has it, else by reading the file (then stored).

    The key holds everything the result depends on: the bytes (read as take_in reads them, with its checks:
    a file take_in would not read is never cached), both names of the file, the plan, the year, ``past`` and
    the code (:func:`~kpi_report.validate.cache.code_digest`)."""
    key = digest = ""
    if store is not None:
        data = store.reader.read(path)
        if data is not None:
            digest = hashlib.sha256(data).hexdigest()
            key = cache_key(
                "check-file",
                code_digest(),
                plan_digest(plan),
                str(fy),
                "past" if past else "report",
                name,
                path.name,
                digest,
            )
            stored = _load_result(store.cache, key)
            if stored is not None and stored.file == name and stored.sha256 == digest:
                return stored.result()
    try:
        result = _WorkbookCheck(path, name, plan, fy, past, within).run()
    except Exception as exc:  # whatever one file does, the rest of the batch is checked
        result = _FileResult(name, "")
        reason = f"読み取り中の予期しないエラー {type(exc).__name__}"
        result.findings.append(make_finding("unreadable-file", reason=reason))
        result.department = department_from_name(name, plan)
        return result
    if store is not None and key and result.sha256 == digest:  # not a file changed between the two reads
        try:
            store.cache.put_json(key, encode(_StoredResult.of(result)))
        except ValueError:  # not JSON (a name the file system gave as undecodable bytes): not kept
            return result
        store.stored = True
    return result


def _load_result(cache: DiskCache, key: str) -> _StoredResult | None:
    return cache.get_decoded(key, _StoredResult)


def check_year(
    project: Project,
    plan: Plan,
    fy: int,
    progress: Progress | None = None,
    past: bool = False,
    *,
    cache: DiskCache | None = None,
) -> CheckReport:
    """Check every file in ``inputs/<FY>/`` against the master; inputs are only read.

    A missing folder is not an exception: every department is then a missing submission.

    Args:
        project: the project folder.
        plan: the loaded master.
        fy: the fiscal year whose submissions to check.
        progress: called after each file as ``progress(label, done, total)``.
        past: ``fy`` is an earlier year, read for the history: a form made from the master of its time is
            read as it is (measures and KPIs added, removed or reassigned since are a warning, not errors).
        cache: where each file's own result (before the checks across files) is kept between runs
            (:func:`kpi_report.validate.cache.check_cache`); a file whose bytes, name, plan, year and ``past``
            are those of an entry is not read again. None: every file is read.

    Returns:
        Findings (per file in name order, then the missing submissions), entries, submissions, and the
        departments that sent nothing.
    """
    files = project.input_files(fy)
    label = f"{fy_label(fy, plan.settings.reiwa_for_2019)}の提出を確認"
    results: list[_FileResult] = []
    within = project.root / "inputs"
    store = _Store(cache, InputReader(within=within)) if cache is not None else None
    for done, (name, path) in enumerate(files.items(), start=1):
        if path.is_dir() and name == COMMITTEE_DIR:  # the committee's workbooks: checked by committee.check
            pass
        elif path.is_dir():
            results.append(_skipped_folder(name))
        else:
            results.append(_check_file(path, name, plan, fy, past, within, store))
        if progress is not None:
            progress(label, done, len(files))
    if store is not None and store.stored:
        store.cache.prune()
    _flag_duplicate_submissions(results)
    if plan.settings.evaluation:
        _flag_unexplained_areas(plan, fy, results)
    if not past:
        _flag_status_conflicts(results, plan)
    submitted = {r.department for r in results if r.department and not r.skipped}
    if past:  # a department renamed since sent its past forms under its old name: its IDs are there
        sent = {e.measure_id for r in results if r.usable for e in r.measures}
        sent |= {e.kpi_id for r in results if r.usable for e in r.kpis}
        submitted |= {d for m in plan.measures if m.id in sent for d in m.owners}
        submitted |= {k.owner for k in plan.kpis if k.id in sent}
    missing = tuple(d for d in plan.departments if d not in submitted)
    findings: list[Finding] = []
    submissions: list[Submission] = []
    measure_entries: list[MeasureEntry] = []
    kpi_entries: list[KpiEntry] = []
    area_entries: list[AreaEntry] = []
    for result in results:
        own = [
            dataclasses.replace(f, file=result.file, department=result.department) for f in result.findings
        ]
        findings.extend(own)
        if result.skipped:
            continue
        submissions.append(
            Submission(
                file=result.file,
                department=result.department,
                sha256=result.sha256,
                errors=sum(f.severity == "error" for f in own),
                warnings=sum(f.severity == "warning" for f in own),
            )
        )
        if result.usable:
            measure_entries.extend(result.measures)
            kpi_entries.extend(result.kpis)
            area_entries.extend(result.areas)
    findings.extend(make_finding("missing-submission", department=d, value=d, name=d, fy=fy) for d in missing)
    return CheckReport(
        fy=fy,
        findings=tuple(findings),
        measure_entries=tuple(measure_entries),
        kpi_entries=tuple(kpi_entries),
        submissions=tuple(submissions),
        missing_departments=missing,
        area_entries=tuple(area_entries),
    )


def _flag_unexplained_areas(plan: Plan, fy: int, results: list[_FileResult]) -> None:
    """A blank 要因分析 for a 施策 with a KPI graded in the lower half of the scale (C and D of A–D, △ and × of
    ◎○△×) is a warning. The grades are this year's, from the actuals of every usable workbook of the batch
    (the 施策's KPIs are often reported by other departments), by the plan's scheme and method."""
    if not any(r.blank_factors for r in results):
        return
    s = plan.settings
    labels = s.scheme.labels
    poor = set(labels[(len(labels) + 1) // 2 :])
    actuals: dict[str, KpiEntry] = {}
    for r in results:
        if r.usable:
            for e in r.kpis:
                actuals.setdefault(e.kpi_id, e)
    areas = {a.id: a for a in plan.policy_areas}
    for result in results:
        for area_id, cell in result.blank_factors:
            area = areas[area_id]
            low: list[str] = []
            for kpi in plan.kpis:
                entry = actuals.get(kpi.id)
                if kpi.goal != area.goal or kpi.area != area.title or entry is None:
                    continue
                graded = evaluate_kpi(
                    kpi,
                    entry.actual,
                    fy,
                    s.scheme,
                    s.method,
                    entry.not_evaluable,
                    s.maintain_tolerance,
                    s.start_fy,
                )
                if graded.grade in poor:
                    low.append(f"{kpi.name}: {graded.grade}")
            if low:
                result.findings.append(
                    make_finding(
                        "area-factors-missing",
                        sheet=AREA_SHEET,
                        cell=cell,
                        item_id=area_id,
                        kpis="、".join(low),
                    )
                )


def _skipped_folder(name: str) -> _FileResult:
    result = _FileResult(name, "", skipped=True)
    result.findings.append(make_finding("skipped-file", reason="フォルダー（中は読みません）"))
    return result


def _flag_duplicate_submissions(results: list[_FileResult]) -> None:
    """Two workbooks for one department: an error on each, naming the others; neither one's entries are used."""
    by_department: dict[str, list[_FileResult]] = {}
    for result in results:
        if result.department and not result.skipped:
            by_department.setdefault(result.department, []).append(result)
    for department, group in by_department.items():
        if len(group) < 2:
            continue
        for result in group:  # each names a few others: 3,000 copies are not 9 million names
            named = [o.file for o in group[: MAX_DUPLICATES_NAMED + 1] if o is not result][
                :MAX_DUPLICATES_NAMED
            ]
            others = "、".join(named)
            if len(group) - 1 > len(named):
                others += f" ほか {len(group) - 1 - len(named):,} 件"
            result.findings.insert(0, make_finding("duplicate-submission", name=department, others=others))
            result.usable = False


def _flag_status_conflicts(results: list[_FileResult], plan: Plan) -> None:
    """Co-owners of a measure who gave different statuses: a warning at each one's 進捗状況 cell, naming every
    owner's status and the lead owner's, which the published table shows."""
    given: dict[str, list[tuple[str, str, _FileResult, int]]] = {}
    for result in results:
        if result.usable and not result.skipped:
            for e in result.measures:
                if e.status:
                    given.setdefault(e.measure_id, []).append((e.department, e.status, result, e.row))
    for measure in plan.measures:
        if measure.id not in given:
            continue
        entries = given[measure.id]
        if len({status for _, status, _, _ in entries}) < 2:
            continue
        rank = {d: i for i, d in enumerate(measure.owners)}
        entries.sort(key=lambda e: (rank.get(e[0], len(rank)), e[0]))
        value = " / ".join(f"{d}: {s}" for d, s, _, _ in entries)
        for _, _, result, row in entries:
            result.findings.append(
                make_finding(
                    "status-conflict",
                    sheet=PROGRESS_SHEET,
                    cell=result.status_cells.get(row, ""),
                    item_id=measure.id,
                    value=value,
                    shown=entries[0][1],
                )
            )


def department_from_name(file: str, plan: Plan) -> str:
    """The department whose name (or form file name) equals the file name's stem, else ""."""
    stem = normalize_choice(PurePosixPath(file).stem)
    for department in plan.departments:
        if stem in (normalize_choice(department), normalize_choice(form_filename(department)[:-5])):
            return department
    return ""


class _WorkbookCheck:
    """The checks of one file: intake, the form record (_meta), then the sheets 進捗 and KPI."""

    def __init__(
        self, path: Path, name: str, plan: Plan, fy: int, past: bool = False, within: Path | None = None
    ) -> None:
        self.path, self.plan, self.fy, self.past, self.within = path, plan, fy, past, within
        self.file = name
        self.findings: list[Finding] = []
        # a past year's form made from another master: the measure and KPI IDs it was made with
        self.form_ids: frozenset[str] | None = None
        self.past_department = False  # a past year's form of a department the master no longer has
        self.status_cells: dict[int, str] = {}  # row -> the A1 of its 進捗状況 cell
        # IDs whose locked texts the master changed since the form was made: {ID: digest of the form's texts}
        self.texts_changed: dict[str, str] = {}
        # sheets an earlier feedback copy added (never reported)
        self.own_sheets: frozenset[str] = frozenset()
        # the columns of each sheet in this plan (効果検証 and 事業費 inputs only when the plan uses them)
        self.specs: dict[str, tuple[Column, ...]] = {
            PROGRESS_SHEET: progress_columns(plan.settings),
            KPI_SHEET: kpi_columns(plan.settings),
            AREA_SHEET: FORM_AREA_EVALUATION,
        }

    def run(self) -> _FileResult:
        intake = take_in(self.path, WANTED_SHEETS, within=self.within)
        self.findings.extend(intake.findings)
        result = _FileResult(self.file, intake.sha256, skipped=intake.kind == "skipped")
        if intake.kind == "skipped":
            result.findings = self.findings
            return result
        by_name = department_from_name(self.file, self.plan)
        if not intake.readable:
            result.department = by_name  # so a broken file is not also reported as a missing submission
            result.findings = self.findings
            return result
        self.own_sheets = feedback_sheets(intake)
        department, usable = self._identify(intake, by_name)
        result.department, result.usable = department, usable
        known = department in self.plan.departments
        self._check_hidden_sheets(intake)
        measures = self.plan.measures_of(department) if known else ()
        kpis = self.plan.kpis_of(department) if known else ()
        if PROGRESS_SHEET in intake.sheets:
            result.measures = self._check_progress(intake.sheets[PROGRESS_SHEET], department, known)
        elif measures or not known:
            self._missing_sheet(PROGRESS_SHEET, intake)
        if KPI_SHEET in intake.sheets:
            result.kpis = self._check_kpis(intake.sheets[KPI_SHEET], department, known)
        elif kpis:
            self._missing_sheet(KPI_SHEET, intake)
        evaluation = self.plan.settings.evaluation
        if evaluation and AREA_SHEET in intake.sheets:
            result.areas = self._check_areas(intake.sheets[AREA_SHEET], department, known, result)
        elif evaluation and known and not self.past and self.plan.policy_areas_led_by(department):
            self._missing_sheet(AREA_SHEET, intake)
        if not known and not self.past_department:
            result.usable = False
        refusal = copy_refusal(intake)
        if refusal:
            self.findings.append(make_finding("no-feedback-copy", reason=refusal))
        result.status_cells = self.status_cells
        result.findings = self.findings
        return result

    # -- identification ------------------------------------------------------------------------------

    def _identify(self, intake: Intake, by_name: str) -> tuple[str, bool]:
        """The department the workbook is for, and whether its entries may be used."""
        meta = _meta_record(intake.sheets.get(META_SHEET))
        if not meta:
            if by_name:
                self.findings.append(make_finding("no-form-record", name=by_name))
                return by_name, True
            self.findings.append(
                make_finding(
                    "unknown-department",
                    reason=f"記入様式の記録（_meta）がなく、ファイル名「{PurePosixPath(self.file).stem}」も所管課名ではありません",
                )
            )
            return "", False
        usable = True
        version = meta.get(META_FORMAT, "")
        if version != FORM_VERSION:
            self.findings.append(make_finding("form-version", value=version, expected=FORM_VERSION))
        made_fy = _meta_fy(meta.get(META_FY, ""))
        if made_fy != self.fy:
            reiwa = self.plan.settings.reiwa_for_2019
            made = fy_label(made_fy, reiwa) if made_fy else f"年度「{meta.get(META_FY, '')}」"
            self.findings.append(
                make_finding(
                    "wrong-fiscal-year",
                    value=meta.get(META_FY, ""),
                    made=made,
                    expected=fy_label(self.fy, reiwa),
                )
            )
            usable = False
        department = meta.get(META_DEPARTMENT, "")
        if department not in self.plan.departments and self.past and department and usable:
            # a past year's form of a department renamed or merged since: its rows are still that year's record
            self.form_ids = _meta_ids(meta)
            self.past_department = True
            label = fy_label(self.fy, self.plan.settings.reiwa_for_2019)
            self.findings.append(make_finding("past-department", value=department, fy=label))
            return department, True
        if department not in self.plan.departments:
            self.findings.append(
                make_finding(
                    "unknown-department",
                    value=department,
                    reason=f"記入様式の所管課「{department}」はマスターにありません",
                )
            )
            return department, False
        if by_name and by_name != department:
            self.findings.append(
                make_finding(
                    "wrong-department", value=department, name=PurePosixPath(self.file).stem, made=department
                )
            )
            usable = False
        if meta.get(META_MASTER, "") != self.plan.sha256:
            self._compare_master(meta, department)
        return department, usable

    def _compare_master(self, meta: dict[str, str], department: str) -> None:
        """#7: a form made from another master: an error when this department's IDs changed, else a warning.

        In a past year the form is read with the IDs it was made with, and a change is a warning."""
        changes: list[str] = []
        for key, current, label in (
            (META_MEASURE_IDS, [m.id for m in self.plan.measures_of(department)], "取組"),
            (META_KPI_IDS, [k.id for k in self.plan.kpis_of(department)], "KPI"),
        ):
            made = [i for i in meta.get(key, "").split("\n") if i]
            added = [i for i in current if i not in made]
            removed = [i for i in made if i not in current]
            if added:
                changes.append(f"{label}の追加: {'、'.join(added)}")
            if removed:
                changes.append(f"{label}の削除: {'、'.join(removed)}")
        if not changes:
            self._compare_content(meta, department)
            return
        if self.past:
            self.form_ids = _meta_ids(meta)
            label = fy_label(self.fy, self.plan.settings.reiwa_for_2019)
            self.findings.append(make_finding("past-master-changed", changes="／".join(changes), fy=label))
        else:
            self.findings.append(make_finding("master-changed", changes="／".join(changes)))

    def _compare_content(self, meta: dict[str, str], department: str) -> None:
        """The same IDs: compare the locked texts the form shows with the master's now (by their digests).

        A master changed elsewhere (another department, 設定, a re-save) gives nothing; changed texts of this
        department's rows are a note for the planning section, never the clerk's to fix."""
        made = parse_content_record(meta.get(META_CONTENT, ""))
        if not made:  # a form made before the record existed: which texts changed cannot be told
            self.findings.append(
                make_finding("older-master", changes="不明（調査票に表示内容の記録がありません）")
            )
            return
        reiwa = self.plan.settings.reiwa_for_2019
        current = {m.id: content_digest(measure_master_values(m)) for m in self.plan.measures_of(department)}
        current |= {k.id: content_digest(kpi_master_values(k, reiwa)) for k in self.plan.kpis_of(department)}
        self.texts_changed = {i: d for i, d in made.items() if current.get(i, d) != d}
        if self.texts_changed:
            self.findings.append(make_finding("older-master", changes="、".join(self.texts_changed)))

    def _expected(self, item_id: str) -> bool:
        """Whether a row for this master ID belongs in the form (a past form: only if it was made with it)."""
        return self.form_ids is None or item_id in self.form_ids

    def _check_hidden_sheets(self, intake: Intake) -> None:
        for name, state in intake.sheet_states:
            if state != "visible" and name != META_SHEET and name not in self.own_sheets:
                self.findings.append(make_finding("hidden-sheet", sheet=name))

    def _missing_sheet(self, sheet: str, intake: Intake) -> None:
        shown = [n for n, state in intake.sheet_states if state == "visible" and n not in self.own_sheets]
        found = "、".join(f"『{n}』" for n in shown) or "なし"
        self.findings.append(make_finding("missing-sheet", sheet=sheet, found=found))

    # -- the sheets ------------------------------------------------------------------------------------

    def _check_progress(self, sheet: Sheet, department: str, known: bool) -> list[MeasureEntry]:
        table = _Table.find(sheet, self)
        if table is None:
            return []
        plan = self.plan
        by_id = {m.id: m for m in plan.measures}
        allowed = "、".join(plan.settings.statuses)
        scale = {normalize_choice(s): s for s in plan.settings.statuses}
        limit = min(EXCEL_CELL_LIMIT, plan.settings.notes_max_chars)
        entries: list[MeasureEntry] = []
        for row, measure_id in table.rows():
            measure = by_id.get(measure_id)
            if measure is not None and (department in measure.owners or not known):
                table.compare_master(row, measure_id, measure)
            status = ""
            status_text = table.text(row, STATUS_COLUMN, measure_id)
            if status_text == "" and not table.covered(row, STATUS_COLUMN):
                table.report(row, STATUS_COLUMN, "status-missing", measure_id, "", allowed=allowed)
            elif status_text:
                status = scale.get(normalize_choice(status_text), "")
                if not status:
                    table.report(
                        row, STATUS_COLUMN, "status-not-in-scale", measure_id, status_text, allowed=allowed
                    )
            notes = table.text(row, NOTES_COLUMN, measure_id)
            if notes == "" and not table.covered(row, NOTES_COLUMN):
                table.report(row, NOTES_COLUMN, "notes-missing", measure_id, "")
            else:
                table.check_length(row, NOTES_COLUMN, measure_id, notes, limit)
            self._check_id(table, row, measure_id, measure.owners if measure else None, known, department)
            if STATUS_COLUMN in table.columns:
                self.status_cells[row] = cell_ref(row, table.columns[STATUS_COLUMN])
            entries.append(
                MeasureEntry(
                    fy=self.fy,
                    department=department,
                    measure_id=measure_id,
                    status=status,
                    notes=split_notes(notes or ""),
                    file=self.file,
                    row=row,
                    **self._measure_evaluation(table, row, measure_id),
                )
            )
        duplicated = table.flag_duplicates()
        if known:
            for measure in plan.measures_of(department):
                if measure.id not in table.seen and self._expected(measure.id):
                    table.late(make_finding("missing-measure", item_id=measure.id, title=measure.name))
        table.finish()
        return [e for e in entries if e.measure_id not in duplicated]

    def _check_kpis(self, sheet: Sheet, department: str, known: bool) -> list[KpiEntry]:
        table = _Table.find(sheet, self)
        if table is None:
            return []
        by_id = {k.id: k for k in self.plan.kpis}
        entries: list[KpiEntry] = []
        for row, kpi_id in table.rows():
            kpi = by_id.get(kpi_id)
            if kpi is not None and (kpi.owner == department or not known):
                table.compare_master(row, kpi_id, kpi)
            reason, blank = self._reason(table, row, kpi_id)
            unit = kpi.unit if kpi else ""
            actual, actual_text = table.number(row, ACTUAL_COLUMN, kpi_id, unit, blank, self._reasons_allowed)
            if reason and actual is not None:  # both given: the actual is evaluated, the reason dropped
                table.report(row, NOT_EVALUABLE_COLUMN, "reason-with-actual", kpi_id, reason)
                reason = ""
            remarks = table.text(row, REMARKS_COLUMN, kpi_id) if REMARKS_COLUMN in table.columns else ""
            table.check_length(row, REMARKS_COLUMN, kpi_id, remarks, EXCEL_CELL_LIMIT)
            self._check_id(table, row, kpi_id, (kpi.owner,) if kpi else None, known, department)
            entries.append(
                KpiEntry(
                    fy=self.fy,
                    department=department,
                    kpi_id=kpi_id,
                    actual=actual,
                    actual_text=actual_text,
                    file=self.file,
                    row=row,
                    remarks=remarks or "",
                    not_evaluable=reason,
                )
            )
        duplicated = table.flag_duplicates()
        if known:
            for kpi in self.plan.kpis_of(department):
                if kpi.id not in table.seen and self._expected(kpi.id):
                    table.late(make_finding("missing-kpi", item_id=kpi.id, title=kpi.name))
        table.finish()
        return [e for e in entries if e.kpi_id not in duplicated]

    @property
    def _reasons_allowed(self) -> str:
        return "、".join(self.plan.settings.not_evaluable_reasons)

    def _reason(self, table: _Table, row: int, kpi_id: str) -> tuple[str, Code | None]:
        """評価不能の理由 of a KPI row (効果検証), and the finding a blank 実績値 gets: none when a reason is
        chosen (or a wrong one, reported here), an error when the plan evaluates, else today's warning."""
        not_reported: Code = "actual-not-reported"
        no_reason: Code = "reason-missing"
        if not self.plan.settings.evaluation or normalize_choice(NOT_EVALUABLE_COLUMN) not in table.columns:
            return "", not_reported
        text = table.text(row, NOT_EVALUABLE_COLUMN, kpi_id)
        if text is None:
            return "", None
        if not text:
            return "", no_reason
        scale = {normalize_choice(r): r for r in self.plan.settings.not_evaluable_reasons}
        reason = scale.get(normalize_choice(text), "")
        if not reason:
            allowed = self._reasons_allowed
            table.report(row, NOT_EVALUABLE_COLUMN, "reason-not-in-scale", kpi_id, text, allowed=allowed)
        return reason, None

    def _direction(self, table: _Table, row: int, item_id: str) -> str:
        """A 今後の方向性 cell: the scale's value; blank or off the scale is an error ("" returned)."""
        directions = self.plan.settings.directions
        allowed = "、".join(directions)
        text = table.text(row, DIRECTION_COLUMN, item_id)
        if text == "" and not table.covered(row, DIRECTION_COLUMN):
            table.report(
                row,
                DIRECTION_COLUMN,
                "direction-missing",
                item_id,
                "",
                column=DIRECTION_COLUMN,
                allowed=allowed,
            )
        if not text:
            return ""
        direction = {normalize_choice(d): d for d in directions}.get(normalize_choice(text), "")
        if not direction:
            table.report(
                row,
                DIRECTION_COLUMN,
                "direction-not-in-scale",
                item_id,
                text,
                column=DIRECTION_COLUMN,
                allowed=allowed,
            )
        return direction

    def _measure_evaluation(self, table: _Table, row: int, measure_id: str) -> dict[str, Any]:
        """進捗's 効果検証 cells as MeasureEntry fields: 今後の方向性, 課題・今後の取組, 予算額, 決算額."""
        settings = self.plan.settings
        if not settings.evaluation:
            return {}
        if self.past and normalize_choice(DIRECTION_COLUMN) not in table.columns:
            return {}  # a past year's form made before the plan used 効果検証
        fields: dict[str, Any] = {"direction": self._direction(table, row, measure_id)}
        issues = table.text(row, ISSUES_COLUMN, measure_id) or ""
        table.check_length(row, ISSUES_COLUMN, measure_id, issues, EXCEL_CELL_LIMIT)
        fields["issues"] = issues
        if settings.budgets:
            fields["budget"] = table.money(row, BUDGET_COLUMN, measure_id)
            fields["settlement"] = table.money(row, SETTLEMENT_COLUMN, measure_id)
        return fields

    def _check_areas(
        self, sheet: Sheet, department: str, known: bool, result: _FileResult
    ) -> list[AreaEntry]:
        """The 主管課's sheet 施策評価: one row per 施策 it leads (IDs, direction, texts, last year's direction)."""
        table = _Table.find(sheet, self)
        if table is None:
            return []
        by_id = {a.id: a for a in self.plan.policy_areas}
        entries: list[AreaEntry] = []
        for row, area_id in table.rows():
            area = by_id.get(area_id)
            texts: dict[str, str] = {}
            for column in (FACTORS_COLUMN, AREA_ISSUES_COLUMN, RESPONSE_COLUMN):
                texts[column] = table.text(row, column, area_id) or ""
                table.check_length(row, column, area_id, texts[column], EXCEL_CELL_LIMIT)
            direction = self._direction(table, row, area_id)
            previous = table.text(row, PREVIOUS_DIRECTION_COLUMN, area_id) or ""
            wanted = (
                previous and not texts[RESPONSE_COLUMN] and normalize_choice(RESPONSE_COLUMN) in table.columns
            )
            if wanted and not table.covered(row, RESPONSE_COLUMN):
                table.report(row, RESPONSE_COLUMN, "area-response-missing", area_id, "", previous=previous)
            factors_col = table.columns.get(normalize_choice(FACTORS_COLUMN))
            blank = area is not None and not texts[FACTORS_COLUMN] and factors_col is not None
            if blank and factors_col is not None and not table.covered(row, FACTORS_COLUMN):
                result.blank_factors.append((area_id, cell_ref(row, factors_col)))
            self._check_id(table, row, area_id, (area.lead,) if area else None, known, department)
            entries.append(
                AreaEntry(
                    fy=self.fy,
                    department=department,
                    area_id=area_id,
                    factors=texts[FACTORS_COLUMN],
                    issues=texts[AREA_ISSUES_COLUMN],
                    direction=direction,
                    response=texts[RESPONSE_COLUMN],
                    file=self.file,
                    row=row,
                )
            )
        duplicated = table.flag_duplicates()
        result.blank_factors = [(a, c) for a, c in result.blank_factors if a not in duplicated]
        if known:
            for area in self.plan.policy_areas_led_by(department):
                if area.id not in table.seen and self._expected(area.id):
                    table.late(make_finding("missing-area", item_id=area.id, title=area.title))
        table.finish()
        return [e for e in entries if e.area_id not in duplicated]

    def _check_id(
        self,
        table: _Table,
        row: int,
        item_id: str,
        owners: tuple[str, ...] | None,
        known: bool,
        department: str,
    ) -> None:
        """#5: an ID the master does not have, or one another department owns."""
        if self.form_ids is not None and item_id in self.form_ids:
            return  # a past form's own row: removed or reassigned since, as its past-master-changed says
        if owners is None:
            table.report(row, table.id_column, "unknown-id", item_id, item_id, column=table.id_column)
            return
        if known and department not in owners:
            table.report(
                row,
                table.id_column,
                "not-owned",
                item_id,
                item_id,
                column=table.id_column,
                name=department,
                owners="、".join(owners),
            )


def feedback_sheets(intake: Intake) -> frozenset[str]:
    """The sheets an earlier feedback copy added to this workbook (its 検証結果 and the record itself), read
    from the very hidden record sheet; empty when the workbook is not a returned feedback copy."""
    record = intake.sheets.get(FEEDBACK_RECORD_SHEET)
    if record is None or record.state != "veryHidden":
        return frozenset()
    if cell_text(getattr(record.cells.get((1, 1)), "value", "")) != FEEDBACK_TOOL:
        return frozenset()
    added = {
        cell_text(name.value)
        for (row, col), name in record.cells.items()
        if col == 2 and row > 1 and cell_text(getattr(record.cells.get((row, 1)), "value", "")) == "sheet"
    }
    return frozenset({FEEDBACK_RECORD_SHEET, *added})


def copy_refusal(intake: Intake) -> str:
    """Why no feedback copy is made of a readable workbook ("" when one is): loading it with openpyxl would
    build more than the bound allows (docs/security.md#26)."""
    if intake.copy_load > DEFAULT_LIMITS.max_copy_load:
        return f"結合範囲・行・セルが多すぎます（{DEFAULT_LIMITS.max_copy_load:,} 個を超えます）"
    return ""


def _meta_ids(meta: dict[str, str]) -> frozenset[str]:
    """The measure and KPI IDs a form was made with (from its _meta record)."""
    return frozenset(
        i
        for key in (META_MEASURE_IDS, META_KPI_IDS, META_AREA_IDS)
        for i in meta.get(key, "").split("\n")
        if i
    )


def _meta_record(sheet: Sheet | None) -> dict[str, str]:
    """The _meta sheet as {key: value} (column A, column B); {} when absent."""
    if sheet is None:
        return {}
    record: dict[str, str] = {}
    for (row, col), cell in sorted(sheet.cells.items()):
        if col == 1 and isinstance(cell.value, str):
            value = sheet.cells.get((row, 2))
            record.setdefault(cell.value.strip(), cell_text(value.value).strip() if value else "")
    return record


def _meta_fy(text: str) -> int | None:
    try:
        return parse_fy(text)
    except Exception:
        return None


class _Table:
    """A header row found by its ID column, and the cells below it read by column name."""

    def __init__(
        self, check: _WorkbookCheck, sheet: Sheet, header_row: int, columns: dict[str, int], id_column: str
    ) -> None:
        self.check, self.sheet, self.header_row = check, sheet, header_row
        self.columns, self.id_column = columns, id_column
        self.inputs: tuple[str, ...] = ()
        self.cell_findings: list[tuple[int, int, Finding]] = []
        self.late_findings: list[Finding] = []
        self.seen: dict[str, str] = {}  # ID -> its first cell
        self.duplicates: list[tuple[int, str]] = []
        # per input column, the disjoint sorted row spans hidden under a merged range: (first row, last row)
        self._covered: dict[int, list[tuple[int, int]]] = {}
        self._counts: dict[Code, list[Any]] = {}  # code -> [findings so far, first cell, last cell]

    @classmethod
    def find(cls, sheet: Sheet, check: _WorkbookCheck) -> _Table | None:
        """Locate the header row by its ID column (the spec's first); report missing input columns (#8) and
        hidden input columns (#9)."""
        spec = check.specs[sheet.name]
        id_column = spec[0].header
        required = [c.header for c in spec if c.input and c.required]
        optional = [c.header for c in spec if c.input and not c.required]
        key = normalize_choice(id_column)
        head: dict[int, list[tuple[int, str]]] = {}
        for (row, col), cell in sheet.cells.items():
            if row <= HEADER_SCAN_ROWS and isinstance(cell.value, str) and cell.value.strip():
                head.setdefault(row, []).append((col, normalize_choice(cell.value)))
        for row in sorted(head):
            if any(name == key for _, name in head[row]):
                columns: dict[str, int] = {}
                for col, name in sorted(head[row]):
                    columns.setdefault(name, col)
                for c in spec:  # also under the spec's own spelling (NFKC turns （千円） into (千円))
                    if normalize_choice(c.header) in columns:
                        columns.setdefault(c.header, columns[normalize_choice(c.header)])
                table = cls(check, sheet, row, columns, id_column)
                table._check_columns(required, optional)
                return table
        check.findings.append(make_finding("missing-column", sheet=sheet.name, column=id_column))
        return None

    def _check_columns(self, required: Sequence[str], optional: Sequence[str]) -> None:
        for name in required:
            if name not in self.columns:
                self.check.findings.append(make_finding("missing-column", sheet=self.sheet.name, column=name))
        self.inputs = tuple(n for n in (*required, *optional) if n in self.columns)
        for name in self.inputs:
            col = self.columns[name]
            if col in self.sheet.hidden_columns:
                self.check.findings.append(
                    make_finding(
                        "hidden-column",
                        sheet=self.sheet.name,
                        cell=cell_ref(self.header_row, col),
                        column=name,
                    )
                )
        input_cols = sorted({self.columns[n] for n in self.inputs})
        spans: dict[int, list[tuple[int, int]]] = {}
        for r1, c1, r2, c2 in self.sheet.merged:  # kept as row spans: a merge is never expanded cell by cell
            inside = [c for c in input_cols if c1 <= c <= c2]
            if r2 <= self.header_row or not inside:
                continue
            top_left = cell_ref(max(r1, self.header_row + 1), c1)
            self._at(r1, c1, "merged-cells", cell=top_left, value=f"{cell_ref(r1, c1)}:{cell_ref(r2, c2)}")
            for c in inside:
                spans.setdefault(c, []).append((r1 + 1 if c == c1 else r1, r2))
        for c, found in spans.items():
            union: list[tuple[int, int]] = []
            for first, last in sorted(found):
                if union and first <= union[-1][1] + 1:
                    union[-1] = (union[-1][0], max(union[-1][1], last))
                elif first <= last:
                    union.append((first, last))
            self._covered[c] = union

    def rows(self) -> Iterable[tuple[int, str]]:
        """(row, ID) of every data row with an ID; rows with entries but no ID, hidden rows and cells outside
        the table are reported on the way (#5, #9)."""
        id_col = self.columns[normalize_choice(self.id_column)]
        header_cols = set(self.columns.values())
        input_cols = [self.columns[n] for n in self.inputs]
        by_row: dict[int, list[int]] = {}
        for r, c in self.sheet.cells:
            if r > self.header_row:
                by_row.setdefault(r, []).append(c)
        for row in sorted(by_row):
            for col in sorted(by_row[row]):
                if col not in header_cols:
                    value = self.sheet.cells[(row, col)]
                    self._at(row, col, "data-outside-table", value=_shown(value) if self._shown_more else "")
            item_id = self.text(row, self.id_column, "")
            if not item_id:
                if item_id == "" and any(self.sheet.cells.get((row, c)) is not None for c in input_cols):
                    self._at(row, id_col, "missing-id", column=self.id_column)
                continue
            if row in self.sheet.hidden_rows:
                self._at(row, id_col, "hidden-row", item_id=item_id, row=row)
            if item_id in self.seen:
                self.duplicates.append((row, item_id))
            else:
                self.seen[item_id] = cell_ref(row, id_col)
            yield row, item_id

    def covered(self, row: int, column: str) -> bool:
        """Whether the cell is hidden under a merged range (its emptiness is the merge's finding)."""
        spans = self._covered.get(self.columns.get(normalize_choice(column), 0), [])
        k = bisect.bisect_right(spans, (row, MAX_ROW + 1)) - 1
        return k >= 0 and spans[k][0] <= row <= spans[k][1]

    @property
    def _shown_more(self) -> bool:
        """Whether another data-outside-table is still shown one by one (its value worth formatting)."""
        shown: int = self._counts.get("data-outside-table", [0])[0]
        return shown < CELL_FINDINGS_SHOWN

    def _at(self, row: int, col: int, code: Code, /, *, cell: str = "", **fields: Any) -> None:
        """A finding at the cell (row, col) of this sheet (named ``cell`` when given), kept in reading order.

        After :data:`CELL_FINDINGS_SHOWN` findings of one code in a sheet, the others are only counted: one
        ``more-findings`` stands for them (a sheet of 190,000 stray values is not 190,000 messages)."""
        count = self._counts.setdefault(code, [0, (row, col, cell), None])
        count[0] += 1
        if count[0] > CELL_FINDINGS_SHOWN:
            count[2] = (row, col, cell)
            return
        finding = make_finding(code, sheet=self.sheet.name, cell=cell or cell_ref(row, col), **fields)
        self.cell_findings.append((row, col, finding))

    def report(self, row: int, at: str, code: Code, item_id: str, value: object, **params: Any) -> None:
        """A finding at the cell of column ``at`` in ``row``."""
        self._at(row, self.columns[normalize_choice(at)], code, item_id=item_id, value=value, **params)

    def check_length(self, row: int, column: str, item_id: str, text: str | None, limit: int) -> None:
        """A text longer than ``limit`` characters (実施状況 or 備考)."""
        if text and len(text) > limit:
            length, most = f"{len(text):,}", f"{limit:,}"
            self.report(
                row, column, "notes-too-long", item_id, text, column=column, length=length, limit=most
            )

    def late(self, finding: Finding) -> None:
        """A sheet-level finding placed after the cell findings (a missing row)."""
        self.late_findings.append(dataclasses.replace(finding, sheet=self.sheet.name))

    def text(self, row: int, column: str, item_id: str) -> str | None:
        """A cell as cleaned text ("" when blank); None when the column is missing or the cell holds a formula
        without value or an error value (each already reported)."""
        col = self.columns.get(normalize_choice(column))
        if col is None:
            return None
        cell = self.sheet.cells.get((row, col))
        if cell is None:
            return ""
        if not self._usable(row, col, cell, item_id):
            return None
        value = cell.value
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        raw = cell_text(value)
        cleaned, changed = clean_text(raw)
        if changed:
            self._at(row, col, "text-cleaned", item_id=item_id, value=raw)
        return cleaned.strip()

    def number(
        self,
        row: int,
        column: str,
        item_id: str,
        unit: str,
        blank: Code | None = "actual-not-reported",
        allowed: str = "",
    ) -> tuple[float | None, str]:
        """A 実績値 cell (#2): (value or None, the text as written); blank and － are 'not reported'.

        ``blank`` is the finding a blank cell gets (效果検証: reason-missing, or none when a 評価不能の理由 is
        given); ``allowed`` names the reasons in it."""
        col = self.columns.get(normalize_choice(column))
        if col is None:
            return None, ""
        cell = self.sheet.cells.get((row, col))
        if cell is None:
            if not self.covered(row, column) and blank is not None:
                self._at(row, col, blank, item_id=item_id, how="空欄", allowed=allowed)
            return None, ""
        if not self._usable(row, col, cell, item_id):
            return None, cell_text(cell.value)
        if isinstance(cell.value, float):
            if not in_range(cell.value):  # inf, NaN or 1e308 saved as a number: no table or chart shows it
                self._at(row, col, "actual-out-of-range", item_id=item_id, value=cell_text(cell.value))
                return None, cell_text(cell.value)
            if cell.date:  # a date format shows 2020/3/2 for the serial 43892: never read as that number
                self._at(row, col, "actual-is-a-date", item_id=item_id, value=excel_date(cell.value))
                return None, excel_date(cell.value)
            if cell.percent:  # typed as 73.2% in Excel, stored as 0.732: the value the clerk sees
                shown = round(cell.value * 100, 10)
                return shown, f"{cell_text(shown)}%"
            return cell.value, cell_text(cell.value)
        text = self.text(row, column, item_id) or ""
        parsed = parse_number(text, unit) if not isinstance(cell.value, bool) else None
        if parsed is not None and parsed.value is not None and not in_range(parsed.value):
            self._at(row, col, "actual-out-of-range", item_id=item_id, value=text)
            return None, text
        if parsed is not None and parsed.ok and parsed.value is None:
            how = f"「{text}」" if text else "空欄"
            if blank is not None:
                self._at(row, col, blank, item_id=item_id, value=text, how=how, allowed=allowed)
            return None, text
        if parsed is None or not parsed.ok:
            self._at(row, col, "actual-not-a-number", item_id=item_id, value=text, unit=unit or "単位")
            return None, text
        return parsed.value, text

    def money(self, row: int, column: str, item_id: str) -> float | None:
        """A 予算額・決算額（千円） cell: a number ≥ 0 (1,200 and full-width digits read as 実績値 are); blank is a
        warning, text or a negative number an error quoting the value."""
        col = self.columns.get(normalize_choice(column))
        if col is None:
            return None
        cell = self.sheet.cells.get((row, col))
        text = ""
        if cell is not None:
            if not self._usable(row, col, cell, item_id):
                return None
            text = (
                cell_text(cell.value)
                if not isinstance(cell.value, str)
                else (self.text(row, column, item_id) or "")
            )
        parsed = parse_number(
            cell.value if cell is not None and isinstance(cell.value, int | float) else text, "千円"
        )
        if (
            (cell is not None and isinstance(cell.value, bool))
            or "%" in text
            or (cell is not None and cell.date)
        ):
            parsed = ParsedNumber(None, False)
        if parsed.ok and parsed.value is None:
            if not self.covered(row, column):
                self._at(row, col, "budget-missing", item_id=item_id, value=text, column=column)
            return None
        if not parsed.ok or parsed.value is None or not in_range(parsed.value):
            self._at(row, col, "budget-not-a-number", item_id=item_id, value=text, column=column)
            return None
        if parsed.value < 0:
            self._at(row, col, "budget-negative", item_id=item_id, value=text, column=column)
            return None
        return parsed.value

    def _usable(self, row: int, col: int, cell: Cell, item_id: str) -> bool:
        """#3: a formula saved without its value, or an Excel error value, is an error, never read as blank."""
        if cell.error:
            self._at(row, col, "excel-error-value", item_id=item_id, value=cell.value)
            return False
        if cell.value is None:
            self._at(row, col, "formula-without-value", item_id=item_id, value=cell.formula)
            return False
        return True

    def compare_master(self, row: int, item_id: str, master: Measure | Kpi) -> None:
        """#4: locked master columns edited: a warning with old and new text; the master wins.

        A row whose texts the master changed since the form was made, and which still shows exactly what the
        form showed, was not edited: the difference is the master's (a note for the planning section)."""
        made = self.check.texts_changed.get(item_id)
        if made is not None and self._shown_digest(row, master) == made:
            return
        for spec in self.check.specs[self.sheet.name]:
            column = spec.header
            if not spec.compared or column not in self.columns:
                continue
            expected = str(getattr(master, spec.field))
            cell = self.sheet.cells.get((row, self.columns[column]))
            seen = clean_text(cell_text(cell.value))[0].strip() if cell is not None else ""
            if seen != expected.strip():
                self._at(
                    row,
                    self.columns[column],
                    "master-text-edited",
                    item_id=item_id,
                    value=seen,
                    column=column,
                    old=_short(expected),
                )

    def _shown_digest(self, row: int, master: Measure | Kpi) -> str:
        """The digest of the locked texts this row shows, over the columns the form writes for ``master``."""
        if isinstance(master, Measure):
            names = measure_master_values(master)
        else:
            names = kpi_master_values(master, self.check.plan.settings.reiwa_for_2019)
        texts: dict[str, str] = {}
        for name in names:
            col = self.columns.get(normalize_choice(name))
            cell = self.sheet.cells.get((row, col)) if col is not None else None
            texts[name] = clean_text(cell_text(cell.value))[0] if cell is not None else ""
        return content_digest(texts)

    def flag_duplicates(self) -> set[str]:
        """#6: the same ID twice: an error at each later row naming the first; returns the duplicated IDs."""
        id_col = self.columns[normalize_choice(self.id_column)]
        for row, item_id in self.duplicates:
            self._at(
                row,
                id_col,
                "duplicate-id",
                item_id=item_id,
                value=item_id,
                column=self.id_column,
                other=self.seen[item_id],
            )
        return {item_id for _, item_id in self.duplicates}

    def finish(self) -> None:
        """Hand the findings to the workbook check: cells in reading order, then the missing rows."""
        for code, (count, first, last) in self._counts.items():
            if count > CELL_FINDINGS_SHOWN:
                first_cell, last_cell = (c or cell_ref(r, k) for r, k, c in (first, last))
                summary = make_finding(
                    "more-findings",
                    sheet=self.sheet.name,
                    cell=last_cell,
                    of=code,
                    count=f"{count - CELL_FINDINGS_SHOWN:,}",
                    shown=CELL_FINDINGS_SHOWN,
                    first=first_cell,
                    last=last_cell,
                )
                summary = dataclasses.replace(summary, severity=CATALOGUE[code].severity)
                self.cell_findings.append((last[0], last[1], summary))
        ordered = sorted(self.cell_findings, key=lambda item: (item[0], item[1]))
        self.check.findings.extend(f for _, _, f in ordered)
        self.check.findings.extend(self.late_findings)


def _shown(cell: Cell) -> str:
    if cell.error or cell.value is None:
        return cell.formula or cell_text(cell.value)
    return cell_text(cell.value)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
