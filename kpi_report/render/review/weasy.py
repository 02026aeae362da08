"""The annual review's parts rendered in parallel processes with continuous page numbers, the Japanese font,
and the deterministic merge of their PDFs. What lays a part out and writes it (WeasyPrint) is in
``partrender.py``, loaded only where a part is rendered: a build that takes every part from the cache never
loads WeasyPrint.

Why parts: WeasyPrint lays a document out in one Python thread, and long tables are its slow case. The
review is cut into independent parts (summary, goal sections, slices of the progress table), each a
small HTML document starting on a new page. Workers lay parts out as they come; a part's page count
and anchors are known right after layout, so its first page number is known as soon as every earlier
part is laid out. Only then are its margin boxes (running header, footer ``- n -``) made and its PDF
written: layout never waits for numbering. The cover and table of contents are rendered last, when
every page number is known. Each part comes back as a record (``pdfjoin.py``: its objects with slots for
what depends on its place), and the records are joined by concatenation into one file with one structure
tree, an outline and page labels. Every step is deterministic, so identical inputs give identical bytes.
"""

from __future__ import annotations

import ctypes
import importlib.util
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache, partial
from multiprocessing.connection import Connection, wait
from pathlib import Path
from stat import S_ISDIR
from types import ModuleType
from typing import TYPE_CHECKING, Any

from kpi_report.core.diskcache import DiskCache, cache_key
from kpi_report.core.errors import KpiReportError
from kpi_report.core.files import file_sha256
from kpi_report.core.model import Progress
from kpi_report.render.review.cache import PartCache
from kpi_report.render.review.folio import FolioFont
from kpi_report.render.review.native import quick_library_search
from kpi_report.render.review.partspec import PartLayout, RenderConfig
from kpi_report.render.review.pdfjoin import (
    Bookmark,
    PartRecord,
    RecordError,
    join,
    load_record,
    record_has_folios,
)

if TYPE_CHECKING:
    from kpi_report.render.review.partrender import PartRenderer

PACKAGED_FONT_FAMILY = "IPAexGothic"
PREFERRED_INSTALLED_FAMILIES = ("Noto Sans CJK JP", "IPAexGothic")
FRONT = "front"  # key of the cover + table of contents part


class ReviewRenderError(KpiReportError):
    """The annual review PDF could not be rendered."""


@dataclass(frozen=True)
class JapaneseFont:
    """The Japanese font the review uses: an installed family, or a font file loaded with @font-face."""

    family: str
    file: Path | None = None  # set when the font is not installed and comes from the file


