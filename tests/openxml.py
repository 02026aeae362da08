"""Microsoft's Open XML SDK validator, and Excel's own limits, for the workbooks the tool writes.

Nobody here can open Excel, so validity is proven with the validator Microsoft ships for the format:
``DocumentFormat.OpenXml.Validation.OpenXmlValidator`` (SDK 3.5.1, checking against ``FileFormatVersions.
Microsoft365``). The SDK's assemblies and a self-contained .NET runtime come in the dev-only wheel
``python-redlines-docxodus`` as ``python_redlines_docxodus/_binaries/linux-x64.tar.gz``; the tarball is
unpacked once next to itself (``_binaries/linux-x64/``) and the runtime is loaded with ``clr_loader`` and
``pythonnet``. The runtime is self-contained (its runtimeconfig.json has ``includedFrameworks``), which
hostfxr refuses to start from a runtime config (0x80008093 InvalidConfigFile); it is started through the
command-line hosting API instead, with the bundle's own app ``redline.dll`` as the entry (never run), which
puts DocumentFormat.OpenXml.dll on the trusted assembly list.

The validator runs in a child process (``python tests/openxml.py FILE...`` prints JSON): a CLR can be loaded
only once per process and cannot be unloaded, so pytest's own process is kept free of it.

Exactly one kind of SDK error is ignored: openpyxl writes a ``<font>``'s children in styles.xml in an order the
SDK's schema (a sequence) rejects, though ECMA-376's CT_Font is a choice that allows any order and Excel opens
it. Feedback copies are saved by openpyxl, so they have it; nothing else is ignored.

``excel_limit_problems`` checks what the SDK does not: Excel's row height (409 pt), cell and comment text
(32,767 characters), defined names (255 characters), data-validation list formulas (255 characters), and
that a .xlsx's workbook part has the .xlsx content type (not a macro-enabled one).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

MAX_ROW_HEIGHT_PT = 409.0
MAX_CELL_TEXT = 32_767
MAX_COMMENT_TEXT = 32_767
MAX_NAME_LENGTH = 255
MAX_FORMULA_LENGTH = 8_192
MAX_LIST_FORMULA = 255  # a data-validation list's formula1, quotes included
# A .xlsx must be this (a macro-enabled or template content type under a .xlsx name: Excel will not open it)
_XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_WORKER_TIMEOUT_S = 300

# The known false positive, and only it: an element of CT_Font (b, i, strike, condense, extend, outline, shadow,
# u, vertAlign, sz, color, name, family, charset, scheme) reported as unexpected inside <x:font> of styles.xml.
_FONT_CHILDREN = "b|i|strike|condense|extend|outline|shadow|u|vertAlign|sz|color|name|family|charset|scheme"
_FONT_ORDER = re.compile(
    rf"^The element has unexpected child element "
    rf"'http://schemas\.openxmlformats\.org/spreadsheetml/2006/main:(?:{_FONT_CHILDREN})'\."
)


class ValidatorUnavailable(RuntimeError):
    """The dev-only SDK wheel is not installed or its runtime does not start."""


# -- locating and starting the SDK --------------------------------------------------------------------------


def sdk_dir() -> Path:
    """The folder holding the self-contained .NET runtime and DocumentFormat.OpenXml.dll (unpacked once)."""
    try:
        wheel = importlib.import_module("python_redlines_docxodus")  # untyped: only its folder is used
    except ImportError as exc:  # pragma: no cover - setup.sh --dev installs it
        raise ValidatorUnavailable(
            "python-redlines-docxodus is not installed (scripts/setup.sh --dev)"
        ) from exc
    binaries = Path(str(wheel.__file__)).parent / "_binaries"
    target = binaries / "linux-x64"
    if (target / "DocumentFormat.OpenXml.dll").is_file() and (target / ".unpacked").is_file():
        return target
    archive = binaries / "linux-x64.tar.gz"
    if not archive.is_file():
        raise ValidatorUnavailable(f"{archive} is missing")
    staging = Path(tempfile.mkdtemp(prefix=".linux-x64-", dir=binaries))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        (staging / ".unpacked").write_text("")
        staging.rename(target)  # atomic: a concurrent unpacker either wins or finds the folder there
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (target / ".unpacked").is_file():
            raise
    return target


def _load_validator(root: Path) -> tuple[Any, Any]:
    """Start the CLR in this process; the validator and SpreadsheetDocument type."""
    import clr_loader

    runtime = clr_loader.get_coreclr(
        entry_dll=root / "redline.dll",
        dotnet_root=root,
        properties={"System.Globalization.Invariant": "true"},  # no libicu needed
    )
    importlib.import_module("pythonnet").set_runtime(runtime)  # pythonnet and clr are untyped
    importlib.import_module("clr").AddReference(str(root / "DocumentFormat.OpenXml.dll"))
    FileFormatVersions = importlib.import_module("DocumentFormat.OpenXml").FileFormatVersions
    SpreadsheetDocument = importlib.import_module("DocumentFormat.OpenXml.Packaging").SpreadsheetDocument
    OpenXmlValidator = importlib.import_module("DocumentFormat.OpenXml.Validation").OpenXmlValidator

    validator = OpenXmlValidator(FileFormatVersions.Microsoft365)
    validator.MaxNumberOfErrors = 0  # all of them
    return validator, SpreadsheetDocument


def _worker(paths: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    """Validate each file in this process: {path: [{id, type, part, path, description}, ...]}."""
    validator, spreadsheet = _load_validator(sdk_dir())
    out: dict[str, list[dict[str, str]]] = {}
    for path in paths:
        errors: list[dict[str, str]] = []
        try:
            doc = spreadsheet.Open(path, False)
        except Exception as exc:  # the package itself does not open
            errors.append({"id": "Open", "type": "Package", "part": "", "path": "", "description": str(exc)})
        else:
            try:
                for e in validator.Validate(doc):
                    errors.append(
                        {
                            "id": str(e.Id or ""),
                            "type": str(e.ErrorType),
                            "part": str(e.Part.Uri) if e.Part is not None else "",
                            "path": str(e.Path.XPath) if e.Path is not None else "",
                            "description": str(e.Description),
                        }
                    )
            finally:
                doc.Dispose()
        out[path] = errors
    return out


# -- the parent's side ---------------------------------------------------------------------------------------


def reordered_fonts(path: Path) -> set[str]:
    """The SDK paths of styles.xml's <font> elements that break the SDK's sequence only by their order.

    Such a font has children of CT_Font's names alone, each at most once, in another order than the schema's.
    A font with a duplicated or foreign child is not in the set: its error is a real one.
    """
    with zipfile.ZipFile(path) as z:
        if "xl/styles.xml" not in z.namelist():
            return set()
        root = ElementTree.fromstring(z.read("xl/styles.xml"))
    allowed = _FONT_CHILDREN.split("|")
    found: set[str] = set()

    def walk(element: Any, path: str) -> None:
        seen: dict[str, int] = {}
        for child in element:
            if not isinstance(child.tag, str) or not child.tag.startswith(NS):
                continue
            name = child.tag[len(NS) :]
            seen[name] = seen.get(name, 0) + 1
            child_path = f"{path}/x:{name}[{seen[name]}]"
            if name == "font":
                names = [c.tag[len(NS) :] for c in child if isinstance(c.tag, str) and c.tag.startswith(NS)]
                only_order = (
                    len(names) == len(set(names))
                    and len(names) == len(child)
                    and all(n in allowed for n in names)
                    and names != sorted(names, key=allowed.index)
                )
                if only_order:
                    found.add(child_path)
            else:
                walk(child, child_path)

    walk(root, "/x:styleSheet[1]")
    return found


def is_known_false_positive(error: dict[str, str], reordered: set[str] | None = None) -> bool:
    """openpyxl's order of <font> children in styles.xml, and nothing else.

    With ``reordered`` (from :func:`reordered_fonts` of the same file) the font must also be one whose children
    are CT_Font's, each once: only then is the SDK's "unexpected child" the order and not a duplicate.
    """
    return (
        error.get("part") == "/xl/styles.xml"
        and error.get("id") == "Sch_UnexpectedElementContentExpectingComplex"
        and bool(re.search(r"/x:font\[\d+\]$", error.get("path", "")))
        and bool(_FONT_ORDER.match(error.get("description", "")))
        and (reordered is None or error.get("path") in reordered)
    )


def raw_errors(paths: Iterable[Path]) -> dict[Path, list[dict[str, str]]]:
    """Every SDK error of each file, unfiltered, from one child process."""
    files = [Path(p).resolve() for p in paths]
    if not files:
        return {}
    sdk_dir()  # unpack here, once, before the child needs it
    env = dict(os.environ, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="1", DOTNET_CLI_TELEMETRY_OPTOUT="1")
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *map(str, files)],
        capture_output=True,
        text=True,
        env=env,
        timeout=_WORKER_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        raise ValidatorUnavailable(
            f"the Open XML SDK validator failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    found: dict[str, list[dict[str, str]]] = json.loads(proc.stdout)
    return {f: found[str(f)] for f in files}


def describe(error: dict[str, str]) -> str:
    return f"{error['part']} {error['path']}: {error['description']} [{error['id']}]"


def validate_many(paths: Iterable[Path]) -> dict[Path, list[str]]:
    """{file: the SDK's errors, described with part and path}, less the one known false positive."""
    out: dict[Path, list[str]] = {}
    for path, errors in raw_errors(paths).items():
        reordered = reordered_fonts(path) if errors else set()
        out[path] = [describe(e) for e in errors if not is_known_false_positive(e, reordered)]
    return out


def validate_xlsx(path: Path) -> list[str]:
    """The SDK's errors of one workbook (Microsoft365 format), less the known false positive."""
    return validate_many([path])[Path(path).resolve()]


# -- Excel's limits the SDK does not check ---------------------------------------------------------------------


def _text(element: Any) -> str:
    return "".join(t.text or "" for t in element.iter(f"{NS}t"))


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """{worksheet part: sheet name}."""
    book = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_RELS}Relationship")}
    out: dict[str, str] = {}
    for sheet in book.iter(f"{NS}sheet"):
        rid = sheet.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
        target = targets.get(rid, "")
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[part] = sheet.get("name", "")
    return out


