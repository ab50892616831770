"""What a build must make: walk back from the targets, stop at what the store holds (checked, not
trusted)."""

from __future__ import annotations

from dataclasses import dataclass

from ..cache.store import Store
from ..graph.nodes import Graph

__all__ = ["Plan", "plan_nodes"]


@dataclass
class Plan:
    """Which nodes must be made (``to_run``) and which are cached; the rest are not needed."""

    cached: set[str]
    to_run: list[str]

    def estimate(self, graph: Graph) -> float:
        return sum(graph[k].estimate for k in self.to_run)


def plan_nodes(graph: Graph, store: Store, *, targets: list[str] | None = None) -> Plan:
    """Walk back from the targets: stop at cached nodes, collect what is missing (make-like)."""
    targets = list(graph.targets.values()) if targets is None else targets
    store.read_records(graph.order)  # one query for the board, not one per node
    cached: set[str] = set()
    missing: set[str] = set()
    stack = list(targets)
    while stack:
        k = stack.pop()
        if k in cached or k in missing:
            continue
        if store.has(k):
            cached.add(k)
            continue
        missing.add(k)
        stack.extend(graph[k].inputs)
    # The cache is checked, not trusted: a recorded artifact the targets depend on that no longer
    # checks out (missing, other size, other type) is made again, even under a cached output.
    needed, walk = set(), list(targets)
    while walk:
        k = walk.pop()
        if k not in needed:
            needed.add(k)
            walk.extend(graph[k].inputs)
    stack = [k for k in graph.order if k in needed and k not in missing and store.problem(k, digest=False)]
    cached.difference_update(stack)
    while stack:
        k = stack.pop()
        if k in missing:
            continue
        if k in cached or (store.has(k) and not store.problem(k, digest=False)):
            cached.add(k)
            continue
        missing.add(k)
        stack.extend(graph[k].inputs)
    return Plan(cached, [k for k in graph.order if k in missing])
