"""Node keys of key version 1, frozen: they exist only to adopt results made before key version 2.

Never edit this module. It is a self-contained copy of how version 1 derived the keys of
provider nodes (``image``, ``keyframe``, ``segment``, ``speech``) and of the ``file`` and
``lastframe`` nodes in their input chains. A build under the current key version looks up, for
each provider node it has no artifact for, the version-1 key of the same role; if the store holds
that artifact, a copy is installed under the new key (:func:`adopt_v1`), so results paid for
under version 1 are served without calling the provider again.

It reads only the board, the provider choices (:class:`~storyrender.providers.resolve.Resolution`)
and :func:`~storyrender.cache.keys.canonical_json` / :func:`~storyrender.cache.keys.file_digest`.
Because it derives the key of the board *as it is now*, a role whose request changed since
(an edited prompt, seed, take, provider, model or provider/model version, or anything upstream
in its chain) gets a version-1 key that is not in the store, and nothing is adopted for it.
"""

from __future__ import annotations

import hashlib
import shutil
from typing import Any, Iterable, Mapping

from .keys import canonical_json, file_digest

__all__ = ["v1_keys", "v1_hits", "adopt_v1", "ADOPTABLE_KINDS"]

#: the node kinds whose version-1 results are adopted (the work of providers)
ADOPTABLE_KINDS = frozenset({"image", "keyframe", "segment", "speech"})

#: version 1's ``Provider.non_output_options`` (options left out of keys)
_V1_NON_OUTPUT_OPTIONS = frozenset({
    "base_url", "timeout", "request_timeout", "http_timeout", "poll_interval", "poll_retries", "max_retries",
    "wait", "file_encoding", "upload", "concurrency",
})

#: providers that had ``position_hints = True`` in version 1 (their keys carry ``hints``)
_V1_POSITION_HINT_PROVIDERS = frozenset({"local"})


def _node_key(kind: str, params: Mapping[str, Any], inputs: Iterable[str] = ()) -> str:
    doc = {"v": 1, "kind": kind, "params": params, "inputs": list(inputs)}
    return hashlib.sha256(canonical_json(doc)).hexdigest()


def _identity(choice: Any) -> dict:
    skip = getattr(choice.provider, "non_output_options", None)
    if not isinstance(skip, (set, frozenset)):
        skip = _V1_NON_OUTPUT_OPTIONS
    return {
        "name": choice.name,
        "model": choice.model.name,
        "version": f"{choice.provider.version}.{choice.model.version}",
        "options": {k: v for k, v in choice.options.items() if k not in skip},
    }


def _position_hints(choice: Any) -> bool:
    flag = getattr(choice.provider, "position_hints", None)
    if isinstance(flag, bool):
        return flag
    return choice.name in _V1_POSITION_HINT_PROVIDERS


def _job_value(choice: Any) -> str:
    job = choice.job
    return getattr(job, "value", job)


def _resolved_prompt(board: Any, beat: Any) -> str:
    parts = [beat.prompt.strip()]
    for name in beat.characters:
        ch = board.characters.get(name)
        if ch:
            at = beat.prompt.lower().find(name.lower())
            shown = beat.prompt[at:at + len(name)] if at >= 0 else name
            desc = ch.description.strip()
            joiner = " is " if desc.lower().startswith(("a ", "an ", "the ")) else ": "
            parts.append(f"{shown}{joiner}{desc}")
    if board.style.strip():
        parts.append(board.style.strip())
    return ". ".join(p.rstrip(".") for p in parts if p)


def _timecode(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m:02d}:{s:02d}"


