"""Benchmark the ``local`` provider's segment renderer at 1280x720.

Measures :func:`storyrender.providers.local.motion.interpolate` on a 5 s / 24 fps segment
(121 frames, optical flow included) between two realistic keyframes, first without encoding
and then including H.264 encoding with :func:`storyrender.media.ffmpeg.encode_frames`.

Run: ``python bench/bench_local.py`` (target: at least 60 interpolated frames/s).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

WIDTH, HEIGHT, FPS, SECONDS = 1280, 720, 24, 5.0
TARGET_FPS = 60.0


def _keyframes():
    from storyrender.providers.local import draw

    first = draw.draw_keyframe("A cat steps into a magical forest at dusk", 42, WIDTH, HEIGHT,
                               label="beat 1", timecode="00:00")
    last = draw.next_keyframe(first, "The cat approaches a glowing ancient tree", 42, camera="push-in",
                              seconds=SECONDS, label="beat 2", timecode="00:05")
    return first, last


def run(repeats: int = 3) -> dict:
    """Measure and return frames/s of interpolation alone and with H.264 encoding (best of *repeats*)."""
    import cv2

    from storyrender.media.ffmpeg import encode_frames
    from storyrender.providers.local import motion

    first, last = _keyframes()
    n = round(SECONDS * FPS)
    frames = n + 1
    # warm-up (imports, allocator, OpenCV thread pool)
    for _ in motion.interpolate(first[::4, ::4].copy(), last[::4, ::4].copy(), 4):
        pass

    best = float("inf")
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        count = sum(1 for _ in motion.interpolate(first, last, n))
        best = min(best, time.perf_counter() - t0)
    assert count == frames

    t0 = time.perf_counter()
    motion.flow_pair(first[HEIGHT // 15: HEIGHT - HEIGHT // 7], last[HEIGHT // 15: HEIGHT - HEIGHT // 7])
    flow_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "segment.mp4"
        t0 = time.perf_counter()
        encoded = encode_frames(motion.interpolate(first, last, n), out, fps=FPS, width=WIDTH, height=HEIGHT)
        enc_s = time.perf_counter() - t0
        size = out.stat().st_size
    assert encoded == frames
    return {
        "size": f"{WIDTH}x{HEIGHT}",
        "frames": frames,
        "threads": cv2.getNumThreads(),
        "flow_seconds": round(flow_s, 4),
        "interpolate_seconds": round(best, 4),
        "interpolate_fps": round(frames / best, 1),
        "with_encoding_seconds": round(enc_s, 4),
        "with_encoding_fps": round(frames / enc_s, 1),
        "mp4_bytes": size,
        "target_fps": TARGET_FPS,
        "meets_target": frames / best >= TARGET_FPS,
    }


if __name__ == "__main__":
    result = run()
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
