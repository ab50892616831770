"""The one definition of a node's identity.

A node's key is the sha256 of canonical JSON (sorted keys, no spaces, UTF-8) of::

    {"v": KEY_VERSION, "kind": KIND, "params": SPEC, "inputs": [input keys...]}

``SPEC`` is the identity of the node's typed spec (:mod:`storyrender.graph.spec`): exactly what
its operation receives (for a provider job, the request: provider, model and version, composed
prompt, vendor seed, take, size, identity options...) plus the digests of the files it reads,
and nothing else: not the beat's position or id, not the output path, not call-only options.
Changing this module changes every key: ``tests/cache/test_keys.py`` pins literal keys, and
:mod:`storyrender.cache.legacy` adopts results made under the previous version.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..reads import note_file

__all__ = ["KEY_VERSION", "canonical_json", "node_key", "file_digest"]

KEY_VERSION = 2


def canonical_json(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, compact separators, UTF-8, no NaN."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def node_key(kind: str, params: Mapping[str, Any], inputs: Iterable[str] = ()) -> str:
    """The content address of a node."""
    doc = {"v": KEY_VERSION, "kind": kind, "params": params, "inputs": list(inputs)}
    return hashlib.sha256(canonical_json(doc)).hexdigest()


_digests: dict[tuple, str] = {}
_lock = threading.Lock()


def file_digest(path: Path | str) -> str:
    """sha256 of a file's bytes (memoised per path, size and mtime within a process)."""
    p = Path(path)
    st = os.stat(p)
    note_file(p, st)
    memo = (str(p), st.st_size, st.st_mtime_ns)
    with _lock:
        hit = _digests.get(memo)
    if hit:
        return hit
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    with _lock:
        _digests[memo] = digest
    return digest
