"""Writing outputs safely: atomic replacement, clear errors, checksums, the manifest."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from kpi_report.core.errors import OutputError

_DIGESTS: dict[tuple[str, int, int], str] = {}  # by path, size and modification time: once per process


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file at ``path`` (hex), read once per process while its size and time stay the same
    (the review's 6 MB font is keyed by several caches in one build).

    Raises:
        OSError: the file cannot be read.
    """
    stat = path.stat()
    seen = (str(path), stat.st_size, stat.st_mtime_ns)
    found = _DIGESTS.get(seen)
    if found is None:
        found = _DIGESTS[seen] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: a crash leaves the old file intact.

    Raises:
        OutputError: the folder is not writable or the disk is full.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # a short temporary name: a target name near the 255-byte limit must not fail for its temporary file
        fd, tmp = tempfile.mkstemp(prefix=".kpi-report-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are e-mailed and published
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(f"{path} を書き込めません（{exc.strerror or exc}）。{_advice(exc, path)}") from exc


class Generation:
    """A new generation of an output folder: staged beside it, then published whole by one rename, or not at all.

    The stage (``.<name>.staging-<pid>`` next to the folder) starts as a copy of the folder made of hard links
    (no bytes copied; every write replaces a file by rename, so a published file is never changed through its
    link). The build writes into the stage; :meth:`publish` swaps stage and folder in one step (Linux
    ``renameat2(RENAME_EXCHANGE)``; elsewhere two renames, between which the folder is briefly absent, never
    mixed) and removes the old generation. A reader sees the old set of files or the new, never a new PDF with
    an old manifest. A build killed before the swap leaves the folder as it was and a stage that the next
    build removes (docs/security.md#22).
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.path = target.parent / f".{target.name}.staging-{os.getpid()}"
        self.published = False
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _recover(target)
            _link_tree(target, self.path)
        except OSError as exc:
            self.discard()
            raise OutputError(
                f"{self.path} を作れません（{exc.strerror or exc}）。{_advice(exc, self.path)}"
            ) from exc

    def publish(self) -> None:
        """Make the stage the folder, atomically; the previous generation is removed."""
        old = self.target.parent / f".{self.target.name}.old-{os.getpid()}"
        try:
            if not self.target.exists():
                os.rename(self.path, self.target)
            elif _exchange(self.path, self.target):
                os.rename(self.path, old)
            else:
                os.rename(self.target, old)
                os.rename(self.path, self.target)
            _fsync_folder(self.target.parent)
        except OSError as exc:
            raise OutputError(
                f"{self.target} を更新できません（{exc.strerror or exc}）。{_advice(exc, self.target)}"
            ) from exc
        self.published = True
        shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        """Remove the stage unless it was published (after a failure: the folder stays as it was)."""
        if not self.published:
            shutil.rmtree(self.path, ignore_errors=True)


_STAGE_OR_OLD = (".staging-", ".old-")


def _recover(target: Path) -> None:
    """Finish or undo what a killed build left beside ``target``: an old generation renamed away while the
    folder is missing is put back; stages and old generations of processes no longer running are removed."""
    prefix = f".{target.name}"
    for leftover in sorted(target.parent.glob(f"{prefix}.*-*")):
        kind, _, pid = leftover.name[len(prefix) :].rpartition("-")
        if kind not in (".staging", ".old") or not pid.isdigit() or _running(int(pid)):
            continue
        if kind == ".old" and not target.exists():
            os.rename(leftover, target)  # killed between the two renames: the old generation stands
        else:
            shutil.rmtree(leftover, ignore_errors=True)


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (POSIX); elsewhere only this process counts as running."""
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _link_tree(source: Path, stage: Path) -> None:
    """``stage`` as a copy of ``source`` (when it exists) made of hard links, copying where links are refused."""
    stage.mkdir()
    if not source.is_dir():
        return
    for folder, dirs, files in os.walk(source):
        into = stage / Path(folder).relative_to(source)
        for name in dirs:
            if (Path(folder) / name).is_symlink():
                os.symlink(os.readlink(Path(folder) / name), into / name)
            else:
                (into / name).mkdir()
        dirs[:] = [d for d in dirs if not (Path(folder) / d).is_symlink()]
        for name in files:
            src = Path(folder) / name
            if src.is_symlink():
                os.symlink(os.readlink(src), into / name)
                continue
            try:
                os.link(src, into / name)
            except OSError:  # a file system without hard links (FAT, some shares): copy
                shutil.copy2(src, into / name)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # an old kernel or a file system without it
        return False
    raise OSError(error, os.strerror(error), str(b))


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _advice(exc: OSError, path: Path) -> str:
    """What the user can do about a failed write, by its cause."""
    if exc.errno == errno.ENOSPC:
        return "ディスクがいっぱいです。空き容量を確保してください。"
    if exc.errno == errno.EISDIR:
        return (
            f"同じ名前のフォルダー {path.name} があります。そのフォルダーの名前を変えるか、移してください。"
        )
    if exc.errno == errno.ENAMETOOLONG:
        return "ファイル名またはフォルダーのパスが長すぎます。ファイル名を短くするか、短い名前の場所を指定してください。"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return (
            "途中のフォルダー名と同じ名前のファイルがあります。そのファイルの名前を変えるか、移してください。"
        )
    if exc.errno == errno.EROFS:
        return "読み取り専用の場所です。書き込める場所を指定してください。"
    return "出力フォルダーの書き込み権限を確認してください。"


def write_text_atomic(path: Path, text: str) -> None:
    """UTF-8 text through :func:`write_atomic`."""
    write_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    """Stable JSON (sorted keys, UTF-8, trailing newline) through :func:`write_atomic`."""
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_record(path: Path, root: Path) -> dict[str, Any]:
    """{path (relative to root, POSIX), sha256, size} for the manifest."""
    return {
        "path": path.relative_to(root).as_posix(),
        "sha256": sha256_file(path),
        "size": path.stat().st_size,
    }


FIXED_CREATED = datetime(2020, 1, 1)  # document dates fixed so identical inputs give identical bytes
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def new_xlsx(buffer: io.BytesIO) -> Any:
    """An xlsxwriter Workbook writing to ``buffer``: deterministic, and every string written literally.

    Strings are never turned into formulas, links or numbers (docs/security.md#20).
    """
    import xlsxwriter  # ~40 ms: only for the commands that write a workbook

    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties({"created": FIXED_CREATED})
    return workbook


_OPENPYXL_LOAD = threading.Lock()


def load_openpyxl() -> None:
    """Import openpyxl (where a workbook is opened or written with it) without the numpy it would pull in.

    openpyxl imports numpy when it can (~0.15 s of its ~0.35 s load) only to add numpy's number types to those a
    cell accepts; the tool never gives a cell a numpy value and imports numpy nowhere else. When numpy is loaded
    already (a caller's own use), openpyxl is imported as it is. Call before the first ``from openpyxl ...``."""
    with _OPENPYXL_LOAD:
        if "openpyxl" in sys.modules or "numpy" in sys.modules:
            return  # the caller's import finds it, or imports it as it is
        sys.modules["numpy"] = None  # type: ignore[assignment]  # `import numpy` raises ImportError meanwhile
        try:
            import openpyxl  # noqa: F401
        finally:
            del sys.modules["numpy"]


def openpyxl_bytes(wb: Any) -> bytes:
    """An openpyxl workbook saved to bytes that depend on its content only: fixed document dates (created and
    modified) and zip entry times."""
    load_openpyxl()  # here: only what writes with openpyxl loads it (~0.2 s)
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.created = FIXED_CREATED
    wb.properties.modified = FIXED_CREATED
    buffer = io.BytesIO()
    # openpyxl's save() stamps the current time into docProps; its writer, used directly, does not
    ExcelWriter(wb, _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return buffer.getvalue()


class _FixedTimeZip(zipfile.ZipFile):
    """A ZipFile giving every entry openpyxl writes the same date and file mode."""

    def writestr(
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: Any,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        name = (
            zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo) else zinfo_or_arcname
        )
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        super().writestr(info, data, compress_type, compresslevel)

    def write(
        self,
        filename: Any,
        arcname: Any = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        # openpyxl writes each worksheet to a temporary file first: take its bytes, not its modification time
        self.writestr(str(arcname or filename), Path(filename).read_bytes(), compress_type, compresslevel)
