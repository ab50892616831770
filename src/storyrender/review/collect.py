"""Manifest + store -> :class:`~storyrender.review.model.PageView` and the media it needs.

Reads the manifest the last build wrote and asks the store where each artifact is; makes no
image and copies no file (that is :mod:`storyrender.review` and :mod:`.media`). Each beat's
keyframes are its segment's inputs: (start, end) in keyframes mode; in extend mode the start
only, and the end is the next beat's last-frame node, else the segment's decoded last frame.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Mapping
from urllib.parse import quote

from .model import FROM_CACHE, BeatView, FileLink, NodeView, PageView

__all__ = ["ImageRef", "BeatMedia", "Collected", "collect", "relative_url", "PROVIDER_KINDS", "IMAGE_KINDS"]

from ..graph.kinds import IMAGE_KINDS, PROVIDER_KINDS  # noqa: E402 - the one table of kinds
_FILE_LABELS = {"mp4": "MP4", "webm": "WebM", "gif": "GIF", "srt": "subtitles (SRT)", "vtt": "subtitles (VTT)"}


@dataclass(frozen=True)
class ImageRef:
    """A keyframe to show: an image artifact, or the last frame of a segment (*from_video*)."""

    id: str  # the artifact key, or "<segment key>#last"
    path: Path | None  # None: not in the store
    from_video: bool = False


@dataclass
class BeatMedia:
    start: ImageRef | None = None
    end: ImageRef | None = None
    segment: tuple[str, Path] | None = None  # (key, path in the store)
    segment_name: str = ""  # file name of its copy in the review folder


@dataclass
class Collected:
    view: PageView
    media: list[BeatMedia] = field(default_factory=list)  # one per beat, in order
    aspect: tuple[int, int] = (16, 9)


def relative_url(target: str | os.PathLike, base_dir: Path) -> str:
    """A URL for *target* relative to *base_dir*, safe in an attribute (works from file://)."""
    rel = os.path.relpath(Path(target).resolve(), base_dir.resolve())
    return quote(PurePath(rel).as_posix(), safe="/")


def _aspect(size: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in str(size).lower().split("x"))
        return (w, h)
    except ValueError:
        return (16, 9)


def _transition(t: Mapping[str, Any] | None) -> str | None:
    if not t or t.get("type") in (None, "cut"):
        return None
    return f"{t['type']} {float(t.get('seconds') or 0):g} s"


def collect(doc: Mapping[str, Any], store, *, page_dir: Path, folder_name: str,
            contact_name: str | None = None, manifest_name: str | None = None) -> Collected:
    """The page's data from the manifest *doc*; media paths relative to *page_dir*."""
    nodes = list(doc.get("nodes") or [])
    by_key = {n["key"]: n for n in nodes}
    by_role = {n.get("role"): n for n in nodes}
    lastframe_of = {tuple(n.get("inputs") or ()): n for n in nodes if n.get("kind") == "lastframe"}
    by_beat: dict[Any, list] = {}
    for n in nodes:
        if n.get("kind") in PROVIDER_KINDS:
            by_beat.setdefault(n.get("beat"), []).append(n)
    views_of: dict[str, NodeView] = {}
    beats_doc = list(doc.get("beats") or [])
    width = max(2, len(str(len(beats_doc))))

    paths: dict[str, Path | None] = {}

    def artifact(key: str) -> Path | None:
        if key not in paths:
            paths[key] = store.path(key) if store is not None else None
        return paths[key]

    def image_ref(key: str | None) -> ImageRef | None:
        if key is None:
            return None
        node = by_key.get(key)
        if node is not None and node.get("kind") not in IMAGE_KINDS:
            return None
        return ImageRef(key, artifact(key))

    def node_view(n: Mapping[str, Any]) -> NodeView:
        if n["key"] in views_of:
            return views_of[n["key"]]
        cost = n.get("cost_usd")
        if n.get("status") in FROM_CACHE and store is not None and (n.get("cost_estimated_usd") or cost):
            rec = store.get(n["key"])  # what it cost when it was made (only paid nodes are looked up)
            if rec is not None and rec.cost is not None:
                cost = rec.cost
        views_of[n["key"]] = NodeView(label=n.get("label") or n.get("role", ""), kind=n.get("kind", ""),
                        status=n.get("status", ""), provider=n.get("provider"), model=n.get("model"),
                        seconds=float(n.get("seconds") or 0.0), cost_usd=cost, error=n.get("error"))
        return views_of[n["key"]]

    views: list[BeatView] = []
    media: list[BeatMedia] = []
    for b in beats_doc:
        idx, bid = b["index"], str(b.get("id") or b["index"])
        seg = by_role.get(f"segment:{bid}")
        m = BeatMedia()
        bv = BeatView(index=idx, id=bid, prompt=str(b.get("prompt") or ""), seconds=float(b.get("seconds") or 0),
                      seed=b.get("seed"), take=b.get("take"), caption=b.get("caption"), say=b.get("say"),
                      camera=b.get("camera"), transition=_transition(b.get("transition")) if idx > 1 else None,
                      start=float((b.get("time") or {}).get("start", 0.0)),
                      end=float((b.get("time") or {}).get("end", 0.0)))
        if seg is not None:
            bv.status = seg.get("status", "")
            bv.animatic = seg.get("provider") == "local"
            inputs = list(seg.get("inputs") or [])
            seg_path = artifact(seg["key"])
            m.start = image_ref(inputs[0] if inputs else None)
            if len(inputs) > 1:
                m.end = image_ref(inputs[1])
            else:
                nxt = lastframe_of.get((seg["key"],))
                if nxt is not None and artifact(nxt["key"]) is not None:
                    m.end = image_ref(nxt["key"])
                else:
                    m.end = ImageRef(seg["key"] + "#last", seg_path, from_video=True)
            if seg_path is not None:
                m.segment = (seg["key"], seg_path)
                m.segment_name = f"beat-{idx:0{width}d}{seg_path.suffix or '.mp4'}"
                bv.segment_src = quote(folder_name, safe="") + "/" + m.segment_name
            for k, attr in ((inputs[0] if inputs else None, "start_label"),
                            (inputs[1] if len(inputs) > 1 else None, "end_label")):
                if k in by_key:
                    setattr(bv, attr, by_key[k].get("label") or getattr(bv, attr))
            if len(inputs) < 2:
                bv.end_label = "last frame"
        bv.nodes = [node_view(n) for n in by_beat.get(idx, ())]
        views.append(bv)
        media.append(m)

    provider_nodes = [n for n in nodes if n.get("kind") in PROVIDER_KINDS]
    reused = 0.0
    for n in provider_nodes:
        if n.get("status") in FROM_CACHE:
            reused += node_view(n).cost_usd or 0.0
    out = doc.get("output") or {}
    outputs = doc.get("outputs") or {}
    view = PageView(
        title=str(doc.get("title") or Path(str(doc.get("board") or "storyboard")).stem),
        board=str(doc.get("board") or ""), created=str(doc.get("created") or ""), status=str(doc.get("status") or ""),
        size=str(out.get("size") or ""), fps=int(out.get("fps") or 0), seconds=float(out.get("seconds") or 0.0),
        frames=int(out.get("frames") or 0), beats=views, totals=dict(doc.get("totals") or {}), reused_usd=reused,
        animatic=any(n.get("provider") == "local" and n.get("kind") != "speech" for n in provider_nodes),
        failures=[(n.get("label") or n.get("role", ""), n.get("error") or "") for n in nodes
                  if n.get("status") == "failed"],
        version=str(doc.get("storyrender") or ""),
    )
    mp4 = outputs.get("mp4")
    if mp4 and Path(mp4).exists():
        view.video_src = relative_url(mp4, page_dir)
        webm = outputs.get("webm")
        if webm and Path(webm).exists():
            view.video_alt.append((relative_url(webm, page_dir), "video/webm"))
    for fmt, path in outputs.items():
        if Path(path).exists():
            view.files.append(FileLink(_FILE_LABELS.get(fmt, fmt), relative_url(path, page_dir)))
    if contact_name:
        view.contact_src = quote(contact_name, safe="")
        view.files.append(FileLink("contact sheet (PNG)", view.contact_src))
    if manifest_name:
        view.files.append(FileLink("manifest (JSON)", quote(manifest_name, safe="")))
    return Collected(view, media, _aspect(out.get("size") or ""))
