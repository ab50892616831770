"""What a build tells: the :class:`Events` a reporter receives, and the reports of each node and of
the build (the manifest is written from them)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol

from ..graph.kinds import is_provider_kind
from ..graph.nodes import Graph, Node

if TYPE_CHECKING:  # pragma: no cover
    from .plan import Plan

__all__ = ["Events", "NullEvents", "NodeReport", "BuildReport"]


class Events(Protocol):
    """What a reporter is told. Every method may be called from worker threads."""

    def build_started(self, graph: Graph, plan: "Plan") -> None: ...
    def node_started(self, node: Node) -> None: ...
    def node_log(self, node: Node, message: str) -> None: ...
    def node_finished(self, node: Node, report: "NodeReport") -> None: ...
    def build_finished(self, report: "BuildReport") -> None: ...


class NullEvents:
    """Events that go nowhere (library use, tests)."""

    def build_started(self, graph, plan): pass
    def node_started(self, node): pass
    def node_log(self, node, message): pass
    def node_finished(self, node, report): pass
    def build_finished(self, report): pass


@dataclass
class NodeReport:
    """One node's line in the manifest."""

    key: str
    role: str
    label: str
    kind: str
    beat: int | None
    status: str  # cached | rendered | failed | skipped | not needed
    provider: str | None = None
    model: str | None = None
    prompt: str | None = None
    seed: int | None = None
    take: int | None = None
    seconds: float = 0.0
    attempts: int = 0
    cost_usd: float | None = None
    cost_estimated_usd: float = 0.0
    inputs: list[str] = field(default_factory=list)
    error: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    #: when the artifact was made (UTC, ISO 8601) and how long it took, whichever build made it
    made_at: str | None = None
    made_seconds: float | None = None

    def as_dict(self) -> dict:
        # shallow (a build writes one per node on every run): the fields are plain values
        return {name: getattr(self, name) for name in _REPORT_FIELDS}


_REPORT_FIELDS = tuple(f.name for f in fields(NodeReport))


@dataclass
class BuildReport:
    """The outcome of a build (the manifest is written from it)."""

    board: str
    status: str  # ok | failed | interrupted
    outputs: dict[str, str] = field(default_factory=dict)
    nodes: list[NodeReport] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    #: seam scores and keyframe drift of the published video (:mod:`storyrender.continuity`)
    continuity: dict[str, Any] | None = None
    #: length of the MP4 that was written (probed), when one was
    video_seconds: float | None = None

    @property
    def failures(self) -> list[NodeReport]:
        return [n for n in self.nodes if n.status == "failed"]

    def totals(self) -> dict[str, Any]:
        rendered = [n for n in self.nodes if n.status == "rendered"]
        cached = [n for n in self.nodes if n.status == "cached"]
        return {
            "nodes": len(self.nodes),
            "rendered": len(rendered),
            "cached": len(cached),
            "failed": len(self.failures),
            "skipped": len([n for n in self.nodes if n.status == "skipped"]),
            "provider_calls": len([n for n in rendered if is_provider_kind(n.kind)]),
            "cost_usd": round(sum(n.cost_usd or 0.0 for n in rendered), 6),
            "cost_estimated_usd": round(sum(n.cost_estimated_usd for n in rendered), 6),
            "seconds": round(self.seconds, 3),
        }
