"""Cuts and transitions sit on the frame nearest their storyboard time; the reported length is the file's."""

from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest

from storyrender.media.probe import probe
from storyrender.stitch.timeline import frame_exact, total_frames


def test_running_time_is_rounded_not_each_beat():
    rng = random.Random(7)
    for _ in range(300):
        fps = rng.choice([8, 10, 12, 24, 25, 30])
        secs = [rng.choice([0.75, 1, 1.25, 1.5, 1.7, 2.05]) for _ in range(rng.randint(1, 30))]
        trans = [(rng.choice(["cut", "fade"]), rng.choice([0.1, 0.25, 0.3])) for _ in secs[1:]]
        n, t = frame_exact(secs, trans, fps)
        exact = sum(map(Fraction, map(str, secs))) - sum(Fraction(str(s)) for name, s in trans if name != "cut")
        # the whole video within half a frame of its storyboard length
        assert abs(total_frames(n, t) - exact * fps) <= Fraction(1, 2)
        # and every cut: beat k's clip leaves the output within half a frame of its running time
        at, out = Fraction(0), 0
        for k, s in enumerate(secs):
            at += Fraction(str(s)) - (Fraction(str(trans[k - 1][1])) if k and trans[k - 1][0] != "cut" else 0)
            out += n[k] - (t[k - 1].frames if k else 0)
            assert abs(out - at * fps) <= Fraction(1, 2)
    assert frame_exact([1.25] * 4, [("cut", 0)] * 3, 10)[0] == [13, 12, 13, 12]  # not 12 four times


@pytest.mark.slow
def test_written_file_and_every_report_agree_on_the_length(write_board, cli, tmp_path):
    board = write_board("""\
        version: 1
        output: {size: 160x90, fps: 25, formats: [mp4]}
        seconds: 1.5
        transition: {type: fade, seconds: 0.5}
        beats:
          - {prompt: a red door}
          - {prompt: a blue door}
          - {prompt: a green door}
        """)
    plan = cli(["plan", "--json", board.name], cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    res = cli(["build", "--json", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    info = probe(tmp_path / "out" / "board.mp4")
    assert info.frames == 88  # 3.5 s at 25 fps is 87.5 frames: the nearest frame, not 90 (3.6 s)
    manifest = json.loads((tmp_path / "out" / "board.manifest.json").read_text())
    assert abs(info.duration - 3.52) < 1e-6
    assert manifest["output"]["seconds"] == round(info.duration, 3)
    assert json.loads(res.stdout)["boards"][0]["seconds_of_video"] == round(info.duration, 3)
    assert json.loads(plan.stdout)["output"]["seconds"] == 3.52


@pytest.mark.slow
def test_quarter_second_beats_do_not_drift(write_board, cli, tmp_path):
    board = write_board("""\
        version: 1
        output: {size: 160x90, fps: 10, formats: [mp4]}
        seconds: 1.25
        beats: [{prompt: one}, {prompt: two}, {prompt: three}, {prompt: four}]
        """)
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert probe(tmp_path / "out" / "board.mp4").frames == 50  # 5 s, not 48 frames
