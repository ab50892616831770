"""``storyrender plan``."""

from __future__ import annotations

import json

import click

from .common import handle_errors

__all__ = ["plan"]


@click.command()
@click.argument("board", type=click.Path(dir_okay=True))
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="Cache directory.")
@click.option("--offline", is_flag=True, help="Plan as if every job ran on the local provider.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--all", "show_all", is_flag=True, help="List cached nodes too.")
@handle_errors
def plan(board, cache_dir, offline, as_json, show_all):
    """Show what a build would render and why, with estimated cost and time. Calls no provider.

    --json prints the same as a document with no absolute paths and no times in it (the board
    relative to the working directory, the output relative to the board), so it can be diffed
    and snapshot-tested. Exit status: 0 planned, 2 bad input.
    """
    from ..api import missing_keys, open_store, plan as make_plan, prepare
    from ..outputs.manifest import characters_doc

    from ..continuity.analyze import cached as continuity_of

    from ..execute.runner import plan_nodes
    from ..graph.critical import keyframe_modes

    p = prepare(board, offline=offline)
    with open_store(p.board, cache_dir) as store:
        rows, _ = make_plan(p, store)
        continuity = continuity_of(p, store)
        critical = keyframe_modes(p.board, p.resolution, p.graph, lambda g: plan_nodes(g, store).cached)
    todo = [r for r in rows if r.status == "render"]
    for warning in p.resolution.warnings:
        click.echo(f"warning: {warning}", err=True)
    missing = [e.format() for e in missing_keys(p, [r.key for r in todo])]
    total_cost = sum(r.estimate_usd for r in todo)
    total_time = sum(r.estimate_seconds for r in todo)
    if as_json:
        # Deterministic: no absolute paths, no times (snapshot-tested in tests/cli/test_plan_json.py).
        brd = p.board
        doc = {
            "board": _rel(brd.source),
            "title": brd.title,
            "output": {"path": _rel(brd.output.path, brd.source.parent), "size": brd.output.size,
                       "fps": brd.output.fps, "seconds": round(p.video_seconds, 3)},
            "beats": [{"index": b.index, "id": b.id, "seconds": b.seconds,
                       "estimate_usd": round(sum(r.estimate_usd for r in todo if r.beat == b.index), 6),
                       "render": [r.role for r in todo if r.beat == b.index]} for b in p.board.beats],
            "nodes": [{k: v for k, v in r.as_dict().items()} for r in rows],
            **({"warnings": p.graph.info["warnings"]} if p.graph.info.get("warnings") else {}),
            "totals": {"nodes": len(rows), "render": len(todo), "cached": len([r for r in rows if r.status == "cached"]),
                       "provider_calls": len([r for r in todo if r.provider]),
                       "estimate_usd": round(total_cost, 6), "estimate_seconds": round(total_time, 1)},
            "critical_path": critical,
            "continuity": continuity,
            "missing_keys": missing,
            "characters": characters_doc(brd, brd.source.parent),  # reference paths relative to the board
        }
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo(f"{p.board.display}: {len(p.board.beats)} beats, {round(p.video_seconds, 3):g} s, "
               f"{p.board.output.size} @ {p.board.output.fps} fps")
    shown = rows if show_all else [r for r in rows if r.status == "render"]
    if not shown:
        click.echo("nothing to render: everything is cached")
    for r in shown:
        who = f"{r.provider}/{r.model}" if r.provider else "ffmpeg"
        cost = f"${r.estimate_usd:.3f}" if r.estimate_usd else ("price?" if r.price_unknown else "-")
        mark = "render" if r.status == "render" else r.status
        click.echo(f"  {mark:<10} {r.label:<22} {who:<36} {cost:>8}  {r.reason}")
    cached = len([r for r in rows if r.status != "render"])
    click.echo(f"total: {len(todo)} to render ({len([r for r in todo if r.provider])} provider calls), "
               f"{cached} cached or not needed, estimated ${total_cost:.2f}, ~{total_time:.0f} s")
    for mode in ("chained", "anchored"):
        if mode in critical:
            c = critical[mode]
            current = " (this board)" if mode == critical["mode"] else ""
            click.echo(f"critical path, keyframes {mode}{current}: {c['provider_calls']} provider calls in a row, "
                       f"~{c['seconds']:.0f} s with enough workers")
    if continuity:
        from ..continuity.analyze import summary_line

        click.echo(summary_line(continuity["summary"]) + " (last build)")
    for warning in p.graph.info.get("warnings") or ():
        click.echo(f"warning: {warning}")
    for text in missing:  # every one, with the board line that chooses the provider
        click.echo(f"missing key: {text}", err=True)
    unpriced = sorted({f"{r.provider}/{r.model}" for r in todo if r.price_unknown})
    if unpriced:
        click.echo(f"note: no list price for {', '.join(unpriced)}: the estimate leaves them out "
                   f"(set prices: in the board to count them)")


def _rel(path, start=None) -> str:
    """*path* relative to *start* (default: the working directory), with / separators."""
    import os
    from pathlib import Path

    try:
        return Path(os.path.relpath(path, start)).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(path).name
