"""Every named state the store keeps beside the artifacts, in one place: which kinds exist and how a
name is spelled. The store only keeps values (:meth:`Store.get_state`); this module decides names.

| kind | subject | value |
| --- | --- | --- |
| ``board`` | the board's path | the last build's snapshot (what ``plan`` explains against) |
| ``published`` | the output path | ``{dest: [key, size, mtime_ns]}`` of what was copied out (an MP4's: and its seconds) |
| ``manifest`` | the manifest's path | the digest of what it says (its time aside), its size and mtime |
| ``review`` | the review page's path | what the page was last written from |
| ``continuity`` | a digest of what was measured | the seam and drift scores |
| ``settings`` | a setting's name | its value (``max_bytes``) |
"""

from __future__ import annotations

from typing import Any

__all__ = ["BOARD", "PUBLISHED", "MANIFEST", "REVIEW", "CONTINUITY", "SETTINGS", "name", "read", "write"]

BOARD, PUBLISHED, MANIFEST, REVIEW = "board", "published", "manifest", "review"
CONTINUITY, SETTINGS = "continuity", "settings"
_KINDS = (BOARD, PUBLISHED, MANIFEST, REVIEW, CONTINUITY, SETTINGS)


def name(kind: str, subject: Any) -> str:
    """The state's name: ``kind:subject``."""
    if kind not in _KINDS:
        raise ValueError(f"unknown state kind {kind!r}")
    return f"{kind}:{subject}"


def read(store: Any, kind: str, subject: Any, default: Any = None) -> Any:
    return store.get_state(name(kind, subject), default)


def write(store: Any, kind: str, subject: Any, value: Any) -> None:
    store.set_state(name(kind, subject), value)
