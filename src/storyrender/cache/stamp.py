"""No-op stamps: a small JSON file per build invocation, in the cache directory's ``stamps/``, that
holds what a build which made nothing reported, with the ``stat`` of everything that result
depends on. Light on purpose (standard library only, no store opened): it is read before anything
else is imported.

A stamp names files (size and mtime), folders (mtime) and a digest of the environment; it never
holds an environment value, a key or a file's content. Any difference found by :func:`unchanged`
means the stamp is not used and the build runs as usual.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..atomic import write_text
from .location import generation

__all__ = ["FORMAT", "stamp_path", "load", "save", "stat_entry", "stat_entries", "unchanged", "texts_unchanged", "store_generation"]

#: the stamp file's format; a stamp of another format is ignored
FORMAT = 1

def stamp_path(cache_dir: Path, name: str) -> Path:
    return Path(cache_dir) / "stamps" / f"{name}.json"


def load(cache_dir: Path, name: str) -> dict[str, Any] | None:
    """The stamp *name*, or None when there is none (or it is unreadable, or of another format)."""
    try:
        doc = json.loads(stamp_path(cache_dir, name).read_bytes())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == FORMAT else None


def save(cache_dir: Path, name: str, stamp: dict[str, Any]) -> None:
    """Keep *stamp* (a cache that cannot be written to keeps none: the next build is simply a build)."""
    try:
        write_text(stamp_path(cache_dir, name), json.dumps({**stamp, "format": FORMAT}))
    except (OSError, ValueError):
        pass


def stat_entry(path: str | os.PathLike) -> list[int] | None:
    """A file's ``[size, mtime_ns]``, or None when it does not exist."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return [st.st_size, st.st_mtime_ns]


def stat_entries(paths) -> dict[str, list[int] | None]:
    return {os.path.abspath(p): stat_entry(p) for p in paths}


def unchanged(entries: Mapping[str, Any], *, dirs: bool = False) -> bool:
    """True when every file still has the size and mtime in *entries* (or is still absent); with
    *dirs*, each entry is a folder's mtime."""
    for path, want in entries.items():
        got = stat_entry(path)
        if dirs:
            got = got and got[1]
        if got != (list(want) if isinstance(want, (list, tuple)) else want):
            return False
    return True


def texts_unchanged(digests: Mapping[str, str], *, without: Sequence[bytes] = ()) -> bool:
    """True when every file still has the sha256 in *digests* (small texts: storyboards, templates)
    and holds none of *without*."""
    for path, want in digests.items():
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except (OSError, ValueError):
            return False
        if hashlib.sha256(data).hexdigest() != want or any(w in data for w in without):
            return False
    return True


def store_generation(cache_dir: Path) -> str | None:
    """The store's generation token: any write to the store (a build, `cache prune`, `limit`,
    `verify --repair`) changes it, so a stamp is never used past a change to the cache."""
    return generation(cache_dir)
