"""Typed node specs: what a node's operation receives, and so what its key is made of.

A provider node's :class:`JobSpec` *is* the request its provider gets (the request objects in
:mod:`storyrender.providers.base` are built from it in one place, ``execute.ops``); a local
operation's :class:`OpSpec` is everything that operation reads. Files a node reads are declared
on it as :class:`FileRef` (path and sha256): the digest is part of the key, the path is not.

Call-only settings (timeouts, poll intervals) are not here: they travel beside the spec
(:attr:`storyrender.graph.nodes.Node.call`) and never reach a key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

__all__ = ["FileRef", "JobSpec", "OpSpec", "vendor_seed", "OPTIONAL_FIELDS", "frozen"]

#: request fields a provider may declare it reads (:attr:`Provider.reads`); the fields it does
#: not read are left empty in its specs, so they are neither sent nor part of its nodes' keys
OPTIONAL_FIELDS = frozenset({"camera", "negative_prompt", "seed", "references", "fps", "hints"})

_SEED_RANGE = 2**31 - 1


def vendor_seed(seed: int, take: int) -> int:
    """The seed sent to a vendor for *seed* and *take* (the one place it is derived).

    Take 1 sends the board's seed as written; take ``n > 1`` sends a seed derived from
    ``sha256("seed:take")`` in ``[0, 2**31 - 1)``, so every take is a new request on a seeded model
    and the same take is always the same request.
    """
    seed, take = int(seed), int(take)
    if take <= 1:
        return seed
    digest = hashlib.sha256(f"{seed}:{take}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % _SEED_RANGE


#: values that are their own frozen and plain copy (checked by exact type: the common case, fast)
_SCALARS = frozenset({str, int, float, bool, type(None)})


_MAPPINGS = frozenset({dict, MappingProxyType})
_SEQUENCES = frozenset({list, tuple})


def frozen(value: Any) -> Any:
    """A read-only copy of nested mappings and lists (specs are hashable data)."""
    t = type(value)
    if t in _SCALARS:
        return value
    if t in _MAPPINGS or isinstance(value, Mapping):
        return MappingProxyType({str(k): frozen(v) for k, v in value.items()})
    if t in _SEQUENCES or isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    return value


def _plain(value: Any) -> Any:
    t = type(value)
    if t in _SCALARS:
        return value
    if t in _MAPPINGS or isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if t in _SEQUENCES or isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class FileRef:
    """A file a node reads: its content (``sha256``) is identity, its ``path`` is where it is now."""

    path: str
    sha256: str

    def identity(self) -> str:
        return self.sha256


@dataclass(frozen=True)
class JobSpec:
    """A provider job, exactly as the provider receives it.

    ``seed`` is the vendor seed (:func:`vendor_seed` of the board's seed and ``take``), ``None``
    for providers that do not read a seed; ``take`` always reaches the provider. ``options`` are
    the provider's identity options (call-only options are not here).
    """

    job: str
    provider: str
    model: str
    version: str
    width: int
    height: int
    prompt: str = ""
    negative_prompt: str = ""
    seed: int | None = None
    take: int = 1
    camera: str = ""
    seconds: float | None = None
    fps: int | None = None
    text: str = ""
    voice: str = ""
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    hints: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    references: tuple[FileRef, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", frozen(self.options))
        object.__setattr__(self, "hints", frozen(self.hints))
        object.__setattr__(self, "references", tuple(self.references))

    @property
    def files(self) -> tuple[FileRef, ...]:
        return self.references

    def identity(self) -> dict[str, Any]:
        """Every field, as plain JSON data (references by digest only). Do not mutate it."""
        doc = self.__dict__.get("_identity")
        if doc is None:  # made once (a spec is immutable)
            doc = {name: _plain(getattr(self, name)) for name in _JOB_FIELDS}
            doc["references"] = [r.identity() for r in self.references]
            object.__setattr__(self, "_identity", doc)
        return doc


_JOB_FIELDS = tuple(f.name for f in fields(JobSpec))


@dataclass(frozen=True)
class OpSpec:
    """A local operation (pinned file, last frame, piece, audio, final, export): its parameters
    and the files it reads."""

    params: Mapping[str, Any]
    files: tuple[FileRef, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", frozen(self.params))
        object.__setattr__(self, "files", tuple(self.files))

    def identity(self) -> dict[str, Any]:
        """The parameters and the files' digests, as plain JSON data. Do not mutate it."""
        doc = self.__dict__.get("_identity")
        if doc is None:  # made once (a spec is immutable)
            doc = _plain(self.params)
            if self.files:
                doc["files"] = [f.identity() for f in self.files]
            object.__setattr__(self, "_identity", doc)
        return doc

    def file(self, index: int = 0) -> str:
        """The current path of the *index*-th declared file."""
        return self.files[index].path
