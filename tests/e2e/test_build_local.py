"""End to end on the offline provider: real frames, real joins, the manifest, the cache."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from storyrender.cache.store import Store
from storyrender.media.probe import probe, read_frames

from ..conftest import TINY


def luma(a):
    return a.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def mae(a, b) -> float:
    """Mean absolute luma difference (H.264 4:2:0 blurs colour at tiny sizes, not luma)."""
    return float(np.abs(luma(a) - luma(b)).mean())


@pytest.mark.slow
def test_local_segments_start_and_end_on_their_keyframes_and_joins_do_not_repeat(write_board, cli, tmp_path):
    board = write_board(TINY + "beats:\n  - {id: a, prompt: a fox in snow, camera: pan-right}\n  - {id: b, prompt: the fox runs, camera: pan-left}\n"
                        "  - {id: c, prompt: the fox sleeps, camera: push-in}\n")
    res = cli(["build", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "previz" in res.stderr.lower()
    manifest = json.loads((tmp_path / "out" / "board.manifest.json").read_text())
    nodes = {n["role"]: n for n in manifest["nodes"]}
    store = Store(tmp_path / ".storyrender")
    kf = {r: np.asarray(Image.open(store.path(n["key"])).convert("RGB")) for r, n in nodes.items()
          if r.startswith("keyframe:")}
    order = ["keyframe:0", "keyframe:a", "keyframe:b", "keyframe:c"]
    segs = {}
    for i, beat in enumerate("abc"):
        frames = segs[beat] = list(read_frames(store.path(nodes[f"segment:{beat}"]["key"])))
        assert len(frames) == 9  # 1 s at 8 fps, both keyframes included
        assert mae(frames[0], kf[order[i]]) < 3
        assert mae(frames[-1], kf[order[i + 1]]) < 3
        assert mae(frames[0], frames[-1]) > 5  # the camera moved
    final = list(read_frames(tmp_path / "out" / "board.mp4"))
    assert len(final) == 24
    info = probe(tmp_path / "out" / "board.mp4")
    assert (info.width, info.height, info.fps, info.pix_fmt) == (160, 90, 8.0, "yuv420p")
    assert abs(info.duration - 3.0) < 1e-6
    # each inner keyframe appears exactly once (the repeated frame at each join is dropped)
    for join, key in ((8, "keyframe:a"), (16, "keyframe:b")):
        d = [mae(f, kf[key]) for f in final]
        assert int(np.argmin(d)) == join and d[join] < 4, d
    # no frame repeats anywhere, joins included: a repeat differs by codec noise only, like
    # the two encodings of a keyframe at the end of one segment and the start of the next
    noise = max(mae(segs["a"][-1], segs["b"][0]), mae(segs["b"][-1], segs["c"][0]))
    steps = [mae(final[i], final[i + 1]) for i in range(len(final) - 1)]
    assert min(steps) > max(2 * noise, 0.3), (noise, steps)


@pytest.mark.slow
def test_second_build_renders_nothing_and_manifest_says_cached(write_board, cli, tmp_path):
    board = write_board(TINY + "beats:\n  - prompt: one\n  - prompt: two\n")
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    res = cli(["build", "--json", board.name], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)["boards"][0]
    assert report["rendered"] == 0 and report["provider_calls"] == 0
    manifest = json.loads((tmp_path / "out" / "board.manifest.json").read_text())
    seg = [n for n in manifest["nodes"] if n["kind"] == "segment"]
    assert len(seg) == 2 and all(n["provider"] == "local" and n["model"] == "animatic" for n in seg)
    assert {n["prompt"] for n in seg} == {"one", "two"}
    assert manifest["totals"]["cost_usd"] == 0


@pytest.mark.slow
def test_cache_dir_option_and_env(write_board, cli, tmp_path):
    board = write_board(TINY + "beats:\n  - prompt: one\n")
    assert cli(["build", "--cache-dir", "c1", board.name], cwd=tmp_path).returncode == 0
    assert (tmp_path / "c1" / "artifacts").is_dir() and not (tmp_path / ".storyrender").exists()
    assert cli(["build", board.name], cwd=tmp_path, env={"STORYRENDER_CACHE": str(tmp_path / "c2")}).returncode == 0
    assert (tmp_path / "c2" / "artifacts").is_dir()


@pytest.mark.slow
def test_noop_rebuild_keeps_provenance_in_the_manifest(write_board, cli, tmp_path):
    board = write_board(TINY + "beats:\n  - prompt: one\n  - prompt: two\n")
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    first = {n["role"]: n for n in json.loads((tmp_path / "out" / "board.manifest.json").read_text())["nodes"]}
    assert cli(["build", board.name], cwd=tmp_path).returncode == 0
    second = {n["role"]: n for n in json.loads((tmp_path / "out" / "board.manifest.json").read_text())["nodes"]}
    for role in ("segment:beat-1", "keyframe:beat-2"):
        a, b = first[role], second[role]
        assert a["status"] == "rendered" and b["status"] == "cached"
        assert b["info"] == a["info"] and b["made_at"] == a["made_at"]
        assert b["made_seconds"] is not None and abs(b["made_seconds"] - a["made_seconds"]) < 0.01
    assert second["segment:beat-1"]["info"].get("frames") == 9
