"""Benchmark: `kpi-report forms` for the sample plan and a generated large plan (target: under 10 s)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import peak_rss_mb
from kpi_report.core.project import Project
from kpi_report.forms.writer import write_forms
from kpi_report.plan.master import load_plan
from tools.synth import write_synthetic_master

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 10.0


def run(label: str, master: Path, out: Path, fy: int = 2019) -> None:
    plan = load_plan(master)
    start = time.perf_counter()
    paths = write_forms(Project(out), plan, fy)
    elapsed = time.perf_counter() - start
    size = sum(p.stat().st_size for p in paths) / 1e6
    print(
        f"forms: {label}: {len(paths)} workbooks, {len(plan.measures)} measures, {len(plan.kpis)} KPIs: "
        f"{elapsed:.2f} s ({elapsed / len(paths) * 1000:.0f} ms per workbook, {size:.1f} MB)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run("sample plan", REPO / "inputs" / "master.xlsx", Path(tmp) / "sample")
        master = Path(tmp) / "large" / "inputs" / "master.xlsx"
        write_synthetic_master(master, measures=1000, departments=100, kpis=300)
        run(f"large plan (target < {TARGET_S:.0f} s)", master, Path(tmp) / "large")
    print(f"peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
