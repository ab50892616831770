"""The review page's media: keyframe thumbnails as data URIs, a segment's last frame, copies.

Pillow and PyAV are imported only when a thumbnail really has to be made, so a no-op rebuild
(every thumbnail remembered, every copy in place) stays cheap.
"""

from __future__ import annotations

import base64
import io
import os
import re
from pathlib import Path
from typing import Any
from ..atomic import copy_file, sweep

__all__ = ["THUMB_WIDTH", "thumbnail_uri", "last_frame", "sync_copies"]

#: thumbnail width in pixels (shown at half that on the page, so sharp on high-DPI screens)
THUMB_WIDTH = 384
_JPEG_QUALITY = 80


def _to_rgb(img):
    if img.mode in ("RGBA", "LA", "P"):
        from PIL import Image

        img = img.convert("RGBA")
        bg = Image.new("RGB", img.size, (0, 0, 0))
        bg.paste(img, mask=img.getchannel("A"))
        return bg
    return img.convert("RGB")


def thumbnail_uri(image: Any, width: int = THUMB_WIDTH) -> str:
    """A small JPEG data URI of *image* (a path or a PIL image)."""
    from PIL import Image

    img = Image.open(image) if isinstance(image, (str, os.PathLike)) else image
    img = _to_rgb(img)
    if img.width > width:
        img = img.resize((width, max(1, round(img.height * width / img.width))), Image.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=_JPEG_QUALITY, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def last_frame(video: Path):
    """The last frame of *video* as a PIL image (for beats without an end keyframe)."""
    import av

    frame = None
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            pass
        if frame is None:
            raise ValueError(f"{video.name}: no video frames")
        return frame.to_image()


def sync_copies(folder: Path, wanted: dict[str, tuple[str, Path]], previous: dict[str, list]) -> dict[str, list]:
    """Make *folder* hold exactly ``name -> (key, source)`` of *wanted*, copying only what changed.

    *previous* is what the last call returned (``name -> [key, size, mtime_ns]``): a file whose
    key, size and mtime still match is left alone. Stale ``beat-*`` files are removed; nothing
    else in the folder is touched. Returns the new record.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sweep(folder)  # copies a killed build left half-made
    record: dict[str, list] = {}
    for name, (key, src) in wanted.items():
        dest = folder / name
        st = dest.stat() if dest.exists() else None
        if not (st and previous.get(name) == [key, st.st_size, st.st_mtime_ns]):
            copy_file(src, dest)
            st = dest.stat()
        record[name] = [key, st.st_size, st.st_mtime_ns]
    for stale in folder.iterdir():
        if stale.name not in wanted and re.fullmatch(r"beat-\d+\.(mp4|webm|png|jpg)", stale.name):
            stale.unlink(missing_ok=True)
    return record
