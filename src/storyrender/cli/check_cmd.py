"""``storyrender check``: a CI gate on seam scores and keyframe drift of built boards."""

from __future__ import annotations

import json
import sys

import click

from .common import EXIT_BAD_INPUT, EXIT_FAILED, expand_boards, handle_errors

__all__ = ["check"]


@click.command()
@click.argument("boards", nargs=-1, required=True)
@click.option("--min-seam", type=click.FloatRange(0, 1), default=None,
              help="Fail when a join scores under this (0..1, 1 = seamless; default 0.5).")
@click.option("--max-drift", type=click.FloatRange(0, 1), default=None,
              help="Fail when a keyframe drifts from keyframe 0 by more than this (0..1; default: not checked).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="Cache directory.")
@click.option("--offline", is_flag=True, help="Check the build made with --offline.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores and the violations as JSON on stdout.")
@handle_errors
def check(boards, min_seam, max_drift, cache_dir, offline, as_json):
    """Score the joins and keyframes of built BOARDS against thresholds. Calls no provider.

    Every join's seam score (docs/continuity.md: how much the picture changes across the join
    beyond what motion explains) must be at least --min-seam; with --max-drift, every keyframe's
    drift from keyframe 0 must be at most that. The scores are the ones the build measured
    (measured now if missing; the board must have been built).

    \b
    Exit status:
      0  every join and keyframe within the thresholds
      1  a join or keyframe is worse than a threshold
      2  bad input, or a board that is not built yet
    """
    from ..api import open_store, prepare
    from ..continuity.analyze import analyze, violations
    from ..continuity.seams import MIN_SEAM

    min_seam = MIN_SEAM if min_seam is None else min_seam
    results, worst = [], 0
    for path in expand_boards(boards):
        p = prepare(path, offline=offline)
        with open_store(p.board, cache_dir) as store:
            result = analyze(p, store)
        if result is None:
            click.echo(f"error: {p.board.display} has not been built yet (or not with these settings): "
                       f"run `storyrender build{' --offline' if offline else ''} {path}` first", err=True)
            sys.exit(EXIT_BAD_INPUT)
        bad = violations(result, min_seam=min_seam, max_drift=max_drift)
        worst = max(worst, EXIT_FAILED if bad else 0)
        results.append({"board": p.board.display, "ok": not bad, "violations": bad, "seams": result["seams"],
                        "drift": result["drift"], "summary": result["summary"]})
        if not as_json:
            for j in result["seams"]:
                mark = "FAIL" if j["score"] < min_seam else "ok"
                click.echo(f"{p.board.display}: join {j['from_beat']}->{j['to_beat']} at {j['time']:.2f}s "
                           f"({j['transition']}): seam {j['score']:.2f}  {mark}")
            for d in result["drift"]:
                mark = "FAIL" if max_drift is not None and d["drift"] > max_drift else ("jump" if d["jump"] else "ok")
                click.echo(f"{p.board.display}: keyframe {d['keyframe']}: drift {d['drift']:.2f} "
                           f"(colour {d['colour']:.2f}, structure {d['structure']:.2f})  {mark}")
    if as_json:
        click.echo(json.dumps({"min_seam": min_seam, "max_drift": max_drift, "ok": worst == 0, "boards": results},
                              indent=2))
    sys.exit(worst)
