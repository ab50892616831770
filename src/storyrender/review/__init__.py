"""The review page: a self-contained HTML page beside a build's output, to look at what was made.

For ``out/<name>.mp4`` a build writes (see :func:`write_review`)::

    out/<name>.html            the page: final video, one card per beat, totals (opens from disk)
    out/<name>.contact.png     every keyframe on one labelled grid
    out/<name>.review/         each beat's segment (beat-01.mp4, ...), played from the page

Everything comes from the manifest and the store, so ``storyrender review BOARD`` can
rewrite the page at any time. Work is remembered in the store (thumbnails by artifact key,
the contact sheet's inputs, the copies' keys), so the page of an unchanged board is rewritten
without decoding an image or copying a video.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from ..atomic import write_bytes
from ..cache import state as named


__all__ = ["ReviewFiles", "review_paths", "write_review", "write_review_after_build"]

log = logging.getLogger("storyrender.review")

#: bump when thumbnails or the contact sheet are drawn differently (invalidates what is remembered)
DRAW_VERSION = 1


@dataclass(frozen=True)
class ReviewFiles:
    """Where a review was written."""

    html: Path
    contact: Path | None
    folder: Path


def review_paths(manifest: Path) -> ReviewFiles:
    """The page, contact sheet and segment folder that belong to *manifest* (``<name>.manifest.json``)."""
    manifest = Path(manifest)
    name = manifest.name.removesuffix(".json").removesuffix(".manifest")
    return ReviewFiles(manifest.with_name(f"{name}.html"), manifest.with_name(f"{name}.contact.png"),
                       manifest.with_name(f"{name}.review"))


def _write_if_changed(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_bytes(path, data)


def _tile_name(index: int, beat_id: str) -> str:
    return f"beat {index}" if beat_id in (f"beat-{index}", str(index)) else f"{index} · {beat_id}"


def write_review(manifest: str | os.PathLike, store, *, doc: Mapping[str, Any] | None = None) -> ReviewFiles:
    """Write the review page (and contact sheet, segment copies) for the build recorded in *manifest*.

    *store* is the build's :class:`~storyrender.cache.store.Store`; artifacts missing from it
    show as "not in the cache". Raises OSError / ValueError when the manifest is unreadable.
    """
    from .collect import collect
    from .contact import Tile, draw_contact_sheet
    from .media import last_frame, sync_copies, thumbnail_uri
    from .model import FROM_CACHE
    from .joins import render_joins
    from .page import PREVIZ_NOTE, render_characters, render_page

    manifest = Path(manifest)
    if doc is None:
        doc = json.loads(manifest.read_text("utf-8"))
    files = review_paths(manifest)
    state = named.read(store, named.REVIEW, files.html.resolve()) or {}
    got = collect(doc, store, page_dir=files.html.parent, folder_name=files.folder.name,
                  contact_name=files.contact.name, manifest_name=manifest.name)
    view = got.view
    view.totals["reused_nodes"] = sum(1 for n in doc.get("nodes") or [] if n.get("status") in FROM_CACHE)

    # ---- thumbnails (remembered by artifact key)
    old_thumbs: dict[str, str] = state.get("thumbs") or {}
    thumbs: dict[str, str] = {}
    decoded: dict[str, Any] = {}

    def image_of(ref):
        if ref.from_video:
            if ref.id not in decoded:
                decoded[ref.id] = last_frame(ref.path)
            return decoded[ref.id]
        return ref.path

    def thumb(ref) -> str | None:
        if ref is None or ref.path is None:
            return None
        tag = f"{DRAW_VERSION}:{ref.id}"
        if tag not in thumbs:
            uri = old_thumbs.get(tag)
            if uri is None:
                try:
                    uri = thumbnail_uri(image_of(ref))
                except Exception as exc:  # a damaged artifact shows as missing, it does not stop the page
                    log.warning("review: no thumbnail for %s: %s", ref.id[:12], exc)
                    return None
            thumbs[tag] = uri
        return thumbs[tag]

    for bv, m in zip(view.beats, got.media):
        bv.start_thumb, bv.end_thumb = thumb(m.start), thumb(m.end)
    _legibility(view.beats, got.media, image_of)

    # ---- segment copies (copied again only when their key changed)
    wanted = {m.segment_name: m.segment for m in got.media if m.segment is not None}
    copies = sync_copies(files.folder, wanted, state.get("copies") or {})

    # ---- contact sheet (redrawn only when its tiles changed)
    tiles, seen = [], set()
    for i, (bv, m) in enumerate(zip(view.beats, got.media)):
        name = _tile_name(bv.index, bv.id)
        nxt = got.media[i + 1] if i + 1 < len(got.media) else None
        for ref, which in ((m.start, "start"), (m.end, "end")):
            if ref is None or ref.id in seen:
                continue
            seen.add(ref.id)
            label = bv.start_label if which == "start" else bv.end_label
            if which == "end" and nxt is not None and nxt.start is not None and nxt.start.id == ref.id:
                label = f"= start of {_tile_name(bv.index + 1, view.beats[i + 1].id)}"
            tiles.append((ref, f"{name} · {which}", label))
    note = PREVIZ_NOTE if view.animatic else ""
    signature = [DRAW_VERSION, view.title, note, list(got.aspect),
                 [[r.id, r.path is not None, t, s] for r, t, s in tiles]]
    contact = files.contact
    st = contact.stat() if contact.exists() else None
    old = state.get("contact")
    if not (st and old == [signature, st.st_size, st.st_mtime_ns]):
        draw_tiles = []
        for ref, title, sub in tiles:
            try:
                img = image_of(ref) if ref.path is not None else None
            except Exception:
                img = None
            draw_tiles.append(Tile(title, sub, img))
        draw_contact_sheet(draw_tiles, contact, title=view.title, note=note, aspect=got.aspect)
        st = contact.stat()
    state_contact = [signature, st.st_size, st.st_mtime_ns]

    # ---- the continuity section: join frames from the final video, remembered by its key
    join_thumbs = _join_thumbs(doc, store, state.get("joins") or {})
    view.joins_html = render_joins(doc.get("continuity"), lambda f: join_thumbs.get(str(f)), view.board)

    def reference_thumb(rel: str) -> str | None:
        try:  # as providers receive it: fitted to the frame as output.fit says
            return thumbnail_uri(_fitted(files.html.parent / rel, doc.get("output") or {}))
        except Exception:  # a moved or unreadable reference shows as missing, it does not stop the page
            return None

    view.characters_html = render_characters(list(doc.get("characters") or []), reference_thumb)

    # ---- the page
    files.html.parent.mkdir(parents=True, exist_ok=True)
    _write_if_changed(files.html, render_page(view))
    new_state = {"thumbs": thumbs, "copies": copies, "contact": state_contact, "joins": join_thumbs}
    if new_state != state:
        named.write(store, named.REVIEW, files.html.resolve(), new_state)
    return files


def _join_thumbs(doc: Mapping[str, Any], store, old: dict) -> dict:
    """Frame number -> thumbnail of the frames that meet at each join (as ``str(frame)`` keys)."""
    from .joins import THUMB, join_frames
    from .media import thumbnail_uri

    seams = (doc.get("continuity") or {}).get("seams") or []
    final = next((n.get("key") for n in doc.get("nodes") or [] if n.get("role") == "final"), None)
    wanted = {f for j in seams for f in j["frames"]}
    if not wanted or not final:
        return {}
    if old.get("video") == final and all(str(f) in old for f in wanted):
        got = {str(f): old[str(f)] for f in wanted}
    else:
        path = store.path(final)
        got = {}
        if path is not None:
            try:
                got = {str(f): thumbnail_uri(img, THUMB) for f, img in join_frames(path, wanted).items()}
            except Exception as exc:  # a damaged video shows missing frames, it does not stop the page
                log.warning("review: no join frames: %s", exc)
    return {"video": final, **got}


def write_review_after_build(manifest: str | os.PathLike, store, report, *,
                             doc: Mapping[str, Any] | None = None) -> Path | None:
    """Write the review page after a build; a failure becomes a warning on *report*, never an error.

    Returns the page's path (also recorded as ``report.outputs["review"]``), or None.
    """
    try:
        files = write_review(manifest, store, doc=doc)
    except Exception as exc:
        message = f"review page not written: {exc.__class__.__name__}: {exc}"
        warnings = getattr(report, "warnings", None)
        if isinstance(warnings, list):
            warnings.append(message)
        log.warning("%s", message)
        return None
    outputs = getattr(report, "outputs", None)
    if isinstance(outputs, dict):
        outputs["review"] = str(files.html)
    return files.html


def _legibility(beats, media, image_of) -> None:
    """Each beat's end keyframe edge energy over keyframe 0's (:func:`storyrender.media.measure.edge_energy`)."""
    import numpy as np

    from ..media.measure import edge_energy

    def energy(ref) -> float | None:
        if ref is None or ref.path is None:
            return None
        try:
            img = image_of(ref)
            if not isinstance(img, np.ndarray):
                img = np.asarray(img.convert("RGB") if hasattr(img, "convert") else _open_rgb(img))
            return edge_energy(img)
        except Exception:  # a damaged artifact has no measure; it does not stop the page
            return None

    base = energy(media[0].start) if media else None
    if not base:
        return
    for bv, m in zip(beats, media):
        e = energy(m.end)
        bv.legibility = round(e / base, 2) if e is not None else None


def _open_rgb(path):
    from PIL import Image

    with Image.open(path) as im:
        return im.convert("RGB")


def _fitted(path: Path, output: dict):
    """The image at *path* fitted to the manifest's output size as its ``fit`` says (as it is if unknown)."""
    from PIL import Image

    from ..media.fit import fit_image, flatten

    with Image.open(path) as im:
        im.load()
        size, fit = str(output.get("size") or ""), output.get("fit")
        if not fit or "x" not in size:
            return im.copy()
        width, height = (int(x) for x in size.split("x"))
        return fit_image(flatten(im), width, height, fit)
