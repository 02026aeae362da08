"""Benchmark: the hostile and careless inputs of issue 16, each run in its own process for its peak memory.

Builds every hostile file of tests/hostile.py at the recipe's size (a clean 産業振興課 form of the sample plan
made hostile), then runs `check` (check_year and write_check_outputs) or diff's reader on it in a fresh Python
process and prints the file's size, the seconds, the peak resident memory and both per MB of the file. The
bounds stated in docs/security.md ("Bounds") are what this prints; nothing here is asserted.

    python -m benchmarks.bench_hostile            # every case
    python -m benchmarks.bench_hostile merge_all  # the cases named
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the hostile files are built by the tests' own builders

import defects  # noqa: E402
import hostile  # noqa: E402

FY = 2019
FILE = "産業振興課.xlsx"
Builder = Callable[[Path, Path], Path]

# name -> (what it is, builder of inputs/2019/産業振興課.xlsx or of a progress list, what is run)
CHECK_CASES: dict[str, tuple[str, Builder]] = {
    "clean": ("a clean filled form (for comparison)", lambda s, d: Path(shutil.copy(s, d))),
    "merge_all": ("#1 mergeCell A20:XFD1048576 in 進捗", hostile.merged("進捗", "A20:XFD1048576")),
    "merge_inputs": ("#1 mergeCell L20:M1048576 in 進捗", hostile.merged("進捗", "L20:M1048576")),
    "merge_unread": ("#1 mergeCell A20:XFD1048576 in 記入方法", hostile.merged("記入方法", "A20:XFD1048576")),
    "cols_150k": ("#2 150,000 <col min=1 max=16384 hidden>", hostile.col_ranges(150_000)),
    "cols_negative": ('#2 <col min="-1000000000" max="5" hidden>', hostile.col_ranges(1, "-1000000000", "5")),
    "outside_190k": ("#10 190,000 values outside the table", hostile.values_outside(190_000)),
    "rows_1m": ("#10 a million <row ht> in 進捗", hostile.row_heights(1_000_000)),
    "unread_1_2m": ("#10 an unread sheet of 1.2 M cells", hostile.big_unread_sheet(1_200_000)),
    "strict": ("#11 a Strict Open XML workbook", hostile.strict),
}
DUPLICATES = 3_000  # #9: copies of one form
DIFF_CASES: dict[str, tuple[str, int]] = {  # progress lists of this many measures, read by diff
    "diff_50k": ("#10 diff reads a 50,000-measure list (the most it accepts)", 49_000),
    "diff_300k": ("#10 diff of a 300,000-measure list (refused)", 300_000),
}


def build(case: str, folder: Path) -> Path:
    """The project (or progress list) of ``case`` under ``folder``; returns what the run step takes."""
    from kpi_report.plan.master import load_plan

    if case in DIFF_CASES:
        from test_hostile import _progress_list

        return _progress_list(folder / "list.xlsx", DIFF_CASES[case][1])
    if case == "far_cell":
        from test_hostile import _progress_list

        listed = _progress_list(folder / "list.xlsx", 3)
        return hostile.far_cell_single_quoted(listed, folder / "far.xlsx")
    root = folder / "project"
    inputs = root / "inputs" / str(FY)
    inputs.mkdir(parents=True)
    shutil.copy(REPO / "inputs" / "master.xlsx", root / "inputs" / "master.xlsx")
    clean = defects.clean_filled_form(load_plan(REPO / "inputs" / "master.xlsx"), FY, folder)
    if case == "duplicates":
        for n in range(DUPLICATES):
            shutil.copy(clean, inputs / f"産業振興課 ({n}).xlsx")
        return root
    faulty = defects.status_not_in_scale(clean, folder / "faulty.xlsx")  # one finding: a copy is wanted
    CHECK_CASES[case][1](faulty, inputs / FILE)
    return root


def run(case: str, target: Path) -> dict[str, float | str]:
    """Run ``case`` on ``target`` in this process: check_year and write_check_outputs, or diff's reader."""
    start = time.perf_counter()
    outcome = ""
    if case in DIFF_CASES or case == "far_cell":
        from kpi_report.compare.read import read_progress_list
        from kpi_report.core.errors import DiffError

        try:
            outcome = f"{len(read_progress_list(target).measures.items):,} measures read"
        except DiffError as exc:
            outcome = f"refused: {str(exc)[:60]}"
    else:
        from kpi_report.core.project import Project
        from kpi_report.plan.master import load_plan
        from kpi_report.validate.check import check_year
        from kpi_report.validate.outputs import write_check_outputs

        project = Project(target)
        plan = load_plan(project.master)
        report = check_year(project, plan, FY)
        written = write_check_outputs(report, project, plan) if case != "duplicates" else []
        codes = sorted({f.code for f in report.findings if f.file})
        outcome = f"{len(report.findings):,} findings ({', '.join(codes)[:70]}); {len(written)} files"
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": _peak_mb(), "outcome": outcome}


def _peak_mb() -> float:
    """This process's peak resident memory: VmHWM starts afresh at exec (ru_maxrss keeps the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def input_mb(case: str, target: Path) -> tuple[float, float]:
    """The size of the files read, as sent and unpacked (MB)."""
    files = [target] if target.is_file() else list((target / "inputs" / str(FY)).iterdir())
    unpacked = 0
    for file in files:
        with zipfile.ZipFile(file) as archive:
            unpacked += sum(info.file_size for info in archive.infolist())
    return sum(f.stat().st_size for f in files) / 2**20, unpacked / 2**20


def main(argv: list[str]) -> None:
    if argv[:1] == ["--run"]:  # the child: one case, its result as JSON
        print(json.dumps(run(argv[1], Path(argv[2]))))
        return
    cases = argv or [*CHECK_CASES, "duplicates", "far_cell", *DIFF_CASES]
    baseline = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, kpi_report.validate.outputs, kpi_report.compare.read;"
            "from benchmarks.bench_hostile import _peak_mb; print(_peak_mb())",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout.strip()
    print(f"baseline (interpreter and the tool's modules): {float(baseline):.0f} MB")
    print(
        "per MB: of the parts unpacked (the intake's limit is 64 MB of them); MB/MB is the peak above baseline"
    )
    print(
        f"{'case':<14} {'file MB':>8} {'unpacked':>8} {'s':>7} {'peak MB':>8} {'s/MB':>6} {'MB/MB':>6}  outcome"
    )
    for case in cases:
        with tempfile.TemporaryDirectory() as tmp:
            target = build(case, Path(tmp))
            size, unpacked = input_mb(case, target)
            child = subprocess.run(
                [sys.executable, "-m", "benchmarks.bench_hostile", "--run", case, str(target)],
                capture_output=True,
                text=True,
                cwd=REPO,
            )
            if child.returncode != 0:
                print(
                    f"{case:<14} {size:8.2f}  FAILED (exit {child.returncode}): {child.stderr.strip()[-200:]}"
                )
                continue
            result = json.loads(child.stdout.strip().splitlines()[-1])
            seconds, peak = float(result["seconds"]), float(result["peak_mb"])
            print(
                f"{case:<14} {size:8.2f} {unpacked:8.2f} {seconds:7.2f} {peak:8.0f} "
                f"{seconds / max(unpacked, 0.01):6.2f} {(peak - float(baseline)) / max(unpacked, 0.01):6.0f}  "
                f"{result['outcome']}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
