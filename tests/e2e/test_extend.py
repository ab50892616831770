"""extend mode: each segment starts from the last frame of the previous one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from storyrender.cache.store import Store
from storyrender.media.probe import probe, read_frames

from ..conftest import TINY

pytestmark = pytest.mark.slow


def luma(a):
    return a.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def test_extend_chains_segments_from_last_frames(write_board, cli, tmp_path):
    board = write_board(TINY + "mode: extend\nbeats:\n  - {id: a, prompt: a boat at sea, camera: pan-left}\n"
                        "  - {id: b, prompt: the boat sails on, camera: push-in}\n  - {id: c, prompt: the harbour, camera: pan-right}\n")
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    manifest = json.loads((tmp_path / "out" / "board.manifest.json").read_text())
    nodes = {n["role"]: n for n in manifest["nodes"]}
    assert not any(r.startswith("keyframe:") and r != "keyframe:0" for r in nodes)  # no keyframes after the first
    assert [n["kind"] for n in manifest["nodes"]].count("lastframe") == 2
    store = Store(tmp_path / ".storyrender")
    segs = [list(read_frames(store.path(nodes[f"segment:{b}"]["key"]))) for b in "abc"]
    for prev, nxt in zip(segs, segs[1:]):
        join = np.abs(luma(prev[-1]) - luma(nxt[0])).mean()
        moved = np.abs(luma(nxt[0]) - luma(nxt[-1])).mean()
        assert join < 2.5 and moved > 2 * join, (join, moved)  # continues from there, then moves on
    assert probe(tmp_path / "out" / "board.mp4").frames == 24


def test_extend_edit_cascades_through_last_frames(write_board, cli, fake, tmp_path):
    prov = "providers: {image: fake/img, video: fake/vid}\nmode: extend\n"
    text = TINY + prov + "beats:\n  - {prompt: one}\n  - {prompt: two}\n  - {prompt: three}\n"
    board = write_board(text)
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    assert sorted(c["job"] for c in fake()) == ["text-to-image", "video", "video", "video"]
    fake.reset()
    write_board(text.replace("prompt: two", "prompt: TWO"))
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    assert sorted(c["prompt"] for c in fake()) == ["TWO", "three"]
