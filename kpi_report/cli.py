"""The command line: parse arguments, call one library function, turn errors into a message and exit code.

The library face (kpi_report.api) imports each stage when it runs: `plan`, `check`, `forms` and `diff` start without loading
WeasyPrint or pandas (about a second), which only `build` and `demo` need.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import TextIO

from kpi_report import api
from kpi_report.console import (
    build_summary,
    check_text,
    demo_text,
    diff_summary_text,
    findings_text,
    forms_text,
    plan_summary,
)
from kpi_report.core.errors import InputsHaveErrors, KpiReportError, MasterError, UsageError
from kpi_report.core.fiscal import parse_fy
from kpi_report.core.model import Finding
from kpi_report.core.project import Project
from kpi_report.core.version import __version__
from kpi_report.plan.scaffold import write_blank_project

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class ProgressBar:
    """A one-line progress bar on stderr: ``label [#####.....] 5/10``."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self._last = ""

    def __call__(self, label: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        line = f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if line == self._last:
            return
        self._last = line
        if self.stream.isatty():
            print(line, end="\n" if done >= total else "", file=self.stream, flush=True)
        elif done >= total:  # a log file gets the finished bar only
            print(line.lstrip("\r"), file=self.stream, flush=True)


def _fy(text: str) -> int:
    try:
        return parse_fy(text)
    except KpiReportError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _project(args: argparse.Namespace) -> Project:
    root = Path(args.project)
    if not root.is_dir():
        raise UsageError(
            f"プロジェクトフォルダー {root} がありません。--project で正しいフォルダーを指定してください。"
        )
    return Project(root)


def cmd_init(args: argparse.Namespace) -> int:
    if not args.dir.strip():  # Path("") is the current folder: never create a project there unasked
        raise UsageError(
            "新しいプロジェクトのフォルダー名を指定してください（例: kpi-report init 小平市総合戦略）。"
        )
    path = write_blank_project(Path(args.dir))
    print(f"新しいプロジェクトを作成しました: {path}")
    print("inputs/master.xlsx のシート『説明』を読んで、取組とKPIを入力してください。")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    print(plan_summary(api.load_plan(_project(args))))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    print(demo_text(api.demo(_project(args), progress=ProgressBar())))
    return EXIT_OK


def cmd_forms(args: argparse.Namespace) -> int:
    print(forms_text(api.make_forms(_project(args), args.fy, progress=ProgressBar())))
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    project = _project(args)
    result = api.check(project, args.fy, progress=ProgressBar())
    print(check_text(result, project.inputs(args.fy)))
    return EXIT_FINDINGS if result.report.errors else EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    result = api.diff(args.old, args.new, args.out, args.json, progress=ProgressBar())
    print(diff_summary_text(result))
    print(f"出力: {args.out}" + (f"、{args.json}" if args.json else ""))
    return EXIT_FINDINGS if args.exit_code and result.changes else EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    project = _project(args)
    try:
        result = api.build(project, args.fy, allow_errors=args.allow_errors, progress=ProgressBar())
    except InputsHaveErrors as exc:
        print(f"kpi-report: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    print(build_summary(result, project.root))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kpi-report",
        description="総合戦略などの進捗管理: 所管課の記入様式を作り、提出を検証し、進捗状況一覧表と年次報告書を作ります。",
    )
    parser.add_argument("--version", action="version", version=f"kpi-report {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="エラー時にトレースバックを表示する（開発者向け）"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    def with_project(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--project", default=".", metavar="DIR", help="プロジェクトフォルダー（既定: 現在のフォルダー）"
        )
        return p

    p = add(
        "init", cmd_init, "新しいプロジェクトフォルダーを作り、空のマスター（見出し・記入例・説明付き）を置く"
    )
    p.add_argument("dir", metavar="DIR", help="作成するフォルダー")
    with_project(
        add("plan", cmd_plan, "マスターを読み込んで確認し、計画の概要（または問題の一覧）を表示する")
    )
    with_project(add("demo", cmd_demo, "同梱のサンプル計画で全工程を実行し、出力先を表示する"))
    p = with_project(
        add(
            "forms",
            cmd_forms,
            "所管課ごとの記入様式（Excel）を outputs/<年度>/forms/ に作る。"
            "inputs/<前年度>/ があれば、前年度の実施状況と実績値を参考として載せる",
        )
    )
    p.add_argument(
        "--fy", type=_fy, required=True, metavar="FY", help="年度（例: 2019、R1、令和元年度、H31）"
    )
    p = with_project(
        add(
            "check",
            cmd_check,
            "inputs/<年度>/ に提出された調査票を検証し、所管課ごとの集計と指摘を表示して、指摘一覧（Excel・JSON）と"
            "指摘を書き込んだ返送用のコピーを outputs/<年度>/check/ に作る。エラーがあれば終了コード1",
        )
    )
    p.add_argument(
        "--fy", type=_fy, required=True, metavar="FY", help="年度（例: 2019、R1、令和元年度、H31）"
    )
    p = add(
        "diff",
        cmd_diff,
        "2つの進捗状況一覧表（例: 前年度と今年度の progress-list.xlsx）を比べ、追加・削除・移動・文言の変更・"
        "進捗状況とKPIの変化を、変更箇所に色を付けたExcelとJSONに書き出す（監査用）",
    )
    p.add_argument("old", metavar="OLD.xlsx", help="比較元（旧）の一覧")
    p.add_argument("new", metavar="NEW.xlsx", help="比較先（新）の一覧")
    p.add_argument("--out", required=True, metavar="DIFF.xlsx", help="書き出す比較結果のExcelファイル")
    p.add_argument("--json", metavar="FILE", help="同じ内容をJSONでも書き出す")
    p.add_argument(
        "--exit-code", action="store_true", help="差異があれば終了コード1を返す（スクリプト用。既定は常に0）"
    )
    p = with_project(
        add(
            "build",
            cmd_build,
            "提出を検証し、マスターと計画初年度からの全年度の実施状況を合わせて、進捗状況一覧表（Excel・HTML）などを"
            " outputs/<年度>/ に作る",
        )
    )
    p.add_argument(
        "--fy", type=_fy, required=True, metavar="FY", help="報告する年度（例: 2019、R1、令和元年度、H31）"
    )
    p.add_argument(
        "--allow-errors",
        action="store_true",
        help="報告年度の提出にエラーが残っていても作成する（該当する所管課の行に色を付ける）",
    )
    return parser


def _print_findings(findings: Sequence[Finding]) -> None:
    if findings:
        print(findings_text(findings), file=sys.stderr)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing it at exit does not fail a second time."""
    with suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
        target = sys.stdout.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, target)
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kpi-report`` command."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code not in (0, None) else EXIT_OK
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.func(args)
        return code
    except MasterError as exc:
        _print_findings(exc.findings)
        print(f"kpi-report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KpiReportError as exc:
        print(f"kpi-report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kpi-report: 中断しました。", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `kpi-report check … | head`: the reader left; outputs are already written
        _silence_stdout()
        with suppress(OSError):
            print("kpi-report: 表示先（パイプ）が閉じられたため、表示を打ち切りました。", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(
            f"kpi-report: 予期しないエラーです（{type(exc).__name__}: {exc}）。--debug を付けて再実行し、開発者に報告してください。",
            file=sys.stderr,
        )
        return 3
