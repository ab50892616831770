"""The critical path of a render graph: the longest chain of nodes that must run one after another.

With enough workers a build cannot finish sooner than its critical path, so ``plan`` shows it
(and its length in provider calls) as the estimated wall time, for both keyframe modes:
``chained`` keyframes wait for each other (a 24-beat board: 25 provider calls in a row),
``anchored`` ones are all made from keyframe 0 (3: keyframe 0, keyframe k, segment k).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Collection

from .kinds import KINDS
from .nodes import Graph, Node

__all__ = ["CriticalPath", "critical_path", "guess_seconds", "keyframe_modes"]


@dataclass(frozen=True)
class CriticalPath:
    seconds: float
    keys: tuple[str, ...]
    provider_calls: int
    labels: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"seconds": round(self.seconds, 1), "provider_calls": self.provider_calls, "nodes": list(self.labels)}


def guess_seconds(node: Node) -> float:
    """The kinds table's wall-time guess for *node* (cloud or local)."""
    return KINDS[node.kind].time_guess(node.provider)


def critical_path(graph: Graph, seconds: Callable[[Node], float] = guess_seconds,
                  done: Collection[str] = ()) -> CriticalPath:
    """The longest chain by *seconds*; nodes in *done* (cached) take no time and are left out."""
    best: dict[str, tuple[float, str | None]] = {}
    for node in graph:  # graph.order is a dependency order
        own = 0.0 if node.key in done else float(seconds(node))
        prev = max(((best[i][0], i) for i in node.inputs), default=(0.0, None))
        best[node.key] = (own + prev[0], prev[1])
    if not best:
        return CriticalPath(0.0, (), 0, ())
    end = max(best, key=lambda k: best[k][0])
    chain: list[str] = []
    k: str | None = end
    while k is not None:
        if k not in done:
            chain.append(k)
        k = best[k][1]
    chain.reverse()
    nodes = [graph[k] for k in chain]
    return CriticalPath(best[end][0], tuple(chain), sum(1 for n in nodes if n.is_provider_job),
                        tuple(n.label for n in nodes))


def keyframe_modes(board, resolution, graph: Graph, cached: Callable[[Graph], Collection[str]]) -> dict:
    """The critical path of *board* in each keyframe mode (only its own mode in extend mode).

    *cached(graph)* gives the keys a build of that graph would not make (already in the cache).
    """
    from .build import build_graph

    modes = ("chained", "anchored") if board.mode == "keyframes" else (board.keyframes,)
    out = {}
    for mode in modes:
        g = graph if mode == board.keyframes else build_graph(dataclasses.replace(board, keyframes=mode), resolution)
        out[mode] = critical_path(g, done=cached(g)).as_dict()
    return {"mode": board.keyframes, **out}
