"""The artifact store: the only module that touches diskcache.

Layout of a store directory (``.storyrender/`` beside the storyboard by default)::

    index/                      diskcache: key -> Record, plus small named state values
    artifacts/ab/abcdef...png   the artifacts, one file per node key
    tmp/                        producers write here, then :meth:`Store.put` moves the file in
    locks/                      one lock file per key being made (fcntl, released on process death)

A record is written only after its artifact file is complete and in place (``os.replace``),
so a half-written artifact is never served: a crash leaves at most an orphan file that the
next producer of that key overwrites. A record keeps its artifact's size and sha256, and a
read checks them (:mod:`storyrender.cache.integrity`): a truncated, replaced or swapped file is
"corrupt in cache" and never served; it is fetched again from the remote cache when there is
one, else the node is made again (a paid one resumes its recorded vendor job when it can). Records of paid results (``cost > 0`` or ``paid``) are
never evicted silently: see :meth:`prune`.

Eviction never runs under a build: every build holds a shared lock on ``gc.lock`` (see
:meth:`Store.in_use`) from planning to publishing, and :meth:`prune` needs it exclusively (it
waits, or gives up with :class:`CacheBusy`). So an artifact a build planned to read is still there
when the build reads it.
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
from typing import Any, ContextManager, Iterator

import diskcache

from . import integrity, state

__all__ = ["Fallbacks", "Record", "Store", "CacheBusy", "default_cache_dir", "parse_size"]

_STATE = "state:"
_REC = "node:"
_JOB = "job:"


class CacheBusy(Exception):
    """The store is in use by a running build (so it cannot be pruned now)."""


def parse_size(text: str | int) -> int:
    """``500M``, ``2G``, ``1.5GB``, ``800k``, ``123`` (bytes) -> bytes (K/M/G/T are powers of 1024)."""
    if isinstance(text, int):
        return text
    t = str(text).strip().upper().removesuffix("IB").removesuffix("B")
    mult = 1
    if t and t[-1] in "KMGT":
        mult = 1024 ** ("KMGT".index(t[-1]) + 1)
        t = t[:-1]
    try:
        value = float(t)
    except ValueError:
        raise ValueError(f"{text!r} is not a size (write e.g. 500M, 2G or a number of bytes)") from None
    if value < 0 or value != value:
        raise ValueError(f"{text!r} is not a size")
    return int(value * mult)


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
    #: the artifact's digest (None in records made before digests were kept)
    sha256: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def default_cache_dir(board_dir: Path) -> Path:
    """``$STORYRENDER_CACHE`` if set, else ``.storyrender/`` beside the storyboard."""
    env = os.environ.get("STORYRENDER_CACHE")
    return Path(env).expanduser() if env else board_dir / ".storyrender"


class Store:
    """Artifacts by node key, recorded only when complete."""

    def __init__(self, directory: Path | str, *, remote: Any = None) -> None:
        self.directory = Path(directory)
        #: an optional shared cache (e.g. :class:`storyrender.cache.remote.S3Remote`): consulted on
        #: a miss, offered every new artifact; it never raises and collects its own warnings
        self.remote = remote
        self.artifacts = self.directory / "artifacts"
        self.tmp = self.directory / "tmp"
        self.locks = self.directory / "locks"
        self._cache: diskcache.Cache | None = None
        #: keys whose artifact checked out: (size, mtime) seen then, and whether the digest was checked
        self._verified: dict[str, tuple[int, int, bool]] = {}
        self._warnings: list[str] = []

    # The directory is made on the first write, not on open: reading a store that does not
    # exist yet (planning, a refused build) finds it empty and leaves nothing behind.
    @property
    def _index(self) -> diskcache.Cache:
        if self._cache is None:
            for d in (self.artifacts, self.tmp, self.locks):
                d.mkdir(parents=True, exist_ok=True)
            self._cache = diskcache.Cache(str(self.directory / "index"), eviction_policy="none",
                                          size_limit=2**62, timeout=60)
        return self._cache

    def _ensure(self) -> None:
        """Make the store's directory (and open its index) before writing to it."""
        self._index  # noqa: B018 - the property creates it

    @property
    def exists(self) -> bool:
        """True once anything was written to this store."""
        return self._cache is not None or (self.directory / "index").is_dir()

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
        return self.artifacts / key[:2] / f"{key}{suffix}"

    def get(self, key: str, *, local_only: bool = False) -> Record | None:
        """The record of *key* if its artifact is complete and present, else None.

        On a local miss the remote cache (if any) is asked, unless *local_only*.
        """
        raw = self._index.get(_REC + key) if self.exists else None
        rec = Record(**raw) if raw is not None else None
        if rec is None or not self.path_for(key, rec.suffix).exists():
            return self._pull(key) if self.remote is not None and not local_only else None
        bad = self.problem(key, rec)
        if bad:
            label = rec.meta.get("label") or f"{rec.kind} {key[:12]}"
            note = f"corrupt in cache: {label} ({bad}); "
            pulled = self._pull(key) if self.remote is not None and not local_only else None
            self._warnings.append(note + ("fetched again from the remote cache" if pulled else "it is made again"))
            return pulled
        return rec

    def problem(self, key: str, rec: "Record | None" = None, *, digest: bool | None = None) -> str | None:
        """Why the recorded artifact of *key* cannot be served (missing, truncated, replaced), or
        None (also when nothing is recorded). *digest*: see :func:`integrity.problem`."""
        if rec is None:
            raw = self._index.get(_REC + key) if self.exists else None
            if raw is None:
                return None
            rec = Record(**raw)
        path = self.path_for(key, rec.suffix)
        try:
            st = path.stat()
        except OSError:
            return "the file is missing"
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

    def verify(self, *, repair: bool = False) -> list[tuple[Record, str]]:
        """Check every artifact against its record, digest included: the corrupt ones, with why.
        *repair* removes their files; the records stay, so ``plan`` shows each as "corrupt in
        cache" (with its cost) until a build makes it again."""
        bad = []
        for rec in list(self.records()):
            why = self.problem(rec.key, rec, digest=True)
            if why:
                bad.append((rec, why))
                if repair:
                    with contextlib.suppress(FileNotFoundError):
                        self.path_for(rec.key, rec.suffix).unlink()
        return bad

    def revive_job(self, key: str) -> bool:
        """For a corrupt paid result, record its vendor job again (from the record), so the next
        make fetches the result from the vendor instead of paying for a new one. True if it did."""
        raw = self._index.get(_REC + key) if self.exists else None
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
        rec = Record(key=key, kind=kind, suffix=suffix, size=dest.stat().st_size, created=time.time(),
                     paid=bool(paid or (cost or 0) > 0), cost=cost, meta=dict(meta or {}), sha256=digest)
        self._index.set(_REC + key, rec.as_dict())
        return rec

    def forget(self, key: str) -> None:
        """Drop a record and its artifact (used by prune; never during a build; never the remote's)."""
        raw = self._index.get(_REC + key)
        rec = Record(**raw) if raw is not None else None
        self._index.delete(_REC + key)
        if rec:
            with contextlib.suppress(FileNotFoundError):
                self.path_for(key, rec.suffix).unlink()

    def records(self) -> Iterator[Record]:
        if not self.exists:
            return
        for k in self._index.iterkeys():
            if isinstance(k, str) and k.startswith(_REC):
                raw = self._index.get(k)
                if raw is not None:
                    yield Record(**raw)

    # -- cross-process locks ------------------------------------------------------------------
    @contextlib.contextmanager
    def _flocked(self, path: Path, mode: int) -> Iterator[None]:
        """Hold an fcntl lock on *path* (released by the kernel if the process dies)."""
        self._ensure()
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def lock(self, key: str) -> ContextManager[None]:
        """Hold an exclusive lock on *key* (other processes making the same node wait)."""
        return self._flocked(self.locks / f"{key}.lock", fcntl.LOCK_EX)

    def in_use(self) -> ContextManager[None]:
        """Hold a shared lock for a build's whole run: :meth:`prune` waits until it is released."""
        return self._flocked(self.directory / "gc.lock", fcntl.LOCK_SH)

    @contextlib.contextmanager
    def exclusive(self, wait: float | None = 0.0) -> Iterator[None]:
        """Hold the store alone (no build running); wait up to *wait* seconds (None: forever).

        :raises CacheBusy: when a build still holds it after *wait*.
        """
        self._ensure()
        fd = os.open(self.directory / "gc.lock", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            deadline = None if wait is None else time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | (0 if deadline is None else fcntl.LOCK_NB))
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise CacheBusy(f"{self.directory} is in use by a running build") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -- vendor jobs in flight ------------------------------------------------------------------
    def get_job(self, key: str) -> dict[str, Any] | None:
        """The vendor job recorded for node *key* while it is being made (see ``providers.hosted``)."""
        return self._index.get(_JOB + key) if self.exists else None

    def record_job(self, key: str, job: dict[str, Any]) -> None:
        """Record the vendor job of node *key* (written through before the build waits on it)."""
        self._index.set(_JOB + key, dict(job))

    def clear_job(self, key: str) -> None:
        if self.exists:
            self._index.delete(_JOB + key)

    def jobs(self) -> dict[str, dict[str, Any]]:
        """Every recorded vendor job, by node key."""
        if not self.exists:
            return {}
        return {k[len(_JOB):]: self._index.get(k) for k in self._index.iterkeys()
                if isinstance(k, str) and k.startswith(_JOB)}

    # -- small named values (last build state, published outputs) -----------------------------
    def get_state(self, name: str, default: Any = None) -> Any:
        return self._index.get(_STATE + name, default) if self.exists else default

    def set_state(self, name: str, value: Any) -> None:
        self._index.set(_STATE + name, value)

    # -- care -----------------------------------------------------------------------------------
    @property
    def max_bytes(self) -> int | None:
        """The size limit set for this store (``storyrender cache limit``), or None."""
        return state.read(self, state.SETTINGS, "max_bytes")

    @max_bytes.setter
    def max_bytes(self, value: int | None) -> None:
        if value is None:
            self._index.delete(_STATE + state.name(state.SETTINGS, "max_bytes"))
        else:
            state.write(self, state.SETTINGS, "max_bytes", int(value))

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
                "paid_bytes": paid_size, "paid_cost_usd": round(cost, 4), "kinds": kinds,
                "max_bytes": self.max_bytes}

    def prune(self, *, keep: set[str] | frozenset[str] = frozenset(), include_paid: bool = False,
              max_bytes: int | None = None, wait: float | None = 0.0, dry_run: bool = False) -> dict[str, Any]:
        """Evict entries; never while a build runs (see :meth:`exclusive`; raises :class:`CacheBusy`).

        Without *max_bytes*: remove every unpaid entry not in *keep* (the reachable keys), and with
        *include_paid* the unreachable paid ones too. With *max_bytes*: remove, oldest first, until
        the store is at most that large, in this order: unpaid unreachable, unpaid reachable, then
        (only with *include_paid*) paid unreachable, paid reachable. A paid result is never removed
        without *include_paid*. Records whose file is gone, orphan files and temp files go too.
        """
        with self.exclusive(wait):
            recs = sorted(self.records(), key=lambda r: r.created)
            gone = [r for r in recs if not self.path_for(r.key, r.suffix).exists()]
            recs = [r for r in recs if self.path_for(r.key, r.suffix).exists()]
            total = sum(r.size for r in recs)
            tiers = [[r for r in recs if not r.paid and r.key not in keep]]
            if include_paid:
                tiers.append([r for r in recs if r.paid and r.key not in keep])
            if max_bytes is not None:
                tiers.insert(1, [r for r in recs if not r.paid and r.key in keep])
                if include_paid:
                    tiers.append([r for r in recs if r.paid and r.key in keep])
            removed: list[Record] = []
            for tier in tiers:
                for rec in tier:
                    if max_bytes is not None and total <= max_bytes:
                        break
                    removed.append(rec)
                    total -= rec.size
            if not dry_run:
                for rec in removed + gone:
                    self.forget(rec.key)
                self._sweep()
        return {"removed": len(removed), "freed_bytes": sum(r.size for r in removed), "bytes": total,
                "removed_paid": len([r for r in removed if r.paid]),
                "removed_cost_usd": round(sum(r.cost or 0.0 for r in removed if r.paid), 4),
                "kept_paid": len([r for r in recs if r.paid and r not in removed]), "dry_run": dry_run}

    def _sweep(self) -> None:
        """Remove temp files, lock files and artifact files without a record (call only when exclusive)."""
        for stale in list(self.tmp.iterdir()):
            shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
        for lock in list(self.locks.iterdir()):
            lock.unlink(missing_ok=True)
        known = {self.path_for(r.key, r.suffix).name for r in self.records()}
        for sub in list(self.artifacts.iterdir()):
            if sub.is_dir():
                for f in list(sub.iterdir()):
                    if f.name not in known:
                        f.unlink(missing_ok=True)


class Fallbacks:
    """Other local stores read (never written) on a miss, then an optional remote cache.

    It has the remote-cache interface :class:`Store` uses (``fetch``, ``push``, ``flush``,
    ``take_warnings``): a batch build over boards kept in different folders uses one store and
    finds in the boards' own caches what was already made there.
    """

    def __init__(self, stores: list[Store], *, then: Any = None) -> None:
        self.stores = list(stores)
        self.then = then

    def fetch(self, key: str, tmp_dir: Path) -> tuple[dict[str, Any], Path] | None:
        for other in self.stores:
            rec = other.get(key)
            if rec is not None:
                copy = Path(tmp_dir) / f"{uuid.uuid4().hex}{rec.suffix}"
                shutil.copyfile(other.path_for(key, rec.suffix), copy)
                return rec.as_dict(), copy
        return self.then.fetch(key, tmp_dir) if self.then is not None else None

    def push(self, key: str, path: Path, record: dict[str, Any]) -> None:
        if self.then is not None:
            self.then.push(key, path, record)

    def flush(self) -> None:
        if self.then is not None:
            self.then.flush()

    def take_warnings(self) -> list[str]:
        return self.then.take_warnings() if self.then is not None else []
