"""Benchmark: correction rounds — `build` of a 1,000-measure plan clean, then again after one change.

A synthetic master (tools/synth.py: 1,000 measures, 100 departments, 300 KPIs) and every department's filled
form for each year (benchmarks/bench_build.write_submissions), then, in this order on the same project:

- clean: no outputs and no cache (each repeat starts from nothing);
- one correction: one department's form for the report year gets a corrected 実施状況 (a different text each
  repeat), then build;
- unchanged: build again with nothing changed;
- a page-moving correction: one department's 実施状況 grows to about sixty lines, then shrinks to one, then
  grows again (one per repeat), so its section's page count and every later page number move each time;
- a template change: annual-review.css in the project's templates/ gets one more rule (a different one each
  repeat), so every part of the review is rendered again;
- one correction, build --watch: one process (as `build --watch` keeps) builds once, then again after each
  corrected form; the rebuilds are timed;
- one correction and unchanged as the whole `kpi-report build` command: a new process, start-up and imports
  included (WeasyPrint is loaded only when a part of the review is rendered).

Each build runs in a fresh process (so its peak memory is its own) and is timed after imports: check of every
year, merge, the review PDF, progress-list.xlsx, the page, open data and the manifest. The figures are wall
seconds, CPU seconds (the process and its rendering workers), peak resident memory of the process and of its
largest worker, and how many review parts were rendered / reused. Where LibreOffice is installed, the same
progress table (the clean build's rows, benchmarks/bench_review.progress_xlsx) printed to PDF by
``soffice --headless --convert-to pdf`` is timed in the same run for comparison.

Targets (issue 15): one correction ≤ 1 s; peak memory < 1 GB. Other processes on the machine inflate wall time.

With ``--against PATH`` (another checkout, e.g. ``git worktree add /tmp/before HEAD~1``), only the rebuild after
one correction is timed — while watching (``--repeat`` rebuilds in one process) and as the whole command — by
that checkout's code and this one's in turn, ``--rounds`` rounds, each on its own copy of the same project, with
LibreOffice printing the table once each round, and the medians and their ratio are printed: this machine's speed
drifts by tens of per cent within an hour, and one rebuild varies by ±20 % from the next, so only figures taken
side by side compare. This script drives both (the other checkout's ``kpi_report`` is imported in its children;
one from before ``build --watch`` times the whole command only), with this interpreter and its packages; the
other's modules are compiled first, as setup.sh compiles this one's.

Usage: .venv/bin/python -m benchmarks.bench_rebuild [--measures 1000] [--years 2] [--repeat 3] [--profile CASE]
                                                    [--against PATH [--rounds 4]]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, command_seconds

FY = 2019
PROFILE = Path(tempfile.gettempdir()) / "kpi-report-rebuild.prof"
CASES = ("clean", "one correction", "unchanged", "a page-moving correction", "a template change")


def _cpu(running: Sequence[Any] = ()) -> float:
    """CPU seconds of this process and its ended children, and of the ``running`` ones (kept workers: the
    kernel adds a child's time to RUSAGE_CHILDREN only once it has ended)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    alive = 0.0
    for proc in running:
        try:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rpartition(")")[2].split()
            alive += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        except (OSError, ValueError, IndexError):
            continue
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + alive


def one_build(root: Path, table: Path | None, profile: Path | None) -> dict[str, Any]:
    """Build ``root`` for FY in this process, timed after imports (run as a child by :func:`main`)."""
    start = time.perf_counter()
    import weasyprint  # noqa: F401  (loaded before timing as in earlier sessions; the whole command is timed too)

    from kpi_report.core.project import Project
    from kpi_report.publish.build import build

    imports = time.perf_counter() - start
    cpu, start = _cpu(), time.perf_counter()
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(build, Project(root), FY)
        profiler.dump_stats(profile)
    else:
        result = build(Project(root), FY)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    if table is not None:
        from benchmarks.bench_review import progress_xlsx

        progress_xlsx(result.report, table)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "imports": imports,
        "main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "rendered": len(result.review_parts_rendered),
        "reused": len(result.review_parts_reused),
    }