def _parts_of_type(z: zipfile.ZipFile, suffix: str) -> list[str]:
    """The parts whose content type (in [Content_Types].xml) ends with ``suffix``, wherever they are."""
    types = ElementTree.fromstring(z.read("[Content_Types].xml"))
    ns = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    return sorted(
        o.get("PartName", "").lstrip("/")
        for o in types.iter(f"{ns}Override")
        if o.get("ContentType", "").endswith(suffix)
    )


def excel_limit_problems(path: Path) -> list[str]:
    """Where the workbook exceeds a limit of Excel's that the SDK's schema validation does not know."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as z:
        if Path(path).suffix.lower() == ".xlsx" and _parts_of_type(z, _XLSX_MAIN) != ["xl/workbook.xml"]:
            problems.append(f"the workbook part is not of type {_XLSX_MAIN}: Excel refuses the .xlsx")
        shared: list[str] = []
        for part in _parts_of_type(z, "spreadsheetml.sharedStrings+xml"):
            shared = [_text(si) for si in ElementTree.fromstring(z.read(part)).iter(f"{NS}si")]
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        for dn in book.iter(f"{NS}definedName"):
            name, formula = dn.get("name", ""), dn.text or ""
            if len(name) > MAX_NAME_LENGTH:
                problems.append(f"defined name of {len(name)} characters (Excel: {MAX_NAME_LENGTH})")
            if len(formula) > MAX_FORMULA_LENGTH:
                problems.append(f"defined name {name}: formula of {len(formula)} characters")
        for sheet in book.iter(f"{NS}sheet"):
            if len(sheet.get("name", "")) > 31:
                problems.append(f"sheet name {sheet.get('name')!r} longer than 31 characters")
        sheet_names = _sheet_parts(z)
        for part in _parts_of_type(z, "spreadsheetml.worksheet+xml"):
            sheet_name = sheet_names.get(part, part)
            ws = ElementTree.fromstring(z.read(part))
            fmt = ws.find(f"{NS}sheetFormatPr")
            if fmt is not None and float(fmt.get("defaultRowHeight", "0")) > MAX_ROW_HEIGHT_PT:
                problems.append(f"{sheet_name}: default row height {fmt.get('defaultRowHeight')} pt > 409")
            for row in ws.iter(f"{NS}row"):
                ht = row.get("ht")
                if ht is not None and float(ht) > MAX_ROW_HEIGHT_PT:
                    problems.append(
                        f"{sheet_name}!row {row.get('r')}: height {ht} pt > {MAX_ROW_HEIGHT_PT:g}"
                    )
            for c in ws.iter(f"{NS}c"):
                kind, ref = c.get("t"), c.get("r")
                text = ""
                if kind == "s":
                    v = c.find(f"{NS}v")
                    if v is not None and v.text is not None and int(v.text) < len(shared):
                        text = shared[int(v.text)]
                elif kind == "inlineStr":
                    ist = c.find(f"{NS}is")
                    text = _text(ist) if ist is not None else ""
                elif kind == "str":
                    v = c.find(f"{NS}v")
                    text = (v.text or "") if v is not None else ""
                if len(text) > MAX_CELL_TEXT:
                    problems.append(
                        f"{sheet_name}!{ref}: text of {len(text):,} characters > {MAX_CELL_TEXT:,}"
                    )
                f = c.find(f"{NS}f")
                if f is not None and f.text and len(f.text) > MAX_FORMULA_LENGTH:
                    problems.append(f"{sheet_name}!{ref}: formula of {len(f.text):,} characters")
            for dv in ws.iter(f"{NS}dataValidation"):
                f1 = dv.find(f"{NS}formula1")
                formula = (f1.text or "") if f1 is not None else ""
                if dv.get("type") == "list" and len(formula) > MAX_LIST_FORMULA:
                    problems.append(
                        f"{sheet_name} {dv.get('sqref')}: list validation of {len(formula)} characters "
                        f"> {MAX_LIST_FORMULA}"
                    )
                for attr in ("promptTitle", "errorTitle"):
                    if len(dv.get(attr, "")) > 32:
                        problems.append(f"{sheet_name} {dv.get('sqref')}: {attr} longer than 32 characters")
                for attr in ("prompt", "error"):
                    if len(dv.get(attr, "")) > 255:
                        problems.append(f"{sheet_name} {dv.get('sqref')}: {attr} longer than 255 characters")
        for part in _parts_of_type(z, "spreadsheetml.comments+xml"):
            for comment in ElementTree.fromstring(z.read(part)).iter(f"{NS}comment"):
                text = _text(comment)
                if len(text) > MAX_COMMENT_TEXT:
                    problems.append(
                        f"{part} {comment.get('ref')}: comment of {len(text):,} characters > {MAX_COMMENT_TEXT:,}"
                    )
    return problems


if __name__ == "__main__":
    json.dump(_worker(sys.argv[1:]), sys.stdout, ensure_ascii=False)
