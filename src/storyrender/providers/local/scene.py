"""The scene band: sky, light, ground and silhouettes from a prompt's words, and the subjects it names
marked as labelled silhouettes."""

from __future__ import annotations

import math
import re

import numpy as np
from PIL import Image, ImageDraw

from .bars import clean_text, load_font
from .palette import Palette, mix, palette_for
from .seeds import STOP_WORDS, content_words, seeded_rng, seeded_unit


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
        return ("rock", "spire", "building", "glow", "rock")[int(seeded_unit("kind", seed, word) * 5)]
    return ("tree", "rock", "building", "glow", "tree", "spire", "rock")[int(seeded_unit("kind", seed, word) * 7)]


def subjects(prompt: str, limit: int = 3) -> list[tuple[str, str]]:
    """The characters and subjects *prompt* names, as ``(label, kind)`` with kind ``animal`` or ``figure``.

    A character is a name the composed prompt introduces ("Sam is a small green dragon", "Mia: a cat"); a subject
    is a creature or person word (cat, fox, woman, robot, ...). Characters first, then subjects; at most *limit*.
    """
    found: list[tuple[str, str]] = []
    for m in re.finditer(r"(?:^|[.;]\s*)([^\W\d_][\w'-]{0,30})(?: is (?:a|an|the) |: )([^.]*)", prompt):
        name, desc = m.group(1), m.group(2).lower()
        kind = "animal" if any(re.search(rf"\b{a}\b", desc) for a in _ANIMALS) else "figure"
        if name.lower() not in STOP_WORDS and all(name.lower() != f[0].lower() for f in found):
            found.append((name, kind))
    described = " ".join(m.group(1).lower() for m in re.finditer(r"(?: is (?:a|an|the) |: )([^.]*)", prompt))
    for word in content_words(prompt):
        kind = "animal" if word in _ANIMALS else "figure" if word in _FIGURES else None
        if kind and not re.search(rf"\b{word}\b", described) and all(word != f[0].lower() for f in found):
            found.append((word, kind))
    return found[:limit]


def mark_subjects(band: np.ndarray, prompt: str, seed: int, pal: "Palette") -> np.ndarray:
    """Draw each of :func:`subjects` as a silhouette standing on the ground with its name above it, so a previz
    shows who is in the shot and where (blocking), not only a landscape."""
    found = subjects(prompt)
    if not found:
        return band
    h, w = band.shape[:2]
    im = Image.fromarray(band)
    d = ImageDraw.Draw(im)
    size = max(6.0, h * 0.34)
    font = load_font(max(7, int(h * 0.075)), True)
    ink = (18, 18, 22) if not pal.night else (8, 8, 12)
    for i, (label, kind) in enumerate(found):
        cx = w * (i + 1) / (len(found) + 1) + (seeded_unit("mark-x", seed, label) - 0.5) * w * 0.08
        base = h * (0.86 + 0.06 * seeded_unit("mark-y", seed, label))
        _draw_element(d, kind, cx, base, size, ink, pal.accent, seeded_rng("mark", seed, label))
        text = clean_text(label).upper()[:18]
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
        u = lambda k: seeded_unit(salt, seed, word, i, k)  # noqa: E731
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
        fill = mix(pal.ground_near, pal.sky_low, shade * (0.6 if not pal.night else 0.4))
        fill = mix(fill, (0, 0, 0), 0.35 + 0.2 * depth)
        glow = mix(pal.light, pal.accent, 0.4)
        rng = seeded_rng(salt, seed, word, i, "shape")
        kind = _kind(word, seed, pal.water)
        _draw_element(dr, kind, x * W, base, size, fill, glow, rng)
        _draw_element(da, kind, x * W, base, size, 255, 255, seeded_rng(salt, seed, word, i, "shape"))  # type: ignore[arg-type]
    if ss > 1:
        rgb = rgb.resize((w, h), Image.Resampling.BOX)
        alpha = alpha.resize((w, h), Image.Resampling.BOX)
    a = np.asarray(alpha, dtype=np.float32) / 255.0
    return np.asarray(rgb, dtype=np.float32), a


def paint_scene(prompt: str, seed: int, w: int, h: int) -> np.ndarray:
    """The scene band (h, w, 3) uint8 for *prompt* and *seed*."""
    import cv2

    pal = palette_for(prompt, seed)
    rng = seeded_rng("scene", seed, prompt)
    words = content_words(prompt)
    horizon = 0.52 + 0.14 * seeded_unit("horizon", seed, prompt)
    hy = max(1, int(h * horizon))

    img = np.empty((h, w, 3), np.float32)
    img[:hy] = _gradient(hy, w, pal.sky_top, pal.sky_low, gamma=0.8)
    img[hy:] = _gradient(h - hy, w, pal.ground_far, pal.ground_near, gamma=0.7)

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # sun / moon with a soft glow
    sx = w * (0.15 + 0.7 * seeded_unit("sun", seed, prompt))
    sy = h * horizon * (0.3 + 0.45 * seeded_unit("sun-y", seed, prompt))
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
    col = np.array(mix(pal.ground_near, pal.sky_low, 0.55), np.float32)
    img = img * (1 - mask) + _gradient(h, w, tuple(col * 1.08), tuple(col * 0.9)) * mask
    if not pal.water:
        near = _ridge(rng, w, horizon - 0.015, 0.03).astype(np.float32) * h
        fade = np.clip(1 - (yy - hy) / (h * 0.2), 0, 1)
        mask = (np.clip(yy - near[None, :] + 0.5, 0, 1) * fade)[..., None]
        col = np.array(mix(pal.ground_far, pal.ground_near, 0.5), np.float32)
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
