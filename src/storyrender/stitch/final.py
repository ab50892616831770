"""Join the encoded pieces into the final MP4, and derive the other formats (WebM, GIF) from it.

Every output is written to a temporary file in the same directory and moved into place with :func:`os.replace`,
so an interrupted run never leaves a broken file at the destination.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Sequence

from ..errors import StitchError
from ..media.ffmpeg import run_ffmpeg
from ..media.probe import probe
from ._filters import atomic_output

__all__ = ["concat_pieces", "export_webm", "export_gif", "concat_list"]


def _concat_quote(path: Path) -> str:
    # concat demuxer syntax: single-quoted, a quote inside is written '\''
    return "'" + str(path).replace("'", "'\\''") + "'"


def concat_list(pieces: Sequence[Path]) -> str:
    """The concat demuxer script for *pieces* (absolute paths)."""
    return "ffconcat version 1.0\n" + "".join(f"file {_concat_quote(Path(p).resolve())}\n" for p in pieces)


def concat_pieces(pieces: Sequence[Path], out: Path, *, audio: Path | None = None,
                  subtitles: Path | None = None, subtitle_language: str = "und",
                  expect_frames: int | None = None, title: str | None = None) -> Path:
    """Join encoded pieces by stream copy into the MP4 *out*, adding the audio track and soft subtitles.

    :param pieces: piece files in output order (all encoded with the same :class:`EncodeSettings`).
    :param audio: the whole audio track (:func:`storyrender.stitch.audio.render_audio`), stream-copied.
    :param subtitles: an SRT or WebVTT file, muxed as a ``mov_text`` track.
    :param expect_frames: when given, the result is probed and must have exactly this many video frames.
    :raises StitchError: when ffmpeg fails or the frame count is wrong.
    """
    if not pieces:
        raise StitchError("nothing to join: no pieces")
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="storyrender-concat-") as tmp, atomic_output(out) as part:
        lst = Path(tmp) / "pieces.ffconcat"
        lst.write_text(concat_list(pieces), encoding="utf-8")
        args: list[str] = ["-f", "concat", "-safe", "0", "-i", str(lst)]
        maps = ["-map", "0:v:0"]
        n = 1
        if audio is not None:
            # Read the audio only as long as the picture: the AAC track's priming and padding would
            # otherwise make the file (and a browser's video.duration) two audio frames longer.
            video_seconds = sum(probe(p).duration for p in pieces)
            args += ["-t", f"{video_seconds:.6f}", "-i", str(audio)]
            maps += ["-map", f"{n}:a:0"]
            n += 1
        if subtitles is not None:
            args += ["-i", str(subtitles)]
            maps += ["-map", f"{n}:s:0"]
            n += 1
        args += maps + ["-c:v", "copy"]
        if audio is not None:
            args += ["-c:a", "copy"]
        if subtitles is not None:
            args += ["-c:s", "mov_text", "-metadata:s:s:0", f"language={subtitle_language}"]
        args += ["-map_metadata", "-1"]
        if title:
            args += ["-metadata", f"title={title}"]
        args += ["-movflags", "+faststart", "-f", "mp4", str(part)]
        run_ffmpeg(args, what="joining the pieces")
        if expect_frames is not None:
            got = probe(part).frames
            if got != expect_frames:
                raise StitchError(f"joined video has {got} frames, expected {expect_frames}")
    return out


def export_webm(mp4: Path, out: Path, *, crf: int = 33, audio_bitrate: str = "96k",
                subtitles: Path | None = None, subtitle_language: str = "und") -> Path:
    """Re-encode *mp4* to WebM (VP9 realtime + Opus), keeping its subtitle track as WebVTT.

    *subtitles*, a WebVTT file (:func:`~storyrender.stitch.captions.write_vtt`, text escaped), is copied into
    the track as written instead: ffmpeg's WebVTT encoder would write ``<on>`` unescaped, which players drop
    as an unknown tag.
    """
    info = probe(mp4, count_frames=False)
    out = Path(out)
    with atomic_output(out) as part:
        args: list[str] = ["-i", str(mp4)]
        maps = ["-map", "0:v:0"]
        if info.has_audio:
            maps += ["-map", "0:a:0"]
        if subtitles is not None:
            args += ["-i", str(subtitles)]
            maps += ["-map", "1:s:0"]
        elif info.subtitle_streams:
            maps += ["-map", "0:s:0"]
        args += maps + [
            "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1",
            "-b:v", "0", "-crf", str(crf), "-pix_fmt", "yuv420p",
        ]
        if info.has_audio:
            args += ["-c:a", "libopus", "-b:a", audio_bitrate, "-ar", "48000"]
        if subtitles is not None:
            args += ["-c:s", "copy", "-metadata:s:s:0", f"language={subtitle_language}"]
        elif info.subtitle_streams:
            args += ["-c:s", "webvtt"]
        args += ["-map_metadata", "-1", "-f", "webm", str(part)]
        run_ffmpeg(args, what="writing WebM")
    return out


def gif_size(width: int, height: int, max_width: int = 480) -> tuple[int, int]:
    """GIF size: at most *max_width* wide, aspect kept, both dimensions even."""
    w = min(width, max_width)
    w -= w % 2
    h = int(round(height * w / width))
    h = max(2, h - h % 2)
    return max(2, w), h


def export_gif(mp4: Path, out: Path, *, fps: int = 12, max_width: int = 480) -> Path:
    """Write an animated GIF of *mp4*: two passes (palette, then paletteuse), *fps*, at most *max_width* wide."""
    info = probe(mp4, count_frames=False)
    w, h = gif_size(info.width, info.height, max_width)
    base = f"fps={fps},scale={w}:{h}:flags=lanczos"
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="storyrender-gif-") as tmp, atomic_output(out) as part:
        palette = Path(tmp) / "palette.png"
        run_ffmpeg(["-i", str(mp4), "-an", "-sn", "-vf", f"{base},palettegen=stats_mode=diff",
                    "-frames:v", "1", "-update", "1", str(palette)], what="GIF palette")
        run_ffmpeg(["-i", str(mp4), "-i", str(palette), "-an", "-sn", "-filter_complex",
                    f"[0:v]{base}[v];[v][1:v]paletteuse=dither=bayer:bayer_scale=5:diff_mode=rectangle",
                    "-loop", "0", "-f", "gif", str(part)], what="writing GIF")
    return out
