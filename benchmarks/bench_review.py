"""Benchmark: the annual review PDF for generated plans of 60, 300 and 1,000 measures.

For each size, in a fresh process: a synthetic master (tools/synth.py) and a report with two years of notes
in the volume of Kodaira's published table (benchmarks/synth_report.py), then render_review timed
(first run and best of the repeats), pages, size, and peak memory of the main process and of the largest
rendering process. Where LibreOffice is installed, the same rows written to an .xlsx and printed to PDF by
``soffice --headless --convert-to pdf`` are timed for comparison (the peer a planning section would use).

With ``--against PATH`` (another checkout, e.g. ``git worktree add /tmp/before c809f8a``) each size is rendered
by that checkout's code and this one's in turn, ``--repeat`` rounds, each render in a fresh process, each round
beside LibreOffice, and the medians are printed: this machine's speed drifts by tens of per cent within an hour
and more between weeks (c809f8a's review, 6.3 s when its figure was written down, took 14–18 s a week later), so
only figures taken side by side compare. Both checkouts run with this interpreter and its packages.

Usage: .venv/bin/python -m benchmarks.bench_review [--sizes 60,300,1000] [--repeat 3] [--workers N]
                                                   [--against PATH]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from benchmarks.common import REPO
from benchmarks.synth_report import report_from_plan, synthetic_plan
from kpi_report.core.files import new_xlsx, write_atomic
from kpi_report.core.model import ProgressReport
from kpi_report.core.project import PACKAGED_TEMPLATES
from kpi_report.plan.master import load_plan
from kpi_report.present.table import present
from kpi_report.render.review.review import render_review

SAMPLE = REPO / "inputs" / "master.xlsx"
HEADERS = ("施策番号", "名称", "内容", "所管課（関連課）", "進捗状況", "実施等状況")


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (the rendering workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def one(
    measures: int, repeat: int, workers: int | None, long_content: bool, years: int = 2
) -> dict[str, object]:
    """Time render_review for one plan size (run in its own process, so memory figures are its own)."""
    texts = None if long_content else load_plan(SAMPLE)
    with tempfile.TemporaryDirectory() as tmp:
        plan = synthetic_plan(Path(tmp) / "master.xlsx", measures, texts)
    report = report_from_plan(plan, fy=2019, history_years=years)
    times, cpus = [], []
    pdf = b""
    for _ in range(repeat):
        cpu = _cpu()
        start = time.perf_counter()
        pdf = render_review(present(report), [PACKAGED_TEMPLATES], workers=workers)
        times.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    chars = sum(
        len(r.measure.content) + sum(len(p) for y in r.history for p in y.points)
        for g in report.goals
        for a in g.areas
        for r in a.rows
    )
    return {
        "measures": len(plan.measures),
        "kpis": len(plan.kpis),
        "chars": chars,
        "first": times[0],
        "best": min(times),
        "cpu": min(cpus),
        "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "mb": len(pdf) / 1e6,
        "main_peak_mb": _peak_mb(resource.RUSAGE_SELF),
        "worker_peak_mb": _peak_mb(resource.RUSAGE_CHILDREN),
    }


def progress_xlsx(report: ProgressReport, path: Path) -> None:
    """The report's progress-table rows as a plain printable .xlsx (LibreOffice's input for comparison)."""
    buffer = io.BytesIO()
    wb = new_xlsx(buffer)
    ws = wb.add_worksheet("進捗状況一覧表")
    wrap = wb.add_format({"text_wrap": True, "valign": "top", "border": 1, "font_size": 8})
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#DDE7F3", "font_size": 8})
    for col, (title, width) in enumerate(zip(HEADERS, (6, 18, 34, 14, 8, 60), strict=True)):
        ws.set_column(col, col, width)
        ws.write_string(0, col, title, head)
    row = 1
    for goal in report.goals:
        ws.merge_range(row, 0, row, 5, goal.title, head)
        row += 1
        for area in goal.areas:
            ws.merge_range(row, 0, row, 5, area.title, head)
            row += 1
            for r in area.rows:
                notes = "\n".join(
                    line for y in r.history for line in (y.heading, *(f"・{p}" for p in y.points))
                )
                owners = "\n".join((*r.measure.owners, *(f"（{d}）" for d in r.measure.related)))
                values = (r.measure.number, r.measure.name, r.measure.content, owners, r.status, notes)
                for col, value in enumerate(values):
                    ws.write_string(row, col, value, wrap)
                row += 1
    ws.set_landscape()
    ws.set_paper(9)
    ws.repeat_rows(0)
    ws.fit_to_pages(1, 0)
    wb.close()
    write_atomic(path, buffer.getvalue())


def libreoffice(measures: int, repeat: int, long_content: bool, years: int = 2) -> float | None:
    """Best time of LibreOffice headless printing the same rows (xlsx → pdf); None without soffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan = synthetic_plan(folder / "master.xlsx", measures, None if long_content else load_plan(SAMPLE))
        sheet = folder / f"progress-{measures}.xlsx"
        progress_xlsx(report_from_plan(plan, fy=2019, history_years=years), sheet)
        command = [
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder / "out"),
            str(sheet),
        ]
        subprocess.run(
            command, capture_output=True, check=True, timeout=600
        )  # first start builds the profile
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True, timeout=600)
            times.append(time.perf_counter() - start)
        return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="60,300,1000", help="measure counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="renders per size (best and first are shown)")
    parser.add_argument("--workers", type=int, default=None, help="rendering processes (default: up to 2)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-libreoffice", action="store_true", help="skip the LibreOffice comparison")
    parser.add_argument(
        "--years", type=int, default=2, help="years of notes per measure (a plan's last year has five)"
    )
    parser.add_argument(
        "--long-content",
        action="store_true",
        help="keep tools/synth.py's 184-character 内容 instead of the sample plan's texts (61 on average)",
    )
    parser.add_argument(
        "--against", type=Path, help="another checkout: rendered in turn with this one, --repeat rounds"
    )
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.repeat, args.workers, args.long_content, args.years)))
        return
    content = (
        "184-character 内容 (tools/synth.py)" if args.long_content else "名称・内容 of the Kiyose sample"
    )
    print(
        f"annual review PDF (render_review, after imports; {args.years} years of notes per measure; {content})"
    )
    if args.against is not None:
        against(args, args.against.resolve())
        return
    for size in (int(s) for s in args.sizes.split(",")):
        result = run_one(REPO, size, args.repeat, args)
        line = (
            f"{result['measures']:5d} measures, {result['kpis']:3d} KPIs, {result['chars'] / 1000:5.0f}k chars: "
            f"best {result['best']:5.2f} s, first {result['first']:5.2f} s (CPU {result['cpu']:5.2f} s), "
            f"{result['pages']:4d} pages, "
            f"{result['mb']:4.1f} MB; peak memory main {result['main_peak_mb']:.0f} MB, "
            f"largest worker {result['worker_peak_mb']:.0f} MB"
        )
        if not args.no_libreoffice:
            office = libreoffice(size, args.repeat, args.long_content, args.years)
            line += "; LibreOffice xlsx→pdf (table only): " + (
                f"{office:.2f} s" if office else "not installed"
            )
        print(line, flush=True)


