"""Keyframes of the ``local`` provider: a legible animatic panel, drawn deterministically.

A frame is two layers:

* the **scene band** (the middle of the frame): a composition derived from
  ``sha256(seed, prompt)``: sky and ground gradients, a sun or moon, far and near ridges,
  and a few silhouettes chosen and placed from the prompt's words, lightly textured so that
  optical flow has something to track;
* the **overlay bars** (top and bottom, like a storyboard panel): the beat label, the time
  code, the ``PREVIZ · animatic, not AI imagery`` mark and the beat's prompt, wrapped.

Because the text lives only in the bars, the next keyframe can move the previous *scene*
like a camera would (push-in, pan, tilt, orbit...) without dragging the old text along, and
then redraw the bars with the new beat's text.

Camera vocabulary (case-insensitive substrings of the ``camera:`` hint): ``push-in`` /
``zoom-in``, ``pull-out`` / ``zoom-out``, ``pan-left``, ``pan-right``, ``tilt-up``,
``tilt-down``, ``orbit`` / ``rotate``, ``static``. Directions are those of the camera: when
the camera pans left the scene slides right in the frame; when it tilts up the scene slides
down. The size of the move grows with the beat's seconds.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ...fonts import font_path
from ...text import wrap_text

__all__ = [
    "subjects",
    "draw_keyframe",
    "next_keyframe",
    "save_png",
    "load_png",
    "camera_move",
    "camera_matrix",
    "layout",
    "PREVIZ_MARK",
]

PREVIZ_MARK = "PREVIZ · animatic, not AI imagery"
BAR_RGB = (17, 18, 22)

# --------------------------------------------------------------------------------------------
# hashing helpers


def _digest(*parts: object) -> bytes:
    h = hashlib.sha256()
    for p in parts:
        h.update(str(p).encode("utf-8", "replace"))
        h.update(b"\x00")
    return h.digest()


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(_digest(*parts)[:8], "big"))


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from *parts*."""
    return int.from_bytes(_digest(*parts)[:6], "big") / float(1 << 48)


_STOP = set(
    "a an the and or but of to in on at by for with from into onto over under up down out off as is are was "
    "were be been being it its this that these those there here then than so very just his her their our your "
    "my we you they he she him them us i me not no yes all some any each every through across toward towards "
    "while when where who whom which what how slowly quickly finally again still".split()
)


def _words(prompt: str) -> list[str]:
    """Content words of *prompt* (lower case, in order, without duplicates)."""
    seen: list[str] = []
    for w in re.findall(r"[^\W\d_]+", prompt.lower()):
        if len(w) < 3 or w in _STOP or w in seen:
            continue
        seen.append(w)
    return seen


# --------------------------------------------------------------------------------------------
# layout and fonts


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
    ref = _ref(width, height)
    top = max(1, round(ref * 0.068))
    bottom = max(2, round(ref * 0.15))
    if top + bottom > height - 2:  # absurdly small frames: keep at least a sliver of scene
        top = max(0, height // 8)
        bottom = max(0, height // 4)
    return Layout(width, height, top, bottom)


def _ref(width: int, height: int) -> float:
    """The height that sizes text and bars: the frame's height, but no more than a 16:9 frame's
    of the same width (so a 9:16 portrait frame gets text that fits its width)."""
    return min(float(height), width * 9.0 / 16.0 * 1.35)


@functools.lru_cache(maxsize=64)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(bold)), max(1, int(size)))


def _clean_text(text: str) -> str:
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


def _text_width(font: ImageFont.FreeTypeFont, text: str) -> float:
    try:
        return float(font.getlength(text))
    except Exception:  # pragma: no cover - defensive: odd glyphs never break a render
        return float(len(text) * font.size * 0.6)


# --------------------------------------------------------------------------------------------
# palettes


@dataclass(frozen=True)
class Palette:
    sky_top: tuple[int, int, int]
    sky_low: tuple[int, int, int]
    ground_far: tuple[int, int, int]
    ground_near: tuple[int, int, int]
    light: tuple[int, int, int]  #: sun / moon / glow
    accent: tuple[int, int, int]  #: UI accent and glowing details
    night: bool = False
    water: bool = False


_THEMES: dict[str, tuple[str, ...]] = {
    "night": ("night", "moon", "moonlit", "midnight", "stars", "starry", "dark", "darkness", "nocturnal"),
    "dusk": ("dusk", "sunset", "evening", "twilight", "golden", "sundown"),
    "dawn": ("dawn", "sunrise", "morning", "daybreak"),
    "space": ("space", "galaxy", "planet", "orbit", "nebula", "cosmos", "spaceship", "astronaut"),
}
_GROUNDS: dict[str, tuple[str, ...]] = {
    "forest": ("forest", "jungle", "woods", "grass", "meadow", "field", "garden", "tree", "trees", "park", "leaves"),
    "water": ("sea", "ocean", "beach", "lake", "river", "water", "waves", "wave", "shore", "harbor", "boat"),
    "sand": ("desert", "sand", "dune", "dunes", "canyon"),
    "snow": ("snow", "ice", "winter", "glacier", "frozen", "arctic", "snowy"),
    "city": ("city", "street", "streets", "building", "buildings", "urban", "town", "rooftop", "alley", "office"),
}


