"""Other local stores read on a miss, in front of an optional remote cache."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .artifacts import Store


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
