"""The project folder layout (contract.md): where inputs, outputs and templates live."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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

    def outputs(self, fy: int) -> Path:
        """outputs/<FY>/, everything generated for fiscal year ``fy``."""
        return self.root / "outputs" / str(fy)

    @property
    def templates(self) -> Path:
        """templates/, optional overrides of the packaged report templates."""
        return self.root / "templates"


PACKAGED_TEMPLATES = Path(__file__).resolve().parent / "templates"


def template_dirs(project: Project) -> list[Path]:
    """Template search path: the project's overrides first, then the packaged defaults."""
    dirs = [project.templates] if project.templates.is_dir() else []
    if PACKAGED_TEMPLATES.resolve() not in [d.resolve() for d in dirs]:
        dirs.append(PACKAGED_TEMPLATES)
    return dirs
