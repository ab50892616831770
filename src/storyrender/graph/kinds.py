"""The node kinds, in one table: what each makes, whether a provider makes it, how it is grouped.

Every layer asks this table (``KINDS[node.kind]``) instead of comparing kind strings: the
executor for suffixes and scheduling groups, the reporter and review page for grouping.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..vocabulary import NodeKind

__all__ = ["Kind", "KINDS", "PROVIDER_KINDS", "IMAGE_KINDS", "NodeKind", "is_provider_kind", "kind_of"]


@dataclass(frozen=True)
class Kind:
    """One node kind.

    :param suffix: the artifact's file suffix (``None``: the spec's ``format`` decides, for exports)
    :param provider: made by a provider (may cost money) rather than by a local operation
    :param group: how reports group it (``keyframe``, ``segment``, ``voice``, ``stitch``, ``writer``)
    :param weight: scheduling weight (critical-path estimate: provider jobs take far longer)
    :param seconds: a wall-time guess for ``plan`` (cloud providers; ``local_seconds`` for the
        offline animatic)
    """

    name: str
    suffix: str | None
    provider: bool
    group: str
    weight: float = 1.0
    seconds: float = 1.0
    local_seconds: float | None = None

    def time_guess(self, provider: str | None) -> float:
        return self.local_seconds if provider == "local" and self.local_seconds is not None else self.seconds


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("image", ".png", True, "keyframe", 10.0, seconds=10.0, local_seconds=0.1),
    Kind("keyframe", ".png", True, "keyframe", 10.0, seconds=15.0, local_seconds=0.1),
    Kind("segment", ".mp4", True, "segment", 10.0, seconds=90.0, local_seconds=1.0),
    Kind("speech", ".wav", True, "voice", 10.0, seconds=3.0, local_seconds=0.5),
    Kind("story", ".json", True, "writer", 1.0, seconds=20.0, local_seconds=0.0),
    Kind("music", ".wav", True, "voice", 10.0, seconds=60.0, local_seconds=1.0),
    Kind("sound", ".wav", True, "voice", 10.0, seconds=10.0, local_seconds=0.2),
    Kind("file", ".png", False, "keyframe", seconds=0.0),
    Kind("lastframe", ".png", False, "keyframe", seconds=0.2),
    Kind("colormatch", ".mp4", False, "segment", seconds=1.0),
    Kind("trim", ".mp4", False, "segment", seconds=0.5),
    Kind("retime", ".mp4", False, "segment", seconds=2.0),
    Kind("join", ".mp4", False, "segment", seconds=1.0),
    Kind("piece", ".mp4", False, "stitch"),
    Kind("audio", ".m4a", False, "stitch"),
    Kind("final", ".mp4", False, "stitch", seconds=0.5),
    Kind("export", None, False, "stitch", seconds=5.0),
)}

#: node kinds whose artifact is a still image (keyframes, pinned files, last frames)
IMAGE_KINDS = tuple(k.name for k in KINDS.values() if k.suffix == ".png")

#: node kinds whose work is done by a provider (the rest are local operations)
PROVIDER_KINDS = frozenset(k.name for k in KINDS.values() if k.provider)


def kind_of(name: str) -> Kind:
    return KINDS[name]


def is_provider_kind(name: str) -> bool:
    kind = KINDS.get(name)
    return bool(kind and kind.provider)
