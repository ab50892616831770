"""A scene's colours, chosen from its prompt's words (night, dusk, forest, sea...) and its seed."""

from __future__ import annotations

from dataclasses import dataclass

from .seeds import content_words, seeded_unit


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


#: each theme's sky (top and low colour as HSV, before a seeded hue jitter), light colour and whether it is night
_SKIES = {
    "night": ((0.64, 0.75, 0.16), (0.62, 0.55, 0.38), (236, 238, 226), True),
    "space": ((0.72, 0.7, 0.08), (0.78, 0.55, 0.3), (255, 214, 170), True),
    "dusk": ((0.72, 0.55, 0.42), (0.06, 0.62, 0.98), (255, 226, 170), False),
    "dawn": ((0.58, 0.45, 0.72), (0.09, 0.35, 0.99), (255, 244, 214), False),
    "overcast": ((0.58, 0.12, 0.62), (0.55, 0.08, 0.86), (246, 246, 240), False),
    "day": ((0.58, 0.62, 0.86), (0.54, 0.25, 0.98), (255, 250, 228), False),
}


def palette_for(prompt: str, seed: int) -> Palette:
    words = set(content_words(prompt))
    u = lambda k: seeded_unit("palette", seed, prompt, k)  # noqa: E731
    theme = next((t for t, keys in _THEMES.items() if words & set(keys)), None)
    ground = next((g for g, keys in _GROUNDS.items() if words & set(keys)), None)
    jitter = (u(0) - 0.5) * 0.06
    if theme is None:
        theme = ("day", "dusk", "dawn", "day", "overcast")[int(u(1) * 5)]
    (h1, s1, v1), (h2, s2, v2), light, night = _SKIES[theme]
    sky_top, sky_low = _hsv(h1 + jitter, s1, v1), _hsv(h2 + jitter, s2, v2)
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


def mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(int(round(a[i] * (1 - t) + b[i] * t)) for i in range(3))  # type: ignore[return-value]
