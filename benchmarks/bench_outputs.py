"""Benchmark: progress-list.xlsx, progress-list.html and opendata/, each rendered from one presented report.

A generated plan (tools/synth.py with the sample's 名称 and 内容, 1,000 measures, 300 KPIs) and a report with two
years of notes in the volume of Kodaira's published table (benchmarks/synth_report.py) are presented once; each
renderer then runs ``--repeat`` times and its CPU time is printed (time.process_time: in a build they run in the
second thread, beside the review's processes, so CPU is what they cost a correction): the first run in the
process (nothing remembered yet: cellmetrics' counted texts, the template environment) and the best and median
of the later ones (what a ``build --watch`` process pays again after a correction).

With ``--against PATH`` (another checkout, e.g. ``git worktree add /tmp/before HEAD~4``) the same report is
rendered by two processes, one running that checkout's code and one this one's, alternately renderer by
renderer and run by run, so both see the same machine load; their outputs are compared byte for byte. Compare
figures from one run, never with an older run's.

Usage: .venv/bin/python -m benchmarks.bench_outputs [--measures 1000] [--years 2] [--repeat 10] [--against PATH]
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "inputs" / "master.xlsx"
RENDERERS = ("progress-list.xlsx", "progress-list.html", "opendata")

# A process rendering the pickled view on request: reads a renderer's name a line, answers
# "<CPU seconds> <sha256 of the output>". Runs the code of the checkout first on its PYTHONPATH.
SERVE = """
import gc, hashlib, pickle, sys, time
import xlsxwriter  # as a build has (its first workbook imports it)
from kpi_report.render.opendata import render_opendata
from kpi_report.render.progress_html import render_progress_html
from kpi_report.render.progress_xlsx import render_progress_xlsx
with open(sys.argv[1], "rb") as file:
    view = pickle.load(file)
gc.freeze()  # as build freezes the report before rendering: the collector does not walk it again and again
render = {
    "progress-list.xlsx": lambda: render_progress_xlsx(view),
    "progress-list.html": lambda: render_progress_html(view),
    "opendata": lambda: b"".join(name.encode() + data for name, data in sorted(render_opendata(view).items())),
}
print("ready", flush=True)
for line in sys.stdin:
    start = time.process_time()
    data = render[line.strip()]()
    spent = time.process_time() - start
    print(f"{spent:.6f} {hashlib.sha256(data).hexdigest()}", flush=True)
"""


def make_view(measures: int, years: int) -> Any:
    """The presented report of a generated plan of ``measures`` measures with ``years`` years of notes."""
    from benchmarks.synth_report import report_from_plan, synthetic_plan
    from kpi_report.plan.master import load_plan
    from kpi_report.present.table import present

    with tempfile.TemporaryDirectory() as tmp:
        plan = synthetic_plan(Path(tmp) / "master.xlsx", measures, load_plan(SAMPLE))
    return present(report_from_plan(plan, fy=2019, history_years=years))


class Server:
    """A process of one checkout rendering the view on request."""

    def __init__(self, checkout: Path, view_file: Path) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(checkout), os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(view_file)],
            cwd=checkout,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
        self._stdout: IO[str] = self.process.stdout  # type: ignore[assignment]
        if self._stdout.readline().strip() != "ready":
            raise SystemExit(f"{checkout}: the renderers could not be loaded (see the error above)")

    def render(self, name: str) -> tuple[float, str]:
        """CPU seconds of one render of ``name``, and the output's digest."""
        self._stdin.write(name + "\n")
        self._stdin.flush()
        spent, digest = self._stdout.readline().split()
        return float(spent), digest

    def close(self) -> None:
        self._stdin.close()
        self.process.wait()


def run(checkouts: dict[str, Path], measures: int, years: int, repeat: int) -> None:
    """Render alternately in one process per checkout and print each renderer's figures."""
    view = make_view(measures, years)
    rows = sum(len(a.rows) for g in view.goals for a in g.areas)
    print(f"{rows} measures, {len(view.kpis)} KPIs, {years} years of notes; CPU seconds")
    with tempfile.TemporaryDirectory() as tmp:
        view_file = Path(tmp) / "view.pickle"
        view_file.write_bytes(pickle.dumps(view))
        servers = {label: Server(path, view_file) for label, path in checkouts.items()}
        try:
            for name in RENDERERS:
                times: dict[str, list[float]] = {label: [] for label in servers}
                digests: dict[str, set[str]] = {label: set() for label in servers}
                for _ in range(repeat):
                    for label, server in servers.items():
                        spent, digest = server.render(name)
                        times[label].append(spent)
                        digests[label].add(digest)
                print(f"{name}:")
                for label, runs in times.items():
                    later = runs[1:]
                    print(
                        f"  {label:>8}: first {runs[0]:.3f}, later best {min(later):.3f}"
                        f" median {statistics.median(later):.3f}"
                    )
                if len(servers) > 1:
                    same = len({frozenset(d) for d in digests.values()}) == 1
                    print(f"  {'bytes':>8}: {'the same' if same else 'DIFFERENT'}")
        finally:
            for server in servers.values():
                server.close()


def main() -> None:
    """``python -m benchmarks.bench_outputs``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--measures", type=int, default=1000)
    parser.add_argument("--years", type=int, default=2, help="years of notes per measure")
    parser.add_argument("--repeat", type=int, default=10, help="renders of each output (per checkout)")
    parser.add_argument("--against", type=Path, help="another checkout, rendered alternately with this one")
    args = parser.parse_args()
    checkouts = {"this": REPO}
    if args.against is not None:
        checkouts = {"against": args.against.resolve(), "this": REPO}
    run(checkouts, args.measures, args.years, max(args.repeat, 2))


if __name__ == "__main__":
    main()
