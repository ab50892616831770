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
    from ..api import open_store, plan_board, prepare
    from ..report.plan_text import plan_doc, plan_lines

    p = prepare(board, offline=offline)
    with open_store(p.board, cache_dir) as store:
        planned = plan_board(p, store)
    for warning in p.resolution.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(plan_doc(p, planned), indent=2))
        return
    for line, to_stderr in plan_lines(p, planned, show_all=show_all):
        click.echo(line, err=to_stderr)
