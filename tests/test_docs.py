"""The generated reference pages (docs/findings.md, docs/commands.md) and the finding catalogue behind them."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path
from typing import get_args

import pytest

from kpi_report.cli import build_parser
from kpi_report.core.findings import CATALOGUE, STAGES, Code, codes_of, make_finding
from tools.gen_docs import DOCS, PAGES, stale_pages

PACKAGE = Path(__file__).resolve().parents[1] / "kpi_report"
SLUG = re.compile(r"[a-z]+(?:-[a-z]+)+")


def codes_in(sources: dict[str, str]) -> dict[str, set[str]]:
    """The finding codes written as string literals in the modules ``sources`` (name -> text): code -> modules.

    A code counts where it is passed to a function with a parameter typed ``Code`` (make_finding, and helpers
    such as a sheet reader's ``report``, wherever they are defined), is such a parameter's default, is assigned to
    a name typed ``Code``, or is compared with a finding's ``.code``.
    """
    trees = {name: ast.parse(text) for name, text in sources.items()}
    takes_code = {"make_finding"}
    found: dict[str, set[str]] = {}

    def literals(node: ast.expr | None) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SLUG.fullmatch(node.value):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return literals(node.body) | literals(node.orelse)
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return {code for element in node.elts for code in literals(element)}
        return set()

    def is_code(annotation: ast.expr | None) -> bool:
        return isinstance(annotation, ast.Name) and annotation.id == "Code"

    def note(module: str, codes: set[str]) -> None:
        for code in codes:
            found.setdefault(code, set()).add(module)

    for module, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                args = node.args
                positional = [*args.posonlyargs, *args.args]
                defaults: dict[str, ast.expr | None] = {
                    a.arg: d
                    for a, d in zip(
                        positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
                    )
                }
                defaults.update((a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True))
                for arg in (*positional, *args.kwonlyargs):
                    if is_code(arg.annotation):
                        takes_code.add(node.name)
                        note(module, literals(defaults.get(arg.arg)))
            elif isinstance(node, ast.AnnAssign) and is_code(node.annotation):
                note(module, literals(node.value))
            elif (
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Attribute)
                and node.left.attr == "code"
            ):
                note(module, {code for right in node.comparators for code in literals(right)})
    for module, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = (
                    func.attr
                    if isinstance(func, ast.Attribute)
                    else func.id
                    if isinstance(func, ast.Name)
                    else ""
                )
                if name in takes_code:
                    note(module, {code for arg in node.args for code in literals(arg)})
                    note(
                        module, {code for k in node.keywords if k.arg == "code" for code in literals(k.value)}
                    )
    return found


def test_the_scan_finds_codes_wherever_they_are_written() -> None:
    source = """
def report(row, code: Code, column: str) -> None: ...
def bad(key, code: Code = "default-code") -> None: ...
make_finding("made-up-code", file=name)
reader.report(row, "typo-in-code", "取組ID")
kind: Code = "dde-lnik" if dde else "external-link"
if f.code == "compared-code": ...
print("not-a-code")
"""
    assert set(codes_in({"module.py": source})) == {
        "default-code",
        "made-up-code",
        "typo-in-code",
        "dde-lnik",
        "external-link",
        "compared-code",
    }


def test_every_code_used_in_the_package_is_catalogued_and_every_catalogued_code_is_used() -> None:
    sources = {
        str(p.relative_to(PACKAGE)): p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py"))
    }
    used = codes_in(sources)
    assert {code: modules for code, modules in used.items() if code not in CATALOGUE} == {}
    assert set(CATALOGUE) - set(used) == set()


def test_the_code_type_and_the_catalogue_name_the_same_codes_in_the_same_order() -> None:
    assert get_args(Code) == tuple(CATALOGUE)


def test_every_code_belongs_to_a_stage_with_a_meaning_and_a_fix() -> None:
    assert [code for stage in STAGES for code in codes_of(stage)] == list(CATALOGUE)
    for code, kind in CATALOGUE.items():
        assert kind.meaning.endswith("。") and kind.fix.endswith("。"), code
        assert "\n" not in kind.meaning + kind.fix, code


def test_a_message_is_filled_from_the_catalogue() -> None:
    finding = make_finding(
        "status-not-in-scale", sheet="進捗", cell="F12", value="実施", allowed="実施中・完了"
    )
    assert finding.severity == "error"
    assert finding.message == "進捗状況「実施」は選択肢にありません。実施中・完了 から選んでください。"
    assert (finding.sheet, finding.cell) == ("進捗", "F12")  # the place is shown beside the message, once


def test_no_message_names_its_own_cell_and_one_word_names_the_form() -> None:
    """The console, the findings list and the cell comments show a finding's place; the message must not repeat
    it. The department workbook is the 記入様式 everywhere (never 調査票)."""
    assert [code for code, kind in CATALOGUE.items() if "{cell}" in kind.template] == []
    texts = {code: kind.template + kind.meaning + kind.fix for code, kind in CATALOGUE.items()}
    assert [code for code, text in texts.items() if "調査票" in text] == []
    assert [code for code, kind in CATALOGUE.items() if "企画課" in kind.template] == []


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_generated_page_is_current(name: str) -> None:
    assert name not in stale_pages(), f"docs/{name} is stale: run python -m tools.gen_docs"


def test_every_finding_code_is_documented() -> None:
    page = (DOCS / "findings.md").read_text(encoding="utf-8")
    assert [code for code in CATALOGUE if f"| `{code}` |" not in page] == []


def test_every_command_and_option_is_documented() -> None:
    """Each command of the CLI has its section in docs/commands.md, naming each of its options."""
    page = (DOCS / "commands.md").read_text(encoding="utf-8")
    head, *sections = page.split("\n## kpi-report ")
    documented = {section.split("\n", 1)[0]: section for section in sections}
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert set(commands) == set(documented)
    for name, command in [("", parser), *commands.items()]:
        text = documented.get(name, head)
        options = [o for a in command._actions for o in a.option_strings if o not in ("-h", "--help")]
        assert [o for o in options if f"`{o}" not in text] == [], name
