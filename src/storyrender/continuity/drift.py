"""Drift per keyframe: how far keyframe k has moved from keyframe 0 and from the characters'
reference images.

Measured at low resolution (:mod:`.measure`): ``colour`` is the distance of the colour
distributions (a palette or grade that wanders, a colour cast), ``structure`` is ``1 - SSIM``
of luma at 32 pixels wide (the layout of light and dark: composition, framing). ``drift`` is their mean, 0..1.
Against a character's reference image only the colour distance is meaningful (a portrait and a
scene are framed differently). ``step`` is the same measure between keyframe k-1 and k; a step
far above the board's usual step (over :data:`JUMP_RATIO` times the median and over
:data:`JUMP_MIN`) is flagged as a ``jump``.

What it can see: palette and grade drift, exposure, a changed composition or scene, a sudden
change between neighbours. What it cannot see: identity (a face or a costume that changed but
kept its colours), small details, text, whether a change was asked for by the story (a new
scene drifts by design): it is a pointer to where to look, not a judgement.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..media import measure

__all__ = ["keyframe_drift", "JUMP_RATIO", "JUMP_MIN"]

JUMP_RATIO = 2.5
JUMP_MIN = 0.15


def _load(path: Path | str) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return measure.small(np.asarray(im.convert("RGB")))


#: structure is compared at this width: the coarse layout, not the texture
STRUCTURE_WIDTH = 32


def _distance(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    import cv2

    if a.shape != b.shape:
        b = cv2.resize(b, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_AREA)
    sa, sb = measure.small(a, STRUCTURE_WIDTH), measure.small(b, STRUCTURE_WIDTH)
    return measure.colour_distance(a, b), 1.0 - max(0.0, measure.ssim(sa, sb))


def keyframe_drift(keyframes: Sequence[Mapping[str, Any]], references: Mapping[str, Path]) -> list[dict[str, Any]]:
    """A drift record per keyframe.

    :param keyframes: ``{"index", "beat", "path", "characters"}`` in order (index 0 first).
    :param references: character name -> its reference image.
    """
    if not keyframes:
        return []
    imgs = [_load(k["path"]) for k in keyframes]
    refs = {name: _load(p) for name, p in references.items()}
    out: list[dict[str, Any]] = []
    for i, (k, img) in enumerate(zip(keyframes, imgs)):
        colour, structure = _distance(imgs[0], img)
        rec: dict[str, Any] = {"keyframe": k["index"], "beat": k["beat"], "colour": round(colour, 4),
                               "structure": round(structure, 4), "drift": round((colour + structure) / 2, 4)}
        if i:
            c, s = _distance(imgs[i - 1], img)
            rec["step"] = round((c + s) / 2, 4)
        chars = {n: round(measure.colour_distance(refs[n], img), 4) for n in k.get("characters", ()) if n in refs}
        if chars:
            rec["characters"] = chars
        out.append(rec)
    steps = [r["step"] for r in out if "step" in r]
    usual = statistics.median(steps) if steps else 0.0
    for r in out:
        r["jump"] = bool("step" in r and len(steps) >= 3 and r["step"] > JUMP_MIN and r["step"] > JUMP_RATIO * usual)
    return out
