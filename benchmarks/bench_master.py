"""Benchmark: loading and checking the master, sample and a generated 1,000-measure plan."""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.common import peak_rss_mb, timed
from kpi_report.plan.master import load_plan
from tools.synth import write_synthetic_master

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    with timed("master: sample plan"):
        load_plan(REPO / "inputs" / "master.xlsx")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "master.xlsx"
        write_synthetic_master(path, measures=2000, departments=300, kpis=300)
        with timed("master: 2,000 measures, 300 KPIs"):
            load_plan(path)
    print(f"peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
