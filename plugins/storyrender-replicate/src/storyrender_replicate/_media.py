"""Small checks and conversions of what a vendor returns (no network here)."""

from __future__ import annotations

import io
import math
from pathlib import Path

__all__ = ["save_image", "check_video", "nearest_aspect", "aspect_of"]


def aspect_of(width: int, height: int) -> str:
    g = math.gcd(width, height) or 1
    return f"{width // g}:{height // g}"


def nearest_aspect(width: int, height: int, choices: tuple[str, ...]) -> str:
    """The ratio in *choices* ("W:H") closest to width/height (compared on a log scale)."""
    target = math.log(width / height)

    def distance(choice: str) -> float:
        w, h = (float(x) for x in choice.split(":"))
        return abs(math.log(w / h) - target)

    return min(choices, key=distance)


def save_image(data: bytes, path: Path, width: int, height: int) -> dict:
    """Decode *data* (any format Pillow reads), fit it to width x height by scaling to cover and
    cropping the centre, and save it as PNG at *path*.

    :returns: facts for the manifest (the size the vendor returned).
    :raises ValueError: when *data* is not an image.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            native = img.size
            rgb = img.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"the returned file is not an image ({len(data)} bytes)") from exc
    if rgb.size != (width, height):
        scale = max(width / rgb.width, height / rgb.height)
        size = (max(width, round(rgb.width * scale)), max(height, round(rgb.height * scale)))
        rgb = rgb.resize(size, Image.LANCZOS)
        left = (rgb.width - width) // 2
        top = (rgb.height - height) // 2
        rgb = rgb.crop((left, top, left + width, top + height))
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb.save(path, format="PNG")
    return {"native_size": [native[0], native[1]]}


def check_video(data: bytes) -> str:
    """The container of *data* ("mp4" or "webm").

    :raises ValueError: when *data* is neither.
    """
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return "mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    raise ValueError(f"the returned file is not an MP4 or WebM video ({len(data)} bytes)")
