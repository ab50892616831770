"""The artifact store: the only module that touches diskcache.

Layout of a store directory (``.storyrender/`` beside the storyboard by default)::

    index/                      diskcache: key -> Record, plus small named state values
    artifacts/ab/abcdef...png   the artifacts, one file per node key
    tmp/                        producers write here, then :meth:`Store.put` moves the file in
    locks/                      one lock file per key being made (fcntl, released on process death)

A record is written only after its artifact file is complete and in place (``os.replace``),
so a half-written artifact is never served: a crash leaves at most an orphan file that the
next producer of that key overwrites. Records of paid results (``cost > 0`` or ``paid``) are
never evicted silently: see :meth:`prune`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import diskcache

__all__ = ["Record", "Store", "default_cache_dir"]

_STATE = "state:"
_REC = "node:"


@dataclass(frozen=True)
class Record:
    """What the store knows about one artifact."""

    key: str
    kind: str
    suffix: str
    size: int
    created: float
    paid: bool = False
    cost: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def default_cache_dir(board_dir: Path) -> Path:
    """``$STORYRENDER_CACHE`` if set, else ``.storyrender/`` beside the storyboard."""
    env = os.environ.get("STORYRENDER_CACHE")
    return Path(env).expanduser() if env else board_dir / ".storyrender"


class Store:
    """Artifacts by node key, recorded only when complete."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.artifacts = self.directory / "artifacts"
        self.tmp = self.directory / "tmp"
        self.locks = self.directory / "locks"
        for d in (self.artifacts, self.tmp, self.locks):
            d.mkdir(parents=True, exist_ok=True)
        self._index = diskcache.Cache(str(self.directory / "index"), eviction_policy="none",
                                      size_limit=2**62, timeout=60)

    def close(self) -> None:
        self._index.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- artifacts ----------------------------------------------------------------------------
    def path_for(self, key: str, suffix: str) -> Path:
        return self.artifacts / key[:2] / f"{key}{suffix}"

    def get(self, key: str) -> Record | None:
        """The record of *key* if its artifact is complete and present, else None."""
        raw = self._index.get(_REC + key)
        if raw is None:
            return None
        rec = Record(**raw)
        if not self.path_for(key, rec.suffix).exists():
            return None
        return rec

    def path(self, key: str) -> Path | None:
        rec = self.get(key)
        return self.path_for(key, rec.suffix) if rec else None

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def new_tmp(self, suffix: str) -> Path:
        """A fresh path in the store's temp folder (same filesystem as the artifacts)."""
        return self.tmp / f"{uuid.uuid4().hex}{suffix}"

    @contextlib.contextmanager
    def tmp_dir(self) -> Iterator[Path]:
        d = Path(tempfile.mkdtemp(dir=self.tmp))
        try:
            yield d
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def put(self, key: str, src: Path, *, kind: str, paid: bool = False, cost: float | None = None,
            meta: dict[str, Any] | None = None) -> Record:
        """Move the finished file *src* in as the artifact of *key* and record it."""
        src = Path(src)
        suffix = "".join(src.suffixes[-1:]) or ""
        dest = self.path_for(key, suffix)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(src, "rb") as f:
            os.fsync(f.fileno())
        if src.parent.resolve() != self.tmp.resolve() and not src.is_relative_to(self.tmp):
            staged = self.new_tmp(suffix)
            shutil.copyfile(src, staged)
            src = staged
        os.replace(src, dest)
        rec = Record(key=key, kind=kind, suffix=suffix, size=dest.stat().st_size, created=time.time(),
                     paid=bool(paid or (cost or 0) > 0), cost=cost, meta=dict(meta or {}))
        self._index.set(_REC + key, rec.as_dict())
        return rec

    def forget(self, key: str) -> None:
        """Drop a record and its artifact (used by prune; never during a build)."""
        rec = self.get(key)
        self._index.delete(_REC + key)
        if rec:
            with contextlib.suppress(FileNotFoundError):
                self.path_for(key, rec.suffix).unlink()

    def records(self) -> Iterator[Record]:
        for k in self._index.iterkeys():
            if isinstance(k, str) and k.startswith(_REC):
                raw = self._index.get(k)
                if raw is not None:
                    yield Record(**raw)

    # -- cross-process locks ------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold an exclusive lock on *key* (other processes making the same node wait)."""
        path = self.locks / f"{key}.lock"
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    # -- small named values (last build state, published outputs) -----------------------------
    def get_state(self, name: str, default: Any = None) -> Any:
        return self._index.get(_STATE + name, default)

    def set_state(self, name: str, value: Any) -> None:
        self._index.set(_STATE + name, value)

    # -- care -----------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        n = size = paid_n = paid_size = 0
        cost = 0.0
        kinds: dict[str, int] = {}
        for rec in self.records():
            n += 1
            size += rec.size
            kinds[rec.kind] = kinds.get(rec.kind, 0) + 1
            if rec.paid:
                paid_n += 1
                paid_size += rec.size
                cost += rec.cost or 0.0
        return {"directory": str(self.directory), "entries": n, "bytes": size, "paid_entries": paid_n,
                "paid_bytes": paid_size, "paid_cost_usd": round(cost, 4), "kinds": kinds}

    def prune(self, *, keep: set[str] = frozenset(), include_paid: bool = False,
              max_bytes: int | None = None) -> dict[str, Any]:
        """Remove unpaid entries not in *keep* (oldest first); paid ones only with *include_paid*.

        With *max_bytes*, stop once the store is at most that large.
        """
        recs = sorted(self.records(), key=lambda r: r.created)
        total = sum(r.size for r in recs)
        removed = freed = 0
        for rec in recs:
            if max_bytes is not None and total <= max_bytes:
                break
            if rec.key in keep or (rec.paid and not include_paid):
                continue
            self.forget(rec.key)
            removed += 1
            freed += rec.size
            total -= rec.size
        for stale in self.tmp.iterdir():
            if time.time() - stale.stat().st_mtime > 24 * 3600:
                shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
        return {"removed": removed, "freed_bytes": freed, "bytes": total}
