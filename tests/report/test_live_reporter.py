"""The live reporter on a fake 24-row terminal: the counter line always shows, finished beats collapse,
the last three messages show, a beat's cell shows its most urgent state."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from rich.console import Console

from storyrender.report.console import LiveReporter, LogReporter, QuietReporter, make_reporter

ROWS = 24


def _node(kind: str, beat: int | None, label: str, role: str, provider: str | None = "fake"):
    return SimpleNamespace(key=f"{kind}-{beat}", kind=kind, beat=beat, label=label, role=role,
                           beat_id=None if beat is None else f"beat-{beat}",
                           is_provider_job=kind in ("keyframe", "segment"),
                           spec=SimpleNamespace(provider=provider, model="m"))


def graph_of(beats: int) -> list:
    """A board's nodes as the reporter sees them: a keyframe, a segment and a piece per beat, one final."""
    nodes = []
    for b in range(1, beats + 1):
        nodes += [_node("keyframe", b, f"keyframe {b}", f"keyframe:beat-{b}"),
                  _node("segment", b, f"segment {b}", f"segment:beat-{b}"),
                  _node("piece", b, f"piece {b}", f"piece:{b}", provider=None)]
    return nodes + [_node("final", None, "final", "final", provider=None)]


def terminal() -> Console:
    return Console(file=io.StringIO(), width=100, height=ROWS, force_terminal=True, color_system=None)


def started(beats: int) -> tuple[LiveReporter, dict]:
    graph = graph_of(beats)
    rep = LiveReporter(console=terminal())
    rep.build_started(graph, SimpleNamespace(to_run=[n.key for n in graph], cached=set()))
    return rep, {n.key: n for n in graph}


def frame(rep: LiveReporter) -> list[str]:
    """What the table looks like now, line by line, on the reporter's terminal size."""
    out = Console(file=io.StringIO(), width=rep.console.size.width, height=rep.console.size.height,
                  color_system=None)
    out.print(rep._render())
    return out.file.getvalue().splitlines()


def finish(rep: LiveReporter, node, status: str = "rendered", error: str | None = None) -> None:
    rep.node_started(node)
    rep.node_finished(node, SimpleNamespace(status=status, error=error))


def beat_rows(lines: list[str]) -> list[int]:
    return [int(m.group(1)) for ln in lines if (m := re.match(r"\s*(\d+)\s+beat-\d+", ln))]


@pytest.fixture
def stop():
    made = []
    yield made.append
    for rep in made:  # the live display's refresh thread never outlives a test
        if rep.live is not None:
            rep.live.stop()


def test_the_counter_line_shows_first_on_every_frame_of_a_long_build(stop):
    rep, nodes = started(59)
    stop(rep)
    total = len(nodes)
    for step, node in enumerate(nodes.values()):
        rep.node_started(node)
        if step % 4 == 0:  # a frame every few nodes: rendering every one would only repeat these checks
            lines = frame(rep)
            assert len(lines) <= ROWS, len(lines)
            assert lines[0].startswith(f"{step}/{total} nodes"), lines[0]
        if step % 20 == 0:
            rep.node_log(node, "a warning")
        rep.node_finished(node, SimpleNamespace(status="cached" if step % 2 else "rendered", error=None))
    assert frame(rep)[0].startswith(f"{total}/{total} nodes")
    rep.build_finished(SimpleNamespace(status="ok", failures=[], totals=lambda: {
        "rendered": 89, "cached": 89, "failed": 0, "provider_calls": 118, "cost_usd": 0.0, "seconds": 1.0}))
    assert rep.live is None
    written = rep.console.file.getvalue()
    assert f"{total}/{total} nodes" in written  # the last frame stays on the terminal
    assert "ok: 89 made, 89 cached, 0 failed, 118 provider calls, $0.00" in written


def test_a_board_that_fits_shows_every_beat():
    rep, nodes = started(12)
    rep.live.stop()
    lines = frame(rep)
    assert beat_rows(lines) == list(range(1, 13))
    assert not any("more beats" in ln for ln in lines)


def test_finished_beats_collapse_into_one_line(stop):
    rep, nodes = started(30)
    stop(rep)
    for b in range(1, 26):
        for kind in ("keyframe", "segment", "piece"):
            finish(rep, nodes[f"{kind}-{b}"], "cached" if b % 3 else "rendered")
    rep.node_started(nodes["keyframe-26"])
    lines = frame(rep)
    assert len(lines) <= ROWS
    assert beat_rows(lines) == [26, 27, 28, 29, 30]  # the unfinished beats, every one of them
    assert sum("25 more beats" in ln for ln in lines) == 1
    assert lines[0].startswith("75/91 nodes")


def test_a_long_unfinished_board_shows_the_beats_around_the_work_in_progress(stop):
    rep, nodes = started(60)
    stop(rep)
    rep.node_started(nodes["segment-40"])
    lines = frame(rep)
    rows = beat_rows(lines)
    assert rows[0] == 38 and rows == list(range(38, 38 + len(rows)))  # two beats before the work in progress
    assert len(lines) <= ROWS and 40 in rows
    assert any(f"{60 - len(rows)} more beats" in ln for ln in lines)


def test_only_the_last_three_messages_show_and_a_failure_names_its_node_once(stop):
    rep, nodes = started(3)
    stop(rep)
    for i in range(1, 5):
        rep.node_log(nodes["segment-1"], f"message {i}")
    finish(rep, nodes["segment-2"], "failed", "segment 2: the vendor refused the prompt")
    lines = frame(rep)
    assert [ln for ln in lines if ln.startswith(("segment 1:", "FAILED"))] == [
        "segment 1: message 3", "segment 1: message 4", "FAILED segment 2: the vendor refused the prompt"]


def test_a_beat_cell_shows_its_most_urgent_state(stop):
    rep, nodes = started(3)
    stop(rep)
    finish(rep, nodes["keyframe-1"], "rendered")
    rep.node_started(nodes["segment-1"])  # beat 1: a segment rendering
    finish(rep, nodes["keyframe-2"], "failed", "no")
    finish(rep, nodes["segment-2"], "skipped")  # beat 2: failed wins over skipped
    for kind in ("keyframe", "segment", "piece"):
        finish(rep, nodes[f"{kind}-3"], "cached")
    cells = {int(ln.split()[0]): ln.split()[2:] for ln in frame(rep) if re.match(r"\s*\d+\s+beat-", ln)}
    assert cells == {1: ["done", "rendering", "queued"], 2: ["failed", "skipped", "queued"],
                     3: ["cached", "cached", "cached"]}


def test_nodes_without_a_beat_are_named_on_the_counter_line():
    rep, nodes = started(2)
    rep.live.stop()
    rep.node_started(nodes["final-None"])
    assert "final: rendering" in frame(rep)[0]


def test_the_reporter_follows_the_stream():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(make_reporter(quiet=True, stream=Tty()), QuietReporter)
    assert type(make_reporter(stream=io.StringIO())) is LogReporter
    assert isinstance(make_reporter(stream=Tty()), LiveReporter)
