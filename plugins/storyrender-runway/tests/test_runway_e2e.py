"""`storyrender build` end to end on Runway (a fake Runway API), and a build killed with kill -9 that
resumes its task instead of paying for another."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from runway_fakes import KEY

from storyrender.api import open_store, prepare
from storyrender.media.probe import probe, read_frame
from storyrender.testing import kill_build_when, png_bytes, tiny_mp4

pytestmark = pytest.mark.slow

BOARD = """\
version: 1
output: {size: 160x90, fps: 8}
seconds: 4
providers:
  image: {use: runway/gen4_image, options: {poll_interval: 0.01}}
  keyframe: {use: runway/gen4_image, options: {poll_interval: 0.01}}
  video: {use: runway/veo3.1_fast, options: {poll_interval: 0.01}}
beats:
  - {prompt: A cat steps into a forest, seed: 5}
"""


@pytest.fixture
def served(fake, tmp_path_factory):
    clip = tiny_mp4(tmp_path_factory.mktemp("clip") / "clip.mp4", frames=32, fps=8, width=160, height=90)
    fake.files = {"clip.mp4": clip.read_bytes(), "image.png": png_bytes(160, 90, (40, 160, 60))}
    return fake


def env() -> dict:
    e = dict(os.environ, RUNWAYML_API_SECRET=KEY, NO_PROXY="127.0.0.1,localhost")
    e.pop("STORYRENDER_CACHE", None)
    return e


def build(cwd):
    return subprocess.run([sys.executable, "-m", "storyrender", "build", "board.yaml"], cwd=cwd, env=env(),
                          capture_output=True, text=True, timeout=300)


def test_build_with_runway_images_and_video(served, tmp_path):
    (tmp_path / "board.yaml").write_text(BOARD, "utf-8")
    res = build(tmp_path)
    assert res.returncode == 0, res.stderr
    assert KEY not in res.stdout + res.stderr
    paths = [c["path"] for c in served.creates]
    assert paths.count("/v1/text_to_image") == 2 and paths.count("/v1/image_to_video") == 1
    video = next(c["json"] for c in served.creates if c["path"] == "/v1/image_to_video")
    assert video["duration"] == 4 and video["audio"] is False and len(video["promptImage"]) == 2
    out = tmp_path / "out" / "board.mp4"
    info = probe(out)
    assert (info.width, info.height) == (160, 90) and 3.8 <= info.duration <= 4.3
    # frame-wise: the vendor's clip (a blue-to-red ramp) is what plays
    first, last = read_frame(out, 1), read_frame(out, info.frames - 2)
    assert first[..., 2].mean() > first[..., 0].mean() + 100  # blue at the start
    assert last[..., 0].mean() > last[..., 2].mean() + 100  # red at the end
    # stream-wise: the board asks for no sound, and the vendor was asked for none
    assert not info.has_audio or (info.audio_duration and abs(info.audio_duration - info.duration) < 0.2)
    manifest = json.loads((tmp_path / "out" / "board.manifest.json").read_text("utf-8"))
    seg = next(n for n in manifest["nodes"] if n["provider"] == "runway" and n["kind"] == "segment")
    assert seg["info"]["credits"] == 40 and seg["info"]["job_id"].startswith("task-")
    assert KEY not in json.dumps(manifest)
    assert build(tmp_path).returncode == 0 and len(served.creates) == 3  # cached: nothing new is paid


def test_kill_9_while_polling_then_rerun_resumes_the_task(served, tmp_path):
    board = tmp_path / "board.yaml"
    board.write_text(BOARD.replace("image: {use: runway/gen4_image, options: {poll_interval: 0.01}}", "image: local")
                     .replace("keyframe: {use: runway/gen4_image, options: {poll_interval: 0.01}}", "keyframe: local"),
                     "utf-8")
    served.hold = True
    kill_build_when(board, lambda: served.creates and "task-1" in served.polled, env=env())
    assert len(served.creates) == 1
    prepared = prepare(board)
    key = next(n.key for n in prepared.graph if n.provider == "runway")
    with open_store(prepared.board, None) as store:
        job = store.get_job(key)
    assert job and job["job_id"] == "task-1" and job["provider"] == "runway"
    served.hold = False
    res = build(tmp_path)
    assert res.returncode == 0, res.stderr
    assert len(served.creates) == 1  # resumed, not submitted again
    assert probe(tmp_path / "out" / "board.mp4").duration > 3.8
