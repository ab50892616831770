"""Helpers for the stitch tests: synthetic clips that say which clip and frame they are, and a one-graph
reference render.  (No tests here; imported by tests/stitch/test_*.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from storyrender.media.ffmpeg import encode_frames, run_ffmpeg
from storyrender.media.probe import MediaInfo, probe, read_frames
from storyrender.stitch.encode import EncodeSettings, conform_filter, conform_spec, x264_args
from storyrender.stitch.timeline import Transition

COLORS = [
    (200, 40, 40), (40, 160, 60), (50, 60, 200), (200, 180, 40), (160, 50, 170), (40, 170, 170),
    (230, 120, 30), (120, 120, 120),
]
BITS = 10  # 6 bits of frame index, 4 bits of clip id
BLOCK = 16


def synth_frame(clip: int, index: int, w: int = 160, h: int = 90, color=None) -> np.ndarray:
    """A solid colour (per clip) with a moving bar and (clip, index) written as black/white blocks on top."""
    color = color if color is not None else COLORS[clip % len(COLORS)]
    f = np.empty((h, w, 3), np.uint8)
    f[:] = color
    x = (index * 7) % max(1, w - 8)
    f[h // 2:, x:x + 8] = (255, 255, 255)
    value = (clip << 6) | (index & 63)
    for b in range(BITS):
        f[0:BLOCK, b * BLOCK:(b + 1) * BLOCK] = 255 if (value >> b) & 1 else 0
    return f


def decode_mark(frame: np.ndarray) -> tuple[int, int]:
    """(clip, index) from a frame made by :func:`synth_frame` (160 px wide or more, unscaled)."""
    value = 0
    for b in range(BITS):
        block = frame[3:BLOCK - 3, b * BLOCK + 3:(b + 1) * BLOCK - 3]
        if block.mean() > 127:
            value |= 1 << b
    return value >> 6, value & 63


def make_clip(path: Path, clip: int, frames: int, *, w: int = 160, h: int = 90, fps: int = 8,
              color=None) -> tuple[Path, MediaInfo]:
    encode_frames((synth_frame(clip, i, w, h, color) for i in range(frames)), path, fps=fps, width=w, height=h)
    return path, probe(path)


def make_clip_with_audio(path: Path, clip: int, frames: int, *, w: int, h: int, fps: int,
                         freq: float = 440.0) -> tuple[Path, MediaInfo]:
    """A clip with a sine audio track as long as the video."""
    silent = path.with_name(path.stem + "-v.mp4")
    encode_frames((synth_frame(clip, i, w, h) for i in range(frames)), silent, fps=fps, width=w, height=h)
    run_ffmpeg(["-i", str(silent), "-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate=44100",
                "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest", str(path)])
    return path, probe(path)


def frames_of(path: Path) -> list[np.ndarray]:
    return list(read_frames(path))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def single_graph_render(inputs: Sequence[tuple[Path, MediaInfo]], beat_frames: Sequence[int],
                        transitions: Sequence[Transition], settings: EncodeSettings, out: Path,
                        *, extra: Sequence[str] = ()) -> list[str]:
    """Render the whole timeline with ONE ffmpeg filtergraph (the reference the pieces must match).

    Each clip is conformed and trimmed to ``[0, n_k)``; cuts are ``concat``, other transitions ``xfade`` with
    cumulative offsets.  Returns the argv (without the binary) after running it.
    """
    f = settings.fps
    args: list[str] = []
    chains = []
    for i, ((path, info), n) in enumerate(zip(inputs, beat_frames)):
        args += ["-an", "-i", str(path)]
        cs = conform_spec(info, n, settings)
        chains.append(f"[{i}:v:0]{conform_filter(cs, 0, n)}[c{i}]")
    acc, length = "c0", beat_frames[0]
    for k, tr in enumerate(transitions):
        nxt = f"c{k + 1}"
        lab = f"j{k}"
        if tr.frames == 0:
            chains.append(f"[{acc}][{nxt}]concat=n=2:v=1:a=0,fps={f},settb=1/{f}[{lab}]")
        else:
            chains.append(f"[{acc}][{nxt}]xfade=transition={tr.name}:duration={tr.frames / f:.6f}:"
                          f"offset={(length - tr.frames) / f:.6f}[{lab}]")
        length += beat_frames[k + 1] - tr.frames
        acc = lab
    args += ["-filter_complex", ";".join(chains), "-map", f"[{acc}]", *extra, *x264_args(settings), str(out)]
    run_ffmpeg(args, what="one-graph reference")
    return args
