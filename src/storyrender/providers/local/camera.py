"""Camera moves between keyframes: the move a ``camera:`` hint names, as an affine warp of the scene."""

from __future__ import annotations

import math

import numpy as np

from .seeds import seeded_unit


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
    return _DEFAULT_MOVES[int(seeded_unit("move", seed, prompt) * len(_DEFAULT_MOVES))], 0.5


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


def warp(scene: np.ndarray, m: np.ndarray) -> np.ndarray:
    import cv2

    h, w = scene.shape[:2]
    return cv2.warpAffine(scene, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)
