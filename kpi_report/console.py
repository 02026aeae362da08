"""Every text the command line prints: summaries of a plan, a check, a build, a diff and the demo.

The library returns plain results and never prints; the CLI formats them here. Result types are imported for
type checking only, so importing this module loads neither WeasyPrint nor pandas.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from kpi_report.core.fiscal import date_label, fy_label
from kpi_report.core.model import Finding, Plan

if TYPE_CHECKING:
    from kpi_report.api import CheckResult, CommitteeResult, DemoResult, FormsResult, PlanCheck
    from kpi_report.compare.diff import DiffResult
    from kpi_report.compare.read import ProgressList
    from kpi_report.core.model import CheckReport
    from kpi_report.publish.build import BuildResult
    from kpi_report.publish.watch import WatchedBuild

SEVERITY_LABELS = {"error": "エラー", "warning": "警告", "info": "情報"}


def plan_summary(plan: Plan) -> str:
    """The plan's summary: counts, then goals with their areas, then departments."""
    s = plan.settings
    period = ""
    if s.start_fy and s.end_fy:
        period = f"（{fy_label(s.start_fy, s.reiwa_for_2019)}〜{fy_label(s.end_fy, s.reiwa_for_2019)}）"
    areas = sum(len(g.areas) for g in plan.goals)
    goal_level = sum(1 for k in plan.kpis if not k.area)
    lines = [
        f"{s.city + ' ' if s.city else ''}{s.plan_name}{period}",
        f"基本目標 {len(plan.goals)} / 施策 {areas} / 取組 {len(plan.measures)} / "
        f"KPI {len(plan.kpis) - goal_level} / 数値目標 {goal_level} / 所管課 {len(plan.departments)}",
        "",
    ]
    for goal in plan.goals:
        indicators = sum(1 for k in plan.kpis if k.goal == goal.title and not k.area)
        lines.append(f"{goal.title}  （数値目標 {indicators}）")
        for area in goal.areas:
            kpis = sum(1 for k in plan.kpis if k.goal == goal.title and k.area == area.title)
            lines.append(f"  {area.title}  （取組 {len(area.measures)} / KPI {kpis}）")
    lines.append("")
    lines.append("所管課: " + "、".join(plan.departments))
    return "\n".join(lines)


def plan_text(result: PlanCheck) -> str:
    """The plan's summary, then the master's warnings (each with its place and how to fix it)."""
    lines = [plan_summary(result.plan)]
    if result.warnings:
        lines += ["", f"マスターの警告 {len(result.warnings)} 件（計画は使えますが、確認してください）:"]
        lines += [finding_line(f) for f in result.warnings]
    return "\n".join(lines)


def one_line(text: str) -> str:
    """A name as one printable line: a line break or other control character in a file name is shown as its
    escape (\\n, \\x1b), so it cannot break a table or a line of the console, or send a terminal command."""
    return "".join(_escaped(ch) if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)


def _escaped(ch: str) -> str:
    return repr(ch)[1:-1] if ch.isascii() else f"\\u{ord(ch):04x}"


def finding_place(f: Finding) -> str:
    """Where a finding is, once: 「総務課.xlsx シート『KPI』J4」; a finding about a whole sheet names it in its message."""
    cell = f"シート『{f.sheet}』{f.cell}" if f.sheet and f.cell else f.cell
    return " ".join(p for p in (one_line(f.file), cell) if p)


def finding_line(f: Finding) -> str:
    """One finding: severity, place (file, sheet and cell, once), message and code."""
    place = finding_place(f)
    return f"[{SEVERITY_LABELS[f.severity]}] {place + ': ' if place else ''}{f.message} ({f.code})"


def findings_text(findings: Iterable[Finding]) -> str:
    """One line per finding."""
    return "\n".join(finding_line(f) for f in findings)


def forms_text(result: FormsResult) -> str:
    """What `forms` wrote."""
    lines = [str(path) for path in result.files]
    shown = ""
    if result.previous is not None:
        shown = f"前年度の提出 {len(result.previous.submissions)} 件の実施状況・実績値を参考として表示しています。"
    lines.append(
        f"{fy_label(result.fy, result.plan.settings.reiwa_for_2019)}の記入様式を {len(result.files)} 課分作成しました: "
        f"{result.folder}　{shown}".rstrip()
    )
    settings = result.plan.settings
    if settings.deadline is not None:
        lines.append(f"提出期限: {date_label(settings.deadline)}　提出先: {settings.submit_to}")
    else:
        lines.append(
            f"提出期限は記入方法に空欄で載せました（提出先: {settings.submit_to}）。"
            "forms --deadline 2024-05-31 か、マスターの設定「提出期限」で載せられます。"
        )
    return "\n".join(lines)


