"""Why a node must be rendered: compare it with the same role in the previous build (pure)."""

from __future__ import annotations

from typing import Any, Mapping

from .nodes import Graph, Node

__all__ = ["reasons", "snapshot"]

_FIELD_WORDS = {
    "prompt": "prompt changed",
    "negative_prompt": "negative prompt changed",
    "seed": "seed changed",
    "take": "take changed",
    "provider": "provider or model changed",
    "size": "output size changed",
    "fps": "fps changed",
    "seconds": "length changed",
    "camera": "camera changed",
    "references": "character reference changed",
    "hints": "beat number or time code changed",
    "overlays": "caption changed",
    "piece": "timing or transition changed",
    "encode": "output settings changed",
    "sha256": "pinned file changed",
    "text": "voice-over text changed",
    "music": "music changed",
    "soft_subtitles": "captions changed",
    "files": "an input file changed",
    "version": "provider or model version changed",
    "model": "provider or model changed",
    "options": "provider options changed",
    "width": "output size changed",
    "height": "output size changed",
}


def snapshot(graph: Graph) -> dict[str, dict[str, Any]]:
    """What to remember of a build to explain the next one: role -> key, params, inputs' roles."""
    roles = {n.key: n.role for n in graph}
    return {n.role: {"key": n.key, "params": n.params, "inputs": [roles.get(i, i) for i in n.inputs],
                     "input_keys": list(n.inputs)} for n in graph}


def reasons(graph: Graph, previous: Mapping[str, Mapping[str, Any]] | None, missing: set[str]) -> dict[str, str]:
    """A reason for every node key in *missing*."""
    previous = previous or {}
    out: dict[str, str] = {}
    for node in graph:
        if node.key not in missing:
            continue
        out[node.key] = _reason(node, previous.get(node.role), graph, missing)
    return out


def _reason(node: Node, prev: Mapping[str, Any] | None, graph: Graph, missing: set[str]) -> str:
    if prev is None:
        if node.beat is not None and node.kind in ("keyframe", "segment", "image", "file", "speech"):
            return "new beat" if node.role != "keyframe:0" else "new"
        return "new"
    if prev["key"] == node.key:
        return "not in cache"
    changed = [k for k in sorted(set(node.params) | set(prev["params"]))
               if node.params.get(k) != prev["params"].get(k)]
    if "take" in changed and "seed" in changed:
        changed.remove("seed")  # a take's vendor seed is derived from it: the take is the reason
    if changed:
        words = []
        for k in changed:
            w = _FIELD_WORDS.get(k, f"{k} changed")
            if w not in words:
                words.append(w)
        return ", ".join(words)
    if list(node.inputs) != list(prev.get("input_keys", [])):
        kinds = {graph[i].kind for i in node.inputs if i in graph.nodes and i in missing}
        if kinds & {"keyframe", "image", "file", "lastframe"}:
            return "upstream keyframe changed"
        if "segment" in kinds:
            return "a segment changed"
        if "piece" in kinds or "audio" in kinds:
            return "a piece changed"
        return "an input changed"
    return "not in cache"
