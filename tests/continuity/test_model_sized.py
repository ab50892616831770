"""Model-sized clips: a 30 s beat with a model that makes 5 or 10 s clips."""

from __future__ import annotations

import json

import pytest

from storyrender.cache.store import Store
from storyrender.media.probe import probe
from storyrender.spec.lengths import split_seconds

from ..conftest import TINY

BOARD = TINY + """providers: {image: fake/img, keyframe: fake/img, video: fake/vid10}
beats:
  - {id: one, prompt: one, seconds: 5}
  - {id: two, prompt: two, seconds: 30}
"""


def test_split_seconds():
    assert split_seconds(30, (5, 10)) == (10.0, 10.0, 10.0)
    assert split_seconds(25, (5.0, 10.0)) == (10.0, 10.0, 5.0)
    assert split_seconds(10, (5, 10)) == (10.0,) and split_seconds(7, None) == (7.0,)
    assert split_seconds(27, (5, 10)) is None and split_seconds(3, (5, 10)) is None


@pytest.mark.slow
def test_a_30_s_beat_builds_from_10_s_clips(write_board, cli, fake, tmp_path):
    board = write_board(BOARD)
    plan = json.loads(cli(["plan", "--json", board.name], cwd=tmp_path).stdout)
    roles = [n["role"] for n in plan["nodes"]]
    for r in ("segment:two.1", "segment:two.2", "segment:two.3", "keyframe:two.1", "keyframe:two.2", "segment:two"):
        assert r in roles
    assert plan["totals"]["provider_calls"] == 2 + 1 + 3 + 3  # keyframes 0, 1; segment 1; 3 clips, 3 keyframes
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    videos = sorted((c["prompt"], c.get("seed")) for c in fake() if c["job"] == "video")
    assert len(videos) == 4
    info = probe(tmp_path / "out" / "board.mp4")
    assert info.frames == 35 * 8 and abs(info.duration - 35.0) < 1e-6  # 30 s to the frame, after 5 s
    doc = json.loads((tmp_path / "out" / "board.manifest.json").read_text())
    nodes = {n["role"]: n for n in doc["nodes"]}
    assert nodes["segment:two"]["kind"] == "join" and nodes["segment:two"]["info"]["frames"] == 241
    assert nodes["segment:two.2"]["inputs"] == [nodes["keyframe:two.1"]["key"], nodes["keyframe:two.2"]["key"]]
    store = Store(tmp_path / ".storyrender")
    assert probe(store.path(nodes["segment:two.1"]["key"])).frames == 81  # each clip is 10 s
    inside = [j for j in doc["continuity"]["seams"] if j["inside"]]
    assert [(j["time"], j["from_beat"]) for j in inside] == [(15.0, 2), (25.0, 2)]
    assert all(j["score"] >= 0.5 for j in inside)
    res = cli(["check", "--json", board.name], cwd=tmp_path)
    assert res.returncode == 0 and len(json.loads(res.stdout)["boards"][0]["seams"]) == 3
    # a new take of the beat re-makes its three clips and nothing paid besides
    fake.reset()
    write_board(BOARD.replace("seconds: 30}", "seconds: 30, take: 2}"))
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    assert sorted(c["job"] for c in fake()) == ["video"] * 3


def test_a_length_no_clips_add_up_to_is_refused(write_board, cli, fake, tmp_path):
    board = write_board(BOARD.replace("seconds: 30", "seconds: 27"))
    res = cli(["validate", board.name], cwd=tmp_path)
    assert res.returncode == 2 and "5, 10 s" in res.stderr and "board.yaml:7" in res.stderr and "sum of them" in res.stderr
