"""The manifest: ``<output>.manifest.json`` beside the video, what was made, by whom, for how much."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from .. import __version__
from ..atomic import write_text
from ..cache import state
from ..cache.store import Store
from ..execute.reports import BuildReport
from ..graph.prepared import Prepared, characters_doc
from ..spec import Board

__all__ = ["manifest_path", "manifest_doc", "write_manifest", "characters_doc"]


def manifest_path(board: Board) -> Path:
    out = board.output.path
    return out.with_name(out.stem + ".manifest.json")


def manifest_doc(prepared: Prepared, report: BuildReport) -> dict[str, Any]:
    board, graph = prepared.board, prepared.graph
    seconds = report.video_seconds if report.video_seconds is not None else round(prepared.video_seconds, 3)
    return {
        "storyrender": __version__,
        "board": board.display,
        "title": board.title,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "status": report.status,
        "outputs": report.outputs,
        "output": {"size": board.output.size, "fps": board.output.fps, "fit": board.output.fit, "seconds": seconds,
                   "frames": sum(p["frames"] for p in graph.info["pieces"])},
        "totals": report.totals(),
        "beats": [
            {"index": b.index, "id": b.id, "prompt": b.prompt, "seconds": b.seconds, "seed": b.seed, "take": b.take,
             "caption": b.caption, "say": b.say, "camera": b.camera,
             "transition": {"type": b.transition.name, "seconds": b.transition.seconds} if b.transition else None,
             "time": graph.info["beat_times"][b.index - 1]}
            for b in board.beats
        ],
        "characters": characters_doc(board, manifest_path(board).parent),  # reference paths: from the manifest
        "nodes": [r.as_dict() for r in report.nodes],
        "continuity": report.continuity,
    }


def write_manifest(prepared: Prepared, report: BuildReport, store: Store) -> tuple[Path, dict[str, Any], bool]:
    """Write the board's manifest unless the file already says the same (when and how long aside): its
    path, the document and whether it was written. A build that changed nothing leaves the file (and
    the time of the build that wrote it) untouched."""
    path = manifest_path(prepared.board)
    doc = manifest_doc(prepared, report)
    timeless = {k: v for k, v in doc.items() if k != "created"}
    timeless["totals"] = {k: v for k, v in doc["totals"].items() if k != "seconds"}
    said = json.dumps(timeless, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(said.encode("utf-8")).hexdigest()
    st = path.stat() if path.exists() else None
    if st and state.read(store, state.MANIFEST, path) == [digest, st.st_size, st.st_mtime_ns]:
        return path, doc, False
    write_text(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    st = path.stat()
    state.write(store, state.MANIFEST, path, [digest, st.st_size, st.st_mtime_ns])
    return path, doc, True
