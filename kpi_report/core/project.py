"""The project folder layout (docs/contract.md#the-project-folder): where inputs, outputs and templates live."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

COMMITTEE_DIR = "committee"  # inputs/<FY>/committee/ and outputs/<FY>/committee/: the 外部評価 workbooks
MANIFEST = "manifest.json"  # outputs/<FY>/manifest.json: written last by every build


@dataclass(frozen=True)
class Project:
    """Paths of one project folder."""

    root: Path

    @property
    def master(self) -> Path:
        return self.root / "inputs" / "master.xlsx"

    def inputs(self, fy: int) -> Path:
        """inputs/<FY>/, the department workbooks returned for fiscal year ``fy``."""
        return self.root / "inputs" / str(fy)

    def input_files(self, fy: int) -> dict[str, Path]:
        """The entries of inputs/<FY>/ by a name that can be printed and written anywhere, in name order.

        A name the file system holds as bytes that are not UTF-8 (a zip made on Japanese Windows and unpacked
        here gives Shift_JIS names) is decoded as Shift_JIS (cp932) when that gives plain text, else its undecodable bytes are written as
        ``\\xff``; either only when the result names no other entry, so every name stands for one file.
        """
        folder = self.inputs(fy)
        if not folder.is_dir():
            return {}
        paths = list(folder.iterdir())
        files = {p.name: p for p in paths if _is_utf8(p.name)}
        for path in sorted((p for p in paths if not _is_utf8(p.name)), key=lambda p: os.fsencode(p.name)):
            raw = os.fsencode(path.name)
            try:
                name = raw.decode("cp932")
            except UnicodeDecodeError:
                name = ""
            if not name or name in files or any(unicodedata.category(c) in ("Cc", "Co") for c in name):
                name = raw.decode("utf-8", "backslashreplace")
            files[name] = path
        return dict(sorted(files.items()))

    def committee_inputs(self, fy: int) -> Path:
        """inputs/<FY>/committee/, the committee members' returned workbooks and the city's 対応.xlsx."""
        return self.inputs(fy) / COMMITTEE_DIR

    def committee_outputs(self, fy: int) -> Path:
        """outputs/<FY>/committee/, the committee members' workbooks and 対応.xlsx as generated."""
        return self.outputs(fy) / COMMITTEE_DIR

    def outputs(self, fy: int) -> Path:
        """outputs/<FY>/, everything generated for fiscal year ``fy``."""
        return self.root / "outputs" / str(fy)

    @property
    def templates(self) -> Path:
        """templates/, optional overrides of the packaged report templates."""
        return self.root / "templates"


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


PACKAGED_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def template_dirs(project: Project) -> list[Path]:
    """Template search path: the project's overrides first, then the packaged defaults."""
    dirs = [project.templates] if project.templates.is_dir() else []
    if PACKAGED_TEMPLATES.resolve() not in [d.resolve() for d in dirs]:
        dirs.append(PACKAGED_TEMPLATES)
    return dirs


def template_problem(exc: BaseException) -> str:
    """What went wrong with a template, for a one-line message: a project's own template may raise anything."""
    import jinja2  # only the commands that render templates load jinja2

    if isinstance(exc, UnicodeDecodeError):
        return "UTF-8 のテキストではないファイルがあります"
    if isinstance(exc, RecursionError):
        return "テンプレートが自分自身を読み込み続けています"
    where = f"{exc.filename}:{exc.lineno} " if isinstance(exc, jinja2.TemplateSyntaxError) else ""
    message = exc.message if isinstance(exc, jinja2.TemplateError) else str(exc)
    return f"{where}{type(exc).__name__}: {message}"
