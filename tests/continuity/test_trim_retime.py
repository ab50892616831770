"""Trim (part of a clip) and retiming (a slower clip brought to the board's rate), frame-exact."""

from __future__ import annotations

import json

import numpy as np
import pytest

from storyrender.cache.store import Store
from storyrender.media.clipops import retime_plan, trim_range
from storyrender.media.probe import probe, read_frames

from ..conftest import TINY

FAKE = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"


def _mean_diff(a, b) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def _nodes(folder):
    doc = json.loads((folder / "out" / "board.manifest.json").read_text())
    return doc, {n["role"]: n for n in doc["nodes"]}


def test_trim_ranges_and_retime_plans():
    assert trim_range(0.25, 1.5, 8, 17) == (2, 12)
    assert trim_range(0.3, 4.6, 24, 121) == (7, 110)  # 7.2 and 110.4 round to the nearest frame
    steps, plan = retime_plan(17, 16, 24)  # a 1 s clip at 16 fps to 24: 3 output frames per 2 source frames
    assert steps == 3 and len(plan) == 25
    assert plan[:4] == [(0, 0, 3), (0, 2, 3), (1, 1, 3), (2, 0, 3)] and plan[-1] == (16, 0, 3)


@pytest.mark.slow
def test_trim_uses_that_part_of_the_clip_and_the_timeline_follows(write_board, cli, fake, tmp_path):
    # (the fake's beat 1 holds still: keyframes 0 and 1 share its prompt; beat 2 moves)
    board = write_board(TINY + FAKE + "captions: {files: [srt]}\nbeats:\n  - {prompt: one}\n"
                        "  - {prompt: two, seconds: 2, trim: {start: 0.25, end: 1.5}, caption: second}\n"
                        "  - {prompt: three}\n")
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    doc, nodes = _nodes(tmp_path)
    store = Store(tmp_path / ".storyrender")
    seg = list(read_frames(store.path(nodes["segment:beat-2"]["key"])))
    seg3 = list(read_frames(store.path(nodes["segment:beat-3"]["key"])))
    out = list(read_frames(tmp_path / "out" / "board.mp4"))
    assert len(seg) == 17 and len(out) == 8 + 10 + 8  # 1 s, then 1.25 s of beat 2, then 1 s
    assert doc["output"]["seconds"] == 3.25 and probe(tmp_path / "out" / "board.mp4").frames == 26
    for j in range(10):  # output frame 8 + j is clip frame 2 + j, and no other
        diffs = [_mean_diff(out[8 + j], f) for f in seg]
        assert int(np.argmin(diffs)) == 2 + j and diffs[2 + j] < 4.0, (j, diffs)
    assert _mean_diff(out[18], seg3[0]) < 4.0
    assert nodes["trim:beat-2"]["inputs"] == [nodes["segment:beat-2"]["key"]]
    assert nodes["trim:beat-2"]["info"]["first"] == 2 and nodes["trim:beat-2"]["info"]["last"] == 12
    srt = (tmp_path / "out" / "board.srt").read_text()
    assert "00:00:01,000 --> 00:00:02,250" in srt  # the caption follows the trimmed beat


@pytest.mark.slow
def test_trim_in_extend_mode_starts_the_next_clip_from_the_trimmed_last_frame(write_board, cli, fake, tmp_path):
    board = write_board(TINY + FAKE + "mode: extend\nbeats:\n"
                        "  - {prompt: one, seconds: 2, trim: {start: 0, end: 1}}\n  - {prompt: two}\n")
    # the fake's extend clips hold their first frame; keyframe 0 changes over beat 1 only through the cast
    res = cli(["build", board.name], cwd=tmp_path, env={"FAKE_CAST": "80,0,-60"})
    assert res.returncode == 0, res.stderr
    _, nodes = _nodes(tmp_path)
    assert nodes["lastframe:beat-2"]["inputs"] == [nodes["trim:beat-1"]["key"]]
    store = Store(tmp_path / ".storyrender")
    seg = list(read_frames(store.path(nodes["segment:beat-1"]["key"])))
    nxt = list(read_frames(store.path(nodes["segment:beat-2"]["key"])))
    # beat 2 starts on clip frame 8 of beat 1 (1 s at 8 fps), not on its last frame 16
    assert _mean_diff(nxt[0], seg[8]) < 4.0 < 10.0 < _mean_diff(nxt[0], seg[16])


@pytest.mark.slow
def test_interpolated_retiming_makes_the_in_between_frames(write_board, cli, fake, tmp_path):
    text = TINY + FAKE + "beats:\n  - {prompt: one}\n  - {prompt: two}\n"
    out = {}
    for mode in ("duplicate", "interpolate"):
        folder = tmp_path / mode
        folder.mkdir()
        board = write_board(text.replace("fps: 8}", f"fps: 8, retime: {mode}}}"), f"{mode}/board.yaml")
        res = cli(["build", board.name], cwd=folder, env={"FAKE_VIDEO_FPS": "4"})
        assert res.returncode == 0, res.stderr
        out[mode] = [f[30:] for f in read_frames(folder / "out" / "board.mp4")]  # below the shared top band
        doc, nodes = _nodes(folder)
        assert len(out[mode]) == 16
    seg_store = Store(tmp_path / "interpolate" / ".storyrender")
    assert probe(seg_store.path(nodes["segment:beat-1"]["key"])).fps == 4  # the model made 4 fps
    assert nodes["retime:beat-1"]["info"]["interpolated"] == 4
    dup, interp = out["duplicate"], out["interpolate"]
    for j in (9, 11, 13):  # odd frames of beat 2 fall between two source frames (beat 1 holds still)
        step = _mean_diff(dup[j - 1], dup[j + 1])
        assert step > 8.0  # the picture changes between source frames (the test means something)
        assert _mean_diff(dup[j], dup[j - 1]) < 1.5  # duplicate: the earlier frame again
        mid = (interp[j - 1].astype(np.float32) + interp[j + 1].astype(np.float32)) / 2
        assert _mean_diff(interp[j], mid) < 3.0 < step / 3, (j, step)  # interpolate: half way
    for j in range(0, 16, 2):  # even frames are the source frames in both
        assert _mean_diff(dup[j], interp[j]) < 3.0


def test_a_trim_outside_the_clip_is_refused(write_board, cli, tmp_path):
    board = write_board(TINY + "beats:\n  - {prompt: one, seconds: 2, trim: {start: 0.5, end: 2.5}}\n")
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 2 and "board.yaml:5" in res.stderr and "/beats/0/trim" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "out").exists()
