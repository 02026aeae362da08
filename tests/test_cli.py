"""The command line speaks Japanese: usage, sections, errors and help, wrapped without breaking words; usage errors
for a year outside the plan or without inputs; the console names a finding's place once."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import openpyxl
import pytest

from kpi_report.cli import build_parser, main, wrap_display
from kpi_report.console import build_summary, finding_line
from kpi_report.core.cellmetrics import text_width
from kpi_report.core.findings import make_finding

ENGLISH = (
    "usage:",
    "options",
    "positional arguments",
    "error:",
    "show this help",
    "invalid choice",
    "required",
)


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


@pytest.mark.parametrize("command", ["", *_commands()])
def test_help_is_in_japanese_with_examples(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main([*([command] if command else []), "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("使い方: kpi-report")
    assert "オプション:" in out and "-h, --help" in out and "この説明を表示して終了する" in out
    assert "例:\n  kpi-report" in out
    assert [word for word in ENGLISH if word in out] == []


@pytest.mark.parametrize("columns", ["50", "80", "120"])
def test_help_never_breaks_a_word_or_a_path(
    columns: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    text = ""
    for command in _commands():
        main([command, "--help"])
        text += capsys.readouterr().out
    main(["--help"])
    text += capsys.readouterr().out
    flat = re.sub(r"\n\s*", "", text)  # the text as if no line were wrapped
    lines = text.splitlines()
    terms = (
        "progress-list.xlsx",
        "outputs/<年度>/check/",
        "進捗状況一覧表",
        "記入様式",
        "進捗状況",
        "inputs/<前年度>/",
    )
    for term in terms:
        assert term in flat, term
        assert flat.count(term) == sum(line.count(term) for line in lines), term  # never split across lines


def test_wrapping_counts_display_width_and_keeps_pieces_whole() -> None:
    text = "2つの進捗状況一覧表（例: 前年度と今年度の progress-list.xlsx）を比べ、追加・削除を書き出す"
    lines = wrap_display(text, 30)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(text_width(line) <= 30 for line in lines)
    assert any("progress-list.xlsx" in line for line in lines)


def test_a_missing_argument_is_a_japanese_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("使い方: kpi-report forms")
    assert "kpi-report forms: エラー: 必須の引数がありません: --fy" in err
    assert "詳しくは「kpi-report forms --help」" in err
    assert [word for word in ENGLISH if word in err] == []


def test_an_unknown_command_is_a_japanese_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["biuld", "--fy", "2019"]) == 2
    err = capsys.readouterr().err
    assert f"コマンド「biuld」はありません。次から選んでください: {'、'.join(_commands())}" in err
    assert "invalid choice" not in err


def test_an_unknown_option_is_a_japanese_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--colour"]) == 2
    assert "知らない引数です: --colour" in capsys.readouterr().err


def test_version_is_described_in_japanese(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--help"])
    assert "--version   バージョンを表示して終了する" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("kpi-report ")


@pytest.mark.parametrize("command", ["forms", "check", "build"])
def test_a_year_outside_the_plans_period_is_a_usage_error_naming_the_period(
    command: str, sample_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--project", str(sample_project), "--fy", "2024"]) == 2
    err = capsys.readouterr().err
    assert "令和6年度（2024）は計画の期間（平成27年度（2015）〜令和元年度（2019））の外です" in err
    assert not (sample_project / "outputs" / "2024").exists()


def test_build_of_a_year_without_inputs_says_so(
    sample_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "--project", str(sample_project), "--fy", "2017"]) == 2
    err = capsys.readouterr().err
    assert "inputs/2017 がありません（平成29年度の提出がまだ1件もありません）" in err
    assert "missing-submission" not in err and "未提出" not in err


def test_a_console_line_names_the_place_once() -> None:
    finding = make_finding(
        "actual-not-a-number", file="保育幼稚園課.xlsx", sheet="KPI", cell="J4", value="約50", unit="人"
    )
    line = finding_line(finding)
    assert line.startswith(
        "[エラー] 保育幼稚園課.xlsx シート『KPI』J4: 実績値「約50」を数値として読めません。"
    )
    assert line.count("J4") == 1 and line.count("KPI") == 1


def test_a_finding_about_a_whole_sheet_names_the_sheet_once() -> None:
    finding = make_finding("missing-sheet", file="総務課.xlsx", sheet="KPI", found="『進捗』")
    assert finding_line(finding).startswith("[エラー] 総務課.xlsx: シート『KPI』がありません")


def test_build_says_where_its_warnings_are_listed(
    sample_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpi_report import api

    result = api.build(sample_project, 2019)
    text = build_summary(result, sample_project)
    for year in result.years:
        if year.warnings and year.fy == 2019:
            assert "警告" in text and "outputs/2019/check/findings.xlsx" in text
        elif year.warnings:
            assert f"kpi-report check --fy {year.fy}" in text


def test_the_findings_list_puts_errors_before_warnings(tmp_path: Path) -> None:
    from kpi_report.core.model import CheckReport
    from kpi_report.plan.master import load_plan
    from kpi_report.validate.outputs import department_rows, findings_workbook

    warning = make_finding("notes-missing", file="a.xlsx", sheet="進捗", cell="M4")
    error = make_finding("status-missing", file="a.xlsx", sheet="進捗", cell="L5", allowed="実施中")
    report = CheckReport(2019, (warning, error), (), (), (), ())
    path = tmp_path / "findings.xlsx"
    plan = load_plan(Path(__file__).resolve().parents[1] / "inputs" / "master.xlsx")
    path.write_bytes(findings_workbook(report, plan, department_rows(report, plan)))
    listing = openpyxl.load_workbook(path)["指摘一覧"]
    assert [row[0] for row in listing.iter_rows(min_row=2, values_only=True)] == ["エラー", "警告"]
