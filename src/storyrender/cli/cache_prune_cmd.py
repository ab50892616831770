"""``storyrender cache prune``: remove the entries no kept board needs (paid ones only when asked)."""

from __future__ import annotations

import json
import sys

import click

from .common import EXIT_BAD_INPUT, EXIT_FAILED, handle_errors

__all__ = ["prune", "echo_lines"]


def _size_option(ctx, param, value):
    from ..cache.care import parse_size

    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def echo_lines(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


@click.command()
@click.argument("board", required=False)
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="The cache directory.")
@click.option("--keep-board", "keep_boards", multiple=True,
              help="Keep what this board's current graph uses (repeatable). BOARD itself is always kept.")
@click.option("--max-size", callback=_size_option, default=None,
              help="Shrink the cache to at most this size (500M, 2G...); unpaid entries go first.")
@click.option("--include-paid", is_flag=True, help="Allow deleting paid results too (they cost money to make again).")
@click.option("--offline", is_flag=True, help="Compute the kept boards' graphs as `build --offline` does.")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@click.option("--wait", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Seconds to wait for running builds using the cache to finish.")
@click.option("--all", "prune_all", is_flag=True,
              help="Keep no board: remove every unpaid entry (paid ones too with --include-paid).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def prune(board, cache_dir, keep_boards, max_size, include_paid, offline, dry_run, wait, prune_all, as_json):
    """Remove entries no kept board needs; unpaid ones first, paid ones only with --include-paid.

    \b
    Without --max-size: removes every unpaid entry that is not reachable from BOARD or a
    --keep-board (reachable = a node of the board's current graph); with neither, --all is
    needed to empty the cache of unpaid entries. With --include-paid, unreachable paid results
    go too.
    With --max-size (or the limit set by `storyrender cache limit`): removes, oldest first, until
    the cache fits: unpaid unreachable, unpaid reachable, then (only with --include-paid) paid.
    """
    from ..api import keep_keys
    from ..cache import care
    from ..report.cache_text import prune_lines

    directory = care.locate(board, cache_dir)
    boards = ([board] if board else []) + [b for b in keep_boards if b != board]
    if not boards and not prune_all and max_size is None:
        click.echo("error: name the boards whose entries to keep (BOARD or --keep-board), or pass --all "
                   "to remove every unpaid entry; nothing was removed", err=True)
        sys.exit(EXIT_BAD_INPUT)
    keep, errors = keep_keys(boards, offline=offline)
    if errors:  # every kept board must load, or nothing is removed
        for exc in errors:
            click.echo(f"error: {exc.format()}", err=True)
        click.echo("nothing was removed", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if not care.exists(directory):
        click.echo(f"no cache at {directory}")
        return
    try:
        result, limit, paid_left = care.prune(directory, keep, include_paid=include_paid, max_bytes=max_size,
                                              wait=wait, dry_run=dry_run)
    except care.CacheBusy as exc:
        click.echo(f"error: {exc}; nothing was removed. Run it again when the build is done (or use --wait).",
                   err=True)
        sys.exit(EXIT_FAILED)
    if as_json:
        click.echo(json.dumps({**result, "directory": str(directory), "kept_boards": boards, "max_bytes": limit},
                              indent=2))
    else:
        echo_lines(prune_lines(result, limit, paid_left, dry_run=dry_run, include_paid=include_paid))
