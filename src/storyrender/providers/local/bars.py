"""The bars around a scene: where they are, their fonts, and the label, time code, PREVIZ mark and
prompt drawn in them."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ...fonts import font_path
from ...text import wrap_text
from .palette import mix

PREVIZ_MARK = "PREVIZ · animatic, not AI imagery"
BAR_RGB = (17, 18, 22)


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    top: int  #: height of the top bar
    bottom: int  #: height of the bottom bar

    @property
    def band(self) -> tuple[int, int]:
        """Rows ``[y0, y1)`` of the scene band."""
        return self.top, self.height - self.bottom


def layout(width: int, height: int) -> Layout:
    """Where the bars and the scene band are for a frame of this size."""
    ref = text_scale(width, height)
    top = max(1, round(ref * 0.068))
    bottom = max(2, round(ref * 0.15))
    if top + bottom > height - 2:  # absurdly small frames: keep at least a sliver of scene
        top = max(0, height // 8)
        bottom = max(0, height // 4)
    return Layout(width, height, top, bottom)


def text_scale(width: int, height: int) -> float:
    """The height that sizes text and bars: the frame's height, but no more than a 16:9 frame's
    of the same width (so a 9:16 portrait frame gets text that fits its width)."""
    return min(float(height), width * 9.0 / 16.0 * 1.35)


@functools.lru_cache(maxsize=64)
def load_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(bold)), max(1, int(size)))


def clean_text(text: str) -> str:
    """Text safe to hand to FreeType: no lone surrogates, no control characters but newlines."""
    text = str(text).encode("utf-8", "replace").decode("utf-8", "replace")
    out = []
    for ch in text:
        if ch == "\n":
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def text_width(font: ImageFont.FreeTypeFont, text: str) -> float:
    try:
        return float(font.getlength(text))
    except Exception:  # pragma: no cover - defensive: odd glyphs never break a render
        return float(len(text) * font.size * 0.6)


def draw_bars(img: np.ndarray, prompt: str, label: str, timecode: str, accent: tuple[int, int, int]) -> np.ndarray:
    """Draw the top and bottom bars (label, time code, PREVIZ mark, prompt) onto *img* in place."""
    h, w = img.shape[:2]
    lay = layout(w, h)
    y0, y1 = lay.band
    img[:y0] = BAR_RGB
    img[y1:] = BAR_RGB
    pil = Image.fromarray(img)
    d = ImageDraw.Draw(pil)
    line_w = max(1, round(text_scale(w, h) / 360))
    if y0 > line_w * 2:
        d.rectangle([0, y0 - line_w, w, y0 - 1], fill=mix(accent, BAR_RGB, 0.35))
    if lay.bottom > line_w * 2:
        d.rectangle([0, y1, w, y1 + line_w - 1], fill=mix(accent, BAR_RGB, 0.35))
    ref = text_scale(w, h)
    pad = max(1, round(ref * 0.022))

    # top bar: label and time code on the left, the PREVIZ mark on the right
    if lay.top >= 4:
        size = max(5, round(lay.top * 0.46))
        fb, fr = load_font(size, True), load_font(size)
        ty = lay.top / 2
        left = clean_text(" ".join(label.split())).upper()
        tc = clean_text(" ".join(timecode.split()))
        x = pad
        if left:
            d.text((x, ty), left, font=fb, fill=(245, 245, 245), anchor="lm")
            x += text_width(fb, left) + size * 0.9
        if tc:
            d.text((x, ty), tc, font=fr, fill=mix(accent, (255, 255, 255), 0.35), anchor="lm")
            x += text_width(fr, tc)
        room = w - pad - (x + size)
        badge = "PREVIZ"
        rest = " · animatic, not AI imagery"
        ms = size
        while ms > 5 and text_width(load_font(ms, True), badge) + text_width(load_font(ms), rest) + ms > room:
            ms -= 1
        fbb, frr = load_font(ms, True), load_font(ms)
        if text_width(fbb, badge) + text_width(frr, rest) + ms > room:
            rest = ""  # tiny frames: keep the badge at least
        bw = text_width(fbb, badge)
        rw = text_width(frr, rest)
        bx = w - pad - rw - bw - ms * 0.8
        bpad = ms * 0.35
        d.rounded_rectangle([bx - bpad, ty - ms * 0.62, bx + bw + bpad, ty + ms * 0.62], radius=max(1, ms * 0.25),
                            fill=accent)
        d.text((bx, ty), badge, font=fbb, fill=BAR_RGB, anchor="lm")
        if rest:
            d.text((bx + bw + bpad, ty), rest, font=frr, fill=(200, 200, 200), anchor="lm")

    # bottom bar: the prompt, wrapped
    text = clean_text(prompt).strip()
    if text and lay.bottom >= 5:
        size = max(5, round(ref * 0.04))
        f = load_font(size)
        line_h = size * 1.28
        max_lines = max(1, int((lay.bottom - 2 * pad * 0.8) // line_h))
        lines = wrap_text(text, lambda t: text_width(f, t), w - 2 * pad * 2, max_lines)
        block = line_h * len(lines)
        ty = y1 + (lay.bottom - block) / 2 + line_h / 2
        for line in lines:
            d.text((pad * 2, ty), line, font=f, fill=(238, 238, 238), anchor="lm")
            ty += line_h
    img[...] = np.asarray(pil)
    return img
