"""`kpi-report committee --fy FY [--responses]`: write the members' workbooks, or the city's 対応.xlsx."""

from __future__ import annotations

from pathlib import Path

from kpi_report.committee.check import check_committee
from kpi_report.committee.layout import RESPONSES_FILE, member_filename
from kpi_report.committee.writer import area_contexts, build_member_form, build_responses
from kpi_report.core.errors import UsageError
from kpi_report.core.files import write_atomic
from kpi_report.core.fiscal import fy_label
from kpi_report.core.model import CheckReport, CommitteeCheck, Plan, Progress
from kpi_report.core.project import Project
from kpi_report.merge.merge import first_year, merge, refuse_unless_publishable
from kpi_report.validate.check import check_year


def _need_members(plan: Plan) -> None:
    if not plan.members:
        raise UsageError(
            "マスターにシート『委員』がないため、外部評価の記入様式を作れません。"
            "inputs/master.xlsx にシート『委員』（委員ID・氏名・区分）を加えてください。"
        )


def write_committee_forms(
    project: Project, plan: Plan, fy: int, allow_errors: bool = False, progress: Progress | None = None
) -> list[Path]:
    """Write outputs/<FY>/committee/<氏名>.xlsx for every member, with the report year's merged context.

    Raises:
        UsageError: the plan has no members, or inputs/<FY>/ does not exist.
        InputsHaveErrors: the report year's department submissions have errors and ``allow_errors`` is False.
        OutputError: a file could not be written.
    """
    _need_members(plan)
    label = fy_label(fy, plan.settings.reiwa_for_2019)
    if not project.inputs(fy).is_dir():
        raise UsageError(
            f"{project.inputs(fy)} がありません。外部評価の記入様式には{label}の所管課の提出が必要です。"
            f"所管課の提出を inputs/{fy}/ に置き、kpi-report check --fy {fy} でエラーがないことを確かめてください。"
        )
    present = sorted(
        int(p.name) for p in (project.root / "inputs").iterdir() if p.is_dir() and p.name.isdigit()
    )
    start = first_year(plan, [y for y in present if y <= fy]) or fy
    reports: dict[int, CheckReport] = {}
    for year in sorted({y for y in present if start <= y <= fy} | {fy}):
        reports[year] = check_year(project, plan, year, progress=progress, past=year < fy)
    refuse_unless_publishable(plan, reports[fy], allow_errors)  # the context shown must be the checked one
    contexts = area_contexts(merge(plan, fy, reports, allow_errors=allow_errors).report)
    folder = project.committee_outputs(fy)
    built = [(folder / member_filename(m), build_member_form(plan, fy, m, contexts)) for m in plan.members]
    for done, (path, data) in enumerate(built, start=1):
        write_atomic(path, data)
        if progress is not None:
            progress("外部評価の記入様式を作成", done, len(built))
    return [path for path, _ in built]


def write_responses(project: Project, plan: Plan, fy: int) -> tuple[Path, CommitteeCheck]:
    """Write outputs/<FY>/committee/対応.xlsx from the opinions in inputs/<FY>/committee/.

    Raises:
        UsageError: the plan has no members, or no opinion has been received.
        OutputError: the file could not be written.
    """
    _need_members(plan)
    check = check_committee(project, plan, fy)
    if not any(o.opinion for o in check.opinions):
        raise UsageError(
            f"inputs/{fy}/committee/ に意見の書かれた委員の記入様式がありません。"
            f"委員から返ってきた記入様式をこのフォルダーに置き、kpi-report check --fy {fy} で確かめてから"
            " --responses を実行してください。"
        )
    path = project.committee_outputs(fy) / RESPONSES_FILE
    write_atomic(path, build_responses(plan, fy, check))
    return path, check
