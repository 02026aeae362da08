"""diff's second processes (issue 15): what each does before it sends, so that neither waits for the other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_diff import new_list, old_list, write

from kpi_report.compare import output
from kpi_report.compare.diff import DiffResult, diff_files


class _Recorder:
    """Stands in for a pipe's sending end: what was sent, in order, among the other events."""

    def __init__(self, events: list[tuple[str, Any]]) -> None:
        self.events = events

    def send(self, value: object) -> None:
        self.events.append(("send", value))

    def send_bytes(self, value: bytes) -> None:
        self.events.append(("send_bytes", value))

    def close(self) -> None:
        self.events.append(("close", None))


def test_the_child_measures_every_sheet_before_it_sends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet's heights fill the pipe until the workbook takes them, once its sheets are made: the child measures
    every sheet first, and sends the same heights in the same order, then the JSON."""
    old, new = write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())
    result = diff_files(old, new)
    events: list[tuple[str, Any]] = []
    measure = output._heights

    def heights(result: DiffResult, part: int) -> list[tuple[int, float]]:
        events.append(("measure", part))
        return measure(result, part)

    monkeypatch.setattr(output, "_heights", heights)
    output._make_and_send(result, True, (0, 1, 2), _Recorder(events))  # type: ignore[arg-type]
    assert [kind for kind, _ in events] == ["measure"] * 3 + ["send"] * 3 + ["send_bytes", "close"]
    assert [value for kind, value in events if kind == "send"] == [measure(result, p) for p in (0, 1, 2)]
    assert events[-2][1] == output.diff_json_bytes(result)


def test_a_list_comes_back_through_a_pipe_as_it_was_read(tmp_path: Path) -> None:
    """ListSheet pickles its items as tuples of their fields: the same lists (items joined from two rows, items
    without an ID, sheets without items or groups), each item's values still its row of the grid."""
    import pickle

    from kpi_report.compare.read import Column, GroupRow, Item, ListSheet, read_progress_list

    docs = [read_progress_list(write(tmp_path / "old.xlsx", old_list()))]
    docs.append(read_progress_list(write(tmp_path / "new.xlsx", new_list(with_ids=False))))
    grid: tuple[tuple[object, ...], ...] = (("名称", "進捗状況"), ("a", 1.5), ("", None), ("b\nc", True))
    joined = Item("", "目標", "", "a", "課", 1, 0, ("a\nb", 1.5, "extra"))
    odd = ListSheet(
        "シート", grid, 0, (Column(0, "名称", "name"),), (joined,), (GroupRow(2, "goal", "", ""),)
    )
    empty = ListSheet("空", (), 0, (), ())
    for original in (*docs, odd, empty):
        for protocol in (2, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL):
            copy = pickle.loads(pickle.dumps(original, protocol))
            assert copy == original and type(copy) is type(original)
    before = docs[0].measures
    after = pickle.loads(pickle.dumps(docs[0], pickle.HIGHEST_PROTOCOL)).measures
    shared = [item.values is before.grid[item.row] for item in before.items]
    assert any(shared) and shared == [item.values is after.grid[item.row] for item in after.items]


def test_each_part_is_compressed_once_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part goes to the threads as soon as the next one is begun (変更一覧 is compressed while the other sheets
    are written), every text part once, the last ones too; the bytes are xlsxwriter's zip."""
    import io
    import zipfile

    old, new = write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())
    result = diff_files(old, new)
    events: list[str] = []
    begin, hand = output._FastPackager._filename, output._FastPackager._hand_written

    def filename(self: output._FastPackager, name: str) -> Any:
        events.append(f"begin {name}")
        return begin(self, name)

    def handed(self: output._FastPackager) -> None:
        hand(self)
        events.append(f"handed {','.join(self.deflated)}")

    monkeypatch.setattr(output, "DEFLATE_MIN_CHARS", 0)
    monkeypatch.setattr(output._FastPackager, "_filename", filename)
    monkeypatch.setattr(output._FastPackager, "_hand_written", handed)
    threaded = output.render_diff_xlsx(result)
    parts = zipfile.ZipFile(io.BytesIO(threaded)).namelist()
    assert [event.removeprefix("begin ") for event in events if event.startswith("begin ")] == parts
    assert events[-1] == f"handed {','.join(parts)}"  # every part, once (the names of a dict)
    sheet3 = events.index("begin xl/worksheets/sheet3.xml")
    assert "xl/worksheets/sheet2.xml" in events[sheet3 + 1]  # handed as sheet 3 is begun
    monkeypatch.setattr(output, "DEFLATE_THREADS", 0)
    assert output.render_diff_xlsx(result) == threaded


def test_the_collector_is_paused_and_restored() -> None:
    import gc
    import weakref

    from kpi_report.compare.diff import collector_paused

    class Node:
        other: object = None

    for enabled in (True, False):
        gc.enable() if enabled else gc.disable()
        try:
            with collector_paused():
                assert not gc.isenabled()
            assert gc.isenabled() == enabled and gc.get_freeze_count() == 0
            with output._collector_frozen():
                assert not gc.isenabled()
                a, b = Node(), Node()
                a.other, b.other = b, a  # a cycle made meanwhile, unreachable at the end
                gone = weakref.ref(a)
                del a, b
            assert gone() is None  # freed at the end, not left for a later pass
            assert gc.isenabled() == enabled and gc.get_freeze_count() == 0
        finally:
            gc.enable()


