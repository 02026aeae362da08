"""Shared fixtures: the bundled sample project copied to a temporary folder, its plan."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kpi_report.core.model import Plan
from kpi_report.plan.master import load_plan

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    """A copy of the repository's project folder (inputs/ and templates/) in tmp_path."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "inputs", root / "inputs")
    shutil.copytree(REPO / "templates", root / "templates")
    return root


@pytest.fixture(scope="session")
def sample_plan() -> Plan:
    """The bundled sample master, loaded."""
    return load_plan(REPO / "inputs" / "master.xlsx")
