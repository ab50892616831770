"""Locate and run ffmpeg (the binary shipped by imageio-ffmpeg; no system ffmpeg needed).

Commands are argv lists, never shell strings. ``STORYRENDER_FFMPEG`` points at another binary.
Children are started by :mod:`storyrender.children`: in their own session, so a terminal's
Ctrl-C reaches storyrender only (it stops starting new nodes and lets the running ones finish and
be recorded; a second Ctrl-C kills them), and they die with the build whatever kills it.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path
from typing import Sequence

from .. import children
from ..errors import StitchError

__all__ = ["ffmpeg_exe", "run_ffmpeg", "popen_ffmpeg"]


@functools.lru_cache(maxsize=None)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary to use."""
    env = os.environ.get("STORYRENDER_FFMPEG")
    if env:
        return env
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _argv(args: Sequence[str | os.PathLike]) -> list[str]:
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *map(str, args)]


def run_ffmpeg(args: Sequence[str | os.PathLike], *, what: str = "ffmpeg", input: bytes | None = None) -> None:
    """Run ffmpeg with *args* (everything after the binary); raise :class:`StitchError` on failure."""
    argv = _argv(args)
    if input is not None:
        argv.remove("-nostdin")
    proc = children.run(argv, input=input, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-8:]
        raise StitchError(f"{what} failed (ffmpeg exit {proc.returncode}): " + " | ".join(tail))


def popen_ffmpeg(args: Sequence[str | os.PathLike]) -> subprocess.Popen:
    """Start ffmpeg reading from a pipe on stdin (for raw frames); caller writes and waits."""
    argv = _argv(args)
    argv.remove("-nostdin")
    return children.popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def encode_frames(frames, path: Path, *, fps: int, width: int, height: int, crf: int = 12,
                  preset: str = "veryfast") -> int:
    """Encode RGB uint8 frames (H, W, 3) to an H.264 yuv420p MP4 at *path*; returns frame count."""
    proc = popen_ffmpeg([
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
        "-an", "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
        "-g", str(max(1, fps)), "-movflags", "+faststart", str(path),
    ])
    count = 0
    try:
        for frame in frames:
            proc.stdin.write(frame.tobytes())
            count += 1
        proc.stdin.close()
    except BrokenPipeError:
        pass
    err = proc.stderr.read()
    code = proc.wait()
    children.done(proc)
    if code != 0:
        raise StitchError("encoding frames failed: " + err.decode("utf-8", "replace")[-500:])
    return count
