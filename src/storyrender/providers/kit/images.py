"""Sizes, ratios and images: what to send a vendor, and its answer fitted to the board's size."""

from __future__ import annotations

import base64
import io
import math
import mimetypes
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import ProviderError
from .files import atomic_output

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# -- sizes and ratios ---------------------------------------------------------------------------


def aspect_of(width: int, height: int) -> str:
    """``"W:H"`` in lowest terms (1280 x 720 -> ``"16:9"``)."""
    g = math.gcd(width, height) or 1
    return f"{width // g}:{height // g}"


def nearest_aspect(width: int, height: int, choices: tuple[str, ...]) -> str:
    """The ratio in *choices* (``"W:H"``) closest to width/height, compared on a log scale;
    the first of equally close ones."""
    target = math.log(width / height)

    def distance(choice: str) -> float:
        w, h = (float(x) for x in choice.split(":"))
        return abs(math.log(w / h) - target)

    return min(choices, key=distance)


# -- images -------------------------------------------------------------------------------------


def png_bytes(path: str | os.PathLike) -> bytes:
    """The file at *path* as PNG bytes: PNG files as they are, others re-encoded (RGB, or RGBA
    when the image has alpha)."""
    from PIL import Image

    data = Path(path).read_bytes()
    if data[:8] == _PNG_MAGIC:
        return data
    with Image.open(io.BytesIO(data)) as img:
        out = io.BytesIO()
        img.convert("RGBA" if "A" in img.getbands() else "RGB").save(out, format="PNG")
        return out.getvalue()


def data_uri(source: str | os.PathLike | bytes, mime: str | None = None) -> str:
    """A ``data:`` URI of a file or of bytes. *mime* defaults to the one the file name implies
    (``image/png`` when it implies none, and for bytes)."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        mime = mime or "image/png"
    else:
        data = Path(source).read_bytes()
        mime = mime or mimetypes.guess_type(str(source))[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _decode(data: bytes) -> "Image":
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ValueError(f"the returned file is not an image ({len(data)} bytes)") from exc
    return img


def fit_image(image: "bytes | Image", width: int, height: int) -> "Image":
    """An RGB image of exactly *width* x *height*: *image* (encoded bytes or a Pillow image)
    scaled to cover that size, then centre-cropped. Transparent parts become black.

    :raises ValueError: when *image* is bytes Pillow cannot decode.
    """
    from PIL import Image, ImageOps

    img = _decode(image) if isinstance(image, (bytes, bytearray)) else image
    if img.mode != "RGB":
        if "A" in img.getbands():
            rgba = img.convert("RGBA")
            base = Image.new("RGB", img.size, (0, 0, 0))
            base.paste(rgba, mask=rgba.getchannel("A"))
            img = base
        else:
            img = img.convert("RGB")
    if img.size == (width, height):
        return img
    return ImageOps.fit(img, (width, height), method=Image.Resampling.LANCZOS)


def save_png_fitted(data: bytes, path: str | os.PathLike, width: int, height: int, *, who: str,
                    job_id: str | None = None) -> dict[str, Any]:
    """Decode *data* (any format Pillow reads), :func:`fit_image` it to width x height and write it
    as a PNG at *path* through a temporary file (nothing is left at *path* on failure).

    :param who: names the vendor and model in errors (``"fal/fal-ai/flux"``).
    :returns: ``{"native_size": [w, h]}``, the size the vendor returned, for the manifest.
    :raises ProviderError: when *data* is not an image.
    """
    try:
        img = _decode(data)
    except ValueError as exc:
        raise ProviderError(f"{who}: {exc}", job_id=job_id) from None
    native = img.size
    fitted = fit_image(img, width, height)
    with atomic_output(path, ".png") as tmp:
        fitted.save(tmp, format="PNG")
    return {"native_size": [native[0], native[1]]}

