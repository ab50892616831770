"""Seam scores and keyframe drift: measured on the output frames, gated by `storyrender check`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from storyrender.continuity import drift, seams
from storyrender.media import measure
from storyrender.stitch import timeline

from ..conftest import TINY

SMOOTH = TINY + """transition: {type: fade, seconds: 0.25}
beats:
  - {id: a, prompt: a boat at sea, camera: pan-left}
  - {id: b, prompt: the boat sails on, camera: push-in}
  - {id: c, prompt: the harbour, camera: pan-right}
  - {id: d, prompt: the harbour at night, camera: static}
"""


def _odd_png(path):
    a = np.zeros((90, 160, 3), np.uint8)
    a[:] = (200, 40, 40)
    a[30:60, 40:120] = (20, 200, 220)
    Image.fromarray(a).save(path)


def _texture(w=200, h=90, seed=3):
    import cv2

    rng = np.random.default_rng(seed)
    t = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    t = cv2.GaussianBlur(t, (0, 0), 2.0).astype(np.float32)
    return np.clip((t - t.mean()) * 4 + 128, 0, 255).astype(np.uint8)


def test_joins_of_a_timeline_cut_and_fade():
    pieces = [p.as_dict() for p in timeline.plan_pieces([8, 8, 8], [timeline.Transition("fade", 2),
                                                                     timeline.Transition("cut", 0)])]
    js = seams.joins(pieces, 3)
    assert [(j.into, j.a, j.b, j.transition) for j in js] == [(1, 5, 8, 'fade'), (2, 13, 14, 'cut')]
    # reference pairs lie inside the neighbouring bodies and are as far apart as the join's frames
    assert all(j - i == 3 for i, j in js[0].before + js[0].after)
    assert js[0].before[0] == (2, 5) and js[1].after[0] == (14, 15)


def test_a_moving_shot_is_not_flagged_but_a_colour_pop_is():
    tex = _texture()
    frames = {i: np.ascontiguousarray(tex[:, 3 * i:3 * i + 160]) for i in range(10)}  # a steady pan
    join = seams.Join(1, 4, 5, "cut", ((1, 2), (2, 3), (3, 4)), ((5, 6), (6, 7), (7, 8)))
    assert measure.mad(frames[4], frames[5]) > 0.05  # the picture moves a lot between frames...
    assert seams.score_frames(join, frames)["score"] > 0.9  # ...but motion explains it
    popped = dict(frames)
    for i in range(5, 10):  # the next shot carries a colour cast from its first frame
        popped[i] = np.clip(frames[i].astype(int) + (30, 0, -20), 0, 255).astype(np.uint8)
    assert seams.score_frames(join, popped)["score"] < 0.5


def _scene(shift: int) -> np.ndarray:
    """A sky over a field with a sun, panned by *shift* pixels."""
    img = np.zeros((90, 260, 3), np.uint8)
    img[:50] = np.linspace(40, 200, 50, dtype=np.uint8)[:, None, None] * np.array([0.5, 0.7, 1.0])
    img[50:] = (40, 120, 40)
    img[15:35, 120:140] = (250, 220, 80)
    return np.ascontiguousarray(img[:, shift:shift + 160])


def test_drift_flags_a_sudden_jump(tmp_path):
    tex = _scene(0)
    paths = []
    for i in range(6):
        img = _scene(6 * i)
        if i == 4:
            img = np.zeros_like(img)
            img[:] = (200, 40, 40)
            img[30:80, 20:60] = (10, 10, 10)  # something else entirely
        p = tmp_path / f"k{i}.png"
        Image.fromarray(img).save(p)
        paths.append({"index": i, "beat": max(1, i), "path": p, "characters": ["mia"] if i == 2 else []})
    ref = tmp_path / "mia.png"
    Image.fromarray(tex[:, :160]).save(ref)
    out = drift.keyframe_drift(paths, {"mia": ref})
    assert [r["keyframe"] for r in out if r["jump"]] == [4, 5]  # into the other scene and back out
    assert out[0]["drift"] == 0.0 and out[4]["drift"] > 2 * out[3]["drift"]
    assert "mia" in out[2]["characters"] and "characters" not in out[3]


@pytest.mark.slow
def test_bad_join_is_flagged_and_check_gates_it(write_board, cli, tmp_path):
    _odd_png(tmp_path / "odd.png")
    bad = write_board(SMOOTH.replace("camera: pan-right}", "camera: pan-right, start_image: odd.png, transition: cut}"),
                      "bad.yaml")
    good = write_board(SMOOTH, "good.yaml")
    for b in (bad, good):
        res = cli(["build", b.name], cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        assert "continuity: 3 joins" in res.stderr  # the build summary
    docs = {n: json.loads((tmp_path / "out" / f"{n}.manifest.json").read_text())["continuity"] for n in ("bad", "good")}
    flagged = [(j["from_beat"], j["to_beat"]) for j in docs["bad"]["seams"] if j["flagged"]]
    assert flagged == [(2, 3)]
    assert not any(j["flagged"] for j in docs["good"]["seams"])
    # the joins are where the timeline puts them: 2 -> 3 is the cut at frame 14 (fades of 2 frames before it)
    j23 = next(j for j in docs["bad"]["seams"] if j["to_beat"] == 3)
    assert j23["frames"] == [13, 14] and j23["transition"] == "cut"

    res = cli(["check", "--json", "bad.yaml"], cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    assert [(v["from_beat"], v["to_beat"]) for v in doc["boards"][0]["violations"]] == [(2, 3)]
    assert cli(["check", "good.yaml"], cwd=tmp_path).returncode == 0
    res = cli(["check", "good.yaml", "--max-drift", "0.01"], cwd=tmp_path)
    assert res.returncode == 1 and "keyframe 1: drift" in res.stdout and "FAIL" in res.stdout

    # plan --json after the build carries the same scores; the review page shows the joins worst first
    plan = json.loads(cli(["plan", "--json", "bad.yaml"], cwd=tmp_path).stdout)
    assert plan["continuity"]["seams"] == docs["bad"]["seams"]
    page = (tmp_path / "out" / "bad.html").read_text()
    strip = page[page.index('class="joins"'):page.index("Drift per keyframe")]
    assert strip.index("2 → 3") < strip.index("1 → 2") and strip.count("<img") == 6
    assert 'class="join bad"' in strip and strip.count("join bad") == 1


def test_check_refuses_a_board_not_built(write_board, cli, tmp_path):
    write_board(SMOOTH)
    res = cli(["check", "board.yaml"], cwd=tmp_path)
    assert res.returncode == 2 and "not been built" in res.stderr
