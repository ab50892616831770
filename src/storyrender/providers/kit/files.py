"""Writing a vendor's answer: through a temporary file, videos checked, audio decoded to WAV."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ContextManager

from ...errors import ProviderError


def check_video(data: bytes, accept: tuple[str, ...] = ("mp4", "webm")) -> str:
    """The container of *data*: ``"mp4"`` or ``"webm"`` (sniffed from the first bytes).

    :raises ValueError: when *data* is neither, or is a container not in *accept*.
    """
    if len(data) >= 12 and data[4:8] == b"ftyp":
        kind = "mp4"
    elif data[:4] == b"\x1a\x45\xdf\xa3":
        kind = "webm"
    else:
        raise ValueError(f"the returned file is not an MP4 or WebM video ({len(data)} bytes)")
    if kind not in accept:
        raise ValueError(f"the returned clip is {kind}, not {' or '.join(a.upper() for a in accept)}")
    return kind


def save_video(data: bytes, path: str | os.PathLike, *, who: str, job_id: str | None = None,
               accept: tuple[str, ...] = ("mp4",)) -> str:
    """:func:`check_video` *data*, then write it to *path* through a temporary file.

    :returns: the container. :raises ProviderError: when the check fails (nothing is written).
    """
    try:
        kind = check_video(data, accept)
    except ValueError as exc:
        raise ProviderError(f"{who}: {exc}", job_id=job_id) from None
    with atomic_output(path, f".{kind}") as tmp:
        tmp.write_bytes(data)
    return kind


def save_audio(data: bytes, path: str | os.PathLike, *, who: str, job_id: str | None = None) -> float:
    """Decode a vendor's audio answer (MP3, WAV, Opus, ...) with ffmpeg and write it to *path* as
    a 48 kHz stereo 16-bit WAV through a temporary file.

    :returns: its length in seconds. :raises ProviderError: when *data* is not decodable audio
        (nothing is written).
    """
    import tempfile
    import wave

    from ...errors import StitchError
    from ...media.ffmpeg import run_ffmpeg

    if not data:
        raise ProviderError(f"{who}: answered with no audio", job_id=job_id)
    with tempfile.TemporaryDirectory(prefix="storyrender-audio-") as tmp, atomic_output(path, ".wav") as out:
        src = Path(tmp) / "answer"
        src.write_bytes(data)
        try:
            run_ffmpeg(["-i", str(src), "-vn", "-ar", "48000", "-ac", "2", "-c:a", "pcm_s16le",
                        "-map_metadata", "-1", "-f", "wav", str(out)], what="decoding the vendor's audio")
        except StitchError:
            raise ProviderError(f"{who}: answered with something that is not audio ({len(data)} bytes)",
                                job_id=job_id) from None
        with wave.open(str(out)) as w:
            frames = w.getnframes()
        if frames == 0:
            raise ProviderError(f"{who}: answered with empty audio", job_id=job_id)
    return frames / 48000


# -- files --------------------------------------------------------------------------------------


def atomic_output(path: str | os.PathLike, suffix: str | None = None) -> ContextManager[Path]:
    """Yield a temporary path beside *path* (its folder is made); when the block ends without an
    error the file is moved onto *path* (``os.replace``), otherwise it is deleted. *suffix* is the
    temporary file's extension (default *path*'s). See :mod:`storyrender.atomic`."""
    from ...atomic import atomic_path

    return atomic_path(path, suffix)