def _hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    import colorsys

    r, g, b = colorsys.hsv_to_rgb(h % 1.0, max(0.0, min(1.0, s)), max(0.0, min(1.0, v)))
    return (round(r * 255), round(g * 255), round(b * 255))


def _palette(prompt: str, seed: int) -> Palette:
    words = set(_words(prompt))
    u = lambda k: _unit("palette", seed, prompt, k)  # noqa: E731
    theme = next((t for t, keys in _THEMES.items() if words & set(keys)), None)
    ground = next((g for g, keys in _GROUNDS.items() if words & set(keys)), None)
    jitter = (u(0) - 0.5) * 0.06
    if theme is None:
        theme = ("day", "dusk", "dawn", "day", "overcast")[int(u(1) * 5)]
    if theme == "night":
        sky_top, sky_low = _hsv(0.64 + jitter, 0.75, 0.16), _hsv(0.62 + jitter, 0.55, 0.38)
        light, night = (236, 238, 226), True
    elif theme == "space":
        sky_top, sky_low = _hsv(0.72 + jitter, 0.7, 0.08), _hsv(0.78 + jitter, 0.55, 0.3)
        light, night = (255, 214, 170), True
    elif theme == "dusk":
        sky_top, sky_low = _hsv(0.72 + jitter, 0.55, 0.42), _hsv(0.06 + jitter, 0.62, 0.98)
        light, night = (255, 226, 170), False
    elif theme == "dawn":
        sky_top, sky_low = _hsv(0.58 + jitter, 0.45, 0.72), _hsv(0.09 + jitter, 0.35, 0.99)
        light, night = (255, 244, 214), False
    elif theme == "overcast":
        sky_top, sky_low = _hsv(0.58 + jitter, 0.12, 0.62), _hsv(0.55 + jitter, 0.08, 0.86)
        light, night = (246, 246, 240), False
    else:  # day
        sky_top, sky_low = _hsv(0.58 + jitter, 0.62, 0.86), _hsv(0.54 + jitter, 0.25, 0.98)
        light, night = (255, 250, 228), False
    dark = 0.45 if night else 1.0
    water = False
    if ground is None:
        ground = ("forest", "hills", "sand", "hills", "forest")[int(u(2) * 5)]
    gh = u(3) * 0.05
    if ground == "forest":
        gf, gn = _hsv(0.30 + gh, 0.45, 0.50 * dark), _hsv(0.27 + gh, 0.55, 0.26 * dark)
    elif ground == "water":
        gf, gn = _hsv(0.55 + gh, 0.55, 0.62 * dark), _hsv(0.58 + gh, 0.7, 0.3 * dark)
        water = True
    elif ground == "sand":
        gf, gn = _hsv(0.09 + gh, 0.45, 0.86 * dark), _hsv(0.07 + gh, 0.55, 0.55 * dark)
    elif ground == "snow":
        gf, gn = _hsv(0.58 + gh, 0.08, 0.95 * dark), _hsv(0.6 + gh, 0.15, 0.72 * dark)
    elif ground == "city":
        gf, gn = _hsv(0.62 + gh, 0.12, 0.45 * dark), _hsv(0.62 + gh, 0.15, 0.22 * dark)
    else:  # hills
        gf, gn = _hsv(0.2 + gh, 0.35, 0.55 * dark), _hsv(0.16 + gh, 0.45, 0.3 * dark)
    accent = _hsv(u(4), 0.55, 1.0) if not night else _hsv(0.13 + u(4) * 0.1, 0.6, 1.0)
    return Palette(sky_top, sky_low, gf, gn, light, accent, night, water)


# --------------------------------------------------------------------------------------------
# scene


_ANIMALS = ("cat", "kitten", "dog", "puppy", "fox", "wolf", "rabbit", "bear", "deer", "horse", "creature",
            "dragon", "lion", "tiger", "cow", "sheep", "goat", "animal")
_FIGURES = ("person", "man", "woman", "girl", "boy", "child", "kid", "hero", "robot", "knight", "king", "queen",
            "friend", "runner", "dancer", "traveler", "traveller", "explorer", "detective", "soldier", "wizard",
            "witch", "people", "crowd", "family", "character", "stranger", "astronaut", "pilot", "chef")
