"""Shared fixtures: the bundled sample project copied to a temporary folder, its plan, and its plain variant.

The sample shows the full cycle (効果検証: the master's sheet 施策; 外部評価: the sheet 委員 and
inputs/<FY>/committee/). Tests about the plain layout and behaviour use the *plain* variant: the same project
with those sheets, their 設定 keys and the committee folders removed, which must behave as a plan without
効果検証 always did.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kpi_report.core.columns import EVALUATION_SETTINGS, MASTER_SETTINGS
from kpi_report.core.model import Plan
from kpi_report.core.project import COMMITTEE_DIR
from kpi_report.plan.committee import MEMBERS_SHEET
from kpi_report.plan.evaluation import POLICY_SHEET
from kpi_report.plan.master import load_plan
from tools.fill_forms import save_deterministic

REPO = Path(__file__).resolve().parents[1]
SETTINGS_SHEET = "設定"
# the 設定 keys that belong to 効果検証 and 外部評価 (absent from a plain master)
EVALUATION_KEYS = frozenset(
    {k.key for k in EVALUATION_SETTINGS}
    | {k.key for k in MASTER_SETTINGS if k.field in ("committee_scale", "member_names")}
)


def make_plain_master(src: Path, dst: Path) -> Path:
    """Copy the master ``src`` to ``dst`` without the sheets 施策 and 委員 and their 設定 keys."""
    wb = load_workbook(src)
    for sheet in (POLICY_SHEET, MEMBERS_SHEET):
        if sheet in wb.sheetnames:
            del wb[sheet]
    if SETTINGS_SHEET in wb.sheetnames:
        ws = wb[SETTINGS_SHEET]
        for row in range(ws.max_row, 1, -1):
            key = ws.cell(row, 1).value
            if isinstance(key, str) and key.strip() in EVALUATION_KEYS:
                ws.delete_rows(row)
    save_deterministic(wb, dst)
    return dst


def make_plain_project(root: Path) -> Path:
    """Turn the project copy at ``root`` into the plain variant (in place); returns ``root``."""
    master = root / "inputs" / "master.xlsx"
    make_plain_master(master, master)
    for committee in (root / "inputs").glob(f"*/{COMMITTEE_DIR}"):
        shutil.rmtree(committee)
    return root


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    """A copy of the repository's project folder (inputs/ and templates/) in tmp_path."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "inputs", root / "inputs")
    shutil.copytree(REPO / "templates", root / "templates")
    return root


@pytest.fixture
def plain_project(sample_project: Path) -> Path:
    """The sample project without 効果検証 and 外部評価 (see :func:`make_plain_project`)."""
    return make_plain_project(sample_project)


@pytest.fixture(scope="session")
def sample_plan() -> Plan:
    """The bundled sample master, loaded."""
    return load_plan(REPO / "inputs" / "master.xlsx")


@pytest.fixture(scope="session")
def plain_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample master without 効果検証 and 外部評価 (read-only: copy before changing it)."""
    return make_plain_master(
        REPO / "inputs" / "master.xlsx", tmp_path_factory.mktemp("plain") / "master.xlsx"
    )


@pytest.fixture(scope="session")
def plain_plan(plain_master: Path) -> Plan:
    """The plain sample master, loaded."""
    return load_plan(plain_master)