def run_one(tree: Path, size: int, repeat: int, args: argparse.Namespace) -> dict[str, Any]:
    """:func:`one` for ``size`` measures in a fresh process running the code of the checkout ``tree``."""
    command = [sys.executable, "-m", "benchmarks.bench_review", "--one", str(size), "--repeat", str(repeat)]
    command += ["--years", str(args.years)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    if args.long_content:
        command.append("--long-content")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: bench_review --one {size} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def against(args: argparse.Namespace, other: Path) -> None:
    """Each size rendered by ``other``'s code and this checkout's in turn, ``--repeat`` rounds (see the module's
    docstring), with the medians and their ratio."""
    label = other.name
    for size in (int(s) for s in args.sizes.split(",")):
        times: dict[str, list[float]] = {"this": [], label: [], "LibreOffice": []}
        cpus: dict[str, list[float]] = {"this": [], label: []}
        print(f"{size} measures: this checkout and {other} in turn, {args.repeat} rounds", flush=True)
        for round_ in range(args.repeat):
            order = [("this", REPO), (label, other)]
            for name, tree in order if round_ % 2 == 0 else order[::-1]:  # neither always goes first
                result = run_one(tree, size, 1, args)
                times[name].append(result["best"])
                cpus[name].append(result["cpu"])
                print(
                    f"  {name:<12} {result['best']:6.2f} s  CPU {result['cpu']:6.2f} s  {result['pages']:4d} pages"
                    f"  {result['mb']:4.1f} MB  peak main {result['main_peak_mb']:.0f} MB, "
                    f"worker {result['worker_peak_mb']:.0f} MB",
                    flush=True,
                )
            office = None if args.no_libreoffice else libreoffice(size, 1, args.long_content, args.years)
            if office is not None:
                times["LibreOffice"].append(office)
                print(f"  {'LibreOffice':<12} {office:6.2f} s  (the table alone, xlsx → pdf)", flush=True)
        for name, values in times.items():
            if values:
                cpu = f", CPU {statistics.median(cpus[name]):.2f} s" if name in cpus else ""
                runs = ", ".join(f"{v:.2f}" for v in values)
                print(f"  median {name:<12} {statistics.median(values):6.2f} s{cpu}  (runs: {runs})")
        ratio = statistics.median(times["this"]) / statistics.median(times[label])
        print(f"  this / {label}: {ratio:.2f} (below 1: faster)", flush=True)


if __name__ == "__main__":
    main()
