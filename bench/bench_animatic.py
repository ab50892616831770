"""The local animatic over a 200-beat board: keyframe legibility (edge energy, see
tests/providers/test_animatic_legibility.py) at keyframes 0, 50, 100, 150, 200, against a 1.5x target."""

from __future__ import annotations

import time

import cv2
import numpy as np

from storyrender.providers.local import draw

PROMPTS = ["a cat walks through a quiet forest", "the cat climbs a tall tree", "a storm rolls over the hills",
           "the cat sleeps by a fire", "a city street at night with a red car", "Mia waves. Mia is a small fox"]
CAMERAS = ["pan-right", "push-in", "orbit", "pan-left", "tilt-up", "pull-out", "static"]


def _edge(img: np.ndarray) -> float:
    y0, y1 = draw.layout(img.shape[1], img.shape[0]).band
    g = cv2.cvtColor(img[y0:y1], cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(cv2.Sobel(g, cv2.CV_32F, 1, 0)).mean() + np.abs(cv2.Sobel(g, cv2.CV_32F, 0, 1)).mean())


def run(beats: int = 200, width: int = 640, height: int = 360) -> dict:
    t0 = time.perf_counter()
    img = draw.draw_keyframe(PROMPTS[0], 1, width, height, label="beat 1", timecode="00:00")
    energy = [_edge(img)]
    for k in range(1, beats + 1):
        img = draw.next_keyframe(img, PROMPTS[k % len(PROMPTS)], k, camera=CAMERAS[k % len(CAMERAS)], seconds=2,
                                 label=f"beat {k}", timecode=f"{k * 2 // 60:02d}:{k * 2 % 60:02d}")
        energy.append(_edge(img))
    ratio = max(energy) / energy[0]
    return {
        "keyframes": beats + 1, "size": f"{width}x{height}",
        "edge_energy": {f"k{k}": round(energy[k], 1) for k in range(0, beats + 1, 50)},
        "max_ratio_to_k0": round(ratio, 2), "target": 1.5, "ok": ratio <= 1.5,
        "seconds_per_keyframe": round((time.perf_counter() - t0) / (beats + 1), 3),
    }