def watching(root: Path, repeat: int, seed: int = 100) -> list[dict[str, Any]]:
    """`build --watch`'s rebuilds: one process builds ``root`` once, then after each of ``repeat`` corrections
    (run as a child by :func:`main`; each rebuild is timed as in :func:`one_build`; the peak memory shown is
    the process's over all its builds, the first included). As the command does, the review's rendering
    processes are kept between builds and warmed after each one (api.watch), and a correction is built once
    it has held still for the watch's interval (0.5 s). ``seed``: the first correction's number (each rebuild's
    is new: a text seen before would find its parts in the cache)."""
    import weasyprint  # noqa: F401

    from kpi_report.core.project import Project
    from kpi_report.publish.build import build
    from kpi_report.render.review.weasy import Workers

    runs = []
    with Workers() as keep:
        build(Project(root), FY, keep=keep)  # the watch's first build
        keep.prime()
        for k in range(repeat):
            correct(root, seed + k)
            time.sleep(0.5)  # the watch waits until the folders hold still
            cpu, start = _cpu(keep.procs), time.perf_counter()
            result = build(Project(root), FY, keep=keep)
            seconds, cpu = time.perf_counter() - start, _cpu(keep.procs) - cpu
            runs.append(
                {
                    "seconds": seconds,
                    "cpu": cpu,
                    "main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "worker_mb": max([_peak_mb(p.pid) for p in keep.procs], default=0.0),
                    "rendered": len(result.review_parts_rendered),
                    "reused": len(result.review_parts_reused),
                }
            )
            keep.prime()
    return runs


def _peak_mb(pid: int | None) -> float:
    """The peak resident memory of a running process (VmHWM), in MB; 0 where /proc does not tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _child(root: Path, table: Path | None = None, profile: Path | None = None) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.bench_rebuild", "--one", str(root)]
    if table is not None:
        command += ["--table", str(table)]
    if profile is not None:
        command += ["--profile-to", str(profile)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    if done.returncode:
        raise SystemExit(f"build failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def setup(root: Path, measures: int, years: int) -> str:
    """The project: master, every department's filled form for each year, the templates. Returns a summary."""
    from benchmarks.bench_build import write_submissions
    from kpi_report.core.project import Project
    from kpi_report.plan.master import load_plan
    from tools.synth import write_synthetic_master

    project = Project(root)
    write_synthetic_master(project.master, measures=measures, departments=100, kpis=300)
    plan = load_plan(project.master)
    files = write_submissions(project, plan, range(FY - years + 1, FY + 1))
    shutil.copytree(REPO / "kpi_report" / "templates", project.templates)
    return f"{len(plan.measures)} measures, {len(plan.kpis)} KPIs, {files} filled forms ({years} years)"


def correct(root: Path, repeat: int, lines: int = 1) -> None:
    """One department's corrected form: the first measure's 実施状況 rewritten (a different text each repeat;
    ``lines`` points long)."""
    from openpyxl import load_workbook

    from tools.fill_forms import save_deterministic

    form = sorted((root / "inputs" / str(FY)).glob("*.xlsx"))[0]
    wb = load_workbook(form)
    ws = wb["進捗"]
    for row in ws.iter_rows(min_row=1, max_row=20):
        headers = [c.value for c in row]
        if "実施状況" in headers:
            col, top = headers.index("実施状況") + 1, row[0].row or 1
            break
    else:
        raise SystemExit(f"{form.name}: no 実施状況 column")
    points = [f"・訂正後の実施状況です（第{repeat + 1}回の訂正）。説明会を{repeat + 2}回開催しました。"]
    points += [
        f"・追記{k + 1}：関係団体との協議を重ね、事業の進め方を見直しました。" for k in range(lines - 1)
    ]
    ws.cell(top + 1, col, "\n".join(points)[:1900])
    save_deterministic(wb, form)


def change_template(root: Path, repeat: int) -> None:
    css = root / "templates" / "annual-review.css"
    rule = f"\nh1 {{ letter-spacing: 0.0{repeat + 1}em; }}\n"
    css.write_text(css.read_text(encoding="utf-8") + rule, encoding="utf-8")


