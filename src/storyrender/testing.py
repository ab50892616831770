"""Small media helpers for testing provider plugins against a fake vendor API.

A fake vendor has to answer with real media: images the provider can open and fit, and MP4s it
can probe. These helpers make the smallest such files, deterministically::

    from storyrender.testing import first_last_pngs, png_bytes, tiny_mp4

    fake.image_body = png_bytes(96, 54, (0, 128, 0))
    fake.video_body = tiny_mp4(tmp_path / "clip.mp4").read_bytes()
    first, last = first_last_pngs(tmp_path)

Ready-made pytest fixtures built on them live in :mod:`storyrender.testing_fixtures`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["first_last_pngs", "png_bytes", "tiny_mp4", "write_png", "kill_build_when"]

Colour = tuple[int, int, int]

DEFAULT_COLOUR: Colour = (200, 80, 40)
FIRST_COLOUR: Colour = (200, 30, 30)
LAST_COLOUR: Colour = (30, 30, 200)


def png_bytes(width: int, height: int, colour: Colour = DEFAULT_COLOUR, *, fmt: str = "PNG") -> bytes:
    """A solid *colour* RGB image of *width* x *height*, encoded as PNG (or as Pillow's *fmt*)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format=fmt)
    return out.getvalue()


def write_png(path: str | Path, width: int, height: int, colour: Colour = DEFAULT_COLOUR) -> Path:
    """Write :func:`png_bytes` to *path* (creating its folder) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(width, height, colour))
    return path


def first_last_pngs(directory: str | Path, width: int = 64, height: int = 36) -> tuple[Path, Path]:
    """``first.png`` (red) and ``last.png`` (blue) in *directory*: a segment's two keyframes."""
    directory = Path(directory)
    return (write_png(directory / "first.png", width, height, FIRST_COLOUR),
            write_png(directory / "last.png", width, height, LAST_COLOUR))


def tiny_mp4(path: str | Path, *, frames: int = 12, fps: int = 12, width: int = 64, height: int = 36) -> Path:
    """Write a real H.264 MP4 of *frames* solid frames (a red-to-blue ramp) to *path*; return it.

    Encoded with :func:`storyrender.media.ffmpeg.encode_frames`, so it probes and decodes like a
    vendor's clip. *width* and *height* must be even (yuv420p).
    """
    import numpy as np

    from storyrender.media.ffmpeg import encode_frames

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    steps = max(1, frames - 1)
    ramp = (np.full((height, width, 3), (255 * i // steps, 100, 255 - 255 * i // steps), dtype=np.uint8)
            for i in range(frames))
    encode_frames(ramp, path, fps=fps, width=width, height=height)
    return path


def kill_build_when(board: str | Path, until, *, env: dict | None = None, timeout: float = 60.0) -> None:
    """Run ``storyrender build -q BOARD`` in the board's folder, wait until ``until()`` is true
    (e.g. the fake vendor saw the submission and a poll), then ``kill -9`` it: the crash a
    resumed vendor job must survive.

    :raises AssertionError: when the build ends first or *until* never holds within *timeout*.
    """
    import os
    import signal
    import subprocess
    import sys
    import time

    board = Path(board)
    proc = subprocess.Popen([sys.executable, "-m", "storyrender", "build", "-q", board.name], cwd=board.parent,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not until():
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.02)
        assert until(), f"the build did not reach the kill point within {timeout:g} s"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stderr.close()
