"""``storyrender build``."""

from __future__ import annotations

import glob
import json
import os
import sys

import click

from .common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, handle_errors

__all__ = ["build", "expand_boards"]


def expand_boards(patterns) -> list[str]:
    """Paths and globs (quoted globs are expanded here, for CI) -> board paths, in order, unique."""
    out: list[str] = []
    for p in patterns:
        matches = sorted(glob.glob(p, recursive=True)) if any(c in p for c in "*?[") else [p]
        if not matches:
            matches = [p]  # let the loader report it
        for m in matches:
            if m not in out:
                out.append(m)
    return out


@click.command()
@click.argument("boards", nargs=-1, required=True)
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=None,
              help="Nodes made at once (default 8; providers also have their own limits).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Cache directory (default .storyrender/ beside the storyboard, or $STORYRENDER_CACHE).")
@click.option("--offline", is_flag=True, help="Render every job with the local provider (free, no keys, no network).")
@click.option("--budget", type=click.FloatRange(0), default=None,
              help="Refuse to start when the estimated cost of what is left to render is over USD.")
@click.option("--only", "only", multiple=True, help="Render just these beats' keyframes and segments (id or number).")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@click.option("-v", "--verbose", is_flag=True, help="Log every node, cached ones too.")
@handle_errors
def build(boards, jobs, cache_dir, offline, budget, only, as_json, quiet, verbose):
    """Render BOARDS (files or globs) to video, making only what is not cached.

    Prints the path of each output. Exit status: 0 done, 1 a node failed (finished work
    stays cached, rerun to continue), 2 bad input (nothing written, nothing spent).
    """
    from ..api import build as run, open_store, prepare
    from ..errors import BoardError
    from ..plugins.manager import load_registry
    from ..report.console import make_reporter

    paths = expand_boards(boards)
    registry = load_registry()
    # Validate every board first: bad input anywhere means nothing is written or spent.
    prepared = []
    errors = []
    for path in paths:
        try:
            prepared.append(prepare(path, offline=offline, registry=registry))
        except BoardError as exc:
            errors.append(exc)
    if errors:
        for exc in errors:
            click.echo(f"error: {exc.format()}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    results = []
    status = 0
    for p in prepared:
        targets = _only_targets(p, only) if only else None
        reporter = make_reporter(quiet=quiet or as_json, verbose=verbose)
        with open_store(p.board, cache_dir) as store:
            report = run(p, store, events=reporter, jobs=jobs or 8, budget=budget, targets=targets)
        totals = report.totals()
        results.append({"board": p.board.display, "status": report.status, "outputs": report.outputs,
                        "seconds_of_video": round(p.board.total_seconds, 3), **totals,
                        "failures": [{"node": f.label, "error": f.error} for f in report.failures]})
        if report.status == "interrupted":
            status = EXIT_INTERRUPTED
        elif report.status != "ok":
            status = max(status, EXIT_FAILED)
        if not as_json and report.outputs.get("mp4"):
            click.echo(report.outputs["mp4"])
        if status == EXIT_INTERRUPTED:
            break
    if as_json:
        click.echo(json.dumps({"boards": results, "status": "ok" if status == 0 else "failed"}, indent=2))
    sys.exit(status)


def _only_targets(p, only) -> list[str]:
    from ..errors import BoardError

    beats = {b.id: b for b in p.board.beats}
    by_index = {str(b.index): b for b in p.board.beats}
    roles = p.graph.by_role()
    out = []
    for name in only:
        beat = beats.get(name) or by_index.get(name)
        if beat is None:
            raise BoardError(f"--only {name}: no such beat", file=p.board.display,
                             hint=f"Beats: {', '.join(beats)}.")
        out.append(roles[f"segment:{beat.id}"].key)
    return out
