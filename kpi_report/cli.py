"""The command line: parse arguments, call one library function, turn errors into a message and exit code.

The library face (kpi_report.api) imports each stage when it runs: `plan`, `check`, `forms` and `diff` start without loading
WeasyPrint or pandas (about a second), which only `build` and `demo` need.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sys
import traceback
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from kpi_report import api
from kpi_report.console import (
    build_summary,
    check_text,
    committee_text,
    demo_text,
    diff_summary_text,
    findings_text,
    forms_text,
    plan_text,
    watch_text,
)
from kpi_report.core.cellmetrics import text_width
from kpi_report.core.errors import InputsHaveErrors, KpiReportError, MasterError, UsageError
from kpi_report.core.fiscal import parse_date, parse_fy
from kpi_report.core.model import Finding
from kpi_report.core.project import Project
from kpi_report.core.version import __version__
from kpi_report.plan.scaffold import write_blank_project

if TYPE_CHECKING:
    from kpi_report.publish.watch import WatchedBuild

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

# argparse's own English messages (Python 3.11–3.13), in Japanese: (pattern, replacement)
_ARGPARSE_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"the following arguments are required: (.+)", r"必須の引数がありません: \1"),
    (r"unrecognized arguments: (.+)", r"知らない引数です: \1"),
    (
        r"argument COMMAND: invalid choice: '?([^']*)'? \(choose from (.+)\)",
        r"コマンド「\1」はありません。次から選んでください: \2",
    ),
    (
        r"argument (\S+): invalid choice: '?([^']*)'? \(choose from (.+)\)",
        r"\1「\2」は選べません。次から選んでください: \3",
    ),
    (r"argument (\S+): expected one argument", r"\1 のあとに値を指定してください"),
    (r"argument (\S+): ignored explicit argument '(.*)'", r"\1 には値「\2」を付けられません"),
    (
        r"ambiguous option: (\S+) could match (.+)",
        r"オプション \1 は \2 のどれか分かりません。省略せずに書いてください",
    ),
    (r"argument (\S+): invalid (\S+) value: '(.*)'", r"\1 の値「\3」を読めません"),
    (r"argument (\S+): (.+)", r"\1: \2"),
)


def _japanese(message: str) -> str:
    """argparse's message in Japanese (our own ArgumentTypeError texts pass through)."""
    for pattern, replacement in _ARGPARSE_MESSAGES:
        if re.fullmatch(pattern, message, flags=re.DOTALL):
            text = re.sub(pattern, replacement, message, flags=re.DOTALL)
            return text.replace("'", "").replace(", ", "、")
    return message


def _break_points(text: str) -> list[str]:
    """Pieces of one line that may start a new line: after a space or 、。）」』, before （「『; never inside
    an ASCII word or path (progress-list.xlsx, outputs/<年度>/) or a run of Japanese between them."""
    pieces = re.findall(r"[（「『]*[^\s、。）」』（「『]*[\s、。）」』]*", text)
    return [p for p in pieces if p]


