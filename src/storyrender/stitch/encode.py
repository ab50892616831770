"""Encode one piece (a body or a junction) of the final video with one ffmpeg run.

Every input goes through the same normalisation (:func:`conform_filter`) before it is trimmed or cross-faded, and
every piece is encoded with the same x264 settings (:func:`x264_args`), so the pieces can be joined by stream
copy (:func:`storyrender.stitch.final.concat_pieces`).  Pieces are silent; the audio track is rendered once for
the whole video (:mod:`storyrender.stitch.audio`).
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal, Sequence

from ..media.ffmpeg import run_ffmpeg
from ..media.probe import MediaInfo
from .captions import Overlay, overlay_filters
from .timeline import PieceSpec
from ._filters import atomic_output, frac

__all__ = [
    "QUALITY",
    "EncodeSettings",
    "ConformSpec",
    "conform_spec",
    "conform_filter",
    "x264_args",
    "track_timescale",
    "piece_command",
    "encode_piece",
    "RECIPE_VERSION",
]

#: Bumped whenever the filters or encoder arguments change what a piece looks like (part of a piece node's key).
RECIPE_VERSION = 2

#: x264 preset and CRF for each quality level.
QUALITY: dict[str, tuple[str, int]] = {
    "draft": ("superfast", 26),
    "standard": ("veryfast", 20),
    "high": ("medium", 17),
}

#: Seek into an input (``-ss`` before ``-i``) only when it skips at least this many seconds of source.  Input
#: seeking decodes from the keyframe before the seek point; :func:`conform_filter` restores the clip's own
#: timestamps, so the frames are identical to a full decode (tested).  Measured on a 720p junction at the end of
#: a 5 s clip: 0.50 s with seeking, 0.90 s without.  An input is also read only up to the last frame it needs
#: (``-t``).
SEEK_MIN_SECONDS = 1.0


@dataclass(frozen=True)
class EncodeSettings:
    """Output format shared by every piece of one video."""

    width: int
    height: int
    fps: int
    quality: Literal["draft", "standard", "high"] = "standard"
    fit: Literal["pad", "crop"] = "pad"

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0 or self.width % 2 or self.height % 2:
            raise ValueError(f"output size must be positive and even, got {self.width}x{self.height}")
        if int(self.fps) != self.fps or self.fps <= 0:
            raise ValueError(f"fps must be a positive integer, got {self.fps}")
        if self.quality not in QUALITY:
            raise ValueError(f"quality must be one of {', '.join(QUALITY)}, got {self.quality!r}")
        if self.fit not in ("pad", "crop"):
            raise ValueError(f"fit must be 'pad' or 'crop', got {self.fit!r}")

    def as_dict(self) -> dict:
        return asdict(self)


def track_timescale(fps: int) -> int:
    """The MP4 video track timescale used for every piece: 90000 when it holds whole frames, else ``fps*1000``."""
    return 90000 if 90000 % fps == 0 else fps * 1000


def x264_args(settings: EncodeSettings) -> list[str]:
    """Encoder arguments, identical for every piece of a video (fixed GOP, B-frames, pixel format, timescale)."""
    preset, crf = QUALITY[settings.quality]
    fps = int(settings.fps)
    return [
        "-an", "-sn", "-dn",
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
        "-profile:v", "high", "-pix_fmt", "yuv420p",
        "-g", str(2 * fps), "-keyint_min", str(fps), "-sc_threshold", "0", "-bf", "2",
        "-fps_mode", "passthrough",
        "-video_track_timescale", str(track_timescale(fps)),
        "-map_metadata", "-1", "-map_chapters", "-1",
    ]


@dataclass(frozen=True)
class ConformSpec:
    """How one input clip is normalised to the board's format.

    The clip's frames ``0 .. src_frames-1`` at ``src_fps`` are retimed so that its first and last frames span the
    beat (``beat_frames / fps`` seconds); for a clip with exactly ``beat_frames + 1`` frames at ``fps`` this is
    an identity.  Then ``fps``, scale (``fit``), ``setsar=1``, ``yuv420p`` and a ``1/fps`` timebase.
    """

    src_frames: int
    src_fps_num: int
    src_fps_den: int
    beat_frames: int
    fps: int
    width: int
    height: int
    fit: str
    src_width: int = 0
    src_height: int = 0

    @property
    def src_fps(self) -> Fraction:
        return Fraction(self.src_fps_num, self.src_fps_den)

    @property
    def speed(self) -> Fraction:
        """Factor applied to source timestamps: ``(beat_frames / fps) / ((src_frames - 1) / src_fps)``."""
        return Fraction(self.beat_frames) * self.src_fps / (self.fps * (self.src_frames - 1))

    def as_dict(self) -> dict:
        return asdict(self)


def _rate(fps: float) -> Fraction:
    """A probed (float) frame rate as an exact fraction: 24 -> 24, 23.976... -> 24000/1001."""
    r = Fraction(fps).limit_denominator(1001)
    if r <= 0:
        raise ValueError(f"invalid frame rate {fps}")
    return r


def conform_spec(info: MediaInfo, beat_frames: int, settings: EncodeSettings) -> ConformSpec:
    """The :class:`ConformSpec` for a clip described by *info* that must fill a beat of *beat_frames* frames."""
    if info.frames < 2:
        raise ValueError(f"a clip needs at least 2 frames to span a beat, this one has {info.frames}")
    r = _rate(info.fps) if info.fps else Fraction(info.frames - 1) / Fraction(info.duration or 1).limit_denominator(1000)
    return ConformSpec(
        src_frames=int(info.frames),
        src_fps_num=r.numerator,
        src_fps_den=r.denominator,
        beat_frames=int(beat_frames),
        fps=int(settings.fps),
        width=settings.width,
        height=settings.height,
        fit=settings.fit,
        src_width=int(info.width),
        src_height=int(info.height),
    )


def _seek_window(cs: ConformSpec, first: int, last: int) -> tuple[Fraction, Fraction | None]:
    """Source seconds (seek, duration) to read so that conformed frames ``[first, last)`` are decoded.

    Keeps a two-frame margin on both sides; seeks only when that skips at least :data:`SEEK_MIN_SECONDS`.
    """
    r, s, f = cs.src_fps, cs.speed, cs.fps
    src_first = Fraction(first, f) / s * r  # source frame index of conformed frame `first`
    j = max(0, math.floor(src_first) - 2)
    seek = Fraction(j) / r
    if seek < SEEK_MIN_SECONDS:
        seek = Fraction(0)
    src_last = Fraction(last, f) / s * r
    end_frame = math.ceil(src_last) + 3
    duration = None if end_frame >= cs.src_frames else Fraction(end_frame) / r - seek
    return seek, duration


def conform_filter(cs: ConformSpec, first: int, last: int, *, seek: Fraction = Fraction(0)) -> str:
    """Filter chain (no labels) that normalises a clip and keeps its conformed frames ``[first, last)``.

    *seek* is where the input was opened (``-ss`` seconds before ``-i``): timestamps are shifted back to the
    clip's own timeline so the frame grid is the same with or without seeking.
    """
    s = cs.speed
    w, h, f = cs.width, cs.height, cs.fps
    # Sample and hold: output frame i shows the last source frame at or before i/fps.  fps=round=up keeps, for
    # each output slot, the last frame whose time rounds up to it; timestamps are moved earlier by a twentieth of
    # a frame first (in a microsecond timebase) so a source frame on the grid, give or take the rounding of its
    # container's timebase, lands on its own slot.  For a clip already at the board fps this is an identity.
    base = f"(PTS+{frac(seek)}/TB)" if seek else "(PTS-STARTPTS)"  # after -ss, timestamps start at 0 there
    scaled = base if s == 1 else f"{base}*{frac(s)}"
    pts = f"settb=AVTB,setpts={scaled}-1/({20 * f}*TB)"
    if cs.fit == "crop":
        scale = f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}"
    else:
        scale = f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:-1:-1:color=black"
    return ",".join([
        pts,
        f"fps={f}:round=up",
        scale,
        "setsar=1",
        "format=yuv420p",
        f"settb=1/{f}",
        f"trim=start_pts={first}:end_pts={last}",
        "setpts=PTS-STARTPTS",
    ])


def _input_args(path: Path, cs: ConformSpec, first: int, last: int) -> tuple[list[str], Fraction]:
    seek, duration = _seek_window(cs, first, last)
    args: list[str] = []
    if seek:
        args += ["-ss", f"{float(seek):.6f}"]
    if duration is not None:
        args += ["-t", f"{float(duration):.6f}"]
    # Exact seek value used in the graph: -ss is printed with 6 decimals, so use the same rounded value.
    seek_exact = Fraction(f"{float(seek):.6f}") if seek else Fraction(0)
    args += ["-an", "-sn", "-dn", "-i", str(path)]
    return args, seek_exact


def piece_command(piece: PieceSpec, inputs: Sequence[tuple[Path, MediaInfo]], out: Path,
                  settings: EncodeSettings, overlays: Sequence[Overlay] = (), *,
                  text_dir: Path | None = None) -> list[str]:
    """The ffmpeg arguments (after the binary) that encode *piece* to *out*.

    :param inputs: one ``(path, info)`` per beat of the piece (1 for a body, 2 for a junction).
    :param text_dir: where caption text files are written (required when *overlays* is not empty).
    """
    if len(inputs) != len(piece.beats):
        raise ValueError(f"a {piece.kind} piece needs {len(piece.beats)} input(s), got {len(inputs)}")
    if len(piece.beat_frames) != len(piece.beats):
        raise ValueError("piece has no beat_frames; build it with plan_pieces()")
    specs = [conform_spec(info, nb, settings) for (_, info), nb in zip(inputs, piece.beat_frames)]
    if piece.kind == "body":
        ranges = [(piece.start, piece.end)]
    elif piece.kind == "junction":
        ranges = [(piece.start, piece.end), (0, piece.frames)]
    else:
        raise ValueError(f"unknown piece kind {piece.kind!r}")
    args: list[str] = []
    chains: list[str] = []
    for i, ((path, _), cs, (a, b)) in enumerate(zip(inputs, specs, ranges)):
        in_args, seek = _input_args(Path(path), cs, a, b)
        args += in_args
        chains.append(f"[{i}:v:0]{conform_filter(cs, a, b, seek=seek)}[c{i}]")
    f = settings.fps
    if piece.kind == "body":
        last = "c0"
    else:
        dur = f"{piece.frames / f:.6f}"
        chains.append(f"[c0][c1]xfade=transition={piece.transition}:duration={dur}:offset=0[x]")
        last = "x"
    if overlays:
        if text_dir is None:
            raise ValueError("text_dir is required with overlays")
        chains.append(f"[{last}]" + overlay_filters(overlays, settings.width, settings.height, f, text_dir) + "[o]")
        last = "o"
    args += ["-filter_complex", ";".join(chains), "-map", f"[{last}]", "-frames:v", str(piece.frames)]
    args += x264_args(settings)
    args += [str(out)]
    return args


def encode_piece(piece: PieceSpec, inputs: Sequence[tuple[Path, MediaInfo]], out: Path,
                 settings: EncodeSettings, overlays: Sequence[Overlay] = ()) -> Path:
    """Encode *piece* from its input clip(s) to the MP4 *out* (written atomically); returns *out*.

    :raises StitchError: when ffmpeg fails.
    """
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="storyrender-piece-") as tmp, atomic_output(out) as part:
        args = piece_command(piece, inputs, part, settings, overlays, text_dir=Path(tmp))
        run_ffmpeg(args, what=f"encoding {piece.kind} piece of beat(s) {', '.join(str(b + 1) for b in piece.beats)}")
    return out
