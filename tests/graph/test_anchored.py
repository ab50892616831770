"""Anchored keyframes: every keyframe made from keyframe 0; the critical path for both modes."""

from __future__ import annotations

import json

import pytest

from storyrender.api import prepare

from ..conftest import TINY

FAKE = "providers: {image: fake/img, keyframe: fake/img, video: fake/vid}\n"


def _beats(n: int, camera: str = "") -> str:
    cam = f", camera: {camera}" if camera else ""
    return "beats:\n" + "".join(f"  - {{prompt: a lighthouse on a cliff {'at dusk' if camera else i}{cam}}}\n"
                                 for i in range(n))


def test_anchored_keyframes_are_made_from_keyframe_0(write_board, fake):
    chained = prepare(write_board(TINY + FAKE + _beats(4), "c.yaml")).graph.by_role()
    anchored = prepare(write_board(TINY + FAKE + "keyframes: anchored\n" + _beats(4), "a.yaml")).graph.by_role()
    k0 = anchored["keyframe:0"].key
    assert [anchored[f"keyframe:beat-{i}"].inputs for i in range(1, 5)] == [(k0,)] * 4
    assert chained["keyframe:beat-3"].inputs == (chained["keyframe:beat-2"].key,)
    # the request is the same but for its input: keyframe 1 is the same node in both modes
    assert anchored["keyframe:beat-1"].key == chained["keyframe:beat-1"].key
    assert anchored["keyframe:beat-2"].key != chained["keyframe:beat-2"].key


@pytest.mark.slow
def test_plan_shows_the_critical_path_of_both_modes(write_board, cli, fake, tmp_path):
    board = write_board(TINY + FAKE + "keyframes: anchored\n" + _beats(24))
    res = cli(["plan", "--json", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    crit = json.loads(res.stdout)["critical_path"]
    assert crit["mode"] == "anchored"
    # chained: keyframes 0..24 one after another, then segment 24; anchored: keyframe 0, keyframe k, segment k
    assert crit["anchored"]["provider_calls"] == 3 and crit["chained"]["provider_calls"] == 26
    assert crit["anchored"]["seconds"] < crit["chained"]["seconds"] / 3
    text = cli(["plan", board.name], cwd=tmp_path).stdout
    assert "keyframes anchored (this board): 3 provider calls" in text and "chained: 26 provider calls" in text


@pytest.mark.slow
def test_anchored_drift_does_not_accumulate(write_board, cli, tmp_path):
    drifts = {}
    for mode in ("chained", "anchored"):
        board = write_board(TINY + f"keyframes: {mode}\n" + _beats(5, "pan-left"), f"{mode}.yaml")
        res = cli(["build", board.name], cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        doc = json.loads((tmp_path / "out" / f"{mode}.manifest.json").read_text())
        drifts[mode] = [d["drift"] for d in doc["continuity"]["drift"]]
    # chained: each pan starts where the last ended; anchored: every keyframe is one pan from keyframe 0
    chained, anchored = drifts["chained"], drifts["anchored"]
    assert min(chained[2:]) > chained[1] + 0.02, chained  # keeps the distance it gained
    assert max(anchored[1:]) - min(anchored[1:]) < 0.01, anchored
    assert anchored[5] < chained[5] - 0.02


def test_anchored_is_for_keyframes_mode(write_board, cli, tmp_path):
    board = write_board(TINY + "mode: extend\nkeyframes: anchored\n" + _beats(2))
    res = cli(["validate", board.name], cwd=tmp_path)
    assert res.returncode == 2 and "board.yaml:5" in res.stderr and "anchored" in res.stderr
    assert "Traceback" not in res.stderr
