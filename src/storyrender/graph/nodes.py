"""Graph nodes: what to make (kind, spec, inputs) and, apart from that, how to report it."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterator, Mapping

from ..cache.keys import node_key
from .kinds import KINDS, PROVIDER_KINDS
from .spec import JobSpec, OpSpec

__all__ = ["Node", "Graph", "PROVIDER_KINDS"]


@dataclass(frozen=True)
class Node:
    """One artifact to make.

    ``key`` is derived from ``kind``, ``spec`` and ``inputs`` only (see
    :mod:`storyrender.cache.keys`): the spec is all the node's operation receives. ``call``
    holds call-only options (timeouts, poll intervals: given to the provider, never in the key);
    ``role``, ``beat``, ``beat_id``, ``label``, ``provider``, ``estimate`` and ``pricing`` describe the node for
    scheduling and reports and never reach the key or the operation.
    """

    kind: str
    spec: JobSpec | OpSpec
    inputs: tuple[str, ...]
    role: str
    beat: int | None = None
    #: the beat's ``id`` (the board's, else ``beat-N``) for a beat's nodes
    beat_id: str | None = None
    label: str = ""
    provider: str | None = None
    estimate: float = 0.0
    call: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: ``price_override`` (the board's own price is the cost), ``price_unknown``, ``model_label``
    pricing: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    key: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown node kind {self.kind!r}")
        object.__setattr__(self, "key", node_key(self.kind, self.spec.identity(), self.inputs))

    @property
    def params(self) -> dict[str, Any]:
        """The spec's identity (what the key hashes), for explanations and reports."""
        return self.spec.identity()

    @property
    def is_provider_job(self) -> bool:
        return KINDS[self.kind].provider

    @property
    def paid(self) -> bool:
        return self.estimate > 0

    @property
    def short(self) -> str:
        return self.key[:12]


@dataclass
class Graph:
    """Nodes by key, in a dependency order, plus the targets a build must produce."""

    nodes: dict[str, Node] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    targets: dict[str, str] = field(default_factory=dict)  # name ("final", "webm", "gif") -> key
    info: dict[str, Any] = field(default_factory=dict)  # timeline, cues, settings for publishing

    def add(self, node: Node) -> str:
        if node.key not in self.nodes:
            for k in node.inputs:
                if k not in self.nodes:
                    raise ValueError(f"{node.role}: input {k[:12]} is not in the graph")
            self.nodes[node.key] = node
            self.order.append(node.key)
        return node.key

    def __getitem__(self, key: str) -> Node:
        return self.nodes[key]

    def __iter__(self) -> Iterator[Node]:
        return (self.nodes[k] for k in self.order)

    def __len__(self) -> int:
        return len(self.nodes)

    def by_role(self) -> dict[str, Node]:
        return {n.role: n for n in self}

    def dependents(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {k: [] for k in self.nodes}
        for n in self:
            for i in n.inputs:
                out[i].append(n.key)
        return out