def wrap_display(text: str, width: int) -> list[str]:
    """Wrap ``text`` to ``width`` display columns (a CJK character counts two), breaking only between pieces
    (:func:`_break_points`); a piece longer than a line is cut by width. Line breaks in ``text`` are kept."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for piece in _break_points(paragraph):
            if text_width(line + piece.rstrip()) <= width or not line:
                line += piece
            else:
                lines.append(line.rstrip())
                line = piece
            while text_width(line.rstrip()) > width:  # one piece wider than a line: cut it by width
                cut = 1
                while text_width(line[: cut + 1]) <= width:
                    cut += 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines


class JapaneseHelpFormatter(argparse.HelpFormatter):
    """Help in Japanese: 「使い方:」, wrapped by display width without breaking a word or a path, the
    description and the examples (epilog) kept line by line."""

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 30, width: int | None = None
    ) -> None:
        if width is None:
            width = min(max(shutil.get_terminal_size().columns - 2, 60), 100)
        super().__init__(prog, indent_increment, max_help_position, width)

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "使い方: " if prefix is None else prefix)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_display(" ".join(text.split()), width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap_display(text, width - len(indent)))


class JapaneseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that speaks Japanese: section titles, -h/--help, and its error messages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", JapaneseHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "引数"
        self._optionals.title = "オプション"
        self.add_argument("-h", "--help", action="help", help="この説明を表示して終了する")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(
            EXIT_USAGE,
            f"{self.prog}: エラー: {_japanese(message)}\n詳しくは「{self.prog} --help」を見てください。\n",
        )


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


def _date(text: str) -> date:
    try:
        return parse_date(text)
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
    print(plan_text(api.check_plan(_project(args))))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    print(demo_text(api.demo(Path(args.out).absolute(), progress=ProgressBar())))
    return EXIT_OK


def cmd_forms(args: argparse.Namespace) -> int:
    result = api.make_forms(_project(args), args.fy, progress=ProgressBar(), deadline=args.deadline)
    print(forms_text(result))
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    project = _project(args)
    result = api.check(project, args.fy, progress=ProgressBar(), use_cache=not args.no_cache)
    print(check_text(result, project.inputs(args.fy)))
    return EXIT_FINDINGS if result.report.errors else EXIT_OK


def cmd_committee(args: argparse.Namespace) -> int:
    project = _project(args)
    try:
        result = api.make_committee_forms(
            project, args.fy, allow_errors=args.allow_errors, responses=args.responses, progress=ProgressBar()
        )
    except InputsHaveErrors as exc:
        print(
            f"kpi-report: {exc} 外部評価の記入様式には、検証済みの所管課の提出を載せます"
            f"（kpi-report check --fy {args.fy}）。",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    print(committee_text(result))
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    result = api.diff(args.old, args.new, args.out, args.json, progress=ProgressBar())
    print(diff_summary_text(result))
    print(f"出力: {args.out}" + (f"、{args.json}" if args.json else ""))
    return EXIT_FINDINGS if args.exit_code and result.changes else EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    project = _project(args)
    if args.watch:
        return _watch(args, project)
    try:
        result = api.build(
            project,
            args.fy,
            allow_errors=args.allow_errors,
            progress=ProgressBar(),
            use_cache=not args.no_cache,
        )
    except InputsHaveErrors as exc:
        print(f"kpi-report: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    print(build_summary(result, project.root))
    return EXIT_OK


def _watch(args: argparse.Namespace, project: Project) -> int:
    """`build --watch`: each build's summary as it is made; Ctrl+C ends watching (exit 0)."""

    listed: list[bool] = []  # the files written are listed once, after the first build that made them

    def show(event: WatchedBuild) -> None:
        files = event.result is not None and not listed
        if files:
            listed.append(True)
        print(watch_text(event, project.root, datetime.now().strftime("%H:%M:%S"), files), flush=True)

    try:
        api.watch(
            project,
            args.fy,
            show,
            allow_errors=args.allow_errors,
            progress=ProgressBar(),
            use_cache=not args.no_cache,
        )
    except KeyboardInterrupt:
        print("監視を終了しました。", file=sys.stderr)
    return EXIT_OK


FY_HELP = "年度（例: 2019、R1、令和元年度、H31）"


