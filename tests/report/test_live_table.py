"""The live progress table fits the terminal: its node counter always shows, finished beats collapse."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console

from storyrender.api import prepare
from storyrender.report.console import LiveReporter


@pytest.mark.slow
def test_counter_visible_on_a_24_row_terminal_for_a_59_beat_board(write_board):
    beats = "".join(f"  - {{prompt: beat {i}}}\n" for i in range(59))
    path = write_board("version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 1\nbeats:\n" + beats)
    graph = prepare(path, offline=True).graph
    rep = LiveReporter(console=Console(file=io.StringIO(), width=100, height=24, force_terminal=True))
    rep.graph, rep.t0 = graph, time.monotonic()
    rep.state = {n.key: "queued" for n in graph}
    nodes = list(graph)
    shown = 0
    for step, node in enumerate(nodes):  # every node of the build, as it goes, with messages now and then
        rep.state[node.key] = "rendered"
        if step % 40 == 0:
            rep.messages.append(f"{node.label}: a warning")
        out = Console(file=io.StringIO(), width=100, height=24, force_terminal=False)
        out.print(rep._render())
        lines = out.file.getvalue().splitlines()
        assert len(lines) <= 24, len(lines)
        shown += any(f"/{len(nodes)} nodes" in ln for ln in lines)
    assert shown == len(nodes)  # the counter on every redraw
    assert any("more beats" in ln for ln in lines)