def committee_text(result: CommitteeResult) -> str:
    """What `committee` wrote: the members' workbooks, or 対応.xlsx."""
    label = fy_label(result.fy, result.plan.settings.reiwa_for_2019)
    lines = [str(path) for path in result.files]
    if result.responses:
        opinions = sum(1 for o in result.check.opinions if o.opinion) if result.check else 0
        lines.append(
            f"{label}の委員の意見 {opinions} 件を並べた市の対応の記入様式を作成しました。"
            f"市の対応を記入して inputs/{result.fy}/committee/対応.xlsx に置き、kpi-report check --fy {result.fy} で"
            "確かめてから build してください。"
        )
    else:
        lines.append(
            f"{label}の外部評価の記入様式を委員 {len(result.files)} 人分作成しました: {result.folder}"
        )
        lines.append(
            f"返ってきた記入様式は inputs/{result.fy}/committee/ に置き、kpi-report check --fy {result.fy} で"
            f"確かめてください。意見がそろったら kpi-report committee --fy {result.fy} --responses で"
            "市の対応の記入様式を作ります。"
        )
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def check_summary(report: CheckReport, plan: Plan) -> str:
    """The console summary: a table 所管課 | ファイル | エラー | 警告 | 状態, then the findings, errors first."""
    from kpi_report.validate.outputs import department_rows, sort_findings

    rows = department_rows(report, plan)
    table: list[tuple[str, ...]] = [("所管課", "ファイル", "エラー", "警告", "状態")]
    table += [
        tuple(one_line(str(r[key]) or "－") for key in ("department", "file", "errors", "warnings", "status"))
        for r in rows
    ]
    widths = [max(_width(row[c]) for row in table) for c in range(len(table[0]))]
    lines = ["  ".join(_pad(value, widths[c]) for c, value in enumerate(row)).rstrip() for row in table]
    counts = {s: sum(f.severity == s for f in report.findings) for s in SEVERITY_LABELS}
    lines.insert(1, "-" * (sum(widths) + 2 * (len(widths) - 1)))
    lines.append("")
    lines.append(
        f"{fy_label(report.fy, plan.settings.reiwa_for_2019)}: 提出 {len(report.submissions)} 件 / "
        f"未提出 {len(report.missing_departments)} 課 / エラー {counts['error']} 件 / "
        f"警告 {counts['warning']} 件 / 情報 {counts['info']} 件"
    )
    if report.findings:
        lines.append("")
        lines.extend(finding_line(f) for f in sort_findings(report.findings))
    return "\n".join(lines)


def check_text(result: CheckResult, inputs: Path) -> str:
    """What `check` found and wrote."""
    lines = []
    if not result.inputs_found:
        lines.append(f"{inputs} がありません。提出された記入様式をこのフォルダーに置いてください。")
    lines.append(check_summary(result.report, result.plan))
    if result.inputs_reused:
        lines.append(reuse_line(result.inputs_read, result.inputs_reused))
    lines.append("出力:")
    lines += [f"  {path}" for path in result.files[:2]]
    if len(result.files) > 2:
        lines.append(f"  {result.files[2].parent}/（返送用のコピー {len(result.files) - 2} 件）")
    return "\n".join(lines)


def reuse_line(read: int, reused: int) -> str:
    """How many submissions were read and checked again, and how many checks came from outputs/.cache/."""
    return f"提出の確認: {read} 件を読み直し、{reused} 件は前回の確認結果を再利用（内容が同じファイル）"