def build_parser() -> argparse.ArgumentParser:
    parser = JapaneseArgumentParser(
        prog="kpi-report",
        description="総合戦略などの進捗管理: 所管課の記入様式を作り、提出を検証し、進捗状況一覧表と年次報告書を作ります。",
        epilog="例:\n  kpi-report init 総合戦略2024\n  kpi-report forms --fy 2024\n  kpi-report build --fy 2024\n"
        "コマンドごとの説明: kpi-report COMMAND --help",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"kpi-report {__version__}",
        help="バージョンを表示して終了する",
    )
    parser.add_argument(
        "--debug", action="store_true", help="エラー時にトレースバックを表示する（開発者向け）"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="コマンド")

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_text: str, *examples: str
    ) -> argparse.ArgumentParser:
        epilog = "例:\n" + "\n".join(f"  kpi-report {name} {e}".rstrip() for e in examples)
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=epilog)
        p.set_defaults(func=func)
        return p

    def with_project(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--project", default=".", metavar="DIR", help="プロジェクトフォルダー（既定: 現在のフォルダー）"
        )
        return p

    p = add(
        "init",
        cmd_init,
        "新しいプロジェクトフォルダーを作り、空のマスター（見出し・記入例・説明付き）を置く",
        "総合戦略2024",
    )
    p.add_argument("dir", metavar="DIR", help="作成するフォルダー")
    with_project(
        add(
            "plan",
            cmd_plan,
            "マスターを読み込んで確認し、計画の概要と警告（または問題の一覧）を表示する",
            "",
            "--project 総合戦略2024",
        )
    )
    p = add(
        "demo",
        cmd_demo,
        "同梱のサンプル計画で全工程を実行し、出力先を表示する。サンプルを専用のフォルダー（--out）に写して"
        "そこで動くので、使っているプロジェクトには書き込まない",
        "",
        "--out /tmp/kpi-report-demo",
    )
    p.add_argument(
        "--out",
        default="kpi-report-demo",
        metavar="DIR",
        help="デモ用のフォルダー（既定: 現在のフォルダーの kpi-report-demo）。新しいフォルダーか、"
        "以前のデモが作ったフォルダーに限る",
    )
    p = with_project(
        add(
            "forms",
            cmd_forms,
            "所管課ごとの記入様式（Excel）を outputs/<年度>/forms/ に作る。"
            "inputs/<前年度>/ があれば、前年度の実施状況と実績値を参考として載せる",
            "--fy 2024",
            "--fy R6 --deadline 2024-05-31",
        )
    )
    p.add_argument("--fy", type=_fy, required=True, metavar="FY", help=FY_HELP)
    p.add_argument(
        "--deadline",
        type=_date,
        metavar="DATE",
        help="記入方法に載せる提出期限（例: 2024-05-31、令和6年5月31日）。マスターの設定「提出期限」より優先",
    )
    p = with_project(
        add(
            "check",
            cmd_check,
            "inputs/<年度>/ に提出された記入様式を検証し、所管課ごとの集計と指摘を表示して、指摘一覧（Excel・JSON）と"
            "指摘を書き込んだ返送用のコピーを outputs/<年度>/check/ に作る。エラーがあれば終了コード1",
            "--fy 2024",
        )
    )
    p.add_argument("--fy", type=_fy, required=True, metavar="FY", help=FY_HELP)
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="前回の検証結果を使わず、マスターとすべての提出を読み直す（outputs/.cache/ を使わない）",
    )
    p = with_project(
        add(
            "committee",
            cmd_committee,
            "外部評価の委員ごとの記入様式（施策ごとの評価と意見、全体意見）を outputs/<年度>/committee/ に作る。"
            "所管課の提出にエラーがないことが前提。--responses では、受け取った意見に市の対応を書く"
            " outputs/<年度>/committee/対応.xlsx を作る",
            "--fy 2024",
            "--fy 2024 --responses",
        )
    )
    p.add_argument("--fy", type=_fy, required=True, metavar="FY", help="報告する" + FY_HELP)
    p.add_argument(
        "--responses",
        action="store_true",
        help="inputs/<年度>/committee/ の委員の意見を並べた、市の対応の記入様式（対応.xlsx）を作る",
    )
    p.add_argument(
        "--allow-errors",
        action="store_true",
        help="所管課の提出にエラーが残っていても記入様式を作る（参考情報がエラーのある提出を含む）",
    )
    p = add(
        "diff",
        cmd_diff,
        "2つの進捗状況一覧表（例: 前年度と今年度の progress-list.xlsx）を比べ、追加・削除・移動・文言の変更・"
        "進捗状況とKPIの変化を、変更箇所に色を付けたExcelとJSONに書き出す（監査用）",
        "outputs/2023/progress-list.xlsx outputs/2024/progress-list.xlsx --out diff.xlsx",
        "old.xlsx new.xlsx --out diff.xlsx --json diff.json --exit-code",
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
            "--fy 2024",
            "--fy 2024 --allow-errors",
            "--fy 2024 --watch",
        )
    )
    p.add_argument("--fy", type=_fy, required=True, metavar="FY", help="報告する" + FY_HELP)
    p.add_argument(
        "--allow-errors",
        action="store_true",
        help="報告年度の提出にエラーが残っていても作成する（該当する所管課の行に色を付ける）",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="前回の作成結果を使わず、年次報告書をすべて描き直す（outputs/.cache/ を使わない）",
    )
    p.add_argument(
        "--watch",
        action="store_true",
        help="作成した後も終了せず、inputs/（マスター・提出）か templates/ が変わるたびに作り直す（修正の受付中に。"
        "終了は Ctrl+C）",
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
