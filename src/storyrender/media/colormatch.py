"""Colour match: pull a generated clip's colours back to its own keyframes.

First+last-frame video models drift in colour over a clip (a cast that grows, a grade that
wanders), so the clip's last frame no longer matches the keyframe the next clip starts from and
the join pops. For each RGB channel the clip's first and last frames are matched to the first
and last keyframes by mean and standard deviation (a gain and an offset); frame ``i`` of ``N``
gets the two corrections blended by ``t = i / (N - 1)``, so a drift that grows over the clip is
undone where it grows and the frames in between move smoothly. Without a last keyframe (extend
mode) the correction fades out over the clip (its last frame is where the next clip starts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from . import measure

__all__ = ["color_match", "METHODS"]

#: the methods this module makes (``storyrender.graph.clips.COLOR_MATCH`` names the one in use;
#: a new method gets a new name, so its nodes get new keys)
METHODS = ("mean-std-ramp/1",)
_MIN_STD = 2.0
_GAIN = (0.5, 2.0)


def _stats(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = measure.small(img).reshape(-1, 3).astype(np.float64)
    return x.mean(axis=0), x.std(axis=0)


def _correction(target: np.ndarray, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    (mt, st), (mf, sf) = _stats(target), _stats(frame)
    gain = np.where((sf < _MIN_STD) | (st < _MIN_STD), 1.0, np.clip(st / np.maximum(sf, 1e-6), *_GAIN))
    return gain, mt - gain * mf


def _load(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def color_match(clip: Path, first: Path, last: Path | None, out: Path, *, method: str = METHODS[0]) -> dict[str, Any]:
    """Write *clip* colour-matched to the keyframes *first* and *last* to *out*; return facts
    (how far its first and last frames were from the keyframes before and after, as MAD 0..1)."""
    from .ffmpeg import encode_frames
    from .probe import probe, read_frames

    if method not in METHODS:
        raise ValueError(f"unknown colour-match method {method!r} (this version makes {', '.join(METHODS)})")
    frames = list(read_frames(clip))
    if len(frames) < 2:
        raise ValueError(f"{clip.name}: a clip of {len(frames)} frame(s) cannot be colour matched")
    info = probe(clip)
    k0 = _load(first)
    k1 = _load(last) if last is not None else None
    g0, o0 = _correction(k0, frames[0])
    g1, o1 = _correction(k1, frames[-1]) if k1 is not None else (np.ones(3), np.zeros(3))
    n = len(frames) - 1

    def corrected():
        for i, f in enumerate(frames):
            t = i / n
            g, o = (1 - t) * g0 + t * g1, (1 - t) * o0 + t * o1
            yield np.clip(f.astype(np.float32) * g.astype(np.float32) + o.astype(np.float32), 0, 255).round().astype(np.uint8)

    out_frames = list(corrected())
    h, w = frames[0].shape[:2]
    encode_frames(iter(out_frames), out, fps=max(1, round(info.fps or 24)), width=w, height=h)

    def gap(img, key):
        if key is None:
            return None
        import cv2

        a = measure.small(img)
        b = cv2.resize(measure.small(key), (a.shape[1], a.shape[0]), interpolation=cv2.INTER_AREA)
        return round(measure.mad(a, b), 5)

    return {"method": method, "start_mad_before": gap(frames[0], k0), "start_mad_after": gap(out_frames[0], k0),
            "end_mad_before": gap(frames[-1], k1), "end_mad_after": gap(out_frames[-1], k1)}
