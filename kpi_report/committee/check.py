"""Check the committee's returned workbooks and the city's 対応.xlsx in ``inputs/<FY>/committee/``.

Every file goes through the same intake safety as a department form (:func:`kpi_report.intake.workbook.take_in`);
its cells are then matched to the master by 委員ID and 施策ID, never by position. Nothing is modified.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from kpi_report.committee.layout import (
    KIND_COMMITTEE,
    KIND_RESPONSES,
    META_FY,
    META_KIND,
    META_MEMBER,
    META_SHEET,
    OPINION_SHEET,
    OVERALL_SHEET,
    RESPONSE_SHEET,
    RESPONSES_FILE,
    committee_areas,
)
from kpi_report.core.columns import (
    AREA_ID_COLUMN,
    CITY_RESPONSE_COLUMN,
    COMMITTEE_MEMBER_ID_COLUMN,
    OPINION_COLUMN,
    OVERALL_COLUMN,
    RATING_COLUMN,
)
from kpi_report.core.findings import Code, make_finding
from kpi_report.core.fiscal import fy_label
from kpi_report.core.model import (
    CheckReport,
    CommitteeCheck,
    CommitteeOpinion,
    CommitteeResponse,
    Finding,
    Plan,
    PolicyArea,
)
from kpi_report.core.project import COMMITTEE_DIR, Project
from kpi_report.core.values import cell_ref, cell_text, clean_text, normalize_choice
from kpi_report.intake.workbook import Sheet, take_in

__all__ = ["check_committee", "with_committee"]

HEADER_SCAN_ROWS = 20
_WANTED = frozenset({OPINION_SHEET, OVERALL_SHEET, RESPONSE_SHEET, META_SHEET})


def _text(sheet: Sheet, row: int, col: int) -> str:
    cell = sheet.cells.get((row, col))
    if cell is None or cell.value is None:
        return ""
    return clean_text(cell_text(cell.value))[0].strip()


def _meta(sheet: Sheet | None) -> dict[str, str]:
    if sheet is None:
        return {}
    return {_text(sheet, r, 1): _text(sheet, r, 2) for r in sheet.rows() if _text(sheet, r, 1)}


def _header(sheet: Sheet, wanted: Sequence[str]) -> tuple[int, dict[str, int]]:
    """The header row (the first of the first rows holding every wanted header) and {header: column}."""
    best: tuple[int, dict[str, int]] = (0, {})
    for r in [r for r in sheet.rows() if r <= HEADER_SCAN_ROWS]:
        found: dict[str, int] = {}
        for (row, col), _cell in sheet.cells.items():
            if row == r:
                found.setdefault(normalize_choice(_text(sheet, row, col)), col)
        columns = {h: found[normalize_choice(h)] for h in wanted if normalize_choice(h) in found}
        if len(columns) > len(best[1]):
            best = (r, columns)
        if len(columns) == len(wanted):
            break
    return best


class _Collector:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, code: Code, file: str, sheet: str = "", cell: str = "", **params: object) -> None:
        self.findings.append(make_finding(code, file=file, sheet=sheet, cell=cell, **params))  # type: ignore[arg-type]


def _fy_of(text: str) -> int | None:
    digits = unicodedata.normalize("NFKC", text).removesuffix(".0")
    return int(digits) if digits.isdigit() else None


def check_committee(project: Project, plan: Plan, fy: int) -> CommitteeCheck:
    """Check inputs/<FY>/committee/: the members' workbooks, then 対応.xlsx against the opinions received.

    A missing folder is no error: the members who sent nothing are listed as info (when the plan has members).
    """
    folder = project.committee_inputs(fy)
    out = _Collector()
    label = fy_label(fy, plan.settings.reiwa_for_2019)
    files: list[tuple[str, str]] = []
    if not plan.members:
        if folder.is_dir() and any(folder.iterdir()):
            out.add("committee-no-members", f"{COMMITTEE_DIR}/", fy=fy)
        return CommitteeCheck(fy, tuple(out.findings), (), (), (), (), ())
    members = {m.id: m for m in plan.members}
    areas = {a.id: a for a in committee_areas(plan)}
    scale = {normalize_choice(s): s for s in plan.settings.committee_scale}
    read: dict[
        str, list[tuple[str, list[CommitteeOpinion], str]]
    ] = {}  # member → [(file, opinions, overall)]
    paths = sorted(folder.iterdir()) if folder.is_dir() else []
    responses_path: Path | None = None
    for path in paths:
        if path.name == RESPONSES_FILE:
            responses_path = path
            continue
        file = f"{COMMITTEE_DIR}/{path.name}"
        if path.is_dir():
            out.add("skipped-file", file, reason="フォルダー（中は読みません）")
            continue
        intake = take_in(path, _WANTED, within=project.root / "inputs")
        out.findings.extend(_with_file(intake.findings, file))
        if intake.kind == "skipped" or not intake.readable:
            continue
        files.append((f"{COMMITTEE_DIR}/{path.name}", intake.sha256))
        meta = _meta(intake.sheets.get(META_SHEET))
        if meta.get(META_KIND) != KIND_COMMITTEE:
            out.add("committee-not-a-form", file, reason="委員の記入様式の記録（_meta）がありません")
            continue
        made = _fy_of(meta.get(META_FY, ""))
        if made != fy:
            made_label = fy_label(made, plan.settings.reiwa_for_2019) if made else "不明な年度"
            out.add("committee-wrong-fiscal-year", file, made=made_label, expected=label)
            continue
        member_id = meta.get(META_MEMBER, "")
        if member_id not in members:
            out.add("committee-unknown-member", file, value=member_id)
            continue
        opinions = _read_opinions(intake.sheets.get(OPINION_SHEET), file, member_id, areas, scale, out)
        overall = _read_overall(intake.sheets.get(OVERALL_SHEET), file, out)
        read.setdefault(member_id, []).append((file, opinions, overall))
    usable: list[CommitteeOpinion] = []
    overall_texts: list[tuple[str, str]] = []
    submitted: list[str] = []
    for member in plan.members:
        got = read.get(member.id, [])
        if len(got) > 1:
            for file, _, _ in got:
                others = "、".join(f for f, _, _ in got if f != file)
                out.add("committee-duplicate", file, name=member.name, others=others)
            continue
        if not got:
            out.add("committee-missing-member", "", value=member.id, name=member.name)
            continue
        _, opinions, overall = got[0]
        submitted.append(member.id)
        usable.extend(opinions)
        if overall:
            overall_texts.append((member.id, overall))
    responses: tuple[CommitteeResponse, ...] = ()
    if responses_path is not None:
        responses = _check_responses(project, responses_path, fy, label, usable, files, out, plan)
    return CommitteeCheck(
        fy=fy,
        findings=tuple(out.findings),
        opinions=tuple(usable),
        overall=tuple(overall_texts),
        responses=responses,
        submitted=tuple(submitted),
        files=tuple(files),
    )


def _with_file(findings: Sequence[Finding], file: str) -> list[Finding]:
    return [replace(f, file=file) for f in findings]


def _read_opinions(
    sheet: Sheet | None,
    file: str,
    member_id: str,
    areas: Mapping[str, PolicyArea],
    scale: dict[str, str],
    out: _Collector,
) -> list[CommitteeOpinion]:
    if sheet is None:
        out.add("committee-missing-sheet", file, sheet=OPINION_SHEET)
        return []
    wanted = (AREA_ID_COLUMN, RATING_COLUMN, OPINION_COLUMN)
    header, columns = _header(sheet, wanted)
    missing = [h for h in wanted if h not in columns]
    if missing:
        for h in missing:
            out.add("committee-missing-column", file, OPINION_SHEET, f"{header or 1}行目", column=h)
        return []
    opinions: list[CommitteeOpinion] = []
    for row in (r for r in sheet.rows() if r > header):
        area_id = _text(sheet, row, columns[AREA_ID_COLUMN])
        rating_text = _text(sheet, row, columns[RATING_COLUMN])
        opinion = _text(sheet, row, columns[OPINION_COLUMN])
        if not (rating_text or opinion):
            continue
        if area_id not in areas:
            ref = cell_ref(row, columns[AREA_ID_COLUMN])
            out.add("committee-unknown-area", file, OPINION_SHEET, ref, value=area_id)
            continue
        rating = scale.get(normalize_choice(rating_text), "") if rating_text else ""
        if rating_text and not rating:
            ref = cell_ref(row, columns[RATING_COLUMN])
            out.add(
                "committee-rating-not-in-scale",
                file,
                OPINION_SHEET,
                ref,
                value=rating_text,
                scale="、".join(scale.values()),
            )
        if opinion and not rating_text:
            ref = cell_ref(row, columns[RATING_COLUMN])
            out.add("committee-opinion-without-rating", file, OPINION_SHEET, ref, item_id=area_id)
        opinions.append(CommitteeOpinion(member_id, area_id, rating, opinion, file, row))
    return opinions


def _read_overall(sheet: Sheet | None, file: str, out: _Collector) -> str:
    if sheet is None:
        out.add("committee-missing-sheet", file, sheet=OVERALL_SHEET)
        return ""
    for (row, col), _cell in sorted(sheet.cells.items()):
        if normalize_choice(_text(sheet, row, col)) == OVERALL_COLUMN:
            return _text(sheet, row + 1, col)
    out.add("committee-missing-column", file, OVERALL_SHEET, "A3", column=OVERALL_COLUMN)
    return ""


def _check_responses(
    project: Project,
    path: Path,
    fy: int,
    label: str,
    opinions: Sequence[CommitteeOpinion],
    files: list[tuple[str, str]],
    out: _Collector,
    plan: Plan,
) -> tuple[CommitteeResponse, ...]:
    file = f"{COMMITTEE_DIR}/{path.name}"
    intake = take_in(path, _WANTED, within=project.root / "inputs")
    out.findings.extend(_with_file(intake.findings, file))
    if not intake.readable:
        return ()
    files.append((file, intake.sha256))
    meta = _meta(intake.sheets.get(META_SHEET))
    if meta and meta.get(META_KIND) != KIND_RESPONSES:
        out.add(
            "committee-not-a-form", file, reason="市の対応の記入様式（committee --responses）ではありません"
        )
        return ()
    made = _fy_of(meta.get(META_FY, "")) if meta else fy
    if made != fy:
        made_label = fy_label(made, plan.settings.reiwa_for_2019) if made else "不明な年度"
        out.add("committee-wrong-fiscal-year", file, made=made_label, expected=label)
        return ()
    sheet = intake.sheets.get(RESPONSE_SHEET)
    if sheet is None:
        out.add("committee-missing-sheet", file, sheet=RESPONSE_SHEET)
        return ()
    wanted = (COMMITTEE_MEMBER_ID_COLUMN, AREA_ID_COLUMN, CITY_RESPONSE_COLUMN)
    header, columns = _header(sheet, wanted)
    missing = [h for h in wanted if h not in columns]
    if missing:
        for h in missing:
            out.add("committee-missing-column", file, RESPONSE_SHEET, f"{header or 1}行目", column=h)
        return ()
    known = {(o.member_id, o.area_id) for o in opinions if o.opinion}
    member_ids = {m.id for m in plan.members}
    area_ids = {a.id for a in committee_areas(plan)}
    responses: list[CommitteeResponse] = []
    seen: set[tuple[str, str]] = set()
    for row in (r for r in sheet.rows() if r > header):
        member_id = _text(sheet, row, columns[COMMITTEE_MEMBER_ID_COLUMN])
        area_id = _text(sheet, row, columns[AREA_ID_COLUMN])
        response = _text(sheet, row, columns[CITY_RESPONSE_COLUMN])
        if not (member_id or area_id or response):
            continue
        ref = cell_ref(row, columns[COMMITTEE_MEMBER_ID_COLUMN])
        key = (member_id, area_id)
        if key not in known:
            if member_id not in member_ids:
                reason = "委員IDがマスターにありません"
            elif area_id not in area_ids:
                reason = "施策IDがマスターにありません"
            else:
                reason = "その委員のこの施策への意見を受け取っていません"
            out.add(
                "committee-response-unknown",
                file,
                RESPONSE_SHEET,
                ref,
                member=member_id,
                area=area_id,
                reason=reason,
            )
            continue
        seen.add(key)
        if not response:
            ref = cell_ref(row, columns[CITY_RESPONSE_COLUMN])
            out.add("committee-response-missing", file, RESPONSE_SHEET, ref, member=member_id, area=area_id)
            continue
        responses.append(CommitteeResponse(member_id, area_id, response, row))
    for o in opinions:
        if o.opinion and (o.member_id, o.area_id) not in seen:
            out.add("committee-response-missing", file, RESPONSE_SHEET, member=o.member_id, area=o.area_id)
    return tuple(responses)


def with_committee(report: CheckReport, committee: CommitteeCheck) -> CheckReport:
    """The department check with the committee's findings added (one list of findings per year)."""
    if not committee.findings:
        return report
    return replace(report, findings=report.findings + committee.findings)
