"""Colour match: a cached node after each segment that pulls its colours back to its keyframes.

A test provider adds a colour cast growing over each clip (none on the first frame, +40 red and
-30 blue on the last), so every clip ends off its keyframe and the next clip starts clean. The
margin: with colour match, every join's seam score is within 0.05 of the cast-free build's and
its unexplained change (``residual``, 0..1) within 0.015 (about 4 of 255 levels).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from storyrender.media.colormatch import METHODS, color_match
from storyrender.media.ffmpeg import encode_frames
from storyrender.media.probe import read_frames

from ..conftest import TINY

FAKE = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"
BEATS = """beats:
  - {prompt: one}
  - {prompt: two}
  - {prompt: three, transition: {type: fade, seconds: 0.25}}
  - {prompt: four}
"""
CAST = {"FAKE_CAST": "40,0,-30"}


def _build(cli, write_board, tmp_path, name, extra="", env=None):
    folder = tmp_path / name
    folder.mkdir()
    board = write_board(TINY + FAKE + extra + BEATS, f"{name}/board.yaml")
    res = cli(["build", board.name], cwd=folder, env=env)
    assert res.returncode == 0, res.stderr
    doc = json.loads((folder / "out" / "board.manifest.json").read_text())
    return doc, folder


@pytest.mark.slow
def test_colour_match_repairs_a_growing_cast(write_board, cli, fake, tmp_path):
    clean, _ = _build(cli, write_board, tmp_path, "clean")
    cast, _ = _build(cli, write_board, tmp_path, "cast", env=CAST)
    matched, folder = _build(cli, write_board, tmp_path, "matched", "continuity: {color_match: true}\n", env=CAST)
    seams = {name: doc["continuity"]["seams"] for name, doc in
             (("clean", clean), ("cast", cast), ("matched", matched))}
    assert not any(j["flagged"] for j in seams["clean"])
    assert [j["to_beat"] for j in seams["cast"] if j["flagged"]] == [2, 4]  # the cuts pop; the fade hides one
    for c, m in zip(seams["clean"], seams["matched"]):
        assert abs(m["score"] - c["score"]) <= 0.05, (c, m)
        assert abs(m["residual"] - c["residual"]) <= 0.015, (c, m)
    # the output frames themselves: the matched video is the clean one give or take the codec
    frames = {n: [f.astype(np.float32) for f in read_frames(tmp_path / n / "out" / "board.mp4")]
              for n in ("clean", "cast", "matched")}
    worst = max(np.abs(a - b).mean() for a, b in zip(frames["clean"], frames["matched"]))
    cast_worst = max(np.abs(a - b).mean() for a, b in zip(frames["clean"], frames["cast"]))
    assert worst < 6.0 and cast_worst > 15.0, (worst, cast_worst)  # levels of 255, averaged over a frame
    # one colour-match node per segment, after it; it says how far the ends were before and after
    nodes = [n for n in matched["nodes"] if n["kind"] == "colormatch"]
    assert len(nodes) == 4
    assert all(n["info"]["end_mad_before"] > 0.05 > 0.01 > n["info"]["end_mad_after"] for n in nodes)
    segs = {n["key"] for n in matched["nodes"] if n["kind"] == "segment"}
    assert all(n["inputs"][0] in segs for n in nodes)
    # cached: a rebuild makes nothing
    res = cli(["build", "--json", "board.yaml"], cwd=folder, env=CAST)
    assert json.loads(res.stdout)["totals"]["rendered"] == 0


@pytest.mark.slow
def test_colour_match_per_beat_adds_one_node_and_no_provider_call(write_board, cli, fake, tmp_path):
    text = TINY + FAKE + BEATS
    board = write_board(text)
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    fake.reset()
    write_board(text.replace("{prompt: two}", "{prompt: two, continuity: {color_match: true}}"))
    res = cli(["build", "--json", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert fake() == []  # nothing paid for again: the segments are the same requests
    doc = json.loads((tmp_path / "out" / "board.manifest.json").read_text())
    assert [n["role"] for n in doc["nodes"] if n["kind"] == "colormatch"] == ["colormatch:beat-2"]


def test_color_match_undoes_a_cast_growing_over_a_clip(tmp_path):
    """In process, on a 9-frame clip: the cast is undone where it grows and the first frame stays put."""
    y, x = np.mgrid[0:36, 0:64]
    base = np.stack([60 + 2 * x, 50 + 3 * y, np.full_like(x, 120)], axis=-1).astype(np.float32)
    cast = np.array([40.0, 0.0, -30.0], np.float32)
    frames = [np.clip(base + cast * i / 8, 0, 255).astype(np.uint8) for i in range(9)]
    encode_frames(iter(frames), tmp_path / "clip.mp4", fps=8, width=64, height=36)
    Image.fromarray(base.astype(np.uint8)).save(tmp_path / "key.png")
    facts = color_match(tmp_path / "clip.mp4", tmp_path / "key.png", tmp_path / "key.png", tmp_path / "out.mp4")
    assert facts["method"] == METHODS[0]
    assert facts["end_mad_after"] < facts["end_mad_before"] / 4, facts
    assert facts["start_mad_after"] <= facts["start_mad_before"] + 0.005, facts
    out = [f.astype(np.float32) for f in read_frames(tmp_path / "out.mp4")]
    assert len(out) == 9
    assert np.abs(out[-1].mean(axis=(0, 1)) - base.mean(axis=(0, 1))).max() < 4  # back on its keyframe
    with pytest.raises(ValueError, match="unknown colour-match method"):
        color_match(tmp_path / "clip.mp4", tmp_path / "key.png", None, tmp_path / "x.mp4", method="other/9")
