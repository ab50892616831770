"""The store's cross-process locks (fcntl, released by the kernel if the process dies): one per key
being made, a shared one held by every build, and the exclusive one eviction needs."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from typing import ContextManager, Iterator

from .records import CacheBusy


class Locks:
    """The locks of a :class:`~storyrender.cache.store.Store` (mixed into it)."""

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
