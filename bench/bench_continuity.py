"""Anchored keyframes: a 24-beat board on a provider that only sleeps, scaled down 5 times from
15 s per keyframe and 60 s per segment (3 s and 12 s). At a larger scale-down the fixed cost of
the local stitch (24 pieces on the machine's cores, which no critical path of node times counts)
would dominate (measured: 1.17 at 1/10, 1.58 at 1/50); at the real latencies it is a few percent.

For both keyframe modes: the build's wall time, its critical path (the longest chain of
measured node times) and how many provider calls that chain holds; plus the critical path
`plan` predicts. Targets (anchored): wall time within 10% of the critical path, and a critical
path of at most 3 provider calls.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCALE = 5
IMAGE_S, VIDEO_S = 15 / SCALE, 60 / SCALE
BEATS = 24


def _board(mode: str) -> str:
    beats = "".join(f"  - prompt: beat number {i} walks on\n" for i in range(BEATS))
    return ("version: 1\noutput: {size: 160x90, fps: 8}\nseconds: 1\n"
            "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"
            f"keyframes: {mode}\nbeats:\n" + beats)


def one(mode: str) -> dict:
    from storyrender.api import build, open_store, prepare
    from storyrender.execute.runner import plan_nodes
    from storyrender.graph.critical import critical_path, keyframe_modes
    from storyrender.plugins.manager import load_registry

    with tempfile.TemporaryDirectory() as tmp:
        board = Path(tmp) / "board.yaml"
        board.write_text(_board(mode))
        p = prepare(board, registry=load_registry())
        with open_store(p.board, None) as store:
            planned = keyframe_modes(p.board, p.resolution, p.graph, lambda g: plan_nodes(g, store).cached)[mode]
            report = build(p, store, jobs=64)
        assert report.status == "ok", report.failures
        secs = {n.key: n.seconds for n in report.nodes}
        measured = critical_path(p.graph, lambda n: secs.get(n.key, 0.0))
        wall = report.seconds
    return {
        "wall_s": round(wall, 3), "critical_path_s": round(measured.seconds, 3),
        "critical_path_provider_calls": measured.provider_calls,
        "wall_over_critical_path": round(wall / measured.seconds, 3),
        "planned_provider_calls": planned["provider_calls"],
        "planned_seconds_unscaled": planned["seconds"],
    }


def run() -> dict:
    os.environ["STORYRENDER_PLUGINS"] = "tests.plugins.fakeprov"
    os.environ["FAKE_SLEEP_IMAGE"], os.environ["FAKE_SLEEP_VIDEO"] = str(IMAGE_S), str(VIDEO_S)
    try:
        out = {"beats": BEATS, "latency_keyframe_s": IMAGE_S, "latency_segment_s": VIDEO_S,
               "anchored": one("anchored"), "chained": one("chained")}
    finally:
        for k in ("FAKE_SLEEP_IMAGE", "FAKE_SLEEP_VIDEO"):
            os.environ.pop(k, None)
    a = out["anchored"]
    out["target_wall_over_critical_path"] = 1.10
    out["target_critical_path_provider_calls"] = 3
    out["ok"] = a["wall_over_critical_path"] <= 1.10 and a["critical_path_provider_calls"] <= 3
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
