"""Benchmark: kpi-report diff end to end (read both lists, match, diff, write DIFF.xlsx and JSON).

Two generated progress lists of 1,000 and of 20,000 measures (notes with a block per year 2016–2019, a KPI per ten
measures), about 5% of the rows edited: re-worded 内容, an edited past year's note, a status change, moves,
removals and additions. Two cases each: the same report year (only the edits), and the next report year
(every measure also gains a 令和2年度 block and every KPI a new actual — the yearly audit). Target: 20,000 < 5 s.

Each case prints the best of ``--repeat`` end-to-end runs (wall and CPU seconds, with the load average before the
runs) and, from one more run, where the time goes: reading and comparing both lists, the workbook, the JSON. Other
processes on the machine inflate both wall and CPU figures: compare runs made side by side.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import resource
import tempfile
import time
from pathlib import Path

from benchmarks.common import peak_rss_mb
from kpi_report.compare.diff import diff_files
from kpi_report.compare.output import diff_json_bytes, render_diff_xlsx, run_diff
from kpi_report.core.fiscal import fy_heading
from tools.progress_fixture import FixtureList, progress_list_bytes, synthetic_list


def edited(doc: FixtureList, next_year: bool, seed: int = 1) -> FixtureList:
    """``doc`` with ~5% of its measures edited (and, for ``next_year``, a new year's block on every measure)."""
    rng = random.Random(seed)
    rows = list(doc.measures)
    n = len(rows)
    picked = rng.sample(range(n), n // 20)
    share = len(picked) // 5
    reworded, past, status, moved, removed = (picked[k * share : (k + 1) * share] for k in range(5))
    for i in reworded:
        rows[i] = dataclasses.replace(rows[i], content=rows[i].content.replace("関係機関", "地域の関係団体"))
    for i in past:
        rows[i] = dataclasses.replace(rows[i], notes=rows[i].notes.replace("経営体", "団体", 1))
    for i in status:
        rows[i] = dataclasses.replace(rows[i], status="完了" if rows[i].status != "完了" else "実施中")
    for i in moved:
        target = rows[(i + n // 3) % n]
        rows[i] = dataclasses.replace(rows[i], goal=target.goal, area=target.area)
    added = [
        dataclasses.replace(rows[i], id=f"N{k:05d}", name=f"新規取組{k}（合成データ）")
        for k, i in enumerate(removed)
    ]
    for k, i in enumerate(removed):
        rows[i] = added[k]
    if next_year:
        heading = fy_heading(doc.fy + 1)
        rows = [
            dataclasses.replace(m, notes=f"{m.notes}\n{heading}\n・翌年度の取組を実施しました。")
            for m in rows
        ]
    # keep each goal and area together, as the renderer does: a moved measure lands in its new area
    order = {(m.goal, m.area): k for k, m in enumerate(doc.measures)}
    rows.sort(key=lambda m: order[(m.goal, m.area)])
    kpis = doc.kpis
    years = doc.kpi_years
    fy = doc.fy
    if next_year:
        kpis = tuple(dataclasses.replace(k, actuals=(*k.actuals, 999.0)) for k in kpis)
        years, fy = (*years, doc.fy + 1), doc.fy + 1
    return dataclasses.replace(doc, fy=fy, measures=tuple(rows), kpis=kpis, kpi_years=years)


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _phases(old: Path, new: Path) -> str:
    """Seconds of each stage, run one after the other: read + match + diff, workbook, JSON. The end-to-end runs
    (run_diff) overlap work on a second core: OLD is read in a forked process beside NEW (the longer list stays
    here); 新一覧's and 新KPI's row heights are measured in another, forked once NEW is read, while OLD comes
    back and the lists are compared; 変更一覧's heights and the JSON in a third beside the workbook, whose big
    parts are compressed in threads as each is written. Here the workbook measures its own row heights."""
    marks = [time.perf_counter()]
    result = diff_files(old, new)
    marks.append(time.perf_counter())
    render_diff_xlsx(result)
    marks.append(time.perf_counter())
    diff_json_bytes(result)
    marks.append(time.perf_counter())
    names = ("read+diff", "workbook", "JSON")
    return ", ".join(f"{name} {b - a:.2f}" for name, a, b in zip(names, marks, marks[1:], strict=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="end-to-end runs per case; the best is shown")
    parser.add_argument("--sizes", default="1000,20000", help="measure counts, comma-separated")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for measures in (int(n) for n in args.sizes.split(",")):
            base = synthetic_list(measures)
            old = folder / f"old-{measures}.xlsx"
            old.write_bytes(progress_list_bytes(base))
            for next_year in (False, True):
                new = folder / f"new-{measures}-{next_year}.xlsx"
                new.write_bytes(progress_list_bytes(edited(base, next_year)))
                out, js = folder / "diff.xlsx", folder / "diff.json"
                runs = []
                load = os.getloadavg()[0]
                for _ in range(max(args.repeat, 1)):
                    cpu, start = _cpu(), time.perf_counter()
                    result = run_diff(old, new, out, js)
                    runs.append((time.perf_counter() - start, _cpu() - cpu))
                seconds, cpu_seconds = min(runs)
                label = "next year + 5% edited" if next_year else "same year, 5% edited"
                print(
                    f"diff {measures:,} measures ({label}): {seconds:.2f} s (CPU {cpu_seconds:.2f} s), "
                    f"{len(result.changes):,} changes, "
                    f"inputs {old.stat().st_size / 1e6:.1f}+{new.stat().st_size / 1e6:.1f} MB, "
                    f"DIFF.xlsx {out.stat().st_size / 1e6:.1f} MB, JSON {js.stat().st_size / 1e6:.1f} MB, "
                    f"load {load:.2f}"
                )
                print(f"  stages: {_phases(old, new)} s")
    print(f"peak memory: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
