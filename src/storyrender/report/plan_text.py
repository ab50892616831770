"""What ``storyrender plan`` prints: the plan as text lines, or as the ``--json`` document (no
absolute paths, no times: it can be diffed and snapshot-tested)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..graph.prepared import characters_doc

__all__ = ["plan_doc", "plan_lines"]


def _rel(path, start=None) -> str:
    """*path* relative to *start* (default: the working directory), with / separators."""
    try:
        return Path(os.path.relpath(path, start)).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(path).name


def plan_doc(p, plan) -> dict[str, Any]:
    """The ``--json`` document of *plan* (a :class:`~storyrender.build.BoardPlan`) for the prepared board *p*."""
    brd, rows, todo = p.board, plan.rows, plan.todo
    return {
        "board": _rel(brd.source),
        "title": brd.title,
        "output": {"path": _rel(brd.output.path, brd.source.parent), "size": brd.output.size,
                   "fps": brd.output.fps, "seconds": round(p.video_seconds, 3)},
        "beats": [{"index": b.index, "id": b.id, "seconds": b.seconds,
                   "estimate_usd": round(sum(r.estimate_usd for r in todo if r.beat == b.index), 6),
                   "render": [r.role for r in todo if r.beat == b.index]} for b in brd.beats],
        "nodes": [{k: v for k, v in r.as_dict().items()} for r in rows],
        **({"warnings": p.graph.info["warnings"]} if p.graph.info.get("warnings") else {}),
        "totals": {"nodes": len(rows), "render": len(todo), "cached": len([r for r in rows if r.status == "cached"]),
                   "provider_calls": len([r for r in todo if r.provider]),
                   "estimate_usd": round(sum(r.estimate_usd for r in todo), 6),
                   "estimate_seconds": round(sum(r.estimate_seconds for r in todo), 1)},
        "critical_path": plan.critical,
        "continuity": plan.continuity,
        "missing_keys": plan.missing_keys,
        "characters": characters_doc(brd, brd.source.parent),  # reference paths relative to the board
        **({"writer": {"provider": w.name, "model": w.model, "status": "written", "estimate_usd": 0.0}}
           if (w := brd.providers.get("writer")) else {}),  # storyrender new wrote the beats: done
    }


def plan_lines(p, plan, *, show_all: bool) -> list[tuple[str, bool]]:
    """The text of *plan*: (line, to stderr) in order."""
    rows, todo = plan.rows, plan.todo
    total_cost = sum(r.estimate_usd for r in todo)
    total_time = sum(r.estimate_seconds for r in todo)
    out = [(f"{p.board.display}: {len(p.board.beats)} beats, {round(p.video_seconds, 3):g} s, "
            f"{p.board.output.size} @ {p.board.output.fps} fps", False)]
    writer = p.board.providers.get("writer")  # storyrender new wrote the beats: done, never called by a build
    if writer:
        out.append((f"  {'written':<10} {'story':<22} {writer.label:<36} {'-':>8}  the beats are written "
                    "(storyrender new --plan prices a new writing)", False))
    shown = rows if show_all else todo
    if not shown:
        out.append(("nothing to render: everything is cached", False))
    for r in shown:
        who = f"{r.provider}/{r.model}" if r.provider else "ffmpeg"
        cost = f"${r.estimate_usd:.3f}" if r.estimate_usd else ("price?" if r.price_unknown else "-")
        mark = "render" if r.status == "render" else r.status
        out.append((f"  {mark:<10} {r.label:<22} {who:<36} {cost:>8}  {r.reason}", False))
    cached = len([r for r in rows if r.status != "render"])
    out.append((f"total: {len(todo)} to render ({len([r for r in todo if r.provider])} provider calls), "
                f"{cached} cached or not needed, estimated ${total_cost:.2f}, ~{total_time:.0f} s", False))
    critical = plan.critical
    for mode in ("chained", "anchored"):
        if mode in critical:
            c = critical[mode]
            current = " (this board)" if mode == critical["mode"] else ""
            out.append((f"critical path, keyframes {mode}{current}: {c['provider_calls']} provider calls in a row, "
                        f"~{c['seconds']:.0f} s with enough workers", False))
    if plan.continuity:
        from ..continuity.analyze import summary_line

        out.append((summary_line(plan.continuity["summary"]) + " (last build)", False))
    out += [(f"warning: {w}", False) for w in p.graph.info.get("warnings") or ()]
    out += [(f"missing key: {text}", True) for text in plan.missing_keys]  # each with the line choosing it
    unpriced = sorted({f"{r.provider}/{r.model}" for r in todo if r.price_unknown})
    if unpriced:
        out.append((f"note: no list price for {', '.join(unpriced)}: the estimate leaves them out "
                    f"(set prices: in the board to count them)", False))
    return out
