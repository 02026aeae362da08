"""Benchmark: the HTML every build makes in its own process — every part of the annual review and the page.

A build makes the HTML of every part of the review to key the part cache (render_review: the template
variables, the part plan, then the template once per part), whether or not a part is rendered again, and the
progress-list page; a correction rebuild pays for all of it. For a generated plan (tools/synth.py, the
sample's 名称 and 内容, two years of notes) this times, in CPU seconds of this process, the part plan
(plan_parts), the review's HTML (variables, plan and every part, as render_review makes them) and the page,
each ``--repeat`` times after one warm-up, and prints the best and the median.

Usage: .venv/bin/python -m benchmarks.bench_templates [--measures 1000] [--repeat 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.synth_report import report_from_plan, synthetic_plan
from kpi_report.core.project import PACKAGED_TEMPLATES
from kpi_report.plan.master import load_plan
from kpi_report.present.table import ReportView, present
from kpi_report.render.progress_html import render_progress_html
from kpi_report.render.review import review
from kpi_report.render.review.weasy import find_japanese_font

SAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "master.xlsx"


def review_html(view: ReportView) -> list[str]:
    """Every part's HTML, as render_review makes it to key the part cache."""
    template = review._environment([PACKAGED_TEMPLATES]).get_template(review.TEMPLATE)
    context = review._context(view, find_japanese_font())
    return [template.render(part=part, **context) for part in review.plan_parts(view)]


def _cpu(work: Callable[[], object], repeat: int) -> list[float]:
    work()  # compiled templates, imports
    times = []
    for _ in range(repeat):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measures", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plan = synthetic_plan(Path(tmp) / "master.xlsx", args.measures, load_plan(SAMPLE))
    view = present(report_from_plan(plan, fy=2019, history_years=2))
    print(
        f"{args.measures} measures, {len(review.plan_parts(view))} parts; CPU s, best / median of {args.repeat}"
    )
    for label, work in (
        ("part plan (plan_parts)", lambda: review.plan_parts(view)),
        ("review HTML, every part", lambda: review_html(view)),
        ("progress-list page", lambda: render_progress_html(view)),
    ):
        times = _cpu(work, args.repeat)
        print(f"{label:26s} {min(times):.3f} / {statistics.median(times):.3f}")


if __name__ == "__main__":
    main()
