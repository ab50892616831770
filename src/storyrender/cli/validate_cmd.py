"""``storyrender validate``."""

from __future__ import annotations

import sys

import click

from .common import EXIT_BAD_INPUT, expand_boards, handle_errors

__all__ = ["validate"]


@click.command()
@click.argument("boards", nargs=-1, required=True)
@click.option("--offline", is_flag=True, help="Check as if every job ran on the local provider.")
@handle_errors
def validate(boards, offline):
    """Check storyboards (files or globs): schema, files, providers and their limits.

    Renders nothing and calls no provider. Schema errors and the problems found in the board's
    well-formed parts (files, providers, models) are listed together. A model its vendor has shut down is an error naming
    the replacement; a deprecated one is a warning with its shutdown date. A provider whose API
    key is not set is noted (the build would refuse to start); exit status 2 when any board is bad.
    """
    from ..api import missing_keys, prepare
    from ..errors import BoardError
    from ..plugins.manager import load_registry

    registry = load_registry()
    bad = 0
    for path in expand_boards(boards):
        try:
            p = prepare(path, offline=offline, registry=registry)
        except BoardError as exc:
            bad += 1
            click.echo(f"error: {exc.format()}", err=True)
            continue
        b = p.board
        click.echo(f"ok: {path} ({len(b.beats)} beats, {b.total_seconds:g} s, {b.output.size} @ {b.output.fps} fps)")
        for warning in p.resolution.warnings:
            click.echo(f"warning: {warning}", err=True)
        for err in missing_keys(p):
            click.echo(f"note: {err.format()}", err=True)
    if bad:
        sys.exit(EXIT_BAD_INPUT)