def packaged_font_file() -> Path | None:
    """IPAexGothic shipped by the japanize-matplotlib package (found without importing it)."""
    spec = importlib.util.find_spec("japanize_matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "fonts" / "ipaexg.ttf"
        if candidate.is_file():
            return candidate.resolve()
    return None


def _installed_family(family: str) -> bool:
    """Whether fontconfig has ``family`` itself (fc-match falls back to another family otherwise)."""
    fc_match = shutil.which("fc-match")
    if not fc_match:
        return False
    try:
        found = subprocess.run(
            [fc_match, "-f", "%{family}", f"{family}:lang=ja"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return family in found.split(",")


@lru_cache(maxsize=1)
def find_japanese_font() -> JapaneseFont:
    """An installed Noto Sans CJK JP / IPAexGothic when fontconfig has one, else the packaged IPAexGothic.

    Raises:
        ReviewRenderError: no Japanese font at all (japanize-matplotlib missing from the install).
    """
    for family in PREFERRED_INSTALLED_FAMILIES:
        if _installed_family(family):
            return JapaneseFont(family)
    font = packaged_font_file()
    if font is None:
        raise ReviewRenderError(
            "日本語フォントが見つかりません。kpi-report を依存パッケージ（japanize-matplotlib）ごと"
            "インストールし直すか、Noto Sans CJK JP をインストールしてください。"
        )
    return JapaneseFont(PACKAGED_FONT_FAMILY, font)


_COVERED: dict[Path, frozenset[int]] = {}


def _covered(file: Path, cache: DiskCache | None = None) -> frozenset[int]:
    """The code points the font file maps to a glyph: read once per process, and kept in ``cache`` by the
    file's SHA-256 (reading a CJK font's character map takes about 0.1 s; the kept list a few ms)."""
    found = _COVERED.get(file)
    if found is not None:
        return found
    key = ""
    if cache is not None:
        try:
            key = cache_key("font-coverage", file_sha256(file))
        except OSError:
            key = ""
        stored = cache.get_json(key) if key else None
        if isinstance(stored, list) and all(type(code) is int for code in stored):
            found = frozenset(stored)
    if found is None:
        from fontTools.ttLib import TTFont  # WeasyPrint's own dependency

        with TTFont(file, lazy=True) as ttf:
            found = frozenset(ttf.getBestCmap() or {})
        if cache is not None and key:
            cache.put_json(key, sorted(found))
    _COVERED[file] = found
    return found


def uncovered_characters(text: str, font: JapaneseFont, cache: DiskCache | None = None) -> str:
    """The characters of ``text`` the embedded font cannot draw (shown as □), in order of first appearance.

    Only the packaged font is checked (its file is known); line breaks, spaces and variation selectors are
    not characters of their own. ``cache``: where the font's coverage is kept between builds.
    """
    if font.file is None:
        return ""
    covered = _covered(font.file, cache)
    missing = (
        ch
        for ch in dict.fromkeys(_maybe_uncovered(font.file, covered).findall(text))
        if not (ord(ch) in covered or ch.isspace() or 0xFE00 <= ord(ch) <= 0xFE0F)
    )
    return "".join(missing)


_MAYBE_UNCOVERED: dict[Path, re.Pattern[str]] = {}


def _maybe_uncovered(file: Path, covered: frozenset[int]) -> re.Pattern[str]:
    """A pattern matching one character that the font ``file`` may not draw: any but the code points of the
    Basic Multilingual Plane it covers, and control characters. The regular expression engine scans a
    report's text (hundreds of thousands of characters) ten times faster than a loop over its characters in
    Python; only the characters it finds are checked one by one. Its class holds BMP code points only, so that
    it is compiled as a table (one look-up a character, however many ranges); characters beyond it are
    always checked one by one (emoji, 𠮷: few)."""
    found = _MAYBE_UNCOVERED.get(file)
    if found is None:
        codes = sorted(code for code in covered | set(range(0x20)) if code <= 0xFFFF)
        ranges: list[str] = []
        start = 0
        for index, code in enumerate(codes):  # runs of consecutive code points as ranges
            if index + 1 == len(codes) or codes[index + 1] != code + 1:
                first = codes[start]
                ranges.append(re.escape(chr(first)) + ("-" + re.escape(chr(code)) if code != first else ""))
                start = index + 1
        found = _MAYBE_UNCOVERED[file] = re.compile("[^" + "".join(ranges) + "]")
    return found


def font_face_css(font: JapaneseFont) -> str:
    """The @font-face rule loading a packaged font file ('' for an installed family)."""
    if font.file is None:
        return ""
    return f'@font-face {{ font-family: "{font.family}"; src: url("{font.file.as_uri()}"); }}\n'


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: every character but letters and digits hex-escaped."""
    return '"' + "".join(ch if ch.isalnum() else f"\\{ord(ch):x} " for ch in text) + '"'


def _renderer_module() -> ModuleType:
    """render/review/partrender.py, which loads WeasyPrint (with native.quick_library_search: ~0.35 s sooner)."""
    with quick_library_search():
        import kpi_report.render.review.partrender as partrender
    return partrender


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this worker when the process that started it dies, however it dies (SIGKILL too).

    Linux only (prctl PR_SET_PDEATHSIG); elsewhere a worker ends when its pipe closes, which
    :func:`_worker` makes sure of by closing the pipe ends it inherited from its siblings.
    """
    if not sys.platform.startswith("linux"):
        return
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _worker(
    conn: Connection,
    config: RenderConfig | None,
    parent: int = 0,
    inherited: Sequence[Connection] = (),
    second: Connection | None = None,
) -> None:
    """Worker process loop: ('layout', key, html) → ('laid', key, PartLayout); ('finish', key, n) → ('pdf', key, bytes);
    ('warm', …) renders a tiny document and answers nothing, not even a failure; anything else ends it.

    ``inherited``: the parent's ends of its own and earlier workers' pipes, which a forked worker holds; closed
    first, so that each pipe ends when the parent goes, and no worker waits on a sibling's pipe forever.
    ``second``: the pipe of a second worker that this one forks once WeasyPrint is loaded and set up here
    (:meth:`Workers.start` when the build's process has not loaded it): loaded once, beside the build.
    ``config`` None: started before the build knows it (:meth:`Workers.preload`): WeasyPrint is loaded at
    once, then the first message is ('config', _, RenderConfig) — anything else ends the process.
    """
    if parent:
        _die_with_parent(parent)
    # Ctrl+C reaches the whole process group: the parent ends the workers, which need not each print a
    # KeyboardInterrupt traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for other in inherited:
        other.close()
    sibling = 0
    try:
        try:
            renderer_class = _renderer_module().PartRenderer  # loads WeasyPrint
            if config is None:  # preloaded: the build sends its configuration once it has read the master
                first = conn.recv()
                if first[0] != "config":
                    return
                config = first[2]
            renderer = renderer_class(config)
            if second is not None:
                me = os.getpid()
                sibling = os.fork()
        except EOFError:  # the build ended before it needed this process
            return
        except Exception:  # both pipes are told: the build waits on either
            failure = ("error", "", traceback.format_exc(limit=8))
            for end in (conn, second):
                with suppress(OSError, AttributeError):
                    end.send(failure)  # type: ignore[union-attr]
            return
        if second is not None:
            if sibling == 0:  # the second worker: serves its own pipe, never returns into this one's code
                status = 1
                try:
                    conn.close()
                    _die_with_parent(me)
                    _serve(second, renderer)
                    status = 0
                finally:
                    os._exit(status)
            second.close()
        _serve(conn, renderer)
    finally:
        conn.close()
        if second is not None:
            second.close()
        if sibling:  # asked to stop as well (or killed with this one, by the kernel): reaped here
            with suppress(OSError):
                os.waitpid(sibling, 0)


def _serve(conn: Connection, renderer: PartRenderer) -> None:
    """Answer ``conn``'s requests with ``renderer`` until asked to stop (see :func:`_worker`)."""
    from kpi_report.render.review.partrender import _WARM_UP_HTML

    try:
        while True:
            message = conn.recv()
            if message[0] == "layout":
                conn.send(("laid", message[1], renderer.layout(message[1], message[2])))
            elif message[0] == "finish":
                conn.send(("pdf", message[1], renderer.finish(message[1], message[2])))
            elif message[0] == "warm":  # WeasyPrint's first render in a process is slow: done while idle
                # nobody waits for it: a failure (a project's stylesheet on the tiny document) is left for
                # the parts to meet, and this process goes on as if it had not warmed up
                with suppress(Exception):
                    renderer.layout("warm-up", _WARM_UP_HTML)
                    renderer.finish("warm-up", 1)
            else:
                break
    except Exception:
        with suppress(OSError):
            conn.send(("error", "", traceback.format_exc(limit=8)))
    finally:
        conn.close()


class Workers:
    """The review's rendering processes, kept from one build to the next (``build --watch``).

    Given to :func:`render_parts`, the processes it starts are not ended with the build: the next build's
    parts go to processes that have rendered before, without starting them again (~0.2 s) and with
    WeasyPrint's caches warm (a part's first layout in a new process takes about twice as long). They are
    used again only with the same :class:`RenderConfig` and the same files it may fetch (the font files and
    every file of the template folders: a stylesheet's ``@import`` and ``@font-face`` files are read once,
    when a process starts; by size and times of change); otherwise, or when one has died, new ones are
    started. A failed build ends them. Use as a context manager: the processes end with it.
    """

    def __init__(self) -> None:
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        self.config: RenderConfig | None = None  # the configuration of the last build that used them
        self._started_for: tuple[RenderConfig, tuple[tuple[str, int, int, int], ...]] | None = None
        self._waiting = False  # preloaded: the first process waits for its configuration (preload)
        # the processes load WeasyPrint themselves (preload, or start without loading it here): they can take
        # no part for about a second
        self.loading = False

    @property
    def waiting(self) -> bool:
        """Whether the first process was preloaded and waits for its configuration (:meth:`preload`)."""
        return self._waiting

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def alive(self) -> bool:
        """Whether every process started is still running."""
        return all(proc.is_alive() for proc in self.procs)

    def usable(self, config: RenderConfig, count: int) -> bool:
        """Whether the running processes can render for ``config`` (else they are ended). Preloaded ones
        (:meth:`preload`) are given ``config`` here, and fit."""
        if self._waiting and len(self.conns) == count and self.alive():
            files = _fetchable_files(config)  # looked at before they read them, as in start()
            try:
                self.conns[0].send(("config", "", config))
            except OSError:
                self.terminate()
                return False
            self._waiting = False
            self._started_for = (config, files)
            return True
        fit = (
            len(self.conns) == count
            and self._started_for == (config, _fetchable_files(config))
            and self.alive()
        )
        if not fit:
            self.close()
        return fit

    def start(self, config: RenderConfig, count: int, load_here: bool = True) -> None:
        """Start ``count`` processes for ``config`` (forked where possible, with this process's state).

        WeasyPrint (about a second to load) is loaded once: here before forking them, or, when ``load_here``
        is False and it is not loaded yet (a build whose own process never renders: it goes on merging and
        presenting meanwhile), by the first process, which then forks the second from itself.
        """
        # looked at before they read them: a file changed meanwhile is seen as changed at the next build
        files = _fetchable_files(config)
        fork = "fork" in multiprocessing.get_all_start_methods()
        context: Any = multiprocessing.get_context("fork" if fork else "spawn")
        loaded = "kpi_report.render.review.partrender" in sys.modules
        if fork and not load_here and not loaded and count == 2:
            self._fork_first(config)
            self._started_for = (config, files)
            return
        if fork:
            # WeasyPrint loaded here once (~0.8 s), not by each process (twice the CPU while it is short)
            _renderer_module()
        for _ in range(count):
            parent_end, child_end = context.Pipe()
            inherited = [*self.conns, parent_end] if fork else []  # a forked child holds them: it closes them
            proc = context.Process(
                target=_worker, args=(child_end, config, os.getpid(), inherited), daemon=True
            )
            proc.start()
            child_end.close()
            self.conns.append(parent_end)
            self.procs.append(proc)
        self._started_for = (config, files)

    def preload(self) -> bool:
        """Start the first of the two rendering processes before the build knows its configuration (it has
        not read the master yet): it loads WeasyPrint at once, beside the build's own start, and waits; the
        configuration goes to it when the processes are first used (:meth:`usable`), and it then forks the
        second. Ended at once if never used. Only with two CPUs, fork, one thread and no process running;
        whether it was started."""
        if (
            self.conns
            or worker_count() != 2
            or "fork" not in multiprocessing.get_all_start_methods()
            or threading.active_count() > 1
        ):
            return False
        try:
            self._fork_first(None)
        except OSError:  # no process to be had now: the build starts them as usual
            return False
        self._waiting = True
        return True

    def _fork_first(self, config: RenderConfig | None) -> None:
        """Fork the first of two processes: it loads WeasyPrint, sets up for ``config`` (None: the one it is sent
        first) and forks the second from itself (its child: it ends with it)."""
        context: Any = multiprocessing.get_context("fork")
        pipes = [context.Pipe() for _ in range(2)]
        ends = [parent_end for parent_end, _ in pipes]
        proc = context.Process(
            target=_worker,
            args=(pipes[0][1], config, os.getpid(), [*self.conns, *ends], pipes[1][1]),
            daemon=True,
        )
        try:
            proc.start()
        except OSError:
            for end in ends:
                end.close()
            raise
        finally:
            for _, child_end in pipes:
                child_end.close()
        self.conns.extend(ends)
        self.procs.append(proc)
        self.loading = True

    def prime(self, config: RenderConfig | None = None, warm: bool = True, load_here: bool = True) -> None:
        """Start the processes for ``config`` (default: the last build's) unless fitting ones run; with
        ``warm``, have them render a tiny document while nothing is asked of them, so that the next
        correction's parts find them ready; ``load_here``: see :meth:`start`. Only when this process runs
        one thread (a process must not fork while another thread runs)."""
        config = config or self.config
        count = worker_count()
        if config is None or count < 2 or threading.active_count() > 1:
            return  # (with one CPU the parts are rendered in this process)
        if self.usable(config, count):
            return
        try:
            self.start(config, count, load_here)
        except OSError:  # no process to be had now (a limit on processes, memory): the next build tries again
            self.terminate()
            return
        for conn in self.conns if warm else ():
            with suppress(OSError):  # one that ended already is replaced at the next build (usable)
                conn.send(("warm", "", None))

    def close(self) -> None:
        """End the processes: asked to stop, then terminated if they do not within 5 s (at once if preloaded
        and never used: it may still be loading WeasyPrint)."""
        if self._waiting:
            self.terminate()
            return
        for conn in self.conns:
            with suppress(OSError):
                conn.send(("stop", "", None))
        self._end()

    def terminate(self) -> None:
        """End the processes now (a failed build: they may be busy, or wait on pipes that siblings keep open)."""
        for proc in self.procs:
            proc.terminate()
        self._end()

    def _end(self) -> None:
        for conn in self.conns:
            conn.close()
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        self.conns.clear()
        self.procs.clear()
        self._started_for = None
        self._waiting = self.loading = False


def _fetchable_files(config: RenderConfig) -> tuple[tuple[str, int, int, int], ...]:
    """What a renderer may read once when it starts (the font files, and any file of the template folders: a
    stylesheet's ``@import`` or ``@font-face`` file), as (path, size, times of change and of status change)."""
    found = []
    for file in (
        *(f for root in config.allowed_roots for f in sorted(root.rglob("*"))),
        *config.allowed_files,
    ):
        try:
            info = file.stat()
        except OSError:
            found.append((str(file), -1, -1, -1))
        else:
            if not S_ISDIR(info.st_mode):
                found.append((str(file), info.st_size, info.st_mtime_ns, info.st_ctime_ns))
    return tuple(found)


FrontBuilder = Callable[[Mapping[str, PartLayout], Mapping[str, int]], str]
_CACHED = -2  # holder of a part whose layout came from the cache (no worker holds it)
PartSource = Callable[[], str]  # a part's HTML, made when a worker is about to take it


class _Joiner:
    """Collects the parts' records as they arrive (in any order); :meth:`ordered` gives them in file order
    (the front matter first, then the body parts), so the joined bytes never depend on which worker finished
    first."""

    def __init__(self, keys: Sequence[str], reuse: _Reuse | None = None) -> None:
        self.keys = list(keys)
        self.parts: dict[str, PartRecord] = {}
        self.read = reuse.records if reuse is not None else {}

    def add(self, key: str, data: bytes) -> None:
        found = self.read.pop(key, None)
        self.parts[key] = found[1] if found is not None and found[0] is data else load_record(data)

    def ordered(self) -> tuple[PartRecord, ...]:
        """The parts in the joined file's order: the front matter, then the body parts (every one of them)."""
        missing = [k for k in (FRONT, *self.keys) if k not in self.parts]
        if missing:  # never a review without some of its pages
            raise RuntimeError(f"parts not rendered: {', '.join(missing)}")
        return tuple(self.parts[k] for k in (FRONT, *self.keys))


@dataclass
class RenderedParts:
    """The result of :func:`render_parts`: the parts' records in file order (front first), where parts start."""

    parts: tuple[PartRecord, ...]
    first_pages: dict[str, int]  # body page number (1-based) of each part's first page
    layouts: dict[str, PartLayout]
    front_pages: int


class _Reuse:
    """The cache as the render loops use it: a part's layout and PDF by part key, stored as parts arrive."""

    def __init__(self, cache: PartCache) -> None:
        self.cache = cache
        self.hashes: dict[str, str] = {}
        self.layouts: dict[str, PartLayout] = {}
        self.records: dict[str, tuple[bytes, PartRecord]] = {}  # records read from the cache, by part key

    def prepare(self, parts: Sequence[tuple[str, PartSource]]) -> list[tuple[str, PartSource]]:
        """Make every part's HTML now (its hash is the cache key) and look up the layouts."""
        made: list[tuple[str, PartSource]] = []
        for key, source in parts:
            html = source()
            self.remember(key, html)
            made.append((key, partial(str, html)))
        return made

    def remember(self, key: str, html: str) -> None:
        self.hashes[key] = self.cache.part_key(html)
        found = self.cache.layout(self.hashes[key])
        if found is not None:
            self.layouts[key] = PartLayout(found[0], dict(found[1]))
        else:
            self.layouts.pop(key, None)

    def layout(self, key: str) -> PartLayout | None:
        return self.layouts.get(key)

    def pdf(self, key: str, first_page: int) -> bytes | None:
        """The cached record of part ``key`` starting at ``first_page`` (None: render it)."""
        data = self.cache.pdf(self.hashes[key], first_page) if key in self.layouts else None
        if data is not None:
            try:
                self.records[key] = (data, load_record(data))  # read once: the joiner takes it from here
            except RecordError:  # intact bytes, but not a record this code can use
                return None
            self.cache.hits.append(key)
        return data

    def keep(self, key: str, layout: PartLayout, first_page: int, pdf: bytes) -> None:
        self.cache.misses.append(key)
        anywhere = record_has_folios(pdf)  # numbered when joining: the same bytes wherever it starts
        self.cache.store(
            self.hashes[key], layout.pages, layout.anchors, None if anywhere else first_page, pdf
        )


def worker_count() -> int:
    """Processes to render with: the CPUs this process may use, at most 2 (memory stays bounded)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(2, cpus))


def render_parts(
    parts: Sequence[tuple[str, PartSource]],
    make_front: FrontBuilder,
    config: RenderConfig,
    workers: int | None = None,
    progress: Progress | None = None,
    label: str = "年次報告書",
    front_after: str | None = None,
    cache: PartCache | None = None,
    started: Callable[[], None] | None = None,
    keep: Workers | None = None,
) -> RenderedParts:
    """Render ``parts`` ((key, HTML source) in document order) and the front matter built from their layouts.

    Body pages are numbered continuously from 1 across the parts; the front matter is not numbered.
    ``make_front`` gets the layouts of the parts up to ``front_after`` (default: all of them): the front
    matter is rendered as soon as those are known, while the last parts are still being laid out.
    With a ``cache``, a part whose HTML, environment and first page are unchanged is taken from it, and
    workers render only the others (the bytes are the same either way).
    ``started`` is called once the workers have their first parts, when this process only waits for them
    most of the time: the caller may start other work meanwhile (in a thread). Not called when everything
    is rendered in this process.
    ``keep``: processes kept between builds (:class:`Workers`): used if they fit, and left running.
    """
    workers = worker_count() if workers is None else workers
    total = len(parts) + 1
    tick = (lambda done: progress(label, done, total)) if progress else (lambda done: None)
    keys = [key for key, _ in parts]
    needed = keys[: keys.index(front_after) + 1] if front_after in keys else keys
    reuse = _Reuse(cache) if cache is not None else None
    try:
        if workers <= 1 or len(parts) <= 1:
            if reuse is not None:
                parts = reuse.prepare(parts)
            result = _render_sequential(parts, make_front, config, tick, reuse)
        else:
            result = _render_parallel(
                parts, make_front, config, min(workers, len(parts)), tick, needed, reuse, started, keep
            )
        return result
    except KpiReportError:
        raise
    except Exception as exc:  # WeasyPrint on a project's stylesheet or template may fail in any way
        raise _render_failure(f"{type(exc).__name__}: {exc}") from exc


def _send(conn: Connection, message: tuple[str, str, Any]) -> None:
    """Send a worker its next step. A worker that has ended (its set-up failed: the build's own processes start
    before it merges, and may fail before the first part is sent) left what it said last in the pipe: the
    build fails with that reason, not with the pipe found closed."""
    try:
        conn.send(message)
    except OSError as exc:
        raise _last_words([conn]) from exc


def _last_words(conns: Sequence[Connection]) -> ReviewRenderError:
    """Why workers ended: the failure one of them reported in its pipe, else that they ended."""
    for conn in conns:
        try:
            said = conn.recv() if conn.poll() else None
        except (EOFError, OSError):
            said = None
        if isinstance(said, tuple) and len(said) == 3 and said[0] == "error":
            return _worker_failure(said[2])
    return _ended()


def _ended() -> ReviewRenderError:
    return ReviewRenderError("年次報告書の描画プロセスが異常終了しました。")


def _worker_failure(payload: object) -> ReviewRenderError:
    """The failure a worker reported: its traceback, whose last line says what failed."""
    lines = [line for line in str(payload).splitlines() if line.strip()]
    failure = _render_failure(lines[-1].strip() if lines else "不明なエラー")
    failure.add_note(str(payload))
    return failure


def _render_failure(reason: str) -> ReviewRenderError:
    return ReviewRenderError(
        f"年次報告書の描画に失敗しました（{reason}）。templates/ のテンプレートや CSS を変更していれば確かめてください。"
    )


def _first_pages(keys: Sequence[str], layouts: Mapping[str, PartLayout]) -> dict[str, int]:
    first, number = {}, 1
    for key in keys:
        if key not in layouts:
            break
        first[key] = number
        number += layouts[key].pages
    return first


def _render_sequential(
    parts: Sequence[tuple[str, PartSource]],
    make_front: FrontBuilder,
    config: RenderConfig,
    tick: Callable[[int], None],
    reuse: _Reuse | None = None,
) -> RenderedParts:
    made: PartRenderer | None = None

    def renderer() -> PartRenderer:  # WeasyPrint is loaded and set up only when something is rendered
        nonlocal made
        made = made or _renderer_module().PartRenderer(config)
        return made

    def one(key: str, html: str, number: int) -> tuple[PartLayout, bytes]:
        if reuse is not None:
            cached = reuse.layout(key)
            pdf = reuse.pdf(key, number) if cached is not None else None
            if cached is not None and pdf is not None:
                return cached, pdf
        layout = renderer().layout(key, html)
        pdf = renderer().finish(key, number)
        if reuse is not None:
            reuse.keep(key, layout, number, pdf)
        return layout, pdf

    joiner = _Joiner([k for k, _ in parts], reuse)
    layouts: dict[str, PartLayout] = {}
    number = 1
    for done, (key, source) in enumerate(parts, start=1):
        layouts[key], pdf = one(key, source(), number)
        joiner.add(key, pdf)
        number += layouts[key].pages
        tick(done)
    first = _first_pages([k for k, _ in parts], layouts)
    front_html = make_front(layouts, first)
    if reuse is not None:
        reuse.remember(FRONT, front_html)
    front, pdf = one(FRONT, front_html, 1)
    joiner.add(FRONT, pdf)
    tick(len(parts) + 1)
    return RenderedParts(joiner.ordered(), first, layouts, front.pages)


_warmed_up = False


def _warm_up(config: RenderConfig) -> None:
    """Render a tiny document once in this process before forking workers.

    WeasyPrint's first render in a process pays one-time costs (cffi parses C type declarations on first
    use, fonts are opened); done here once, the forked workers inherit them instead of paying each.
    """
    global _warmed_up
    if not _warmed_up:
        partrender = _renderer_module()
        renderer = partrender.PartRenderer(config)
        renderer.layout("warm-up", partrender._WARM_UP_HTML)
        renderer.finish("warm-up", 1)
        _warmed_up = True


def _render_parallel(
    parts: Sequence[tuple[str, PartSource]],
    make_front: FrontBuilder,
    config: RenderConfig,
    workers: int,
    tick: Callable[[int], None],
    needed: Sequence[str],
    reuse: _Reuse | None = None,
    started: Callable[[], None] | None = None,
    keep: Workers | None = None,
) -> RenderedParts:
    """Render in ``workers`` forked (or spawned) processes, started when a part first needs one (or kept
    from an earlier build: ``keep``).

    With ``reuse``, the parts are looked up one at a time, in order (each one's HTML made and hashed), and a
    part not in the cache goes to a worker at once: a correction's part is being laid out while the later
    parts are still looked up, and no worker is started when every part is in the cache. Every worker is
    started before ``started`` is called (a process must not fork while another thread runs).
    """
    fork = "fork" in multiprocessing.get_all_start_methods()
    pool = keep if keep is not None else Workers()
    if keep is not None:
        # a preloaded process is given the configuration with its first part (give): none may be needed
        if not keep.waiting and keep.conns and threading.active_count() > 1:
            # started by this build (the check's outputs are being made meanwhile): no process may be forked
            # while another thread runs, so processes that cannot be used fail the build
            if not keep.alive():  # a set-up that failed: with their reason
                failure = _last_words(keep.conns)
                keep.terminate()
                raise failure
            if not keep.usable(config, workers):
                raise ReviewRenderError(
                    "年次報告書の作成中にテンプレートのファイルが変わりました。もう一度 build してください。"
                )
        elif not keep.waiting:
            keep.usable(config, workers)
        keep.config = config
    keys = [k for k, _ in parts]
    source_of: dict[str, PartSource] = dict(parts)
    todo: deque[str] = deque(keys if reuse is None else ())
    unseen: deque[str] = deque(keys if reuse is not None else ())  # parts not looked up in the cache yet
    layouts: dict[str, PartLayout] = {}
    holder: dict[str, int] = {}  # part key -> worker index holding its layout
    done: set[str] = set()
    joiner = _Joiner(keys, reuse)
    conns = pool.conns  # the same list: grow() adds to it
    busy: dict[int, bool] = dict.fromkeys(range(len(conns)), False)
    front_queued = False
    finished = False
    told = False  # whether ``started`` was called
    cached: list[tuple[str, bytes]] = []  # parts taken from the cache, to join with the next arrivals
    firsts: dict[str, int] = {}  # the first page each part was finished with (to store it in the cache)
    prepared: dict[str, str] = {}
    joined = 0

    def in_cache(key: str, html: str) -> bool:
        """Whether part ``key`` with ``html`` is in the cache: its known layout numbers the pages without a
        worker, and dispatch takes its record once its first page is known."""
        if reuse is None:
            return False
        reuse.remember(key, html)
        found = reuse.layout(key)
        if found is not None:
            layouts[key] = found
            holder[key] = _CACHED
        return found is not None

    def look_up() -> None:
        """The next part's HTML and cache entry; a part not in the cache waits for a worker."""
        key = unseen.popleft()
        html = source_of[key]()
        if not in_cache(key, html):
            todo.append(key)
            prepared[key] = html

    def grow() -> bool:
        """Start the workers once a part waits for one (never after ``started``); whether they were started.

        All at once: a correction usually changes two parts (its section and the appendix slice printing the
        note), and the second worker is set up while the first part is laid out and the parts are looked up.
        """
        if told or conns or not todo:
            return False
        if fork and (reuse is None or keys[0] in todo) and len(keys) > workers:
            _warm_up(config)  # everything to render: the workers inherit WeasyPrint's set-up
        pool.start(config, workers)
        busy.update(dict.fromkeys(range(len(conns)), False))
        return True

    try:

        def dispatch() -> None:
            first = _first_pages(keys, layouts)
            give(first)  # the workers' next steps first: reading the cached parts below takes a while
            again = False
            for key in [k for k, h in holder.items() if h == _CACHED and (k in first or k == FRONT)]:
                assert reuse is not None
                pdf = reuse.pdf(key, first.get(key, 1))
                if pdf is not None:
                    holder[key] = -1
                    done.add(key)
                    cached.append((key, pdf))
                else:  # laid out before, but its first page moved: lay it out again, then finish it
                    del holder[key]
                    todo.appendleft(key)
                    again = True
            if again:
                give(first)

        def give(first: Mapping[str, int]) -> None:
            """Give every idle worker its next step; start the workers when a part first waits for one."""
            while True:
                if todo and pool.waiting:  # preloaded (Workers.preload): configured before its first part
                    pool.usable(config, workers)  # (ended if it cannot be: grow starts others)
                for w, conn in enumerate(conns):
                    if busy[w]:
                        continue
                    ready = [
                        k
                        for k, h in holder.items()
                        if h == w and k not in done and (k in first or k == FRONT)
                    ]
                    if ready:
                        key = min(ready, key=lambda k: -1 if k == FRONT else keys.index(k))
                        firsts[key] = first.get(key, 1)
                        _send(conn, ("finish", key, firsts[key]))
                        holder[key] = -1
                    elif todo:
                        key = todo.popleft()
                        html = prepared.pop(key, None)
                        _send(conn, ("layout", key, source_of[key]() if html is None else html))
                    else:
                        continue
                    busy[w] = True
                if not grow():
                    break

        def prepare() -> None:
            """Make the next parts' HTML while the workers are busy, so a free worker never waits for it."""
            for key in list(todo)[:workers]:
                if key not in prepared:
                    prepared[key] = source_of[key]()

        def queue_front() -> None:
            nonlocal front_queued
            if front_queued or not all(k in layouts for k in needed):
                return
            # exactly the needed layouts, whichever later parts happen to be laid out already
            given = {k: layouts[k] for k in needed}
            html = make_front(given, _first_pages(needed, given))
            source_of[FRONT] = partial(str, html)
            front_queued = True
            if not in_cache(FRONT, html):
                todo.appendleft(FRONT)

        def tell() -> None:
            """Call ``started`` once nothing is left to look up and the workers have their parts."""
            nonlocal told
            if started is not None and not told and not unseen and any(busy.values()):
                told = True  # the workers are all started (grow starts them together)
                started()

        if unseen:
            look_up()
        queue_front()
        dispatch()
        tell()
        while len(done) < len(keys) + 1:
            arrived: list[tuple[str, bytes]] = cached[:]
            cached.clear()
            waiting = any(busy.values())
            ready = wait(conns, timeout=0 if arrived or unseen else None) if waiting else []
            for conn in ready:
                assert isinstance(conn, Connection)
                w = conns.index(conn)
                try:
                    kind, key, payload = conn.recv()
                except EOFError as exc:
                    raise _ended() from exc
                busy[w] = False
                if kind == "error":  # the worker's traceback: its last line says what failed
                    raise _worker_failure(payload)
                if kind == "laid":
                    layouts[key] = payload
                    holder[key] = w
                else:
                    done.add(key)
                    arrived.append((key, payload))
                    if reuse is not None:
                        reuse.keep(key, layouts[key], firsts.get(key, 1), payload)
            if unseen:
                look_up()  # one part per turn: a worker that finishes meanwhile is given its next step
            queue_front()
            dispatch()  # first give the workers their next step, then join and prepare meanwhile
            tell()
            for key, pdf in arrived:
                joiner.add(key, pdf)
                joined += 1
                tick(joined)
            if not unseen:
                prepare()
        for key, pdf in cached:  # taken from the cache by the last dispatch
            joiner.add(key, pdf)
            joined += 1
            tick(joined)
        finished = True
    finally:
        if not finished:  # a failure: workers may be busy, or wait on pipes that forked siblings keep open
            pool.terminate()
        elif keep is None:
            pool.close()
    first = _first_pages(keys, layouts)
    return RenderedParts(joiner.ordered(), first, layouts, layouts[FRONT].pages)


def finish_pdf(
    rendered: RenderedParts,
    outline: Sequence[Bookmark],
    metadata: Mapping[str, str],
    links: Mapping[str, int] | None = None,
    folio: FolioFont | None = None,
    fonts: Mapping[str, Callable[[Sequence[int]], bytes]] | None = None,
    memo: DiskCache | None = None,
) -> bytes:
    """The joined PDF's bytes, with bookmarks, page labels (front pages unnumbered, body from 1), metadata.

    ``links`` maps URI link targets written in the front matter (e.g. ``toc:g1``) to the page index they
    should jump to: those annotations become internal links. ``folio``: the font the body pages' numbers
    are drawn in (folio.py). ``fonts``: the shared fonts' programs by family (fontshare.py). ``memo``:
    parts placed by earlier builds (pdfjoin.join).
    """
    return join(
        rendered.parts,
        outline,
        metadata,
        links or {},
        rendered.front_pages,
        folio=folio,
        fonts=fonts,
        memo=memo,
    )