def libreoffice(table: Path, repeat: int) -> list[float] | None:
    """Seconds of LibreOffice printing ``table`` to PDF, each repeat (None without soffice)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return None
    folder = table.parent
    command = [
        soffice,
        f"-env:UserInstallation={(folder / 'profile').as_uri()}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(folder / "office"),
        str(table),
    ]
    subprocess.run(
        command, capture_output=True, check=True, timeout=600
    )  # the first start builds the profile
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, timeout=600)
        times.append(time.perf_counter() - start)
    return times


def _line(case: str, runs: list[dict[str, Any]]) -> str:
    seconds = sorted(r["seconds"] for r in runs)
    best = min(runs, key=lambda r: r["seconds"])
    return (
        f"{case:18s} best {seconds[0]:5.2f} s (runs {', '.join(f'{s:.2f}' for s in seconds)}), "
        f"CPU {best['cpu']:5.2f} s, review parts rendered {best['rendered']} / reused {best['reused']}, "
        f"peak memory main {max(r['main_mb'] for r in runs):.0f} MB, "
        f"largest worker {max(r['worker_mb'] for r in runs):.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--measures", type=int, default=1000)
    parser.add_argument("--years", type=int, default=2, help="years of filled forms (notes per measure)")
    parser.add_argument("--repeat", type=int, default=3, help="builds per case (best and each run are shown)")
    parser.add_argument("--no-libreoffice", action="store_true", help="skip the LibreOffice comparison")
    parser.add_argument(
        "--profile", choices=CASES, help=f"write a cProfile of this case's last build to {PROFILE}"
    )
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--table", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--watching", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=100, help=argparse.SUPPRESS)
    parser.add_argument(
        "--against",
        type=Path,
        help="another checkout: its rebuilds timed in turn with this one's (see above)",
    )
    parser.add_argument(
        "--rounds", type=int, default=4, help="with --against: rounds (each runs both in turn)"
    )
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_build(args.one, args.table, args.profile_to)))
        return
    if args.watching:
        print(json.dumps(watching(args.watching, max(args.repeat, 1), args.seed)))
        return
    if args.against is not None:
        against(args, args.against.resolve())
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        start = time.perf_counter()
        summary = setup(root, args.measures, args.years)
        print(f"setup: {summary} in {time.perf_counter() - start:.1f} s (not timed as build)")
        table = Path(tmp) / "progress-table.xlsx"
        results: dict[str, list[dict[str, Any]]] = {}
        for case in CASES:
            runs = []
            for k in range(max(args.repeat, 1)):
                if case == "clean":
                    shutil.rmtree(root / "outputs", ignore_errors=True)
                elif case == "one correction":
                    correct(root, k)
                elif case == "a page-moving correction":  # long, short, long …: every run moves the pages
                    correct(root, k + 10, lines=60 if k % 2 == 0 else 1)
                elif case == "a template change":
                    change_template(root, k)
                last = k == max(args.repeat, 1) - 1
                profile = PROFILE if args.profile == case and last else None
                runs.append(_child(root, table if case == "clean" and k == 0 else None, profile))
            results[case] = runs
            print(_line(case, runs), flush=True)
        command = [sys.executable, "-m", "benchmarks.bench_rebuild", "--watching", str(root)]
        done = subprocess.run(
            [*command, "--repeat", str(max(args.repeat, 1))],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=False,
        )
        if done.returncode:
            raise SystemExit(f"build failed:\n{done.stderr}")
        print(_line("one correction, build --watch", json.loads(done.stdout.splitlines()[-1])), flush=True)
        imports = min(r["imports"] for r in results["clean"])
        print(
            f"imports before build (not timed above; a new `kpi-report build` pays them, --watch once): {imports:.2f} s"
        )
        for case, change in (("one correction", True), ("unchanged", False)):
            seconds = []
            for k in range(max(args.repeat, 1)):
                if change:
                    correct(root, 200 + k)
                seconds.append(command_seconds("build", "--fy", str(FY), "--project", str(root)))
            print(
                f"{case}, the whole `kpi-report build` command (start-up and imports too): best {min(seconds):.2f} s "
                f"(runs {', '.join(f'{x:.2f}' for x in seconds)})",
                flush=True,
            )
        if not args.no_libreoffice:
            office = libreoffice(table, max(args.repeat, 1))
            if office is None:
                print("LibreOffice: not installed, comparison skipped")
            else:
                print(
                    f"LibreOffice xlsx→pdf, the same progress table only: best {min(office):.2f} s "
                    f"(runs {', '.join(f'{s:.2f}' for s in sorted(office))})"
                )
        if args.profile:
            print(f"profile of the last '{args.profile}' build: {PROFILE}")


# a child running this script with the tool's package taken from another checkout
_WITH_TREE = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); import kpi_report; sys.path[0] = sys.argv.pop(1); "
    "sys.argv[0] = 'bench_rebuild'; from benchmarks.bench_rebuild import main; main()"
)


def _watching_child(tree: Path, root: Path, repeat: int, seed: int) -> list[dict[str, Any]] | None:
    """:func:`watching` in a new process, with the code of the checkout ``tree`` (None: it has no build --watch)."""
    command = [sys.executable, "-c", _WITH_TREE, str(tree), str(REPO), "--watching", str(root)]
    command += ["--repeat", str(repeat), "--seed", str(seed)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode:
        last = done.stderr.strip().splitlines()[-1:] or [""]
        if last[0].startswith(("ImportError", "ModuleNotFoundError")) or "argument 'keep'" in last[0]:
            return None  # a checkout from before build --watch (no Workers to keep, no keep= to give)
        raise SystemExit(f"{tree}: bench_rebuild --watching failed:\n{done.stderr[-2000:]}")
    runs: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return runs


def against(args: argparse.Namespace, other: Path) -> None:
    """The rebuild after one correction by ``other``'s code and this checkout's in turn (see the module's
    docstring), with the medians and their ratio."""
    label = other.name
    trees = {"this": REPO, label: other}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(other / "kpi_report")], check=False)
    repeat, rounds = max(args.repeat, 1), max(args.rounds, 1)
    with tempfile.TemporaryDirectory() as tmp:
        roots = {name: Path(tmp) / f"project-{n}" for n, name in enumerate(trees)}
        start = time.perf_counter()
        summary = setup(roots["this"], args.measures, args.years)
        shutil.copytree(roots["this"], roots[label], ignore=shutil.ignore_patterns("templates"))
        # the other's project holds that checkout's templates, as setup gives this one this checkout's
        shutil.copytree(other / "kpi_report" / "templates", roots[label] / "templates")
        # the first build of each (not timed): every later one has a cache; this one's also writes the table
        # LibreOffice prints in each round
        table = Path(tmp) / "progress-table.xlsx"
        _child(roots["this"], table)
        command_seconds("build", "--fy", str(FY), "--project", str(roots[label]), tree=other)
        print(f"setup: {summary} and a first build by each, {time.perf_counter() - start:.1f} s (not timed)")
        watched: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
        whole: dict[str, list[float]] = {name: [] for name in trees}
        office: list[float] = []
        print(
            f"one correction: this checkout and {other} in turn, {rounds} rounds "
            f"({repeat} rebuilds while watching, then {repeat} whole commands, each)",
            flush=True,
        )
        for round_ in range(rounds):
            order = list(trees) if round_ % 2 == 0 else list(trees)[::-1]  # neither always goes first
            for name in order:
                # the same corrections for both, each rebuild a new one
                runs = _watching_child(trees[name], roots[name], repeat, 2000 + 100 * round_)
                seconds = []
                for k in range(repeat):
                    correct(roots[name], 1000 + 100 * round_ + k)
                    seconds.append(
                        command_seconds(
                            "build", "--fy", str(FY), "--project", str(roots[name]), tree=trees[name]
                        )
                    )
                whole[name] += seconds
                watched[name] += runs or []
                shown = ", ".join(f"{r['seconds']:.2f}" for r in runs) if runs else "no build --watch"
                print(
                    f"  {name:<12} while watching {shown}; the whole command {', '.join(f'{s:.2f}' for s in seconds)}",
                    flush=True,
                )
            printed = None if args.no_libreoffice else libreoffice(table, 1)
            if printed is not None:
                office += printed
                print(
                    f"  {'LibreOffice':<12} {printed[0]:.2f} s (the same progress table, xlsx → pdf)",
                    flush=True,
                )
        cpu = {name: statistics.median(r["cpu"] for r in runs) for name, runs in watched.items() if runs}
        for case, values, cpu_of in (
            ("while watching", {name: [r["seconds"] for r in runs] for name, runs in watched.items()}, cpu),
            ("the whole command", whole, {}),
        ):
            medians = {name: statistics.median(v) for name, v in values.items() if v}
            figures = [
                f"{name} {medians[name]:.2f} s" + (f" (CPU {cpu_of[name]:.2f} s)" if name in cpu_of else "")
                if name in medians
                else f"{name}: no build --watch"
                for name in trees
            ]
            if len(medians) == len(trees):
                figures.append(f"this / {label}: {medians['this'] / medians[label]:.2f} (below 1: faster)")
            print(f"median, {case}: " + "; ".join(figures), flush=True)
        if office:
            print(f"median, LibreOffice printing the table: {statistics.median(office):.2f} s", flush=True)


if __name__ == "__main__":
    main()
