"""Golden outputs of the bundled sample: the files a refactor must leave unchanged, part by part.

The sample project is copied to a temporary folder and run through the real command line (forms for 2019,
build 2018 and 2019, diff 2018 → 2019). What is kept, as text files under ``tests/golden/``:

- every XML part of ``progress-list.xlsx`` (2019), ``check/findings.xlsx`` (2019) and one department form;
- ``progress-list.html`` and ``check/findings.json`` (2019), and the diff JSON;
- the annual review (2019): the text of each page and the page labels;
- every file of ``opendata/`` (2019), the CSVs without their BOM.

``python -m tools.golden --update`` rewrites the expected files on purpose (say why in the commit);
``tests/test_golden.py`` compares a fresh run with them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
FORM = "企画課.xlsx"


def _lines(xml: str) -> str:
    """One element per line, so a changed part shows as a readable diff (whitespace inside text is kept)."""
    return xml.replace("><", ">\n<") + ("" if xml.endswith("\n") else "\n")


def _xlsx_parts(path: Path, name: str) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {
            f"{name}/{info.filename}": _lines(archive.read(info).decode("utf-8"))
            for info in sorted(archive.infolist(), key=lambda i: i.filename)
            if not info.is_dir()
        }


def _pdf_pages(path: Path) -> dict[str, str]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    labels = "\n".join(reader.page_labels) + "\n"
    files = {"annual-review/page-labels.txt": labels}
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    for number, page in enumerate(text.split("\f")[: len(reader.pages)], start=1):
        files[f"annual-review/page-{number:03d}.txt"] = (
            "\n".join(line.rstrip() for line in page.splitlines()) + "\n"
        )
    return files


def produce(workdir: Path) -> dict[str, str]:
    """Run the sample through the CLI in ``workdir``; return {relative golden path: text}."""
    from kpi_report.cli import main

    project = workdir / "project"
    shutil.copytree(REPO / "inputs", project / "inputs")
    shutil.copytree(REPO / "templates", project / "templates")
    runs = [
        ["forms", "--fy", "2019"],
        ["build", "--fy", "2018"],
        ["build", "--fy", "2019"],
    ]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for args in runs:
            code = main([*args, "--project", str(project)])
            if code != 0:
                raise RuntimeError(f"kpi-report {' '.join(args)} exited {code}")
        out = project / "outputs"
        code = main(
            [
                "diff",
                str(out / "2018" / "progress-list.xlsx"),
                str(out / "2019" / "progress-list.xlsx"),
                "--out",
                str(workdir / "diff.xlsx"),
                "--json",
                str(workdir / "diff.json"),
            ]
        )
        if code != 0:
            raise RuntimeError(f"kpi-report diff exited {code}")
    year = out / "2019"
    files: dict[str, str] = {}
    files.update(_xlsx_parts(year / "progress-list.xlsx", "progress-list.xlsx"))
    files.update(_xlsx_parts(year / "check" / "findings.xlsx", "findings.xlsx"))
    files.update(_xlsx_parts(year / "forms" / FORM, f"form-{FORM}"))
    files["progress-list.html"] = (year / "progress-list.html").read_text(encoding="utf-8")
    files["findings.json"] = (year / "check" / "findings.json").read_text(encoding="utf-8")
    files["diff.json"] = (workdir / "diff.json").read_text(encoding="utf-8")
    files.update(_pdf_pages(year / "annual-review.pdf"))
    for path in sorted((year / "opendata").iterdir()):
        files[f"opendata/{path.name}"] = path.read_bytes().decode("utf-8-sig")
    return files


def expected() -> dict[str, str]:
    """The committed golden files."""
    return {
        path.relative_to(GOLDEN).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(GOLDEN.rglob("*"))
        if path.is_file()
    }


def update() -> None:
    """Rewrite tests/golden/ from a fresh run."""
    with tempfile.TemporaryDirectory() as tmp:
        files = produce(Path(tmp))
    shutil.rmtree(GOLDEN, ignore_errors=True)
    for name, text in files.items():
        target = GOLDEN / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    print(f"{len(files)} golden files written to {GOLDEN}")


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.golden --update``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--update", action="store_true", help="rewrite tests/golden/ from a fresh run")
    args = parser.parse_args(argv)
    if not args.update:
        parser.print_help()
        return 2
    update()
    return 0


if __name__ == "__main__":
    sys.exit(main())
