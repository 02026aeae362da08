"""The layout rules of docs/architecture.md, read from the code's own imports.

Stages are sub-packages; imports only go down the pipeline; no renderer imports the merge stage or another
renderer; check reads the form layout, never the form writer; the top level holds only the CLI, the console
text and the library face.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "kpi_report"

# what each stage may import besides itself (its floor and everything below)
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "plan": {"core"},
    "forms": {"core", "plan"},
    "intake": {"core"},
    "validate": {"core", "plan", "forms", "intake"},
    "merge": {"core"},
    "present": {"core"},
    "render": {"core", "present"},
    "committee": {"core", "plan", "forms", "intake", "validate", "merge"},
    "publish": {"core", "plan", "validate", "committee", "merge", "present", "render"},
    "compare": {"core", "intake"},
}
TOP = {"__init__", "__main__", "api", "cli", "console"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "templates" in path.relative_to(PACKAGE).parts:
            continue
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found[".".join(parts)] = path
    return found


def _imports(path: Path) -> set[str]:
    """kpi_report modules imported anywhere in the file (module level or inside functions), without the prefix."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kpi_report"):
            base = node.module.removeprefix("kpi_report").lstrip(".")
            if base:
                names.add(base)
            else:  # from kpi_report import x
                names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(
                a.name.removeprefix("kpi_report.") for a in node.names if a.name.startswith("kpi_report.")
            )
    return names


def test_the_top_level_holds_only_the_cli_the_console_text_and_the_library_face() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == TOP
    stages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert stages == set(ALLOWED)


def test_imports_only_go_down_the_pipeline() -> None:
    wrong = []
    for name, path in _modules().items():
        stage = name.split(".")[0]
        if stage in TOP:
            continue
        for imported in _imports(path):
            target = imported.split(".")[0]
            if target != stage and target not in ALLOWED[stage]:
                wrong.append(f"{name} imports {imported}")
    assert wrong == []


def test_no_renderer_imports_the_merge_stage_or_another_renderer() -> None:
    renderers = {"render.progress_xlsx", "render.progress_html", "render.review"}
    wrong = []
    for name, path in _modules().items():
        if not name.startswith("render."):
            continue
        own = next((r for r in renderers if name == r or name.startswith(r + ".")), None)
        for imported in _imports(path):
            other = next((r for r in renderers if imported == r or imported.startswith(r + ".")), None)
            if imported.startswith("merge") or (other is not None and other != own):
                wrong.append(f"{name} imports {imported}")
    assert wrong == []


def test_check_reads_the_form_layout_never_the_form_writer() -> None:
    wrong = [
        f"{name} imports {imported}"
        for name, path in _modules().items()
        if name.startswith(("validate.", "intake."))
        for imported in _imports(path)
        if imported.startswith("forms.") and imported != "forms.layout"
    ]
    assert wrong == []


def test_there_are_no_import_cycles() -> None:
    modules = _modules()
    graph = {
        name: {i for i in _imports(path) if i in modules and i != name and not name.endswith("__init__")}
        for name, path in modules.items()
    }
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]) if nxt in trail else nxt)
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_every_stage_is_packaged() -> None:
    """An installed kpi-report has every sub-package (pyproject.toml lists them one by one)."""
    import tomllib

    listed = set(
        tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    present = {
        "kpi_report." + ".".join(p.parent.relative_to(PACKAGE).parts) if p.parent != PACKAGE else "kpi_report"
        for p in PACKAGE.rglob("__init__.py")
    }
    assert present <= listed
