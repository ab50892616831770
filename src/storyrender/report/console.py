"""Reporters: all build output a person sees. The executor only calls these.

:class:`LiveReporter` (a terminal) shows a live table of beats, like a build tool: each beat's
keyframe, segment and stitch pieces as queued / rendering / cached / done / failed.
:class:`LogReporter` (no terminal, CI) writes one plain line per event to stderr.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

from ..graph.kinds import KINDS
from ..graph.nodes import Graph, Node

__all__ = ["LogReporter", "LiveReporter", "make_reporter", "QuietReporter", "noop_lines"]

_PREVIZ = "local renders an animatic (previz), not AI imagery"
_NOTHING = "nothing to make: the outputs are cached ({nodes} nodes)"


class QuietReporter:
    """No progress (``--quiet`` and ``--json`` runs); failures are still said, on stderr."""

    def build_started(self, graph, plan): pass
    def node_started(self, node): pass
    def node_log(self, node, message): pass
    def node_finished(self, node, report): pass

    def build_finished(self, report) -> None:
        for f in report.failures:
            sys.stderr.write(f"failed: {f.label}: {f.error}\n")


class LogReporter:
    """Plain log lines on *stream* (stderr by default)."""

    def __init__(self, stream: TextIO | None = None, *, verbose: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.t0 = time.monotonic()
        self.lock = threading.Lock()
        self.board = ""

    def _line(self, text: str) -> None:
        with self.lock:
            self.stream.write(f"[{time.monotonic() - self.t0:7.1f}s] {text}\n")
            self.stream.flush()

    def build_started(self, graph: Graph, plan) -> None:
        self.t0 = time.monotonic()
        n_run = len(plan.to_run)
        n_prov = sum(1 for k in plan.to_run if graph[k].is_provider_job)
        if any(n.is_provider_job and n.spec.provider == "local" for n in graph):
            self._line(f"note: {_PREVIZ}")
        cost = plan.estimate(graph)
        money = f", estimated ${cost:.2f}" if cost else ""
        if not n_run:
            self._line(_NOTHING.format(nodes=len(graph)))
        else:
            self._line(f"{n_run} of {len(graph)} nodes to make ({n_prov} provider calls{money})")

    def node_started(self, node: Node) -> None:
        if self.verbose or node.is_provider_job:
            self._line(f"start    {node.label}{_who(node)}")

    def node_log(self, node: Node, message: str) -> None:
        self._line(f"         {node.label}: {message}")

    def node_finished(self, node: Node, report) -> None:
        if report.status == "cached" and not self.verbose:
            return
        if report.status == "not needed":
            return
        extra = f" {report.seconds:.1f}s" if report.seconds else ""
        if report.status == "failed":
            self._line(f"FAILED   {node.label}{_who(node)}: {_error(node.label, report.error)}")
        elif report.status == "skipped":
            self._line(f"skipped  {node.label} ({report.error})")
        else:
            cost = f" ${report.cost_usd:.3f}" if report.cost_usd else ""
            self._line(f"{report.status:<8} {node.label}{_who(node)}{extra}{cost}")

    def build_finished(self, report) -> None:
        self._line(_summary(report.status, report.totals()))
        for f in report.failures:
            self._line(f"  failed: {f.label}: {_error(f.label, f.error)}")


def noop_lines(doc: dict[str, Any], graph_nodes: int, previz: bool) -> list[str]:
    """The lines :class:`LogReporter` prints for a build that makes nothing, from its report document
    (what a remembered no-op shows: :mod:`storyrender.uptodate`)."""
    board = doc["boards"][0]
    lines = [f"note: {_PREVIZ}"] if previz else []
    lines += [_NOTHING.format(nodes=graph_nodes), _summary(board["status"], board)]
    return [f"[{0.0:7.1f}s] {line}" for line in lines]


def _summary(status: str, t: dict[str, Any]) -> str:
    return (f"{status}: {t['rendered']} made, {t['cached']} cached, {t['failed']} failed, "
            f"{t['provider_calls']} provider calls, ${t['cost_usd']:.2f}, {t['seconds']:.1f}s")


#: the live table's column for each group of node kinds (``graph.kinds``)
_COLUMN = {"keyframe": "keyframe", "segment": "segment", "voice": "segment"}


def _error(label: str, error: str | None) -> str:
    """The failure text without the node's name when it already starts with it (the line names the node)."""
    text = str(error or "")
    return text[len(label) + 2:] if text.startswith(f"{label}: ") else text


def _who(node: Node) -> str:
    return f" ({node.spec.provider}/{node.spec.model})" if node.is_provider_job else ""


