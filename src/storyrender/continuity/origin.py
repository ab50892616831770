"""Where a frame of the video came from: the beat, and the chain of nodes that made it.

:func:`frame_origin` maps an output frame to the timeline piece that holds it (a beat's body,
or the transition between two beats), the frame of each clip it shows, and for each clip the
nodes behind it: the repairs (colour match), the segment, its keyframes and what each keyframe
was made from, with provider, model, seed, take, prompt and, when the board has been built, the
cost, the vendor job id and when it was made (from the manifest).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from ..errors import BoardError

__all__ = ["frame_origin", "frame_at", "format_origin"]


def frame_at(seconds: float, fps: int) -> int:
    """The output frame showing time *seconds* (frame ``i`` is shown from ``i / fps``)."""
    return int(math.floor(float(seconds) * fps + 1e-6))


def _node(graph, key: str, built: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    n = graph[key]
    rec = built.get(key) or {}
    p = n.params
    out: dict[str, Any] = {"label": n.label, "role": n.role, "kind": n.kind, "key": key}
    if n.is_provider_job:
        out.update({"provider": p.get("provider"), "model": p.get("model"), "seed": p.get("seed"),
                    "take": p.get("take"), "prompt": p.get("prompt")})
    if rec:
        info = rec.get("info") or {}
        out.update({"status": rec.get("status"), "cost_usd": rec.get("cost_usd"),
                    "job_id": rec.get("job_id") or info.get("job_id"), "made_at": rec.get("made_at")})
    made_from = [graph[i].label for i in n.inputs]
    if made_from:
        out["made_from"] = made_from
    return out


def _chain(graph, clip: str, built) -> list[dict[str, Any]]:
    """The clip's node, back through its repairs to the segment, then the segment's keyframes."""
    chain, key = [], clip
    while graph[key].kind not in ("segment", "join") and graph[key].inputs:
        chain.append(_node(graph, key, built))
        key = graph[key].inputs[0]
    chain.append(_node(graph, key, built))
    if graph[key].kind == "join":  # a beat made of model-sized clips: each clip, then its keyframes
        subs = graph[key].inputs[graph[key].params["keyframes"]:]
        seen = set()
        for sub in subs:
            for k in (sub, *graph[sub].inputs):
                if k not in seen:
                    seen.add(k)
                    chain.append(_node(graph, k, built))
        return chain
    for k in graph[key].inputs:
        chain.append(_node(graph, k, built))
    return chain


def frame_origin(prepared, frame: int, manifest: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What made output *frame* of *prepared*'s video (see the module docstring).

    :raises BoardError: when the frame is outside the video.
    """
    board, graph = prepared.board, prepared.graph
    fps = board.output.fps
    pieces = graph.info["pieces"]
    total = sum(p["frames"] for p in pieces)
    if not 0 <= frame < total:
        raise BoardError(f"frame {frame} is outside the video (frames 0..{total - 1}, 0 to "
                         f"{total / fps:.3f} s)", file=board.display, hint="Give a time or frame inside the video.")
    piece = next(p for p in pieces if p["out_start"] <= frame < p["out_start"] + p["frames"])
    offset = frame - piece["out_start"]
    built = {n["key"]: n for n in (manifest or {}).get("nodes") or []}
    clips = graph.info.get("clips") or graph.info["segments"]
    shows = []
    for i, b in enumerate(piece["beats"]):
        beat = board.beats[b]
        clip_frame = piece["start"] + offset if i == 0 else offset
        shows.append({"beat": beat.index, "id": beat.id, "prompt": beat.prompt, "clip_frame": clip_frame,
                      "clip_frames": piece["beat_frames"][i], "nodes": _chain(graph, clips[b], built)})
    out = {"board": board.display, "frame": frame, "time": round(frame / fps, 4), "fps": fps,
           "piece": piece["kind"], "built": bool(manifest), "shows": shows}
    if piece["kind"] == "junction":
        out["transition"] = piece["transition"]
        out["mix"] = round((offset + 1) / (piece["frames"] + 1), 3)  # share of the next beat in the blend
    return out


def format_origin(o: Mapping[str, Any]) -> str:
    """*o* (:func:`frame_origin`) as text."""
    lines = [f"{o['board']}: frame {o['frame']} at {o['time']:.3f} s"]
    if o["piece"] == "junction":
        a, b = o["shows"]
        lines.append(f"  {o['transition']} from beat {a['beat']} ({a['id']}) into beat {b['beat']} ({b['id']}), "
                     f"{o['mix'] * 100:.0f}% of the next")
    for s in o["shows"]:
        lines.append(f"  beat {s['beat']} ({s['id']}): clip frame {s['clip_frame']} of {s['clip_frames']}")
        for n in s["nodes"]:
            who = f" {n['provider']}/{n['model']}" if n.get("provider") else ""
            extra = []
            if n.get("seed") is not None:
                extra.append(f"seed {n['seed']}")
            if n.get("take") and n["take"] != 1:
                extra.append(f"take {n['take']}")
            if n.get("cost_usd") is not None:
                extra.append(f"${n['cost_usd']:.3f}")
            if n.get("job_id"):
                extra.append(f"job {n['job_id']}")
            if n.get("status"):
                extra.append(n["status"])
            lines.append(f"    {n['label']:<22} {n['key'][:12]}{who}" + (f"  ({', '.join(extra)})" if extra else ""))
            if n.get("made_from"):
                lines.append(f"      from: {', '.join(n['made_from'])}")
            if n.get("prompt"):
                lines.append(f"      prompt: {n['prompt']}")
    if not o["built"]:
        lines.append("  (not built yet: costs, job ids and times appear after a build)")
    return "\n".join(lines)
