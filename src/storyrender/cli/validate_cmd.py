"""``storyrender validate``."""

from __future__ import annotations

import sys

import click

from .common import EXIT_BAD_INPUT, handle_errors

__all__ = ["validate"]


@click.command()
@click.argument("boards", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--offline", is_flag=True, help="Check as if every job ran on the local provider.")
@handle_errors
def validate(boards, offline):
    """Check storyboards (schema, files, providers and their limits) without rendering anything."""
    from ..api import prepare
    from ..errors import BoardError
    from ..plugins.manager import load_registry

    registry = load_registry()
    bad = 0
    for path in boards:
        try:
            p = prepare(path, offline=offline, registry=registry)
        except BoardError as exc:
            bad += 1
            click.echo(f"error: {exc.format()}", err=True)
            continue
        b = p.board
        click.echo(f"ok: {path} ({len(b.beats)} beats, {b.total_seconds:g} s, {b.output.size} @ {b.output.fps} fps)")
    if bad:
        sys.exit(EXIT_BAD_INPUT)