def _v1_nodes(board: Any, resolution: Any) -> dict[str, tuple[str, str]]:
    """role -> (kind, version-1 key) of every provider node and its input chain."""
    out: dict[str, tuple[str, str]] = {}
    size = [board.output.width, board.output.height]
    fps = board.output.fps

    def add(role: str, kind: str, params: dict, inputs: tuple) -> str:
        key = _node_key(kind, params, inputs)
        out.setdefault(role, (kind, key))
        return key

    def refs(beat: Any) -> list[str]:
        found = []
        for name in beat.characters:
            ch = board.characters.get(name)
            if ch and ch.image:
                found.append(file_digest(ch.image))
        return found

    def provider_node(kind: str, role: str, choice: Any, params: dict, inputs: tuple, hints: dict) -> str:
        p = {"job": _job_value(choice), "provider": _identity(choice), **params}
        if _position_hints(choice):
            p["hints"] = hints
        return add(role, kind, p, inputs)

    def pinned(path: Any, role: str) -> str:
        return add(role, "file", {"sha256": file_digest(path), "suffix": ".png"}, ())

    t = 0.0
    segments: list[str] = []
    prev_end: str | None = None
    for beat in board.beats:
        common = {"prompt": _resolved_prompt(board, beat), "negative_prompt": beat.negative_prompt,
                  "seed": beat.seed, "size": size, "references": refs(beat)}
        if beat.start_image is not None:
            start = pinned(beat.start_image, f"start:{beat.id}")
        elif beat.index == 1:
            start = provider_node("image", "keyframe:0", resolution.get("image", beat), common, (),
                                  {"label": "beat 1 · start", "timecode": _timecode(0), "camera": beat.camera})
        elif board.mode == "extend":
            start = add(f"lastframe:{beat.id}", "lastframe", {"suffix": ".png"}, (segments[-1],))
        else:
            start = prev_end
        hints = {"label": f"beat {beat.index}", "timecode": _timecode(t + beat.seconds), "camera": beat.camera}
        vch = resolution.get("video", beat)
        seg_params = {**common, "seconds": beat.seconds, "fps": fps, "take": beat.take, "camera": beat.camera or ""}
        if board.mode == "keyframes":
            if beat.end_image is not None:
                end = pinned(beat.end_image, f"keyframe:{beat.id}")
            else:
                end = provider_node("keyframe", f"keyframe:{beat.id}", resolution.get("keyframe", beat),
                                    {**common, "seconds": beat.seconds, "camera": beat.camera or ""}, (start,),
                                    hints)
            seg = provider_node("segment", f"segment:{beat.id}", vch, seg_params, (start, end), hints)
            prev_end = end
        else:
            seg = provider_node("segment", f"segment:{beat.id}", vch, seg_params, (start,), hints)
        segments.append(seg)
        t += beat.seconds

    for beat in board.beats:
        if beat.say:
            ch = resolution.get("voice", beat)
            add(f"speech:{beat.id}", "speech",
                {"job": "speech", "provider": _identity(ch), "text": beat.say,
                 "voice": board.audio.voice_name, "seed": beat.seed}, ())
    return out


def v1_keys(board: Any, resolution: Any) -> dict[str, str]:
    """role (``keyframe:0``, ``keyframe:<beat id>``, ``segment:<beat id>``, ``speech:<beat id>``,
    and ``start:<beat id>`` / ``lastframe:<beat id>`` of the input chain) -> its version-1 key."""
    return {role: key for role, (_kind, key) in _v1_nodes(board, resolution).items()}


def v1_hits(graph: Any, store: Any, board: Any, resolution: Any) -> dict[str, str]:
    """new key -> version-1 key, for each provider node of *graph* missing from *store* whose
    version-1 result (same role, same kind, same request) the store holds. Reads only."""
    wanted = [n for n in graph if n.kind in ADOPTABLE_KINDS and not store.has(n.key)]
    if not wanted:  # the usual case (nothing missing): no version-1 key is derived at all
        return {}
    old = _v1_nodes(board, resolution)
    hits: dict[str, str] = {}
    for node in wanted:
        hit = old.get(node.role)
        if hit is None:
            continue
        kind, v1key = hit
        if kind != node.kind or v1key == node.key or node.key in hits:
            continue
        rec = store.get(v1key)
        if rec is not None and (not rec.kind or rec.kind == node.kind):
            hits[node.key] = v1key
    return hits


def adopt_v1(graph: Any, store: Any, board: Any, resolution: Any) -> list[tuple[str, str]]:
    """Install, under their new keys, copies of version-1 artifacts of the same role and request.

    For each provider node of *graph* that the store has no artifact for, the version-1 key of
    its role is derived from *board* and *resolution*; when the store holds that artifact (of the
    same kind), it is copied (never moved) and recorded under the node's key with the version-1
    record's kind, paid flag, cost and meta (plus ``adopted_from``). Returns the (version-1 key,
    new key) pairs adopted. An artifact that vanishes meanwhile is skipped (the node renders).
    """
    adopted: list[tuple[str, str]] = []
    for new_key, v1key in v1_hits(graph, store, board, resolution).items():
        rec = store.get(v1key)
        if rec is None:
            continue
        tmp = store.new_tmp(rec.suffix)
        try:
            shutil.copyfile(store.path_for(v1key, rec.suffix), tmp)
            store.put(new_key, tmp, kind=rec.kind or graph[new_key].kind, paid=rec.paid, cost=rec.cost,
                      meta={**rec.meta, "adopted_from": v1key})
        except FileNotFoundError:
            continue
        finally:
            tmp.unlink(missing_ok=True)
        adopted.append((v1key, new_key))
    return adopted
