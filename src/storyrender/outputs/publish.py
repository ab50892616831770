"""Publishing: the store's final files copied beside the board, caption sidecars, the measured video.

A file already published from the same key, with the size and mtime recorded then, is left alone:
a build that made nothing new rewrites nothing (and measures nothing: an MP4's length is measured
when it is published and remembered with it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..atomic import sweep
from ..cache import state
from ..cache.store import Store
from ..execute.reports import BuildReport
from ..execute.runner import publish
from ..graph.prepared import Prepared

__all__ = ["publish_outputs", "continuity_scores", "written_seconds", "published_seconds"]


def publish_outputs(prepared: Prepared, store: Store) -> dict[str, str]:
    """Copy every target out of the store (only when changed) and write the caption files: format -> path."""
    board, graph = prepared.board, prepared.graph
    out = board.output.path
    sweep(out.parent)  # temporary files a killed build left beside the outputs
    outputs: dict[str, str] = {}
    before = state.read(store, state.PUBLISHED, out) or {}
    published = dict(before)
    for fmt, key in graph.targets.items():
        dest = out if fmt == "mp4" else out.with_suffix("." + fmt)
        st = dest.stat() if dest.exists() else None
        entry = published.get(str(dest)) or []
        if not (st and entry[:3] == [key, st.st_size, st.st_mtime_ns]):
            publish(store.path(key), dest)
            st, entry = dest.stat(), []
        # [key, size, mtime_ns] of the copy, and for the MP4 its length as a player reads it
        seconds = entry[3:] or ([written_seconds(str(dest))] if fmt == "mp4" else [])
        published[str(dest)] = [key, st.st_size, st.st_mtime_ns] + seconds
        outputs[fmt] = str(dest)
    cues = graph.info.get("cues") or []
    if board.captions.files:
        from ..stitch import Cue, write_srt, write_vtt

        cue_objs = [Cue(c["start"], c["end"], c["text"]) for c in cues]
        for kind in board.captions.files:
            dest = out.with_suffix("." + kind)
            (write_srt if kind == "srt" else write_vtt)(cue_objs, dest)
            outputs[kind] = str(dest)
    if published != before:
        state.write(store, state.PUBLISHED, out, published)
    return outputs


def published_seconds(prepared: Prepared, store: Store) -> float | None:
    """The length of the board's published MP4, measured when it was published (None when there is none)."""
    out = prepared.board.output.path
    entry = (state.read(store, state.PUBLISHED, out) or {}).get(str(out)) or []
    return entry[3] if len(entry) > 3 else None


def continuity_scores(prepared: Prepared, store: Store, report: BuildReport) -> dict[str, Any] | None:
    """Seam scores and drift of the published video; a measuring failure is only a warning."""
    from ..continuity.analyze import analyze

    try:
        return analyze(prepared, store)
    except Exception as exc:  # the video is made; not being able to score it must not fail the build
        report.warnings.append(f"continuity scores not measured: {exc.__class__.__name__}: {exc}")
        return None


def written_seconds(mp4: str | None) -> float | None:
    """The length of the MP4 that was written, as a player reads it (None when there is none)."""
    if not mp4:
        return None
    from ..media.probe import probe

    return round(probe(Path(mp4), count_frames=False).duration, 3)