_TREES = ("tree", "trees", "forest", "woods", "oak", "pine", "jungle", "garden", "park", "leaves", "branch")
_BUILDINGS = ("house", "home", "city", "building", "buildings", "castle", "tower", "street", "shop", "cabin",
              "church", "temple", "village", "town", "factory", "station", "skyscraper", "door", "window")
_GLOWS = ("glowing", "glow", "light", "lights", "lamp", "lantern", "star", "fire", "magic", "magical",
          "crystal", "orb", "spark", "sparks", "firefly", "fireflies", "sun", "moon", "heart", "gem", "neon")
_ROCKS = ("rock", "rocks", "stone", "stones", "boulder", "mountain", "mountains", "cliff", "hill", "hills")


def _kind(word: str, seed: int, water: bool = False) -> str:
    for kind, keys in (("animal", _ANIMALS), ("figure", _FIGURES), ("tree", _TREES), ("building", _BUILDINGS), ("glow", _GLOWS),
                       ("rock", _ROCKS)):
        if word in keys:
            return kind
    if len(word) > 4 and word.endswith(("er", "or", "ist", "ian")) and not word.endswith(("ower", "ater", "ther")):
        return "figure"  # keeper, sailor, scientist, guardian...
    if water:
        return ("rock", "spire", "building", "glow", "rock")[int(_unit("kind", seed, word) * 5)]
    return ("tree", "rock", "building", "glow", "tree", "spire", "rock")[int(_unit("kind", seed, word) * 7)]


def subjects(prompt: str, limit: int = 3) -> list[tuple[str, str]]:
    """The characters and subjects *prompt* names, as ``(label, kind)`` with kind ``animal`` or ``figure``.

    A character is a name the composed prompt introduces ("Sam is a small green dragon", "Mia: a cat"); a subject
    is a creature or person word (cat, fox, woman, robot, ...). Characters first, then subjects; at most *limit*.
    """
    found: list[tuple[str, str]] = []
    for m in re.finditer(r"(?:^|[.;]\s*)([^\W\d_][\w'-]{0,30})(?: is (?:a|an|the) |: )([^.]*)", prompt):
        name, desc = m.group(1), m.group(2).lower()
        kind = "animal" if any(re.search(rf"\b{a}\b", desc) for a in _ANIMALS) else "figure"
        if name.lower() not in _STOP and all(name.lower() != f[0].lower() for f in found):
            found.append((name, kind))
    described = " ".join(m.group(1).lower() for m in re.finditer(r"(?: is (?:a|an|the) |: )([^.]*)", prompt))
    for word in _words(prompt):
        kind = "animal" if word in _ANIMALS else "figure" if word in _FIGURES else None
        if kind and not re.search(rf"\b{word}\b", described) and all(word != f[0].lower() for f in found):
            found.append((word, kind))
    return found[:limit]


def _mark_subjects(band: np.ndarray, prompt: str, seed: int, pal: "Palette") -> np.ndarray:
    """Draw each of :func:`subjects` as a silhouette standing on the ground with its name above it, so a previz
    shows who is in the shot and where (blocking), not only a landscape."""
    found = subjects(prompt)
    if not found:
        return band
    h, w = band.shape[:2]
    im = Image.fromarray(band)
    d = ImageDraw.Draw(im)
    size = max(6.0, h * 0.34)
    font = _font(max(7, int(h * 0.075)), True)
    ink = (18, 18, 22) if not pal.night else (8, 8, 12)
    for i, (label, kind) in enumerate(found):
        cx = w * (i + 1) / (len(found) + 1) + (_unit("mark-x", seed, label) - 0.5) * w * 0.08
        base = h * (0.86 + 0.06 * _unit("mark-y", seed, label))
        _draw_element(d, kind, cx, base, size, ink, pal.accent, _rng("mark", seed, label))
        text = _clean_text(label).upper()[:18]
        ty = max(1.0, base - size * 1.15)
        d.text((cx, ty), text, font=font, fill=(250, 250, 250), anchor="mb", stroke_width=max(1, int(h * 0.008)),
               stroke_fill=(0, 0, 0))
    return np.asarray(im, dtype=np.uint8).copy()


def _gradient(h: int, w: int, top: tuple[int, int, int], low: tuple[int, int, int], gamma: float = 1.0):
    t = np.linspace(0.0, 1.0, max(1, h), dtype=np.float32)[:, None] ** gamma
    a, b = np.array(top, np.float32), np.array(low, np.float32)
    col = a[None, :] * (1 - t) + b[None, :] * t  # (h, 3)
    return np.broadcast_to(col[:, None, :], (h, w, 3)).copy()