class LiveReporter(LogReporter):
    """A live table of beats on a terminal (rich), falling back to log lines for messages."""

    STATES = {"queued": "[dim]queued[/]", "rendering": "[yellow]rendering[/]", "cached": "[cyan]cached[/]",
              "rendered": "[green]done[/]", "failed": "[bold red]failed[/]", "skipped": "[magenta]skipped[/]",
              "not needed": "[dim]cached[/]", "-": "[dim]-[/]"}

    def __init__(self, console=None) -> None:
        super().__init__(sys.stderr)
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.live = None
        self.graph: Graph | None = None
        self.state: dict[str, str] = {}
        self.messages: list[str] = []

    def build_started(self, graph: Graph, plan) -> None:
        from rich.live import Live

        self.t0 = time.monotonic()
        self.graph = graph
        to_run = set(plan.to_run)
        self.state = {n.key: ("queued" if n.key in to_run else ("cached" if n.key in plan.cached else "not needed"))
                      for n in graph}
        if any(n.is_provider_job and n.spec.provider == "local" for n in graph):
            self.console.print(f"[dim]note: {_PREVIZ}[/]")
        self.live = Live(self._render(), console=self.console, refresh_per_second=8, transient=False)
        self.live.start()

    def _render(self):
        from rich.table import Table

        g = self.graph
        table = Table(box=None, pad_edge=False, show_edge=False)
        for col in ("beat", "id", "keyframe", "segment", "pieces"):
            table.add_column(col)
        beats: dict[int, dict[str, list[str]]] = {}
        ids: dict[int, str] = {}
        other: list[str] = []
        for n in g:
            st = self.state.get(n.key, "-")
            if n.beat is None:
                other.append(f"{n.label}: {self.STATES[st]}")
                continue
            row = beats.setdefault(n.beat, {"keyframe": [], "segment": [], "pieces": []})
            col = _COLUMN.get(KINDS[n.kind].group, "pieces")
            row[col].append(st)
            if n.beat_id is not None:
                ids.setdefault(n.beat, n.beat_id)
        rows = sorted(beats.items())
        messages = self.messages[-3:]
        # Fit the terminal: the summary line, the table's header and the last messages always show; finished beats
        # collapse into one line first, then the beats furthest from the work in progress.
        budget = max(2, self.console.size.height - 3 - len(messages))
        hidden = 0
        if len(rows) > budget:
            finished = {b for b, r in rows if all(s in ("rendered", "cached", "not needed") for c in r.values() for s in c)}
            keep = [(b, r) for b, r in rows if b not in finished]
            if len(keep) > budget - 1:
                active = [b for b, r in keep if any(s in ("rendering", "failed") for c in r.values() for s in c)]
                first = max(0, next((i for i, (b, _) in enumerate(keep) if active and b == active[0]), 0) - 2)
                keep = keep[first:first + budget - 1]
            hidden = len(rows) - len(keep)
            rows = keep
        for b, r in rows:
            table.add_row(str(b), ids.get(b, ""), *(self._cell(r[c]) for c in ("keyframe", "segment", "pieces")))
        if hidden:
            table.add_row("…", f"{hidden} more beats", "", "", "")
        done = sum(1 for s in self.state.values() if s in ("rendered", "cached", "not needed", "failed", "skipped"))
        summary = f"{done}/{len(self.state)} nodes · {time.monotonic() - self.t0:.1f}s   " + "  ".join(other)
        from rich.console import Group
        from rich.text import Text

        head = Text.from_markup(summary, overflow="ellipsis")
        head.no_wrap = True
        return Group(head, table,
                     *[Text(m, overflow="ellipsis", no_wrap=True) for m in messages])

    def _cell(self, states: list[str]) -> str:
        if not states:
            return self.STATES["-"]
        for s in ("failed", "rendering", "queued", "skipped", "rendered", "cached", "not needed"):
            if s in states:
                return self.STATES[s]
        return self.STATES["-"]

    def _refresh(self) -> None:
        if self.live is not None:
            self.live.update(self._render())

    def node_started(self, node: Node) -> None:
        with self.lock:
            self.state[node.key] = "rendering"
            self._refresh()

    def node_log(self, node: Node, message: str) -> None:
        with self.lock:
            self.messages.append(f"{node.label}: {message}")
            self._refresh()

    def node_finished(self, node: Node, report) -> None:
        with self.lock:
            self.state[node.key] = report.status
            if report.status == "failed":
                self.messages.append(f"FAILED {node.label}: {_error(node.label, report.error)}")
            self._refresh()

    def build_finished(self, report) -> None:
        if self.live is not None:
            self._refresh()
            self.live.stop()
            self.live = None
        t = report.totals()
        colour = "green" if report.status == "ok" else "red"
        self.console.print(f"[{colour}]{report.status}[/]: {t['rendered']} made, {t['cached']} cached, "
                           f"{t['failed']} failed, {t['provider_calls']} provider calls, ${t['cost_usd']:.2f}, "
                           f"{t['seconds']:.1f}s", highlight=False)
        for f in report.failures:
            self.console.print(f"  [red]failed[/]: {f.label}: {f.error}", markup=True, highlight=False)


def make_reporter(*, quiet: bool = False, verbose: bool = False, stream: Any = None, boards: int = 1):
    """A live table on a terminal, log lines otherwise (always for several *boards*: the live table is
    one board's beats), nothing when *quiet*."""
    if quiet:
        return QuietReporter()
    s = stream or sys.stderr
    if boards == 1 and hasattr(s, "isatty") and s.isatty():
        return LiveReporter()
    return LogReporter(s, verbose=verbose)