def test_the_workbook_is_freed_when_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """xlsxwriter's workbook holds cycles (~120 MB in the yearly audit): freed before render_diff_xlsx returns,
    with the collector paused (a second run_diff would otherwise add its own)."""
    import weakref

    old, new = write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())
    made: list[weakref.ref[Any]] = []
    from kpi_report.core.files import new_xlsx as plain

    def recorded(buffer: Any) -> Any:
        workbook = plain(buffer)
        made.append(weakref.ref(workbook))
        return workbook

    monkeypatch.setattr(output, "new_xlsx", recorded)
    output.run_diff(old, new, tmp_path / "d.xlsx", tmp_path / "d.json")
    assert len(made) == 1 and made[0]() is None


def test_new_is_measured_from_when_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """新一覧's and 新KPI's heights are measured in a child forked as soon as NEW is read, before OLD comes back
    from its own child; the same bytes when that child measures, fails at once, or stops after 新一覧."""
    from multiprocessing.connection import Connection

    from kpi_report.compare import read

    monkeypatch.setattr(read, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(output, "PARALLEL_MIN_ROWS", 0)
    old, new = write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())
    events: list[str] = []
    start, received = output._NewHeights.start, read._received_or_read

    def started(self: output._NewHeights, doc: Any) -> None:
        start(self, doc)
        events.append(f"measuring {self.parts}")

    def old_received(later: Any, path: Path) -> Any:
        events.append("old received")
        return received(later, path)

    monkeypatch.setattr(output._NewHeights, "start", started)
    monkeypatch.setattr(read, "_received_or_read", old_received)
    output.run_diff(old, new, tmp_path / "d.xlsx", tmp_path / "d.json")
    assert events == ["measuring (1, 2)", "old received"]
    monkeypatch.setattr(output, "PARALLEL_MIN_ROWS", 10**9)  # one process from start to end
    monkeypatch.setattr(read, "PARALLEL_MIN_BYTES", 10**9)
    output.run_diff(old, new, tmp_path / "e.xlsx", tmp_path / "e.json")
    expected = ((tmp_path / "e.xlsx").read_bytes(), (tmp_path / "e.json").read_bytes())
    assert ((tmp_path / "d.xlsx").read_bytes(), (tmp_path / "d.json").read_bytes()) == expected
    monkeypatch.setattr(output, "PARALLEL_MIN_ROWS", 0)

    def first_only(doc: Any, parts: tuple[int, ...], sending: Connection) -> None:
        sending.send(output._new_heights(doc, parts[0]))
        sending.close()

    for failing in (lambda doc, parts, sending: sending.close(), first_only):
        monkeypatch.setattr(output, "_measure_and_send", failing)
        output.run_diff(old, new, tmp_path / "f.xlsx", tmp_path / "f.json")
        assert ((tmp_path / "f.xlsx").read_bytes(), (tmp_path / "f.json").read_bytes()) == expected


def test_without_a_kpi_sheet_new_is_measured_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    old, new = write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())
    result = diff_files(old, new)
    result = dataclasses.replace(result, new=dataclasses.replace(result.new, kpis=None))
    monkeypatch.setattr(output, "PARALLEL_MIN_ROWS", 0)
    with output._NewHeights() as measuring:
        measuring.start(result.new)
        alongside = output._Alongside(result, True, measuring)
        try:
            assert measuring.parts == (1,) and measuring.own.pending and alongside.own.pending
            workbook = output.render_diff_xlsx(result, alongside.heights)
            assert alongside.json() == output.diff_json_bytes(result)
        finally:
            alongside.close()
    assert workbook == output.render_diff_xlsx(result)


def test_the_json_is_made_while_the_heights_wait_in_the_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The heights fill the pipe until the workbook takes them: the child makes the JSON meanwhile."""
    import threading

    old, new = write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())
    result = diff_files(old, new)
    made = threading.Event()
    events: list[tuple[str, Any]] = []
    plain = output.diff_json_bytes

    class Full(_Recorder):  # a pipe that takes nothing until the JSON is made
        def send(self, value: object) -> None:
            if made.wait(5):
                super().send(value)
            else:
                raise BrokenPipeError

    def json_bytes(result: DiffResult) -> bytes:
        made.set()
        return plain(result)

    monkeypatch.setattr(output, "diff_json_bytes", json_bytes)
    output._make_and_send(result, True, (0, 1, 2), Full(events))  # type: ignore[arg-type]
    assert [kind for kind, _ in events] == ["send"] * 3 + ["send_bytes", "close"]
    assert events[-2][1] == plain(result)


def test_new_is_measured_here_when_no_process_can_be_forked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing.process

    from kpi_report.compare import read

    old, new = write(tmp_path / "old.xlsx", old_list()), write(tmp_path / "new.xlsx", new_list())
    output.run_diff(old, new, tmp_path / "d.xlsx", tmp_path / "d.json")
    monkeypatch.setattr(read, "PARALLEL_MIN_BYTES", 10**9)
    monkeypatch.setattr(output, "PARALLEL_MIN_ROWS", 0)
    forked = multiprocessing.process.BaseProcess.start
    calls: list[str] = []

    def start(self: Any) -> None:
        calls.append(self._target.__name__)
        if self._target is output._measure_and_send:
            raise OSError("no memory")
        forked(self)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", start)
    output.run_diff(old, new, tmp_path / "e.xlsx", tmp_path / "e.json")
    assert calls == ["_measure_and_send", "_make_and_send"]
    assert (tmp_path / "e.xlsx").read_bytes() == (tmp_path / "d.xlsx").read_bytes()
    assert (tmp_path / "e.json").read_bytes() == (tmp_path / "d.json").read_bytes()
