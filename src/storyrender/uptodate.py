"""A no-op build that costs a ``stat`` per input: up-to-date checks in the way of make and ninja.

A build that made nothing (every output cached, nothing failed, its outputs published) is
remembered as a stamp (:mod:`storyrender.cache.stamp`) keyed by the invocation (the board's real
path, the working folder, ``--cache-dir``, ``--offline``, ``--budget``). The stamp keeps the build's
report and the ``stat`` of everything the result depended on:

- every file the build read (the board, its templates, pinned images, references, music:
  :mod:`storyrender.reads`; the board and its templates also by digest) and the folders where a
  template name was looked up;
- the code that ran (every module loaded from outside the standard library, and the import path's
  folders, so installing or removing a plugin shows) and a digest of the environment that can
  change a result (storyrender's and the vendors' settings, which keys are set but never their
  values, the interpreter, today's date for model lifecycles);
- the published outputs, the manifest, the review page and the lock;
- every cached artifact of the board's graph (what planning checks by ``stat`` under a cached
  output: a truncated or swapped one is made again, as without a stamp);
- the store's generation token (any write to the cache, by any build or `cache` command).

The next identical ``build`` finds every one unchanged and reports the remembered result without
loading the board, the plugins or the store; anything different and it builds as usual (and
remembers anew). Only single-board builds without ``--only``, ``--verbose``, an executor choice or
a remote cache are remembered.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import reads
from .cache import stamp
from .cache.location import artifact_files, default_cache_dir
from .errors import KEY_SHAPE, secret_values

__all__ = ["Invocation", "invocation", "replay", "remember"]

#: environment variables whose values can change what a build reports (prefixes); of a key-like variable
#: (any name) only that it is set counts
_ENV_PREFIXES = ("STORYRENDER_", "OPENAI_", "GOOGLE_", "GEMINI_", "REPLICATE_", "FAL_", "GETIMG_", "RUNWAY",
                 "LUMA", "ELEVEN", "AWS_", "RAY_", "XDG_", "HOME")
_SECRET_NAME = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")


@dataclass(frozen=True)
class Invocation:
    """What identifies a build invocation for its stamp."""

    board: str
    cache_dir: Path
    name: str


def invocation(path: str, *, cache_dir: str | None, offline: bool, budget: float | None) -> Invocation | None:
    """The invocation's identity, or None for a path that is not a plain readable file."""
    try:
        real = os.path.realpath(path)
        if not os.path.isfile(real):
            return None
    except (OSError, ValueError):
        return None
    folder = Path(cache_dir) if cache_dir else default_cache_dir(Path(path).parent)
    key = json.dumps([real, os.getcwd(), os.path.abspath(folder), offline, budget])
    return Invocation(real, folder, hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32])


def replay(inv: Invocation) -> dict[str, Any] | None:
    """The remembered result of *inv* when nothing it depends on changed since, else None."""
    s = stamp.load(inv.cache_dir, inv.name)
    if s is None or s.get("environment") != _environment():
        return None
    if s.get("store") != stamp.store_generation(inv.cache_dir):
        return None
    secrets = [v.encode("utf-8", "surrogatepass") for v in secret_values()]  # a board holding one is refused
    if not (all(stamp.unchanged(s.get(part, {})) for part in ("files", "outputs", "artifacts", "code"))
            and stamp.unchanged(s.get("dirs", {}), dirs=True)
            and stamp.texts_unchanged(s.get("texts", {}), without=secrets)):
        return None
    result = s.get("result")
    return result if isinstance(result, dict) else None


def remember(inv: Invocation, prepared: Any, report: Any, doc: dict[str, Any]) -> None:
    """After a build of *inv*: keep its result when it made nothing and published its outputs
    (called after the store is closed: the store's generation is the one it left)."""
    totals = report.totals()
    if report.status != "ok" or totals["rendered"] or totals["failed"] or not report.outputs:
        return
    from .graph.explain import lock_path
    from .outputs import manifest_path
    from .review import review_paths

    manifest = manifest_path(prepared.board)
    page = review_paths(manifest)
    outputs = [*report.outputs.values(), manifest, page.html, page.contact, lock_path(prepared.board.source)]
    previz = any(n.is_provider_job and n.spec.provider == "local" for n in prepared.graph)
    stamp.save(inv.cache_dir, inv.name, {
        "environment": _environment(),
        "files": {p: list(e) for p, e in reads.files().items()},
        "texts": reads.texts(),
        "dirs": {p: e and e[1] for p, e in stamp.stat_entries(reads.dirs() + _import_dirs()).items()},
        "code": stamp.stat_entries(_code_files()),
        "outputs": stamp.stat_entries(outputs),
        "artifacts": stamp.stat_entries(artifact_files(inv.cache_dir, prepared.graph.order)),
        "store": stamp.store_generation(inv.cache_dir),
        "result": {"doc": doc, "graph_nodes": len(prepared.graph), "previz": previz},
    })


def _environment() -> str:
    """A digest of what outside the files can change a build's report (never a secret's value)."""
    from . import __version__

    env = []
    for name in sorted(os.environ):
        value = os.environ[name]
        if any(w in name.upper() for w in _SECRET_NAME) or KEY_SHAPE.search(value):
            env.append([name, "set"])  # which keys are set, anywhere; never a value
        elif name.startswith(_ENV_PREFIXES):
            env.append([name, value])
    doc = [__version__, sys.version, sys.executable, sys.path, env, _today()]
    return hashlib.sha256(json.dumps(doc).encode("utf-8", "surrogatepass")).hexdigest()


def _today() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime())


def _code_files() -> list[str]:
    """Every loaded module's file from outside the standard library (storyrender, plugins, libraries)."""
    stdlib = os.path.dirname(os.__file__) + os.sep
    out = []
    for module in list(sys.modules.values()):
        f = getattr(module, "__file__", None)
        if isinstance(f, str) and (not f.startswith(stdlib) or "site-packages" in f):
            out.append(f)
    return sorted(set(out))


def _import_dirs() -> list[str]:
    """The import path's folders (a plugin installed or removed changes one), the working folder aside."""
    cwd = os.getcwd()
    return [p for p in sys.path if p and os.path.isdir(p) and os.path.abspath(p) != cwd]
