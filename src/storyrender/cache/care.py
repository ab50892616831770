"""Looking after a cache (``storyrender cache``): where it is, what it holds, pruning, its size
limit, checking its artifacts. Each step returns data; :mod:`storyrender.report.cache_text` renders it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from .store import CacheBusy, Record, Store, default_cache_dir, parse_size

__all__ = ["CacheBusy", "locate", "exists", "info", "prune", "set_limit", "verify", "parse_size"]


def locate(board: str | None, cache_dir: str | None) -> Path:
    """``--cache-dir``, else ``$STORYRENDER_CACHE``, else ``.storyrender/`` beside *board* (or here)."""
    if cache_dir:
        return Path(cache_dir)
    return default_cache_dir(Path(board).resolve().parent if board else Path.cwd())


def exists(directory: Path) -> bool:
    return (directory / "index").is_dir()


def info(directory: Path) -> tuple[dict[str, Any], list[Record]]:
    """The store's facts (size, entries, paid, limit) and its paid records, oldest first."""
    with Store(directory) as store:
        return store.info(), sorted((r for r in store.records() if r.paid), key=lambda r: r.created)


def prune(directory: Path, keep: set[str], *, include_paid: bool, max_bytes: int | None, wait: float,
          dry_run: bool) -> tuple[dict[str, Any], int | None, int]:
    """Prune (see :meth:`Store.prune`): its result, the limit applied (*max_bytes*, else the store's)
    and how many paid results are left.

    :raises CacheBusy: when a build kept the store in use for *wait* seconds.
    """
    with Store(directory) as store:
        limit = max_bytes if max_bytes is not None else store.max_bytes
        result = store.prune(keep=keep, include_paid=include_paid, max_bytes=limit, wait=wait, dry_run=dry_run)
        paid_left = store.info()["paid_entries"] if not dry_run else result["kept_paid"]
    return result, limit, paid_left


def set_limit(directory: Path, value: int | None) -> None:
    """Set (or with None remove) the store's size limit."""
    with Store(directory) as store:
        store.max_bytes = value


def verify(directory: Path, *, repair: bool) -> tuple[int, list[tuple[Record, str]]]:
    """How many artifacts were checked, and the corrupt ones with what is wrong (removed with *repair*)."""
    with Store(directory) as store:
        with store.exclusive(wait=0) if repair else contextlib.nullcontext():
            total = sum(1 for _ in store.records())
            return total, store.verify(repair=repair)
