"""Writing outputs safely: atomic replacement, clear errors, checksums, the manifest."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from openpyxl.writer.excel import ExcelWriter

from kpi_report.core.errors import OutputError


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


def openpyxl_bytes(wb: Any) -> bytes:
    """An openpyxl workbook saved to bytes that depend on its content only: fixed document dates (created and
    modified) and zip entry times."""
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
