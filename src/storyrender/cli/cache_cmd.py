"""``storyrender cache``: look after the cache (size, paid results, pruning, a size limit).

The cache of a board is ``--cache-dir D``, else ``$STORYRENDER_CACHE``, else ``.storyrender/``
beside BOARD (or in the current directory when no board is given). Pruning never deletes a
paid result unless ``--include-paid`` is given, and never runs while a build is using the
cache (it waits ``--wait`` seconds for builds to finish, then gives up with exit status 1).
"""

from __future__ import annotations

import json
import sys

import click

from .cache_prune_cmd import echo_lines, prune
from .common import EXIT_FAILED, handle_errors

__all__ = ["cache"]


@click.group()
def cache():
    """Look after the cache: `info`, `prune`, `limit`, `verify`."""


cache.add_command(prune)


@cache.command()
@click.argument("board", required=False)
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="The cache directory.")
@click.option("--paid", "show_paid", is_flag=True, help="List every paid result.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def info(board, cache_dir, show_paid, as_json):
    """Size, entries, and the paid results kept in the cache (of BOARD, or --cache-dir)."""
    from ..cache import care
    from ..report.cache_text import info_doc, info_lines

    directory = care.locate(board, cache_dir)
    if not care.exists(directory):
        click.echo(json.dumps({"directory": str(directory), "exists": False}) if as_json else f"no cache at {directory}")
        return
    facts, paid = care.info(directory)
    if as_json:
        click.echo(json.dumps(info_doc(facts, paid), indent=2))
    else:
        echo_lines(info_lines(facts, paid, show_paid=show_paid))


@cache.command()
@click.argument("size")
@click.argument("board", required=False)
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="The cache directory.")
@handle_errors
def limit(size, board, cache_dir):
    """Set the cache's size limit (500M, 2G...; `none` removes it).

    After a successful build over the limit, unpaid entries the board does not need are removed
    (oldest first); `storyrender cache prune` with no --max-size uses the limit too. Paid
    results are never removed by the limit.
    """
    from ..cache import care
    from ..report.cache_text import human_size

    directory = care.locate(board, cache_dir)
    if size.lower() in ("none", "off"):
        value = None
    else:
        try:
            value = care.parse_size(size)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="SIZE") from None
    care.set_limit(directory, value)
    click.echo(f"{directory}: size limit {human_size(value) if value is not None else 'none'}")


@cache.command()
@click.argument("board", required=False)
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="The cache directory.")
@click.option("--repair", is_flag=True,
              help="Remove the corrupt files, so `plan` lists them (and their cost) and the next build makes them.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def verify(board, cache_dir, repair, as_json):
    """Check every artifact against its recorded size and sha256.

    Exit status 1 when any is corrupt (truncated, replaced, missing). A build never serves a
    corrupt artifact either way; --repair removes them now, so `storyrender plan` shows each
    as "corrupt in cache" with its cost before the next build makes it again (a paid one
    resumes its recorded vendor job when the vendor still holds the result).
    """
    from ..cache import care
    from ..report.cache_text import verify_doc, verify_lines

    directory = care.locate(board, cache_dir)
    if not care.exists(directory):
        click.echo(json.dumps({"directory": str(directory), "exists": False}) if as_json else f"no cache at {directory}")
        return
    total, bad = care.verify(directory, repair=repair)
    if as_json:
        click.echo(json.dumps(verify_doc(str(directory), total, bad, repair=repair), indent=2))
    else:
        echo_lines(verify_lines(total, bad, repair=repair))
    if bad:
        sys.exit(EXIT_FAILED)
