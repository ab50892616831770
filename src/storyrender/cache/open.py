"""Opening the store a run uses: its folder, the shared remote cache, and the other boards' caches.

A run over boards kept in different folders uses one store (the first board's, or ``--cache-dir``)
and reads the other boards' own caches on a miss, then the remote, so nothing already made beside
another board is made (or paid) again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from .remote import open_remote
from .store import Fallbacks, Store, default_cache_dir

__all__ = ["open_store", "open_run_store", "store_warnings"]


def open_store(board_dir: Path, cache_dir: str | os.PathLike | None, *, remote: Any = None) -> Store:
    """The store of a board in *board_dir* (or *cache_dir*); *remote* is an optional shared cache."""
    return Store(Path(cache_dir) if cache_dir else default_cache_dir(board_dir), remote=remote)


def open_run_store(board_dirs: Sequence[Path], cache_dir: str | os.PathLike | None,
                   remote_url: str | None = None) -> Store:
    """The one store for a run over boards in *board_dirs*, with the remote at *remote_url* and the
    other boards' existing caches as read-only fallbacks.

    :raises StoryrenderError: for a bad remote URL (see :func:`~storyrender.cache.remote.open_remote`).
    """
    remote = open_remote(remote_url)
    if not cache_dir and len(board_dirs) > 1:
        remote = _with_board_caches(board_dirs, remote)
    return open_store(board_dirs[0], cache_dir, remote=remote)


def _with_board_caches(board_dirs: Sequence[Path], remote: Any) -> Any:
    with open_store(board_dirs[0], None) as first:
        main = first.directory
    others: list[Store] = []
    for folder in board_dirs[1:]:
        store = open_store(folder, None)
        if store.directory != main and store.exists and all(o.directory != store.directory for o in others):
            others.append(store)
    return Fallbacks(others, then=remote) if others else remote


def store_warnings(store: Store) -> list[str]:
    """Wait for the remote cache's uploads, then take its warnings (an outage is a warning, never a failure)."""
    flush, take = getattr(store, "flush", None), getattr(store, "take_warnings", None)
    if flush is not None:
        flush()
    return list(take()) if take is not None else []
