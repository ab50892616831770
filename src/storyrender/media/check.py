"""Is a file what it claims to be? Bounded checks of images and audio named by a board or made by a build.

Each check reads the file itself (never a URL, never a playlist), is bounded in time and memory
(only regular files, a size cap, header checks before decoding, a capped number of decoded
packets) and raises :class:`~storyrender.errors.ArtifactError` with a short reason.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ArtifactError

__all__ = ["truncation", "check_image", "check_audio", "IMAGE_FORMATS", "AUDIO_FORMATS",
           "MAX_IMAGE_SIDE", "MAX_IMAGE_PIXELS", "MAX_MEDIA_BYTES"]

#: image formats a board may use (Pillow's names)
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")
#: audio containers a board may use (FFmpeg's demuxer names, as PyAV reports them)
AUDIO_FORMATS = ("wav", "mp3", "flac", "ogg", "aac", "aiff", "w64", "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm")
MAX_IMAGE_SIDE = 16384
MAX_IMAGE_PIXELS = 64_000_000
#: a music file or reference image larger than this is refused before it is read
MAX_MEDIA_BYTES = 1 << 30
#: audio packets decoded to prove a file has sound (bounded work whatever the file says)
_AUDIO_PACKETS = 400
_TEXT_HEADS = (b"#EXTM3U", b"#EXT", b"[playlist]", b"<?xml", b"ffconcat", b"file ", b"<asx", b"http", b"rtmp")


def _regular(path: Path) -> int:
    """The size of *path*, a regular file under the size cap."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ArtifactError(f"cannot be read ({exc.strerror})") from None
    import stat

    if not stat.S_ISREG(st.st_mode):
        raise ArtifactError("is not a regular file (a pipe, a device or a folder?)")
    if st.st_size == 0:
        raise ArtifactError("is empty")
    if st.st_size > MAX_MEDIA_BYTES:
        raise ArtifactError(f"is over {MAX_MEDIA_BYTES >> 20} MiB, the limit for a media file")
    return st.st_size


def truncation(path: Path) -> str | None:
    """Why *path* looks cut short, judged by its container (sniffed, not by suffix); None if complete.

    Decoders forgive a missing tail (a PNG without IEND, an MP4 whose last sample is cut), so a
    truncated file could otherwise pass as valid.
    """
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(12)
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            f.seek(max(0, size - 12))
            return None if f.read(12)[4:8] == b"IEND" else "no PNG end chunk"
        if head.startswith(b"\xff\xd8"):
            f.seek(max(0, size - 2))
            return None if f.read(2) == b"\xff\xd9" else "no JPEG end marker"
        if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE"):
            declared = int.from_bytes(head[4:8], "little") + 8
            return None if size >= declared or declared == 0xFFFFFFFF + 8 else f"{size} of {declared} bytes"
        if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
            pos = 0
            while pos + 8 <= size:  # ISO media boxes must tile the file exactly
                f.seek(pos)
                hdr = f.read(16)
                box = int.from_bytes(hdr[:4], "big")
                if box == 1 and len(hdr) >= 16:
                    box = int.from_bytes(hdr[8:16], "big")
                elif box == 0:
                    return None  # last box runs to the end of the file
                if box < 8:
                    return "a broken MP4 box"
                if pos + box > size:
                    return f"MP4 box {hdr[4:8].decode('latin-1')!r} needs {pos + box} bytes, the file has {size}"
                pos += box
            return None if pos == size else "trailing bytes after the last MP4 box"
    return None


def check_image(path: Path) -> tuple[int, int]:
    """(width, height) of a complete PNG, JPEG or WebP that decodes fully and has a sane size."""
    from PIL import Image

    _regular(path)
    cut = truncation(path)
    if cut:
        raise ArtifactError(f"is truncated ({cut})")
    try:
        with Image.open(path, formats=IMAGE_FORMATS) as im:
            w, h = im.size
            if not (1 <= w <= MAX_IMAGE_SIDE and 1 <= h <= MAX_IMAGE_SIDE) or w * h > MAX_IMAGE_PIXELS:
                raise ArtifactError(f"is {w}x{h}, outside the sane range (at most {MAX_IMAGE_SIDE} a side, "
                                    f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels)")
            im.load()  # decode every pixel: a corrupt stream fails here, not in the build
    except ArtifactError:
        raise
    except Exception as exc:  # PIL's UnidentifiedImageError, OSError, SyntaxError, DecompressionBombError...
        raise ArtifactError(f"is not a readable image ({exc.__class__.__name__})") from None
    return w, h


def check_audio(path: Path) -> float:
    """The duration (seconds) of an audio file that decodes and has sound.

    Only local files in :data:`AUDIO_FORMATS` are opened (FFmpeg's ``protocol_whitelist`` is
    ``file``, playlists are refused by their first bytes), and at most a few hundred packets are
    decoded, so a crafted file cannot make this wait or loop.
    """
    _regular(path)
    with open(path, "rb") as f:
        head = f.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.lower().startswith(tuple(h.lower() for h in _TEXT_HEADS)):
        raise ArtifactError("is not an audio file (a playlist or a list of files?)")
    cut = truncation(path)
    if cut:
        raise ArtifactError(f"is truncated ({cut})")
    import av

    try:
        with av.open(str(path), options={"protocol_whitelist": "file", "probesize": "5000000"},
                     timeout=5.0) as c:
            if c.format.name not in AUDIO_FORMATS:
                raise ArtifactError(f"is not an audio file (it reads as {c.format.name.split(',')[0]})")
            stream = next((s for s in c.streams if s.type == "audio"), None)
            if stream is None:
                raise ArtifactError("is not an audio file (no audio stream)")
            samples = 0
            for i, packet in enumerate(c.demux(stream)):
                if i >= _AUDIO_PACKETS:
                    break
                for frame in packet.decode():
                    samples += frame.samples
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = (c.duration or 0) / 1_000_000
            if duration <= 0 and samples:
                duration = samples / (stream.rate or 1)
    except ArtifactError:
        raise
    except Exception as exc:  # av.error.*: not decodable
        raise ArtifactError(f"is not an audio file FFmpeg can decode ({exc.__class__.__name__})") from None
    if samples == 0 or duration <= 0:
        raise ArtifactError("has no sound (0 s of audio)")
    return duration
