"""The store itself: artifacts by node key over a diskcache index, recorded only when complete; the
vendor jobs in flight and small named values beside them. The only module that imports diskcache."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Iterable, Iterator

import diskcache

from .. import integrity
from ..location import ARTIFACTS, INDEX, artifact_path, bump_generation
from .locks import Locks
from .records import JOB, RECORD, STATE, Record
from .upkeep import Upkeep


class Store(Locks, Upkeep):
    """Artifacts by node key, recorded only when complete."""

    def __init__(self, directory: Path | str, *, remote: Any = None) -> None:
        self.directory = Path(directory)
        #: an optional shared cache (e.g. :class:`storyrender.cache.remote.S3Remote`): consulted on
        #: a miss, offered every new artifact; it never raises and collects its own warnings
        self.remote = remote
        self.artifacts = self.directory / ARTIFACTS
        self._artifacts = str(self.artifacts)
        self.tmp = self.directory / "tmp"
        self.locks = self.directory / "locks"
        self._cache: diskcache.Cache | None = None
        #: keys whose artifact checked out: (size, mtime) seen then, and whether the digest was checked
        self._verified: dict[str, tuple[int, int, bool]] = {}
        #: records read from the index whose artifact checked out (see :meth:`_checked`)
        self._known: dict[str, Record] = {}
        #: records read by :meth:`read_records`, not yet checked
        self._read: dict[str, Record] = {}
        self._warnings: list[str] = []

    # The directory is made on the first write, not on open: reading a store that does not
    # exist yet (planning, a refused build) finds it empty and leaves nothing behind.
    @property
    def _index(self) -> diskcache.Cache:
        if self._cache is None:
            for d in (self.artifacts, self.tmp, self.locks):
                d.mkdir(parents=True, exist_ok=True)
            self._cache = diskcache.Cache(str(self.directory / INDEX), eviction_policy="none",
                                          size_limit=2**62, timeout=60)
        return self._cache

    def _ensure(self) -> None:
        """Make the store's directory (and open its index) before writing to it."""
        self._index  # noqa: B018 - the property creates it

    @property
    def exists(self) -> bool:
        """True once anything was written to this store."""
        return self._cache is not None or (self.directory / INDEX).is_dir()

    def close(self) -> None:
        self.flush()
        if self._cache is not None:
            self._cache.close()

    def flush(self) -> None:
        """Wait until the remote cache (if any) has every artifact offered to it."""
        if self.remote is not None:
            self.remote.flush()

    def take_warnings(self) -> list[str]:
        """Warnings collected since the last call (the remote cache's: the store never prints)."""
        own, self._warnings = self._warnings, []
        return own + (self.remote.take_warnings() if self.remote is not None else [])

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- artifacts ----------------------------------------------------------------------------
    def path_for(self, key: str, suffix: str) -> Path:
        return artifact_path(self.directory, key, suffix)

    def get(self, key: str, *, local_only: bool = False) -> Record | None:
        """The record of *key* if its artifact is complete and present, else None.

        On a local miss the remote cache (if any) is asked, unless *local_only*.
        """
        rec, bad = self._checked(key)
        if rec is None or bad == integrity.MISSING:
            return self._pull(key) if self.remote is not None and not local_only else None
        if bad:
            label = rec.meta.get("label") or f"{rec.kind} {key[:12]}"
            note = f"corrupt in cache: {label} ({bad}); "
            pulled = self._pull(key) if self.remote is not None and not local_only else None
            self._warnings.append(note + ("fetched again from the remote cache" if pulled else "it is made again"))
            return pulled
        return rec

    def problem(self, key: str, rec: "Record | None" = None, *, digest: bool | None = None) -> str | None:
        """Why the recorded artifact of *key* cannot be served (missing, truncated, replaced), or
        None (also when nothing is recorded). A file with the size and mtime it was stored with is
        trusted unless *digest* is True; any other is checked (*digest*: see :func:`integrity.problem`)."""
        return self._checked(key, digest)[1] if rec is None else self._problem(key, rec, digest)

    def _checked(self, key: str, digest: bool | None = None) -> tuple[Record | None, str | None]:
        """The record of *key* (None: there is none) and what is wrong with its artifact (None: nothing).

        A record read before is used again while its artifact checks out, else the index is read again
        (so a build reads each record once, and still sees what another process changed)."""
        rec = self._known.get(key)
        if rec is not None and self._problem(key, rec, digest) is None:
            return rec, None
        rec = self._read.pop(key, None)
        if rec is None:
            raw = self._index.get(RECORD + key) if self.exists else None
            if raw is None:
                self._known.pop(key, None)
                return None, None
            rec = Record(**raw)
        bad = self._problem(key, rec, digest)
        if bad is None:
            self._known[key] = rec
        else:
            self._known.pop(key, None)
        return rec, bad

    def read_records(self, keys: Iterable[str]) -> None:
        """Read the records of *keys* in a few queries instead of one each (the next check of each key
        uses what was read here): planning a board reads every node's record."""
        wanted = [RECORD + k for k in keys if k not in self._known and k not in self._read]
        if not wanted or not self.exists:
            return
        index = self._index
        for at in range(0, len(wanted), 500):  # SQLite takes at most 999 parameters in a statement
            chunk = wanted[at:at + 500]
            rows = index._sql(  # diskcache's own query (Cache.get), for many keys at once
                f"SELECT key, mode, filename, value FROM Cache WHERE key IN ({','.join('?' * len(chunk))})"
                " AND raw = 1 AND (expire_time IS NULL OR expire_time > ?)", (*chunk, time.time())).fetchall()
            for name, mode, filename, value in rows:
                with contextlib.suppress(OSError):  # deleted meanwhile: read again when checked
                    self._read[name[len(RECORD):]] = Record(**index._disk.fetch(mode, filename, value, False))

    def _problem(self, key: str, rec: Record, digest: bool | None) -> str | None:
        try:  # a plain string path: a plan stats every node's artifact
            st = os.stat(f"{self._artifacts}{os.sep}{key[:2]}{os.sep}{key}{rec.suffix}")
        except OSError:
            return integrity.MISSING
        if digest is not True and (st.st_size, st.st_mtime_ns) == (rec.size, rec.mtime_ns):
            return None  # untouched since it was stored: writing to a file moves its mtime
        path = self.path_for(key, rec.suffix)
        full = digest if digest is not None else (rec.kind == "final" or rec.size <= integrity.DIGEST_ON_READ)
        seen = self._verified.get(key)
        if seen and seen[:2] == (st.st_size, st.st_mtime_ns) and (seen[2] or not full):
            return None
        bad = integrity.problem(path, size=rec.size, sha256=rec.sha256, suffix=rec.suffix, digest=full)
        if bad is None:
            self._verified[key] = (st.st_size, st.st_mtime_ns, full)
        return bad

    def _pull(self, key: str) -> Record | None:
        """Bring *key* from the remote cache into this store (verified by the remote), or None."""
        self._ensure()
        got = self.remote.fetch(key, self.tmp)
        if got is None:
            return None
        raw, src = got
        try:
            return self._install(key, Path(src), kind=raw.get("kind") or "", paid=bool(raw.get("paid")),
                                 cost=raw.get("cost"), meta=dict(raw.get("meta") or {}))
        finally:
            Path(src).unlink(missing_ok=True)

    def revive_job(self, key: str) -> bool:
        """For a corrupt paid result, record its vendor job again (from the record), so the next
        make fetches the result from the vendor instead of paying for a new one. True if it did."""
        raw = self._index.get(RECORD + key) if self.exists else None
        if raw is None or self.get_job(key) is not None:
            return False
        rec = Record(**raw)
        job_id = (rec.meta.get("info") or {}).get("job_id")
        if not (rec.paid and job_id and rec.meta.get("provider") and self.problem(key, rec)):
            return False
        self.record_job(key, {"job_id": str(job_id), "provider": rec.meta["provider"], "refetch": True})
        return True

    def path(self, key: str) -> Path | None:
        rec = self.get(key)
        return self.path_for(key, rec.suffix) if rec else None

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def new_tmp(self, suffix: str) -> Path:
        """A fresh path in the store's temp folder (same filesystem as the artifacts)."""
        self._ensure()
        return self.tmp / f"{uuid.uuid4().hex}{suffix}"

    @contextlib.contextmanager
    def tmp_dir(self) -> Iterator[Path]:
        self._ensure()
        d = Path(tempfile.mkdtemp(dir=self.tmp))
        try:
            yield d
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def put(self, key: str, src: Path, *, kind: str, paid: bool = False, cost: float | None = None,
            meta: dict[str, Any] | None = None) -> Record:
        """Move the finished file *src* in as the artifact of *key* and record it (and offer it to the remote)."""
        rec = self._install(key, Path(src), kind=kind, paid=paid, cost=cost, meta=meta)
        if self.remote is not None:
            self.remote.push(key, self.path_for(key, rec.suffix), rec.as_dict())
        return rec

    def _install(self, key: str, src: Path, *, kind: str, paid: bool = False, cost: float | None = None,
                 meta: dict[str, Any] | None = None) -> Record:
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
        digest = integrity.sha256_of(src)
        os.replace(src, dest)
        self._verified.pop(key, None)
        st = dest.stat()
        rec = Record(key=key, kind=kind, suffix=suffix, size=st.st_size, created=time.time(),
                     paid=bool(paid or (cost or 0) > 0), cost=cost, meta=dict(meta or {}), sha256=digest,
                     mtime_ns=st.st_mtime_ns)
        self._set(RECORD + key, rec.as_dict())
        self._known[key] = rec
        return rec

    def forget(self, key: str) -> None:
        """Drop a record and its artifact (used by prune; never during a build; never the remote's)."""
        raw = self._index.get(RECORD + key)
        rec = Record(**raw) if raw is not None else None
        self._delete(RECORD + key)
        self._known.pop(key, None)
        if rec:
            with contextlib.suppress(FileNotFoundError):
                self.path_for(key, rec.suffix).unlink()

    def records(self) -> Iterator[Record]:
        if not self.exists:
            return
        for k in self._index.iterkeys():
            if isinstance(k, str) and k.startswith(RECORD):
                raw = self._index.get(k)
                if raw is not None:
                    yield Record(**raw)

    # -- vendor jobs in flight ------------------------------------------------------------------
    def get_job(self, key: str) -> dict[str, Any] | None:
        """The vendor job recorded for node *key* while it is being made (see ``providers.hosted``)."""
        return self._index.get(JOB + key) if self.exists else None

    def record_job(self, key: str, job: dict[str, Any]) -> None:
        """Record the vendor job of node *key* (written through before the build waits on it)."""
        self._set(JOB + key, dict(job))

    def clear_job(self, key: str) -> None:
        if self.exists:
            self._delete(JOB + key)

    def jobs(self) -> dict[str, dict[str, Any]]:
        """Every recorded vendor job, by node key."""
        if not self.exists:
            return {}
        return {k[len(JOB):]: self._index.get(k) for k in self._index.iterkeys()
                if isinstance(k, str) and k.startswith(JOB)}

    # -- small named values (last build state, published outputs) -----------------------------
    def get_state(self, name: str, default: Any = None) -> Any:
        return self._index.get(STATE + name, default) if self.exists else default

    def set_state(self, name: str, value: Any) -> None:
        self._set(STATE + name, value)

    # -- every write to the index, and the generation token it changes ---------------------------
    def _set(self, name: str, value: Any) -> None:
        self._index.set(name, value)
        bump_generation(self.directory)

    def _delete(self, name: str) -> None:
        self._index.delete(name)
        bump_generation(self.directory)
