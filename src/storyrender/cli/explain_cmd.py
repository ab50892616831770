"""``storyrender explain``: where a moment of the video came from."""

from __future__ import annotations

import json

import click

from .common import handle_errors

__all__ = ["explain"]


@click.command()
@click.argument("board", type=click.Path(dir_okay=False))
@click.option("--at", "at", type=click.FloatRange(0), default=None, help="A time in the video, in seconds.")
@click.option("--frame", type=click.IntRange(0), default=None, help="A frame of the video (0 is the first).")
@click.option("--offline", is_flag=True, help="Explain the build made with --offline.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def explain(board, at, frame, offline, as_json):
    """Print the beat and the chain of nodes that made a moment of BOARD's video.

    Give --at SECONDS or --frame N. For each clip the frame shows (two during a transition):
    the segment, its keyframes and what each was made from, with provider, model, seed, take and
    prompt; after a build also the cost, the vendor job id and when it was made (from the
    manifest). Calls no provider. Exit status: 0 explained, 2 bad input.
    """
    from ..api import manifest_path, prepare
    from ..continuity.origin import format_origin, frame_at, frame_origin
    from ..errors import BoardError

    if (at is None) == (frame is None):
        raise click.UsageError("give one of --at SECONDS or --frame N")
    p = prepare(board, offline=offline)
    n = frame if frame is not None else frame_at(at, p.board.output.fps)
    manifest = None
    path = manifest_path(p.board)
    if path.exists():
        try:
            manifest = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            manifest = None
    try:
        origin = frame_origin(p, n, manifest)
    except BoardError:
        raise
    click.echo(json.dumps(origin, indent=2, ensure_ascii=False) if as_json else format_origin(origin))
