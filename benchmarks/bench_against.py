"""Benchmark: the annual review of this tree side by side with an earlier revision's, in turn, in one run.

The development machine's speed drifts by tens of per cent within an hour and by more between weeks (the same
revision rendered the 1,000-measure review in 6.3 s when its figure was written down and in 15 s a week later),
so a figure is only worth comparing with one taken beside it. This script checks REV out in a temporary git
worktree, then renders the review in this tree and in REV's in turn (``bench_review --one``: a fresh process,
one render after imports, the same generated plan), ROUNDS times, each round beside LibreOffice printing the same
table (xlsx → pdf, the peer), and prints every run and the medians.

Usage: .venv/bin/python -m benchmarks.bench_against REV [--measures 1000] [--rounds 3] [--years 2]
                                                          [--no-libreoffice]

REV must have ``benchmarks/bench_review.py`` with ``--one`` (every revision since the review was cut into
parts). Both trees run with this interpreter and its packages.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.bench_review import libreoffice

ROOT = Path(__file__).resolve().parents[1]


def render_once(tree: Path, measures: int, years: int) -> dict[str, Any]:
    """One clean render of the review by the code in ``tree``, in its own process."""
    command = [sys.executable, "-m", "benchmarks.bench_review", "--one", str(measures), "--repeat", "1"]
    command += ["--years", str(years)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: bench_review --one failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def worktree(revision: str, folder: Path) -> Path:
    """A detached worktree of ``revision`` in ``folder`` (removed by :func:`remove_worktree`)."""
    target = folder / "tree"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(target), revision],
        check=True,
        capture_output=True,
    )
    if not (target / "benchmarks" / "bench_review.py").is_file():
        remove_worktree(target)
        raise SystemExit(f"{revision} has no benchmarks/bench_review.py to compare with")
    return target


def remove_worktree(target: Path) -> None:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(target)],
        check=False,
        capture_output=True,
    )


def _row(label: str, result: dict[str, Any]) -> str:
    return (
        f"  {label:<10} {result['best']:6.2f} s  CPU {result['cpu']:6.2f} s  {result['pages']:4d} pages  "
        f"{result['mb']:4.1f} MB  peak main {result['main_peak_mb']:.0f} MB, worker {result['worker_peak_mb']:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("revision", help="the revision to compare with (a commit, tag or branch)")
    parser.add_argument("--measures", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="renders in each tree, in turn")
    parser.add_argument("--years", type=int, default=2, help="years of notes per measure")
    parser.add_argument("--no-libreoffice", action="store_true", help="skip the LibreOffice comparison")
    args = parser.parse_args()
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    label = args.revision[:10]
    print(
        f"annual review, {args.measures} measures, {args.years} years of notes: this tree ({head or '?'}) and "
        f"{args.revision} in turn, {args.rounds} rounds (wall time of one render after imports, CPU of all "
        "processes)",
        flush=True,
    )
    times: dict[str, list[float]] = {"this tree": [], label: [], "LibreOffice": []}
    cpus: dict[str, list[float]] = {"this tree": [], label: []}
    with tempfile.TemporaryDirectory(prefix="kpi-report-against-") as tmp:
        other = worktree(args.revision, Path(tmp))
        try:
            for round_ in range(1, args.rounds + 1):
                print(f"round {round_}", flush=True)
                # alternate which goes first, so neither always meets the machine as the other left it
                order = [("this tree", ROOT), (label, other)]
                for name, tree in order if round_ % 2 else order[::-1]:
                    result = render_once(tree, args.measures, args.years)
                    times[name].append(result["best"])
                    cpus[name].append(result["cpu"])
                    print(_row(name, result), flush=True)
                if not args.no_libreoffice:
                    office = libreoffice(args.measures, 1, False, args.years)
                    if office is not None:
                        times["LibreOffice"].append(office)
                        print(
                            f"  {'LibreOffice':<10} {office:6.2f} s  (the table alone, xlsx → pdf)",
                            flush=True,
                        )
        finally:
            remove_worktree(other)
    print("medians:")
    for name, values in times.items():
        if values:
            cpu = f", CPU {statistics.median(cpus[name]):.2f} s" if name in cpus else ""
            print(
                f"  {name:<11} {statistics.median(values):6.2f} s{cpu}  (runs: "
                + ", ".join(f"{v:.2f}" for v in values)
                + ")"
            )
    ours, theirs = statistics.median(times["this tree"]), statistics.median(times[label])
    print(f"this tree / {args.revision}: {ours / theirs:.2f} (below 1: faster)")


if __name__ == "__main__":
    main()
