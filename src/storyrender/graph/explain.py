"""Why a node must be rendered: compare it with the same role in the previous build.

:func:`snapshot` and :func:`reasons` are pure. The previous build is remembered in the board's
lock file, ``<board stem>.lock.json`` beside the board (``storyboards/example.yaml`` ->
``storyboards/example.lock.json``): the snapshot as deterministic JSON, with no paths, no
secrets and nothing machine-specific, so it can be committed with the board and explains the
next build on any machine (:func:`lock_path`, :func:`lock_text`, :func:`read_lock`,
:func:`write_lock`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

from ..vocabulary import NodeKind
from .kinds import IMAGE_KINDS
from .nodes import Graph, Node

__all__ = ["reasons", "snapshot", "lock_path", "lock_text", "read_lock", "write_lock",
           "LOCK_VERSION", "LOCK_MAX_BYTES"]

#: the lock file's format version (its ``storyrender_lock`` field)
LOCK_VERSION = 1
#: a larger lock file is not read (treated as absent)
LOCK_MAX_BYTES = 20 * 1024 * 1024

#: kinds a new beat brings (their reason is "new beat")
_PER_BEAT = (NodeKind.KEYFRAME, NodeKind.SEGMENT, NodeKind.IMAGE, NodeKind.FILE, NodeKind.SPEECH)

_FIELD_WORDS = {
    "prompt": "prompt changed",
    "negative_prompt": "negative prompt changed",
    "seed": "seed changed",
    "take": "take changed",
    "provider": "provider or model changed",
    "size": "output size changed",
    "fps": "fps changed",
    "seconds": "length changed",
    "camera": "camera changed",
    "references": "character reference changed",
    "hints": "beat number or time code changed",
    "overlays": "caption changed",
    "piece": "timing or transition changed",
    "encode": "output settings changed",
    "sha256": "pinned file changed",
    "text": "voice-over text changed",
    "voice": "voice-over changed",
    "beat_frames": "beats or their timing changed",
    "transitions": "timing or transition changed",
    "music": "music changed",
    "soft_subtitles": "captions changed",
    "files": "an input file changed",
    "version": "provider or model version changed",
    "model": "provider or model changed",
    "options": "provider options changed",
    "width": "output size changed",
    "height": "output size changed",
}


def snapshot(graph: Graph) -> dict[str, dict[str, Any]]:
    """What to remember of a build to explain the next one: role -> key, params, inputs' roles."""
    roles = {n.key: n.role for n in graph}
    return {n.role: {"key": n.key, "params": n.params, "inputs": [roles.get(i, i) for i in n.inputs],
                     "input_keys": list(n.inputs)} for n in graph}


def reasons(graph: Graph, previous: Mapping[str, Mapping[str, Any]] | None, missing: set[str]) -> dict[str, str]:
    """A reason for every node key in *missing*."""
    previous = previous or {}
    out: dict[str, str] = {}
    for node in graph:
        if node.key not in missing:
            continue
        out[node.key] = _reason(node, previous.get(node.role), graph, missing)
    return out


def _reason(node: Node, prev: Mapping[str, Any] | None, graph: Graph, missing: set[str]) -> str:
    if prev is None:
        if node.beat is not None and node.kind in _PER_BEAT:
            return "new beat" if node.role != "keyframe:0" else "new"
        return "new"
    if prev["key"] == node.key:
        return "not in cache"
    now, before = _clean(node.params), _clean(prev["params"])  # as a lock file holds them
    changed = [k for k in sorted(set(now) | set(before)) if now.get(k) != before.get(k)]
    if "take" in changed and "seed" in changed:
        changed.remove("seed")  # a take's vendor seed is derived from it: the take is the reason
    if "voice" in changed and not any(now.get("voice") or ()) and not any(before.get("voice") or ()):
        changed.remove("voice")  # no voice-over before or now: appended beats are not a voice change
    if changed:
        words = []
        for k in changed:
            w = _FIELD_WORDS.get(k, f"{k} changed")
            if w not in words:
                words.append(w)
        return ", ".join(words)
    if list(node.inputs) != list(prev.get("input_keys", [])):
        kinds = {graph[i].kind for i in node.inputs if i in graph.nodes and i in missing}
        if kinds & set(IMAGE_KINDS):
            return "upstream keyframe changed"
        if "segment" in kinds:
            return "a segment changed"
        if "piece" in kinds or "audio" in kinds:
            return "a piece changed"
        return "an input changed"
    return "not in cache"


