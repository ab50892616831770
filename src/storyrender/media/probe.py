"""Probe media files with PyAV (no ffprobe needed)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # numpy is imported by the functions that return frames
    import numpy as np


from ..errors import ArtifactError

__all__ = ["MediaInfo", "probe", "read_frames", "read_frame", "image_size"]


@dataclass(frozen=True)
class MediaInfo:
    """Facts about a video/audio file."""

    width: int
    height: int
    fps: float
    frames: int
    duration: float
    pix_fmt: str
    video_codec: str
    has_audio: bool
    audio_duration: float | None = None
    audio_rate: int | None = None
    subtitle_streams: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def probe(path: Path | str, *, count_frames: bool = True) -> MediaInfo:
    """Probe *path*; ``frames`` is counted by demuxing packets (exact, cheap) when asked.

    :raises ArtifactError: when the file is not a readable video.
    """
    import av

    try:
        with av.open(str(path)) as c:
            vs = next((s for s in c.streams if s.type == "video"), None)
            if vs is None:
                raise ArtifactError(f"{path}: no video stream")
            auds = [s for s in c.streams if s.type == "audio"]
            subs = [s for s in c.streams if s.type == "subtitle"]
            rate = vs.average_rate or vs.guessed_rate or Fraction(0)
            fps = float(rate) if rate else 0.0
            frames = 0
            vdur = None
            if count_frames:
                last_end = 0.0
                for pkt in c.demux(vs):
                    if pkt.size == 0:
                        continue
                    frames += 1
                    if pkt.pts is not None and pkt.time_base is not None:
                        end = float((pkt.pts + (pkt.duration or 0)) * pkt.time_base)
                        last_end = max(last_end, end)
                start = float(vs.start_time * vs.time_base) if vs.start_time is not None else 0.0
                vdur = last_end - start if last_end else None
            else:
                frames = vs.frames
            if vdur is None:
                if vs.duration is not None:
                    vdur = float(vs.duration * vs.time_base)
                elif c.duration:
                    vdur = c.duration / 1_000_000
                else:
                    vdur = frames / fps if fps else 0.0
            adur = None
            arate = None
            if auds:
                a = auds[0]
                arate = a.rate
                if a.duration is not None:
                    adur = float(a.duration * a.time_base)
            return MediaInfo(
                width=vs.codec_context.width,
                height=vs.codec_context.height,
                fps=fps,
                frames=frames,
                duration=vdur,
                pix_fmt=str(vs.codec_context.pix_fmt or ""),
                video_codec=vs.codec_context.name,
                has_audio=bool(auds),
                audio_duration=adur,
                audio_rate=arate,
                subtitle_streams=len(subs),
            )
    except ArtifactError:
        raise
    except Exception as exc:  # av.error.* and anything a broken file triggers
        raise ArtifactError(f"{path}: not a readable video ({exc.__class__.__name__}: {exc})") from None


def read_frames(path: Path | str) -> "Iterator[np.ndarray]":
    """Yield every video frame of *path* as an RGB uint8 array (H, W, 3)."""
    import av

    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def read_frame(path: Path | str, index: int) -> "np.ndarray":
    """Frame *index* of *path* (negative counts from the end)."""
    frames = list(read_frames(path)) if index < 0 else None
    if frames is not None:
        return frames[index]
    for i, f in enumerate(read_frames(path)):
        if i == index:
            return f
    raise IndexError(index)


def image_size(path: Path | str) -> tuple[int, int]:
    """(width, height) of an image file; raises ArtifactError when it does not decode."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.verify()
        with Image.open(path) as im:
            return im.size
    except Exception as exc:
        raise ArtifactError(f"{path}: not a readable image ({exc.__class__.__name__})") from None
