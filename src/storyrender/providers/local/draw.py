"""Keyframes of the ``local`` provider: a legible animatic panel, drawn deterministically.

A frame is two layers:

* the **scene band** (the middle of the frame): a composition derived from
  ``sha256(seed, prompt)``: sky and ground gradients, a sun or moon, far and near ridges,
  and a few silhouettes chosen and placed from the prompt's words, lightly textured so that
  optical flow has something to track;
* the **overlay bars** (top and bottom, like a storyboard panel): the beat label, the time
  code, the ``PREVIZ · animatic, not AI imagery`` mark and the beat's prompt, wrapped.

Because the text lives only in the bars, the next keyframe can move the previous *scene*
like a camera would (push-in, pan, tilt, orbit...) without dragging the old text along, and
then redraw the bars with the new beat's text.

Camera vocabulary (case-insensitive substrings of the ``camera:`` hint): ``push-in`` /
``zoom-in``, ``pull-out`` / ``zoom-out``, ``pan-left``, ``pan-right``, ``tilt-up``,
``tilt-down``, ``orbit`` / ``rotate``, ``static``. Directions are those of the camera: when
the camera pans left the scene slides right in the frame; when it tilts up the scene slides
down. The size of the move grows with the beat's seconds.

The parts live beside this module: :mod:`.scene` (the scene band and its subjects), :mod:`.bars`
(the text bars), :mod:`.palette`, :mod:`.camera` (moves) and :mod:`.seeds` (deterministic choices).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from .bars import BAR_RGB, PREVIZ_MARK, clean_text, draw_bars, layout
from .camera import camera_matrix, camera_move, warp
from .palette import palette_for
from .scene import mark_subjects, paint_scene, subjects

__all__ = [
    "subjects",
    "draw_keyframe",
    "next_keyframe",
    "save_png",
    "load_png",
    "camera_move",
    "camera_matrix",
    "layout",
    "PREVIZ_MARK",
    "BAR_RGB",
]


def _check_size(width: int, height: int) -> tuple[int, int]:
    w, h = int(width), int(height)
    if w < 2 or h < 2:
        raise ValueError(f"keyframe size {w}x{h} is too small (at least 2x2)")
    return w, h


def draw_keyframe(prompt: str, seed: int, width: int, height: int, *, label: str, timecode: str) -> np.ndarray:
    """Keyframe 0: a previz panel for *prompt* (RGB uint8, shape (height, width, 3))."""
    w, h = _check_size(width, height)
    prompt = clean_text(prompt or "")
    lay = layout(w, h)
    y0, y1 = lay.band
    img = np.empty((h, w, 3), np.uint8)
    pal = palette_for(prompt, int(seed))
    img[y0:y1] = mark_subjects(paint_scene(prompt, int(seed), w, max(1, y1 - y0))[: y1 - y0], prompt, int(seed), pal)
    return draw_bars(img, prompt, label or "", timecode or "", pal.accent)


#: how much of the previous keyframe (moved by the camera) a next keyframe keeps; the rest is drawn fresh from its
#: own prompt in the same camera move, so keyframe k holds keyframe k-j's scenery at weight CARRY**j: continuity from
#: beat to beat, but no resampled copy of a resampled copy. The subjects' silhouettes and name labels are never
#: carried: they are taken out of the previous panel (:func:`_without_marks`) and drawn at full strength on the
#: blend, so a panel shows who is in *this* beat, not the ghosts of who was in the last ones.
CARRY = 0.55


def _without_marks(band: np.ndarray) -> np.ndarray:
    """*band* with the subject marks (:func:`mark_subjects`: near-black silhouettes, white labels with a black
    stroke) painted over from their surroundings."""
    import cv2  # only the chained keyframe needs it

    lo, hi = band.min(axis=2), band.max(axis=2)
    mask = ((lo >= 238) | (hi <= 26)).astype(np.uint8)
    if not mask.any():
        return band
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8), iterations=max(1, band.shape[0] // 120))
    return cv2.inpaint(np.ascontiguousarray(band), mask, 3, cv2.INPAINT_TELEA)


def next_keyframe(previous: np.ndarray, prompt: str, seed: int, *, camera: str | None, seconds: float, label: str,
                  timecode: str) -> np.ndarray:
    """The keyframe *seconds* after *previous*: the camera's move of the previous scenery, blended with the new
    prompt's scenery drawn fresh and moved the same way (see :data:`CARRY`), this prompt's subjects marked on top
    (:func:`subjects`), new text."""
    prev = np.ascontiguousarray(previous[..., :3], dtype=np.uint8)
    h, w = prev.shape[:2]
    _check_size(w, h)
    prompt = clean_text(prompt or "")
    lay = layout(w, h)
    y0, y1 = lay.band
    bh = y1 - y0
    scene = _without_marks(prev[y0:y1]) if bh > 1 else prev[y0:y1]
    pal = palette_for(prompt, int(seed))
    fresh = paint_scene(prompt, int(seed), w, max(1, bh))[:bh]
    marked = mark_subjects(fresh, prompt, int(seed), pal)
    marks = np.any(marked != fresh, axis=2).astype(np.float32)
    move, strength = camera_move(camera, int(seed), prompt)
    if move != "static" and bh > 1:
        m = camera_matrix(move, strength, seconds, w, bh)
        scene, fresh, marked = warp(scene, m), warp(fresh, m), warp(marked, m)
        marks = warp((marks * 255).astype(np.uint8)[..., None].repeat(3, axis=2), m)[..., 0] / 255.0
    else:
        scene = scene.copy()
    out = CARRY * scene.astype(np.float32) + (1 - CARRY) * fresh.astype(np.float32)
    out = out * (1 - marks[..., None]) + marked.astype(np.float32) * marks[..., None]
    img = np.empty((h, w, 3), np.uint8)
    img[y0:y1] = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return draw_bars(img, prompt, label or "", timecode or "", pal.accent)


def save_png(img: np.ndarray, path) -> None:
    """Write *img* (RGB uint8) as a PNG with no metadata, so equal pixels give equal bytes."""
    arr = np.ascontiguousarray(img[..., :3], dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, format="PNG", optimize=False, compress_level=6)
    Path(path).write_bytes(buf.getvalue())


def load_png(path, width: int, height: int, fit: str = "pad") -> np.ndarray:
    """Read any image as RGB uint8 (height, width, 3), fitted to that size (``pad``: letterboxed, ``crop``:
    filled) when it differs."""
    from ...media.fit import fit_image, flatten

    with Image.open(path) as im:
        im.load()
        rgb = flatten(im)
    return np.asarray(fit_image(rgb, width, height, fit), dtype=np.uint8).copy()
