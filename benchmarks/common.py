"""Helpers shared by the benchmark scripts: timing, peak memory and the tool's commands as a user runs them."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    """Peak resident memory of this process and its finished children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


@contextmanager
def timed(label: str, report: Callable[[str], None] = print) -> Iterator[None]:
    """Print ``label: N.NN s`` for the block."""
    start = time.perf_counter()
    yield
    report(f"{label}: {time.perf_counter() - start:.2f} s")


def command_seconds(*args: str, exits: Collection[int] = (0,), tree: Path = REPO) -> float:
    """Wall seconds of ``kpi-report <args>`` as a user runs it: a new process, start-up and imports included
    (``tree``: the checkout whose code runs). An exit code outside ``exits`` stops the benchmark with the
    command's error output."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "kpi_report", *args], capture_output=True, text=True, cwd=tree, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode not in exits:
        raise SystemExit(f"kpi-report {' '.join(args)} failed (exit {done.returncode}):\n{done.stderr}")
    return seconds
