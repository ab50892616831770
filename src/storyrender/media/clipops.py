"""Frame-exact clip operations: trim to a part of a clip, retime to the board's frame rate, join
model-sized clips into one.

Both decode every frame and encode the result with :func:`storyrender.media.ffmpeg.encode_frames`
(H.264, CRF 12), so the frames kept are the clip's own frames.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

__all__ = ["trim_clip", "trim_range", "retime_clip", "retime_plan", "join_clips"]


def trim_range(start: float, end: float, fps: float, frames: int) -> tuple[int, int]:
    """The clip frames ``[first, last]`` (inclusive) of the part *start*..*end* seconds: each time is
    rounded to the nearest frame of the clip, and the range kept inside the clip."""
    first = min(max(0, round(start * fps)), frames - 2)
    last = min(max(first + 1, round(end * fps)), frames - 1)
    return first, last


def trim_clip(clip: Path, start: float, end: float, out: Path) -> dict[str, Any]:
    """Write frames *start*..*end* seconds of *clip* (see :func:`trim_range`) to *out*, at the clip's rate."""
    from .ffmpeg import encode_frames
    from .probe import probe, read_frames

    info = probe(clip)
    fps = info.fps or 24
    frames = list(read_frames(clip))
    if len(frames) < 2:
        raise ValueError(f"{clip.name}: a clip of {len(frames)} frame(s) cannot be trimmed")
    first, last = trim_range(start, end, fps, len(frames))
    h, w = frames[0].shape[:2]
    encode_frames(iter(frames[first:last + 1]), out, fps=max(1, round(fps)), width=w, height=h)
    return {"first": first, "last": last, "source_frames": len(frames)}


#: the finest step between source frames an interpolated frame is placed on (1/12 of a frame)
MAX_STEPS = 12


def retime_plan(src_frames: int, src_fps: float, fps: int) -> tuple[int, list[tuple[int, int, int]]]:
    """``(steps, [(i, k, steps)...])``: output frame ``j`` at time ``j / fps`` shows source frame
    ``i`` moved ``k / steps`` of the way to frame ``i + 1``; the clip keeps its length."""
    ratio = Fraction(fps) / Fraction(src_fps).limit_denominator(1001)
    steps = ratio.numerator if ratio.numerator <= MAX_STEPS else MAX_STEPS
    span = Fraction(src_frames - 1) / Fraction(src_fps).limit_denominator(1001)
    count = int(math.floor(span * fps + Fraction(1, 1000))) + 1
    out = []
    for j in range(count):
        pos = Fraction(j) / ratio
        i = min(int(pos), src_frames - 1)
        k = round((pos - i) * steps)
        if k == steps:
            i, k = i + 1, 0
        if i >= src_frames - 1:
            i, k = src_frames - 1, 0
        out.append((i, k, steps))
    return steps, out


def retime_clip(clip: Path, fps: int, out: Path,
                between: Callable[[np.ndarray, np.ndarray, int], Iterator[np.ndarray]]) -> dict[str, Any]:
    """Write *clip* at *fps*, the in-between frames made by *between(a, b, steps)* (which yields
    ``steps + 1`` frames from *a* to *b*, like the local provider's optical-flow interpolation).
    A clip already at *fps* or faster is copied frame for frame."""
    from .ffmpeg import encode_frames
    from .probe import probe, read_frames

    info = probe(clip)
    src_fps = info.fps or fps
    frames: Sequence[np.ndarray] = list(read_frames(clip))
    h, w = frames[0].shape[:2]
    if src_fps >= fps - 1e-6:
        count = encode_frames(iter(frames), out, fps=max(1, round(src_fps)), width=w, height=h)
        return {"source_fps": src_fps, "frames": count, "interpolated": 0}
    steps, plan = retime_plan(len(frames), src_fps, fps)
    cache: dict[int, list[np.ndarray]] = {}

    def frame(i: int, k: int) -> np.ndarray:
        if k == 0:
            return frames[i]
        if i not in cache:
            cache.clear()  # the plan walks forward: one pair at a time
            cache[i] = list(between(frames[i], frames[i + 1], steps))
        return cache[i][k]

    count = encode_frames((frame(i, k) for i, k, _ in plan), out, fps=fps, width=w, height=h)
    return {"source_fps": src_fps, "frames": count, "interpolated": sum(1 for _, k, _ in plan if k)}


def join_clips(clips: Sequence[Path], out: Path) -> dict[str, Any]:
    """Write *clips* one after another to *out*, each clip after the first without its first
    frame (the frame the previous clip ended on: a shared keyframe or last frame), at the first
    clip's rate and size."""
    from .ffmpeg import encode_frames
    from .probe import probe, read_frames

    fps = probe(clips[0]).fps or 24
    counts: list[int] = []

    def frames():
        for i, clip in enumerate(clips):
            n = 0
            for k, f in enumerate(read_frames(clip)):
                if i and k == 0:
                    continue
                n += 1
                yield f
            counts.append(n)

    first = next(read_frames(clips[0]))
    h, w = first.shape[:2]
    total = encode_frames(frames(), out, fps=max(1, round(fps)), width=w, height=h)
    return {"clips": len(clips), "frames": total, "frames_per_clip": counts}
