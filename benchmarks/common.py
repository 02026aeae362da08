"""Helpers shared by the benchmark scripts: timing and peak memory."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


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
