"""A store's upkeep: checking every artifact, its size limit and figures, and eviction (never
under a build, never a paid result silently)."""

from __future__ import annotations

import contextlib
import shutil
from typing import Any

from .. import state
from .records import STATE, Record


class Upkeep:
    """Verification, size limit, figures and pruning of a :class:`~storyrender.cache.store.Store`
    (mixed into it)."""

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

    @property
    def max_bytes(self) -> int | None:
        """The size limit set for this store (``storyrender cache limit``), or None."""
        return state.read(self, state.SETTINGS, "max_bytes")

    @max_bytes.setter
    def max_bytes(self, value: int | None) -> None:
        if value is None:
            self._delete(STATE + state.name(state.SETTINGS, "max_bytes"))
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