def build_summary(result: BuildResult, root: Path | None = None, files: bool = True) -> str:
    """The console summary of a build: submissions per year, what needs attention, the files written
    (unless ``files`` is False)."""
    report = result.report
    lines = [f"{report.fy_label}の進捗状況一覧表を作成しました（{report.plan_name}）。"]
    for year in result.years:
        where = ""
        if year.fy == report.fy and (year.errors or year.warnings):
            where = f" → 一覧: outputs/{year.fy}/check/findings.xlsx（シート『指摘一覧』）と所管課への返送用のコピー"
        elif year.errors or year.warnings:
            where = f" → 一覧: kpi-report check --fy {year.fy}"
        lines.append(
            f"  {fy_label(year.fy, report.reiwa_for_2019)}: 提出 {year.submissions} 件"
            f"（エラー {year.errors} 件・警告 {year.warnings} 件）{where}"
        )
    if result.missing_submissions:
        lines.append("  未提出の所管課: " + "、".join(result.missing_submissions))
    if result.flagged_departments:
        lines.append(
            "  エラーが残ったまま掲載した所管課（一覧表で色付き）: " + "、".join(result.flagged_departments)
        )
    if result.orphan_ids:
        lines.append("  マスターにないID（一覧表に載せていません）: " + "、".join(result.orphan_ids))
    for finding in result.findings:
        if finding.code != "status-conflict":  # check reports it (counted above, listed in findings.xlsx)
            lines.append(f"  {finding_line(finding)}")
    if result.inputs_reused:
        lines.append("  " + reuse_line(result.inputs_read, result.inputs_reused))
    if result.review_parts_reused or result.review_parts_rendered:
        lines.append(
            f"  年次報告書: {len(result.review_parts_rendered)} 部分を作成、"
            f"{len(result.review_parts_reused)} 部分は前回の作成結果を再利用（outputs/.cache/、--no-cache で全部作り直し）"
        )
    if not files:
        lines.append(f"作成したファイル: {len(result.files)} 件（一覧は最初の作成のときに表示）")
        return "\n".join(lines)
    lines.append("作成したファイル:")
    for path in result.files:
        shown = path.relative_to(root) if root is not None and path.is_relative_to(root) else path
        lines.append(f"  {shown}")
    return "\n".join(lines)


def watch_text(event: WatchedBuild, root: Path | None = None, at: str = "", files: bool = True) -> str:
    """What `build --watch` prints after each build: when, what changed, how long, then the build's summary
    (with the files written when ``files``) or the problem to fix, then that it waits for the next change."""
    head = f"── {at} " if at else "── "
    if event.changed:
        shown = "、".join(event.changed[:3]) + (
            f" ほか {len(event.changed) - 3} 件" if len(event.changed) > 3 else ""
        )
        head += f"変更: {shown} → "
    head += f"{event.number} 回目の作成（{event.seconds:.1f} 秒）"
    if event.result is not None:
        body = build_summary(event.result, root, files=files)
    else:  # a master's problems come with their findings, as `build` prints them
        found = getattr(event.problem, "findings", ())
        body = f"作成できませんでした: {event.problem}" + (f"\n{findings_text(found)}" if found else "")
    return f"{head}\n{body}\n変更を待っています（inputs/ と templates/ を監視中。終了は Ctrl+C）…"


def _list_label(doc: ProgressList) -> str:
    return f"{doc.file}（{doc.year_line}）" if doc.year_line else doc.file


def diff_summary_text(result: DiffResult, top: int = 10) -> str:
    """The console summary: the two files, the matching used, counts by kind, goal and department."""
    from kpi_report.compare.diff import KINDS
    from kpi_report.compare.output import matching_text

    lines = [
        f"比較元: {_list_label(result.old)}",
        f"比較先: {_list_label(result.new)}",
        f"照合方法: {matching_text(result)}",
    ]
    if not result.changes:
        lines.append("差異はありません。")
    else:
        lines.append(f"変更: 合計 {len(result.changes)} 件")
        lines += [f"  {KINDS[kind]}: {count}" for kind, count in result.count_by_kind() if count]
        lines.append("基本目標別:")
        lines += [f"  {goal or '（一覧全体）'}: {counts.total()}" for goal, counts in result.count_by_goal()]
        departments = [(d, c) for d, c in result.count_by_department() if d]
        if departments:
            lines.append(f"所管課別（多い順に{min(top, len(departments))}課）:")
            lines += [f"  {d}: {c.total()}" for d, c in departments[:top]]
    lines += [finding_line(f) for f in result.findings]
    return "\n".join(lines)


def demo_text(result: DemoResult) -> str:
    """Each step of the demo under a heading, with the files it wrote."""
    from kpi_report.api import FormsResult
    from kpi_report.compare.diff import DiffResult
    from kpi_report.publish.build import BuildResult

    parts = [f"デモ用のフォルダー: {result.project.root}（同梱のサンプルを写して実行しました）"]
    for step in result.steps:
        body = step.result
        if isinstance(body, Plan):
            text = plan_summary(body)
        elif isinstance(body, FormsResult):
            text = f"{len(body.files)} 課分: {body.folder}"
        elif isinstance(body, BuildResult):
            text = build_summary(body, result.project.root)
        elif isinstance(body, DiffResult):
            text = diff_summary_text(body) + "\n作成したファイル:\n" + "\n".join(f"  {p}" for p in step.files)
        else:
            text = str(body)
        parts.append(f"\n== {step.title}\n{text}")
    parts.append(f"\n出力はすべて {result.project.root} の中にあります。")
    return "\n".join(parts)
