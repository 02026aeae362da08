"""Benchmark: the CPU a rendering process spends making each part's record (pdfjoin.part_record and
record_bytes: WeasyPrint's objects written, their references and markers made slots, the record's bytes).

A generated plan as in benchmarks/bench_review.py (the sample's 名称 and 内容, two years of notes), its review
rendered in this process (one worker: the parts one after another) with the two functions timed at every part
by this thread's CPU clock; the review is rendered ``--repeat`` times and each part's best is kept. Prints the
parts, the CPU per part (mean, largest) and over all parts. Only this step is timed, not layout or drawing.

Usage: .venv/bin/python -m benchmarks.bench_part_record [--measures 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_review import SAMPLE
from benchmarks.synth_report import report_from_plan, synthetic_plan
from kpi_report.core.project import PACKAGED_TEMPLATES
from kpi_report.plan.master import load_plan
from kpi_report.present.table import present
from kpi_report.render.review import partrender
from kpi_report.render.review.review import render_review


def part_seconds(measures: int, repeat: int) -> list[float]:
    """Each part's best CPU seconds in part_record and record_bytes, in the order the parts were finished."""
    with tempfile.TemporaryDirectory() as tmp:
        plan = synthetic_plan(Path(tmp) / "master.xlsx", measures, load_plan(SAMPLE))
    view = present(report_from_plan(plan, fy=2019, history_years=2))
    names = vars(partrender)  # where PartRenderer.finish finds the two functions
    make_record, write_record = names["part_record"], names["record_bytes"]
    best: list[float] = []
    for _ in range(max(repeat, 1)):
        seconds: list[float] = []

        def timed(fn: Callable[..., Any], seconds: list[float] = seconds) -> Callable[..., Any]:
            def run(*args: Any, **kwargs: Any) -> Any:
                start = time.thread_time()
                try:
                    return fn(*args, **kwargs)
                finally:
                    seconds.append(time.thread_time() - start)

            return run

        names.update(part_record=timed(make_record), record_bytes=timed(write_record))
        try:
            render_review(view, [PACKAGED_TEMPLATES], workers=1)
        finally:
            names.update(part_record=make_record, record_bytes=write_record)
        parts = [a + b for a, b in zip(seconds[0::2], seconds[1::2], strict=True)]
        best = parts if not best else [min(a, b) for a, b in zip(best, parts, strict=True)]
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--measures", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="renders of the review (each part's best kept)")
    args = parser.parse_args()
    seconds = part_seconds(args.measures, args.repeat)
    print(
        f"{args.measures} measures, {len(seconds)} parts: part_record + record_bytes "
        f"{sum(seconds) / len(seconds) * 1000:.1f} ms CPU per part (largest {max(seconds) * 1000:.1f} ms), "
        f"{sum(seconds):.2f} s over all parts (best of {max(args.repeat, 1)} per part)"
    )


if __name__ == "__main__":
    main()
