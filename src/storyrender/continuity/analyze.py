"""Continuity of a built board: seam scores and keyframe drift, remembered per result.

:func:`analyze` measures a board whose outputs are in the store and remembers the result in the
store under a digest of what it measured (the final video's key, the keyframes' keys, the
references' digests), so a no-op build measures nothing again and ``plan`` can show the last
scores without decoding anything (:func:`cached`). :func:`violations` is the gate of
``storyrender check``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ..cache import state
from ..cache.keys import canonical_json, file_digest

__all__ = ["analyze", "cached", "summary", "summary_line", "violations", "ANALYSIS_VERSION"]

#: bump when a measure changes (part of the remembered result's name)
ANALYSIS_VERSION = 2


def _keyframes(prepared) -> list[dict[str, Any]]:
    return list(prepared.graph.info.get("keyframes") or [])


def _references(board) -> dict[str, Path]:
    return {n: c.image for n, c in board.characters.items() if c.image is not None}


def _state_name(prepared) -> str | None:
    graph = prepared.graph
    final = graph.targets.get("mp4")
    if final is None:
        return None
    doc = {"v": ANALYSIS_VERSION, "final": final, "keyframes": [k["key"] for k in _keyframes(prepared)],
           "characters": [[k.get("characters", []) for k in _keyframes(prepared)]],
           "refs": {n: file_digest(p) for n, p in sorted(_references(prepared.board).items())},
           "pieces": graph.info.get("pieces")}
    return state.name(state.CONTINUITY, hashlib.sha256(canonical_json(doc)).hexdigest())


def cached(prepared, store) -> dict[str, Any] | None:
    """The remembered analysis of this board's current outputs, or None (reads only)."""
    name = _state_name(prepared)
    return store.get_state(name) if name else None


def analyze(prepared, store) -> dict[str, Any] | None:
    """Seam scores and keyframe drift of *prepared*'s built outputs (None when they are not built)."""
    name = _state_name(prepared)
    if name is None:
        return None
    hit = store.get_state(name)
    if hit is not None:
        return hit
    from . import drift, seams  # numpy and the decoder: only when measuring

    graph, board = prepared.graph, prepared.board
    video = store.path(graph.targets["mp4"])
    if video is None:
        return None
    beats = [{"index": b.index, "id": b.id} for b in board.beats]
    joins = seams.score_video(video, graph.info["pieces"], beats, board.output.fps,
                              inner=graph.info.get("inner_joins"))
    kfs = []
    for k in _keyframes(prepared):
        path = store.path(k["key"])
        if path is not None:
            kfs.append({**k, "path": path})
    drifts = drift.keyframe_drift(kfs, _references(board))
    result = {"version": ANALYSIS_VERSION, "seams": joins, "drift": drifts,
              "summary": summary(joins, drifts)}
    store.set_state(name, result)
    return result


def summary(joins: list[dict], drifts: list[dict]) -> dict[str, Any]:
    """Worst join, flagged joins, largest drift and jumps, for reports."""
    from .seams import MIN_SEAM

    worst = min(joins, key=lambda j: j["score"], default=None)
    top = max(drifts, key=lambda d: d["drift"], default=None)
    return {
        "joins": len(joins),
        "worst_seam": {"score": worst["score"], "from_beat": worst["from_beat"], "to_beat": worst["to_beat"]}
        if worst else None,
        "flagged_joins": [[j["from_beat"], j["to_beat"]] for j in joins if j["flagged"]],
        "max_drift": {"drift": top["drift"], "keyframe": top["keyframe"]} if top else None,
        "jumps": [d["keyframe"] for d in drifts if d.get("jump")],
        "min_seam_default": MIN_SEAM,
    }


def summary_line(s: dict[str, Any]) -> str:
    """One line for the build summary: the worst join, flagged joins, the largest drift, jumps."""
    parts = []
    if s.get("worst_seam"):
        w = s["worst_seam"]
        flagged = ", ".join(f"{a}->{b}" for a, b in s["flagged_joins"])
        parts.append(f"{s['joins']} joins, worst seam {w['score']:.2f} ({w['from_beat']}->{w['to_beat']})"
                     + (f", under {s['min_seam_default']:g}: {flagged}" if flagged else ", none flagged"))
    if s.get("max_drift"):
        d = s["max_drift"]
        parts.append(f"max drift {d['drift']:.2f} (keyframe {d['keyframe']})")
        if s["jumps"]:
            parts.append("sudden jump at keyframe " + ", ".join(map(str, s["jumps"])))
    return "continuity: " + ("; ".join(parts) if parts else "one beat, no joins")


def violations(result: dict[str, Any], *, min_seam: float | None, max_drift: float | None) -> list[dict[str, Any]]:
    """The joins scoring under *min_seam* and the keyframes drifting over *max_drift*."""
    out = []
    if min_seam is not None:
        for j in result.get("seams", []):
            if j["score"] < min_seam:
                out.append({"what": "seam", "from_beat": j["from_beat"], "to_beat": j["to_beat"],
                            "time": j["time"], "score": j["score"], "threshold": min_seam})
    if max_drift is not None:
        for d in result.get("drift", []):
            if d["drift"] > max_drift:
                out.append({"what": "drift", "keyframe": d["keyframe"], "beat": d["beat"], "drift": d["drift"],
                            "threshold": max_drift})
    return out