# -- the lock file ----------------------------------------------------------------------------

def _redact(text: str) -> str:
    try:
        from ..errors import redact
    except ImportError:  # pragma: no cover - redact is part of storyrender.errors
        return text
    return redact(text)


def _clean(value: Any) -> Any:
    """*value* as plain JSON data (str keys, lists); the serialised lock is redacted as a whole."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def lock_path(board: str | os.PathLike) -> Path:
    """The lock file of the board file *board*: ``<stem>.lock.json`` beside it."""
    board = Path(board)
    return board.with_name(board.stem + ".lock.json")


def lock_fingerprint(graph: Graph, board_name: str) -> str:
    """What the lock's content is a function of: the board's name and every (role, key) (a key
    hashes its node's params and inputs). Written into the lock so a no-op build skips it."""
    import hashlib

    pairs = sorted((n.role, n.key) for n in graph)
    return hashlib.sha256(json.dumps([LOCK_VERSION, Path(board_name).name, pairs]).encode()).hexdigest()


def lock_text(graph: Graph, board_name: str) -> str:
    """The lock file's text: byte-identical for the same graph and board name on any machine."""
    doc = {"storyrender_lock": LOCK_VERSION, "board": _redact(Path(board_name).name),
           "fingerprint": lock_fingerprint(graph, board_name), "nodes": _clean(snapshot(graph))}
    text = json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a prompt: escape everything instead
        text = json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=True) + "\n"
    return _redact(text)  # once over the whole text: a key pasted anywhere never reaches the file


def _valid_node(entry: Any) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("key"), str)
            and isinstance(entry.get("params"), dict)
            and isinstance(entry.get("inputs"), list) and all(isinstance(i, str) for i in entry["inputs"])
            and isinstance(entry.get("input_keys"), list) and all(isinstance(i, str) for i in entry["input_keys"]))


def read_lock(path: str | os.PathLike) -> dict[str, dict[str, Any]] | None:
    """The snapshot a lock file holds, or None when it is absent, over :data:`LOCK_MAX_BYTES`,
    unreadable or not a lock file of this version (never raises for a bad file)."""
    try:
        path = Path(path)
        if not path.is_file() or path.stat().st_size > LOCK_MAX_BYTES:
            return None
        with path.open("rb") as fh:
            data = fh.read(LOCK_MAX_BYTES + 1)
        if len(data) > LOCK_MAX_BYTES:
            return None
        doc = json.loads(data.decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or doc.get("storyrender_lock") != LOCK_VERSION:
        return None
    nodes = doc.get("nodes")
    if not isinstance(doc.get("board"), str) or not isinstance(nodes, dict):
        return None
    if not all(isinstance(role, str) and _valid_node(entry) for role, entry in nodes.items()):
        return None
    return nodes


def write_lock(path: str | os.PathLike, graph: Graph, board_name: str) -> str | None:
    """Write the lock file *path* (atomically; untouched when its bytes would not change).

    Returns None, or a warning when it could not be written (a read-only folder): a build
    never fails for its lock file.
    """
    from ..atomic import write_text

    path = Path(path)
    try:
        with path.open("rb") as fh:  # "fingerprint" is the second key: a no-op build reads 200 bytes
            if f'"fingerprint": "{lock_fingerprint(graph, board_name)}"'.encode() in fh.read(400):
                return None
    except OSError:
        pass
    text = lock_text(graph, board_name)
    try:
        if path.is_file() and path.stat().st_size <= LOCK_MAX_BYTES and path.read_bytes() == text.encode("utf-8"):
            return None
        write_text(path, text)
    except OSError as exc:
        return f"the plan lock {path.name} was not written ({exc.strerror or type(exc).__name__})"
    return None
