"""``storyrender cache``: look after the cache (size, paid results, pruning, a size limit).

The cache of a board is ``--cache-dir D``, else ``$STORYRENDER_CACHE``, else ``.storyrender/``
beside BOARD (or in the current directory when no board is given). Pruning never deletes a
paid result unless ``--include-paid`` is given, and never runs while a build is using the
cache (it waits ``--wait`` seconds for builds to finish, then gives up with exit status 1).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path

import click

from .common import EXIT_BAD_INPUT, EXIT_FAILED, handle_errors

__all__ = ["cache", "human_size"]


def human_size(n: int | float) -> str:
    """Bytes as ``12.3 MiB``."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def _locate(board: str | None, cache_dir: str | None) -> Path:
    from ..cache.store import default_cache_dir

    if cache_dir:
        return Path(cache_dir)
    if board:
        return default_cache_dir(Path(board).resolve().parent)
    return default_cache_dir(Path.cwd())


def _size_option(ctx, param, value):
    from ..cache.store import parse_size

    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _is_store(directory: Path) -> bool:
    return (directory / "index").is_dir()


@click.group()
def cache():
    """Look after the cache: `info`, `prune`, `limit`, `verify`."""


@cache.command()
@click.argument("board", required=False)
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="The cache directory.")
@click.option("--paid", "show_paid", is_flag=True, help="List every paid result.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def info(board, cache_dir, show_paid, as_json):
    """Size, entries, and the paid results kept in the cache (of BOARD, or --cache-dir)."""
    from ..cache.store import Store

    directory = _locate(board, cache_dir)
    if not _is_store(directory):
        if as_json:
            click.echo(json.dumps({"directory": str(directory), "exists": False}))
        else:
            click.echo(f"no cache at {directory}")
        return
    with Store(directory) as store:
        facts = store.info()
        paid = sorted((r for r in store.records() if r.paid), key=lambda r: r.created)
    if as_json:
        facts["exists"] = True
        facts["paid"] = [{"key": r.key, "kind": r.kind, "label": r.meta.get("label"),
                          "provider": r.meta.get("provider"), "model": r.meta.get("model"), "cost_usd": r.cost,
                          "bytes": r.size, "created": r.created} for r in paid]
        click.echo(json.dumps(facts, indent=2))
        return
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(facts["kinds"].items()))
    click.echo(f"cache:   {facts['directory']}")
    click.echo(f"entries: {facts['entries']} ({human_size(facts['bytes'])})" + (f": {kinds}" if kinds else ""))
    click.echo(f"paid:    {facts['paid_entries']} results ({human_size(facts['paid_bytes'])}), "
               f"cost ${facts['paid_cost_usd']:.2f}; pruning keeps them unless --include-paid")
    limit = facts.get("max_bytes")
    click.echo(f"limit:   {human_size(limit) if limit is not None else 'none'}"
               + ("  (over it: run `storyrender cache prune`)" if limit is not None and facts["bytes"] > limit else ""))
    if show_paid:
        for r in paid:
            who = f"{r.meta.get('provider')}/{r.meta.get('model')}" if r.meta.get("provider") else r.kind
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created))
            click.echo(f"  {r.key[:12]}  {when}  {str(r.meta.get('label', r.kind)):<20} {who:<28} "
                       f"${(r.cost or 0):.3f}  {human_size(r.size)}")


@cache.command()
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
    from ..api import graph_keys, prepare
    from ..cache.store import CacheBusy, Store
    from ..errors import BoardError
    from ..plugins.manager import load_registry

    directory = _locate(board, cache_dir)
    boards = ([board] if board else []) + [b for b in keep_boards if b != board]
    if not boards and not prune_all and max_size is None:
        click.echo("error: name the boards whose entries to keep (BOARD or --keep-board), or pass --all "
                   "to remove every unpaid entry; nothing was removed", err=True)
        sys.exit(EXIT_BAD_INPUT)
    keep: set[str] = set()
    if boards:
        registry = load_registry()
        errors = []
        for b in boards:  # every kept board must load, or nothing is removed
            try:
                keep.update(graph_keys(prepare(b, offline=offline, registry=registry)))
            except BoardError as exc:
                errors.append(exc)
        if errors:
            for exc in errors:
                click.echo(f"error: {exc.format()}", err=True)
            click.echo("nothing was removed", err=True)
            sys.exit(EXIT_BAD_INPUT)
    if not _is_store(directory):
        click.echo(f"no cache at {directory}")
        return
    with Store(directory) as store:
        limit = max_size if max_size is not None else store.max_bytes
        try:
            result = store.prune(keep=keep, include_paid=include_paid, max_bytes=limit, wait=wait, dry_run=dry_run)
        except CacheBusy as exc:
            click.echo(f"error: {exc}; nothing was removed. Run it again when the build is done (or use --wait).",
                       err=True)
            sys.exit(EXIT_FAILED)
        paid_left = store.info()["paid_entries"] if not dry_run else result["kept_paid"]
    if as_json:
        doc = {**result, "directory": str(directory), "kept_boards": boards, "max_bytes": limit}
        click.echo(json.dumps(doc, indent=2))
        return
    verb = "would remove" if dry_run else "removed"
    text = f"{verb} {result['removed']} entries ({human_size(result['freed_bytes'])})"
    if result["removed_paid"]:
        text += f", {result['removed_paid']} of them paid (${result['removed_cost_usd']:.2f} to make again)"
    click.echo(text + f"; cache {'would be' if dry_run else 'is now'} {human_size(result['bytes'])}")
    if paid_left and not include_paid:
        click.echo(f"kept {paid_left} paid results (use --include-paid to allow removing them)")
    if limit is not None and result["bytes"] > limit:
        click.echo(f"the cache is still over {human_size(limit)}: what is left is paid or needed "
                   f"(--include-paid allows removing paid results)")


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
    from ..cache.store import Store, parse_size

    directory = _locate(board, cache_dir)
    if size.lower() in ("none", "off"):
        value = None
    else:
        try:
            value = parse_size(size)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="SIZE") from None
    with Store(directory) as store:
        store.max_bytes = value
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
    from ..cache.store import Store

    directory = _locate(board, cache_dir)
    if not _is_store(directory):
        click.echo(json.dumps({"directory": str(directory), "exists": False}) if as_json else f"no cache at {directory}")
        return
    with Store(directory) as store:
        with store.exclusive(wait=0) if repair else contextlib.nullcontext():
            total = sum(1 for _ in store.records())
            bad = store.verify(repair=repair)
    if as_json:
        click.echo(json.dumps({"directory": str(directory), "checked": total, "repaired": repair,
                               "corrupt": [{"key": r.key, "kind": r.kind, "label": r.meta.get("label"),
                                            "paid": r.paid, "cost_usd": r.cost, "problem": why}
                                           for r, why in bad]}, indent=2))
    else:
        for r, why in bad:
            click.echo(f"corrupt: {r.key[:12]}  {str(r.meta.get('label') or r.kind):<20} {why}"
                       + (f"  (paid ${r.cost or 0:.3f})" if r.paid else ""))
        click.echo(f"{total} artifacts checked, {len(bad)} corrupt"
                   + ("; their files were removed: `storyrender plan` shows them, the next build makes them"
                      if repair and bad else ""))
    if bad:
        sys.exit(EXIT_FAILED)
