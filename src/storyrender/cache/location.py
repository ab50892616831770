"""Where a board's cache lives (light: no store is opened, nothing is imported that opens one)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_cache_dir", "INDEX", "ARTIFACTS", "artifact_path", "artifact_files", "bump_generation",
           "generation"]

#: the store's index folder and artifacts folder inside the cache directory
INDEX, ARTIFACTS = "index", "artifacts"
#: a file holding a fresh random token after every write to the store's index
GENERATION = "generation"


def default_cache_dir(board_dir: Path) -> Path:
    """``$STORYRENDER_CACHE`` if set, else ``.storyrender/`` beside the storyboard."""
    env = os.environ.get("STORYRENDER_CACHE")
    return Path(env).expanduser() if env else board_dir / ".storyrender"


def artifact_path(cache_dir: Path, key: str, suffix: str) -> Path:
    """Where the store keeps the artifact of *key*."""
    return Path(cache_dir) / ARTIFACTS / key[:2] / f"{key}{suffix}"


def artifact_files(cache_dir: Path, keys) -> list[str]:
    """The artifact files of *keys* present in *cache_dir* (whatever their suffix)."""
    keys = set(keys)
    out: list[str] = []
    for prefix in sorted({k[:2] for k in keys}):
        try:
            with os.scandir(Path(cache_dir) / ARTIFACTS / prefix) as entries:
                out += [e.path for e in entries if e.name.split(".", 1)[0] in keys]
        except OSError:
            continue
    return sorted(out)


def bump_generation(cache_dir: Path) -> None:
    """After a write to the store's index: a new token, so a stamp (``cache/stamp.py``) taken before
    it is never trusted again (a token, not an mtime: two writes can land in one clock tick)."""
    fd = os.open(Path(cache_dir) / GENERATION, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, os.urandom(8).hex().encode())
    finally:
        os.close(fd)


def generation(cache_dir: Path) -> str | None:
    """The store's current token (None before its first write)."""
    try:
        return (Path(cache_dir) / GENERATION).read_text("ascii")
    except (OSError, ValueError):
        return None
