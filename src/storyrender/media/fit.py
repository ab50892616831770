"""Fit a still image to the board's frame the way ``output.fit`` says: ``pad`` letterboxes, ``crop`` fills."""

from __future__ import annotations

from PIL import Image

__all__ = ["flatten", "fit_image"]


def flatten(im: Image.Image) -> Image.Image:
    """RGB, any transparency composited over black."""
    if im.mode in ("RGBA", "LA", "P", "PA") or "transparency" in im.info:
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (0, 0, 0, 255))
        bg.alpha_composite(im)
        im = bg
    return im.convert("RGB")


def fit_image(im: Image.Image, width: int, height: int, fit: str = "pad") -> Image.Image:
    """*im* (RGB) at ``width x height``: scaled to fit inside and padded with black (``pad``), or scaled to
    cover and centre-cropped (``crop``), as the stitch conforms clips."""
    w, h = int(width), int(height)
    if im.size == (w, h):
        return im
    sw, sh = im.size
    scale = (max if fit == "crop" else min)(w / sw, h / sh)
    nw, nh = max(1, round(sw * scale)), max(1, round(sh * scale))
    resized = im.resize((nw, nh), Image.Resampling.LANCZOS)
    if fit == "crop":
        x, y = (nw - w) // 2, (nh - h) // 2
        return resized.crop((x, y, x + w, y + h))
    canvas = Image.new("RGB", (w, h), (0, 0, 0))
    canvas.paste(resized, ((w - nw) // 2, (h - nh) // 2))
    return canvas