def _noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Smooth value noise in [-1, 1], (h, w) float32."""
    import cv2

    ch = max(2, cells)
    cw = max(2, round(cells * w / max(1, h)))
    small = rng.uniform(-1, 1, size=(ch, cw)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _ridge(rng: np.random.Generator, w: int, base: float, amp: float, octaves: int = 4) -> np.ndarray:
    x = np.linspace(0, 1, w, dtype=np.float64)
    y = np.full(w, base)
    for o in range(octaves):
        f = 1.5 * (2.1**o)
        y += amp / (1.8**o) * np.sin(2 * math.pi * (f * x + rng.uniform(0, 1)))
    return y


def _mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(int(round(a[i] * (1 - t) + b[i] * t)) for i in range(3))  # type: ignore[return-value]


def _draw_element(d: ImageDraw.ImageDraw, kind: str, cx: float, base: float, size: float,
                  fill: tuple[int, int, int], glow: tuple[int, int, int], rng: np.random.Generator) -> None:
    s = size
    if kind == "tree":
        trunk_w = s * 0.08
        d.rectangle([cx - trunk_w, base - s * 0.6, cx + trunk_w, base], fill=fill)
        if rng.uniform() < 0.5:  # conifer: stacked triangles
            for i in range(3):
                y0 = base - s * (0.25 + 0.25 * i)
                hw = s * (0.38 - 0.09 * i)
                d.polygon([(cx - hw, y0), (cx + hw, y0), (cx, y0 - s * 0.42)], fill=fill)
        else:  # broadleaf: overlapping blobs
            for _ in range(5):
                ox, oy = rng.uniform(-0.25, 0.25) * s, rng.uniform(-0.85, -0.55) * s
                r = s * rng.uniform(0.18, 0.28)
                d.ellipse([cx + ox - r, base + oy - r, cx + ox + r, base + oy + r], fill=fill)
    elif kind == "rock":
        pts = []
        n = 9
        for i in range(n + 1):
            a = math.pi * i / n
            r = s * 0.5 * rng.uniform(0.7, 1.0)
            pts.append((cx - math.cos(a) * r * 1.3, base - math.sin(a) * r * 0.8))
        d.polygon(pts, fill=fill)
    elif kind == "building":
        bw, bh = s * rng.uniform(0.35, 0.55), s * rng.uniform(0.7, 1.2)
        d.rectangle([cx - bw / 2, base - bh, cx + bw / 2, base], fill=fill)
        if rng.uniform() < 0.5:
            d.polygon([(cx - bw * 0.6, base - bh), (cx + bw * 0.6, base - bh), (cx, base - bh - bw * 0.5)], fill=fill)
        cols, rows = 3, max(2, int(bh / (bw / 3) * 0.7))
        ww, wh = bw / (cols * 2 + 1), bh / (rows * 2 + 1)
        for r in range(rows):
            for c in range(cols):
                if rng.uniform() < 0.55:
                    x0 = cx - bw / 2 + ww * (1 + 2 * c)
                    y0 = base - bh + wh * (1 + 2 * r)
                    d.rectangle([x0, y0, x0 + ww, y0 + wh], fill=glow)
    elif kind == "spire":
        d.polygon([(cx - s * 0.12, base), (cx + s * 0.12, base), (cx, base - s * 1.3)], fill=fill)
        d.ellipse([cx - s * 0.08, base - s * 1.0, cx + s * 0.08, base - s * 0.84], fill=glow)
    elif kind == "glow":
        # a lantern on a post
        r = s * 0.07
        cy = base - s * 0.8
        d.line([(cx, cy), (cx, base)], fill=fill, width=max(1, int(s * 0.035)))
        d.line([(cx, cy - r * 1.2), (cx + r * 2.2, cy - r * 1.2)], fill=fill, width=max(1, int(s * 0.03)))
        d.ellipse([cx + r * 2.2 - r, cy - r * 0.6, cx + r * 2.2 + r, cy + r * 1.4], fill=glow)
    else:  # figure: a simple standing silhouette (head, body, legs) or a four-legged animal
        if kind == "figure":
            h = s * 0.9
            head = h * 0.13
            d.ellipse([cx - head, base - h, cx + head, base - h + 2 * head], fill=fill)
            d.polygon([(cx - h * 0.16, base - h * 0.72), (cx + h * 0.16, base - h * 0.72),
                       (cx + h * 0.12, base - h * 0.3), (cx - h * 0.12, base - h * 0.3)], fill=fill)
            lw = max(1, int(h * 0.07))
            d.line([(cx - h * 0.06, base - h * 0.32), (cx - h * 0.1, base)], fill=fill, width=lw)
            d.line([(cx + h * 0.06, base - h * 0.32), (cx + h * 0.1, base)], fill=fill, width=lw)
        else:
            bl, bh = s * 0.55, s * 0.2
            by = base - s * 0.22
            d.ellipse([cx - bl / 2, by - bh, cx + bl / 2, by + bh * 0.4], fill=fill)
            hr = s * 0.11
            d.ellipse([cx + bl * 0.38 - hr, by - bh * 1.6 - hr, cx + bl * 0.38 + hr, by - bh * 1.6 + hr], fill=fill)
            d.polygon([(cx + bl * 0.33, by - bh * 2.2), (cx + bl * 0.38, by - bh * 1.6), (cx + bl * 0.28, by - bh * 1.7)],
                      fill=fill)
            d.polygon([(cx + bl * 0.45, by - bh * 2.2), (cx + bl * 0.48, by - bh * 1.6), (cx + bl * 0.38, by - bh * 1.7)],
                      fill=fill)
            lw = max(1, int(s * 0.04))
            for lx in (-0.32, -0.18, 0.18, 0.3):
                d.line([(cx + bl * lx, by), (cx + bl * lx, base)], fill=fill, width=lw)
            d.line([(cx - bl * 0.48, by - bh * 0.2), (cx - bl * 0.75, by - bh * 1.8)], fill=fill, width=lw)


def _elements_layer(words: list[str], seed: int, w: int, h: int, pal: Palette, horizon: float,
                    *, count: int, salt: str, ss: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """RGB and alpha (float32 0..1) of silhouettes for *words*, drawn supersampled by *ss*."""
    W, H = w * ss, h * ss
    rgb = Image.new("RGB", (W, H), (0, 0, 0))
    alpha = Image.new("L", (W, H), 0)
    dr, da = ImageDraw.Draw(rgb), ImageDraw.Draw(alpha)
    chosen = words[:count] if words else []
    if not chosen:
        chosen = [f"thing{i}" for i in range(min(count, 2))]
    placed: list[float] = []
    for i, word in enumerate(chosen):
        u = lambda k: _unit(salt, seed, word, i, k)  # noqa: E731
        depth = 0.25 + 0.75 * u(0)  # 0 far .. 1 near
        # spread horizontally: avoid stacking two silhouettes on the same spot
        x = 0.08 + 0.84 * u(1)
        for _ in range(6):
            if all(abs(x - p) > 0.14 for p in placed):
                break
            x = (x + 0.37) % 0.92 + 0.04
        placed.append(x)
        base = (horizon + (1 - horizon) * (0.1 + 0.8 * depth)) * H
        size = min(H, W * 0.6) * (0.18 + 0.32 * depth)
        shade = 0.75 - 0.55 * depth
        fill = _mix(pal.ground_near, pal.sky_low, shade * (0.6 if not pal.night else 0.4))
        fill = _mix(fill, (0, 0, 0), 0.35 + 0.2 * depth)
        glow = _mix(pal.light, pal.accent, 0.4)
        rng = _rng(salt, seed, word, i, "shape")
        kind = _kind(word, seed, pal.water)
        _draw_element(dr, kind, x * W, base, size, fill, glow, rng)
        _draw_element(da, kind, x * W, base, size, 255, 255, _rng(salt, seed, word, i, "shape"))  # type: ignore[arg-type]
    if ss > 1:
        rgb = rgb.resize((w, h), Image.Resampling.BOX)
        alpha = alpha.resize((w, h), Image.Resampling.BOX)
    a = np.asarray(alpha, dtype=np.float32) / 255.0
    return np.asarray(rgb, dtype=np.float32), a


def _scene(prompt: str, seed: int, w: int, h: int) -> np.ndarray:
    """The scene band (h, w, 3) uint8 for *prompt* and *seed*."""
    import cv2

    pal = _palette(prompt, seed)
    rng = _rng("scene", seed, prompt)
    words = _words(prompt)
    horizon = 0.52 + 0.14 * _unit("horizon", seed, prompt)
    hy = max(1, int(h * horizon))

    img = np.empty((h, w, 3), np.float32)
    img[:hy] = _gradient(hy, w, pal.sky_top, pal.sky_low, gamma=0.8)
    img[hy:] = _gradient(h - hy, w, pal.ground_far, pal.ground_near, gamma=0.7)

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # sun / moon with a soft glow
    sx = w * (0.15 + 0.7 * _unit("sun", seed, prompt))
    sy = h * horizon * (0.3 + 0.45 * _unit("sun-y", seed, prompt))
    r = max(1.0, h * (0.06 if pal.night else 0.075))
    dist = np.sqrt((xx - sx) ** 2 + (yy - sy) ** 2)
    glow = np.exp(-((dist / (r * 5)) ** 2))[..., None] * (0.35 if pal.night else 0.5)
    disc = np.clip(r + 0.75 - dist, 0, 1)[..., None]
    light = np.array(pal.light, np.float32)
    img = img * (1 - glow) + light * glow
    sky_mask = (yy < hy)[..., None].astype(np.float32)
    if pal.night:  # stars
        n = int(w * h / 900)
        ys, xs = rng.integers(0, max(1, hy), n), rng.integers(0, w, n)
        bright = rng.uniform(120, 255, n).astype(np.float32)
        stars = np.zeros((h, w), np.float32)
        stars[ys, xs] = bright
        stars = cv2.GaussianBlur(stars, (0, 0), max(0.4, h / 900))
        img = img + stars[..., None] * 1.4 * sky_mask
    else:  # soft clouds
        clouds = _noise(rng, h, w, 4) * 0.6 + _noise(rng, h, w, 9) * 0.4
        clouds = np.clip((clouds - 0.15) * 2.2, 0, 1) * np.clip((hy - yy) / (h * 0.25), 0, 1)
        img = img * (1 - clouds[..., None] * 0.45) + light * clouds[..., None] * 0.45
    img = img * (1 - disc) + light * disc

    # far mountains (hazy, between their ridge and the horizon), then nearer hills fading into the ground
    far = _ridge(rng, w, horizon - 0.07, 0.07).astype(np.float32) * h
    mask = (np.clip(yy - far[None, :] + 0.5, 0, 1) * (yy < hy))[..., None]
    col = np.array(_mix(pal.ground_near, pal.sky_low, 0.55), np.float32)
    img = img * (1 - mask) + _gradient(h, w, tuple(col * 1.08), tuple(col * 0.9)) * mask
    if not pal.water:
        near = _ridge(rng, w, horizon - 0.015, 0.03).astype(np.float32) * h
        fade = np.clip(1 - (yy - hy) / (h * 0.2), 0, 1)
        mask = (np.clip(yy - near[None, :] + 0.5, 0, 1) * fade)[..., None]
        col = np.array(_mix(pal.ground_far, pal.ground_near, 0.5), np.float32)
        img = img * (1 - mask * 0.85) + col * mask * 0.85
    if pal.water:  # horizontal shimmer on the water
        streak = _noise(rng, h, w, 3)
        lines = (np.sin(yy * (40.0 / max(1.0, h * 0.1)) + streak * 6) * 0.5 + 0.5) ** 8
        img = img + (lines * (yy > hy))[..., None] * 30.0

    # silhouettes from the words
    ergb, ea = _elements_layer(words, seed, w, h, pal, horizon, count=min(5, max(3, len(words))), salt="scene")
    img = img * (1 - ea[..., None]) + ergb * ea[..., None]

    # texture: mottling + fine grain, so flow can track and flat areas don't band
    mott = _noise(rng, h, w, 14) * 0.05 + _noise(rng, h, w, 40) * 0.03
    img = img * (1 + mott[..., None])
    grain = rng.normal(0, 2.2, size=(h, w, 1)).astype(np.float32)
    img = img + grain
    # vignette
    vx = (xx / max(1, w - 1) - 0.5) * 2
    vy = (yy / max(1, h - 1) - 0.5) * 2
    vig = 1 - 0.22 * np.clip(vx**2 * 0.6 + vy**2 * 0.5, 0, 1.5)
    img = img * vig[..., None]
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------
# overlay


def _overlay(img: np.ndarray, prompt: str, label: str, timecode: str, accent: tuple[int, int, int]) -> np.ndarray:
    """Draw the top and bottom bars (label, time code, PREVIZ mark, prompt) onto *img* in place."""
    h, w = img.shape[:2]
    lay = layout(w, h)
    y0, y1 = lay.band
    img[:y0] = BAR_RGB
    img[y1:] = BAR_RGB
    pil = Image.fromarray(img)
    d = ImageDraw.Draw(pil)
    line_w = max(1, round(_ref(w, h) / 360))
    if y0 > line_w * 2:
        d.rectangle([0, y0 - line_w, w, y0 - 1], fill=_mix(accent, BAR_RGB, 0.35))
    if lay.bottom > line_w * 2:
        d.rectangle([0, y1, w, y1 + line_w - 1], fill=_mix(accent, BAR_RGB, 0.35))
    ref = _ref(w, h)
    pad = max(1, round(ref * 0.022))

    # top bar: label and time code on the left, the PREVIZ mark on the right
    if lay.top >= 4:
        size = max(5, round(lay.top * 0.46))
        fb, fr = _font(size, True), _font(size)
        ty = lay.top / 2
        left = _clean_text(" ".join(label.split())).upper()
        tc = _clean_text(" ".join(timecode.split()))
        x = pad
        if left:
            d.text((x, ty), left, font=fb, fill=(245, 245, 245), anchor="lm")
            x += _text_width(fb, left) + size * 0.9
        if tc:
            d.text((x, ty), tc, font=fr, fill=_mix(accent, (255, 255, 255), 0.35), anchor="lm")
            x += _text_width(fr, tc)
        room = w - pad - (x + size)
        badge = "PREVIZ"
        rest = " · animatic, not AI imagery"
        ms = size
        while ms > 5 and _text_width(_font(ms, True), badge) + _text_width(_font(ms), rest) + ms > room:
            ms -= 1
        fbb, frr = _font(ms, True), _font(ms)
        if _text_width(fbb, badge) + _text_width(frr, rest) + ms > room:
            rest = ""  # tiny frames: keep the badge at least
        bw = _text_width(fbb, badge)
        rw = _text_width(frr, rest)
        bx = w - pad - rw - bw - ms * 0.8
        bpad = ms * 0.35
        d.rounded_rectangle([bx - bpad, ty - ms * 0.62, bx + bw + bpad, ty + ms * 0.62], radius=max(1, ms * 0.25),
                            fill=accent)
        d.text((bx, ty), badge, font=fbb, fill=BAR_RGB, anchor="lm")
        if rest:
            d.text((bx + bw + bpad, ty), rest, font=frr, fill=(200, 200, 200), anchor="lm")

    # bottom bar: the prompt, wrapped
    text = _clean_text(prompt).strip()
    if text and lay.bottom >= 5:
        size = max(5, round(ref * 0.04))
        f = _font(size)
        line_h = size * 1.28
        max_lines = max(1, int((lay.bottom - 2 * pad * 0.8) // line_h))
        lines = wrap_text(text, lambda t: _text_width(f, t), w - 2 * pad * 2, max_lines)
        block = line_h * len(lines)
        ty = y1 + (lay.bottom - block) / 2 + line_h / 2
        for line in lines:
            d.text((pad * 2, ty), line, font=f, fill=(238, 238, 238), anchor="lm")
            ty += line_h
    img[...] = np.asarray(pil)
    return img


# --------------------------------------------------------------------------------------------
# camera moves


_CAMERA_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("static", ("static", "locked", "still", "hold")),
    ("push-in", ("push-in", "push in", "pushin", "zoom-in", "zoom in", "zoomin", "dolly-in", "dolly in")),
    ("pull-out", ("pull-out", "pull out", "pullout", "zoom-out", "zoom out", "zoomout", "dolly-out", "dolly out",
                  "pull-back", "pull back")),
    ("pan-left", ("pan-left", "pan left", "panleft")),
    ("pan-right", ("pan-right", "pan right", "panright")),
    ("tilt-up", ("tilt-up", "tilt up", "tiltup")),
    ("tilt-down", ("tilt-down", "tilt down", "tiltdown")),
    ("orbit", ("orbit", "rotate", "rotation", "arc")),
)
_DEFAULT_MOVES = ("push-in", "pan-right", "pan-left", "pull-out", "tilt-up", "push-in")


def camera_move(camera: str | None, seed: int, prompt: str = "") -> tuple[str, float]:
    """The move named by the free-text *camera* hint, and a strength factor (1 = as asked).

    With no recognised hint, a gentle move (half strength) picked from the seed and prompt.
    """
    text = (camera or "").lower().replace("_", "-")
    for name, keys in _CAMERA_WORDS:
        if any(k in text for k in keys):
            return name, 1.0
    return _DEFAULT_MOVES[int(_unit("move", seed, prompt) * len(_DEFAULT_MOVES))], 0.5


def camera_matrix(move: str, strength: float, seconds: float, w: int, h: int, t: float = 1.0) -> np.ndarray:
    """2x3 affine that maps the previous scene band (w x h) to the next, *t* of the way (0..1)."""
    secs = max(0.0, float(seconds))
    amount = strength * min(1.0, secs / 5.0) * t  # a 5 s beat gets the full move
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    scale, angle, dx, dy = 1.0, 0.0, 0.0, 0.0
    if move == "push-in":
        scale = 1.0 + 0.28 * amount
    elif move == "pull-out":
        scale = 1.0 / (1.0 + 0.28 * amount)
    elif move == "pan-left":  # camera turns left: the scene slides right
        dx = 0.22 * w * amount
    elif move == "pan-right":
        dx = -0.22 * w * amount
    elif move == "tilt-up":  # camera tilts up: the scene slides down
        dy = 0.2 * h * amount
    elif move == "tilt-down":
        dy = -0.2 * h * amount
    elif move == "orbit":
        angle = 5.0 * amount
        dx = -0.12 * w * amount
        # zoom enough to keep the rotated corners covered
        rad = math.radians(abs(angle))
        scale = math.cos(rad) + math.sin(rad) * max(w / max(1, h), h / max(1, w))
    m = _rotation(cx, cy, angle, scale)
    m[0, 2] += dx
    m[1, 2] += dy
    return m


def _rotation(cx: float, cy: float, angle: float, scale: float) -> np.ndarray:
    import cv2

    return cv2.getRotationMatrix2D((cx, cy), angle, scale).astype(np.float64)


def _warp(scene: np.ndarray, m: np.ndarray) -> np.ndarray:
    import cv2

    h, w = scene.shape[:2]
    return cv2.warpAffine(scene, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)


# --------------------------------------------------------------------------------------------
# public API


def _check_size(width: int, height: int) -> tuple[int, int]:
    w, h = int(width), int(height)
    if w < 2 or h < 2:
        raise ValueError(f"keyframe size {w}x{h} is too small (at least 2x2)")
    return w, h


def draw_keyframe(prompt: str, seed: int, width: int, height: int, *, label: str, timecode: str) -> np.ndarray:
    """Keyframe 0: a previz panel for *prompt* (RGB uint8, shape (height, width, 3))."""
    w, h = _check_size(width, height)
    prompt = _clean_text(prompt or "")
    lay = layout(w, h)
    y0, y1 = lay.band
    img = np.empty((h, w, 3), np.uint8)
    pal = _palette(prompt, int(seed))
    img[y0:y1] = _mark_subjects(_scene(prompt, int(seed), w, max(1, y1 - y0))[: y1 - y0], prompt, int(seed), pal)
    return _overlay(img, prompt, label or "", timecode or "", pal.accent)


#: how much of the previous keyframe (moved by the camera) a next keyframe keeps; the rest is drawn fresh from its
#: own prompt in the same camera move, so keyframe k holds keyframe k-j's scenery at weight CARRY**j: continuity from
#: beat to beat, but no resampled copy of a resampled copy. The subjects' silhouettes and name labels are never
#: carried: they are taken out of the previous panel (:func:`_without_marks`) and drawn at full strength on the
#: blend, so a panel shows who is in *this* beat, not the ghosts of who was in the last ones.
CARRY = 0.55


def _without_marks(band: np.ndarray) -> np.ndarray:
    """*band* with the subject marks (:func:`_mark_subjects`: near-black silhouettes, white labels with a black
    stroke) painted over from their surroundings."""
    import cv2  # only the chained keyframe needs it

    lo, hi = band.min(axis=2), band.max(axis=2)
    mask = ((lo >= 238) | (hi <= 26)).astype(np.uint8)
    if not mask.any():
        return band
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8), iterations=max(1, band.shape[0] // 120))
    return cv2.inpaint(np.ascontiguousarray(band), mask, 3, cv2.INPAINT_TELEA)


def next_keyframe(previous: np.ndarray, prompt: str, seed: int, *, camera: str | None, seconds: float, label: str,
                  timecode: str) -> np.ndarray:
    """The keyframe *seconds* after *previous*: the camera's move of the previous scenery, blended with the new
    prompt's scenery drawn fresh and moved the same way (see :data:`CARRY`), this prompt's subjects marked on top
    (:func:`subjects`), new text."""
    prev = np.ascontiguousarray(previous[..., :3], dtype=np.uint8)
    h, w = prev.shape[:2]
    _check_size(w, h)
    prompt = _clean_text(prompt or "")
    lay = layout(w, h)
    y0, y1 = lay.band
    bh = y1 - y0
    scene = _without_marks(prev[y0:y1]) if bh > 1 else prev[y0:y1]
    pal = _palette(prompt, int(seed))
    fresh = _scene(prompt, int(seed), w, max(1, bh))[:bh]
    marked = _mark_subjects(fresh, prompt, int(seed), pal)
    marks = np.any(marked != fresh, axis=2).astype(np.float32)
    move, strength = camera_move(camera, int(seed), prompt)
    if move != "static" and bh > 1:
        m = camera_matrix(move, strength, seconds, w, bh)
        scene, fresh, marked = _warp(scene, m), _warp(fresh, m), _warp(marked, m)
        marks = _warp((marks * 255).astype(np.uint8)[..., None].repeat(3, axis=2), m)[..., 0] / 255.0
    else:
        scene = scene.copy()
    out = CARRY * scene.astype(np.float32) + (1 - CARRY) * fresh.astype(np.float32)
    out = out * (1 - marks[..., None]) + marked.astype(np.float32) * marks[..., None]
    img = np.empty((h, w, 3), np.uint8)
    img[y0:y1] = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return _overlay(img, prompt, label or "", timecode or "", pal.accent)


def save_png(img: np.ndarray, path) -> None:
    """Write *img* (RGB uint8) as a PNG with no metadata, so equal pixels give equal bytes."""
    arr = np.ascontiguousarray(img[..., :3], dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, format="PNG", optimize=False, compress_level=6)
    Path(path).write_bytes(buf.getvalue())


def load_png(path, width: int, height: int, fit: str = "pad") -> np.ndarray:
    """Read any image as RGB uint8 (height, width, 3), fitted to that size (``pad``: letterboxed, ``crop``:
    filled) when it differs."""
    from ...media.fit import fit_image, flatten

    with Image.open(path) as im:
        im.load()
        rgb = flatten(im)
    return np.asarray(fit_image(rgb, width, height, fit), dtype=np.uint8).copy()
